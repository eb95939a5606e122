"""What every command shares: exit codes, one-line errors, SIGTERM met as Ctrl-C, options.

Every error leaves a command one way, as a click exception: :class:`click.UsageError` for the
way a command was called (exit 2, with the usage line), :class:`CommandError` for anything else
that stops it (exit 2, one line), :class:`click.exceptions.Exit` for the other exit codes.
"""

from __future__ import annotations

import functools
import os
import signal
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from aitoearn_lab.config import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_NOT_FOUND_TTL,
    DEFAULT_PENDING_TTL,
    DEFAULT_TIMEOUT,
    DEFAULT_WORKERS,
    REGIONS,
)
from aitoearn_lab.errors import AiToEarnError

F = TypeVar("F", bound=Callable[..., Any])
EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


class CommandError(click.ClickException):
    """One line on stderr (``error: ...``) and exit code 2: a configuration, cache or
    authentication error, a file that cannot be read or written, a bad value."""

    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


def friendly_errors(command: F) -> F:
    """Turn the package's errors and Ctrl-C into click's exceptions; echo warnings as lines."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings_echoed():
                return command(*args, **kwargs)
        except (AiToEarnError, OSError) as error:  # OSError: a file that cannot be used
            raise CommandError(str(error)) from None
        except KeyboardInterrupt as interrupt:
            how = "terminated" if isinstance(interrupt, Terminated) else "interrupted"
            click.echo(f"\n{how}: every answer received so far is saved in the cache", err=True)
            code = EXIT_TERMINATED if isinstance(interrupt, Terminated) else EXIT_INTERRUPTED
            raise click.exceptions.Exit(code) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def warnings_echoed() -> Iterator[None]:
    """While inside, warnings are collected (filters unchanged), then echoed as ``warning:``
    lines; nothing is changed for the rest of the process."""
    with warnings.catch_warnings(record=True) as caught:
        try:
            yield
        finally:
            for warning in caught:
                click.echo(f"warning: {warning.message}", err=True)


region_option = click.option(
    "--region",
    type=click.Choice(sorted(REGIONS)),
    default=None,
    help=", ".join(f"{name} = {url.split('//')[-1]}" for name, url in sorted(REGIONS.items()))
    + ".",
)
"""``--region``: the sites :data:`aitoearn_lab.config.REGIONS` knows."""


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


_CONNECTION: tuple[str, ...] = (
    "base_url",
    "region",
    "cache_path",
    "no_cache",
    "pending_ttl",
    "not_found_ttl",
    "workers",
    "max_rps",
    "timeout",
    "max_retries",
)


def connection_options(command: F) -> F:
    """The options every command that talks to the API shares.

    The command gets them as one ``client_options``: the keywords of
    :class:`~aitoearn_lab.Client` (``--no-cache`` and ``--cache`` made into ``cache``).
    """

    @functools.wraps(command)
    def gathered(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in _CONNECTION}
        cache_path, no_cache = given.pop("cache_path"), given.pop("no_cache")
        given["cache"] = False if no_cache else cache_path
        return command(*args, client_options=given, **kwargs)

    options = [
        click.option(
            "--base-url",
            metavar="URL",
            help="API base URL (default: AITOEARN_BASE_URL or the region's site).",
        ),
        region_option,
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
            "--not-found-ttl",
            type=click.FloatRange(min=0),
            default=DEFAULT_NOT_FOUND_TTL,
            show_default=True,
            metavar="SECONDS",
            help="Remember a 12302 (no such task) answer this long; 0 asks again every run.",
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
    wrapped: Any = gathered
    for option in reversed(options):
        wrapped = option(wrapped)
    return wrapped
