"""What every command shares: exit codes, one-line errors, SIGTERM met as Ctrl-C, options."""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from aitoearn_lab.config import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_PENDING_TTL,
    DEFAULT_TIMEOUT,
    DEFAULT_WORKERS,
)
from aitoearn_lab.errors import AiToEarnError

F = TypeVar("F", bound=Callable[..., Any])
EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


def friendly_errors(command: F) -> F:
    """Turn the package's errors and Ctrl-C into one line and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except AiToEarnError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(EXIT_USAGE)
        except OSError as error:  # an output or IDs file that cannot be read or written
            click.echo(f"error: {error}", err=True)
            sys.exit(EXIT_USAGE)
        except KeyboardInterrupt as interrupt:
            how = "terminated" if isinstance(interrupt, Terminated) else "interrupted"
            click.echo(f"\n{how}: every answer received so far is saved in the cache", err=True)
            sys.exit(EXIT_TERMINATED if isinstance(interrupt, Terminated) else EXIT_INTERRUPTED)

    return wrapper  # type: ignore[return-value]


class Terminated(KeyboardInterrupt):
    """SIGTERM, met like Ctrl-C: the answers of requests in flight are kept, then it stops."""


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM raises :class:`Terminated` in the main thread.

    Ctrl-C is left as inherited: a command started with SIGINT ignored (``cmd &`` in a script,
    some job runners) was meant to outlive a Ctrl-C at the terminal, so it keeps ignoring it,
    as Python itself does, and SIGTERM is the way to stop it (:func:`how_to_stop`).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def how_to_stop() -> str:
    """How to stop this process, said when it starts: Ctrl-C, or ``kill`` if SIGINT is ignored."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        return f"Ctrl-C is ignored (started in the background); stop with: kill {os.getpid()}"
    return "press Ctrl-C to stop"


cache_file_option = click.option(
    "--cache",
    "cache_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Cache file (default: AITOEARN_LAB_CACHE or the user cache folder).",
)
"""``--cache PATH``: the cache file, for every command that reads or writes one."""


def output_folder_option(help_text: str) -> Callable[[F], F]:
    """``-o, --output FOLDER`` (``reports`` by default): where a command writes its files."""
    return click.option(
        "-o",
        "--output",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("reports"),
        show_default=True,
        help=help_text,
    )


def connection_options(command: F) -> F:
    """The options every command that talks to the API shares."""
    options = [
        click.option(
            "--base-url",
            metavar="URL",
            help="API base URL (default: AITOEARN_BASE_URL or the region's site).",
        ),
        click.option(
            "--region",
            type=click.Choice(["intl", "cn"]),
            default=None,
            help="intl = aitoearn.ai, cn = aitoearn.cn.",
        ),
        cache_file_option,
        click.option("--no-cache", is_flag=True, help="Do not read or write the cache."),
        click.option(
            "--pending-ttl",
            type=click.FloatRange(min=0),
            default=DEFAULT_PENDING_TTL,
            show_default=True,
            metavar="SECONDS",
            help="Re-ask unfinished tasks whose answer is older than this.",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=1, max=256),
            default=DEFAULT_WORKERS,
            show_default=True,
            help="Concurrent requests.",
        ),
        click.option(
            "--max-rps",
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            metavar="R",
            help="Cap on requests per second.",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True),
            default=DEFAULT_TIMEOUT,
            show_default=True,
            metavar="S",
            help="Per-request timeout in seconds.",
        ),
        click.option(
            "--max-retries",
            type=click.IntRange(min=0, max=20),
            default=DEFAULT_MAX_RETRIES,
            show_default=True,
            metavar="N",
            help="Retries per ID after a 429, a 5xx, a dropped connection or a bad answer.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command
