"""The command line: ``aitoearn-lab fetch | sync | report | check | demo | simulate | cache``.

Exit codes: 0 when every ID got a definitive answer (a task, or 10002 / 12302); 1 when some IDs
could not be fetched after retries; 2 for a usage, configuration, cache or authentication error,
always as one clear line without a traceback; 130 when interrupted (Ctrl-C), 143 when
terminated (SIGTERM, as sent by ``timeout``, a job scheduler or a container stop).
"""

from __future__ import annotations

import click

from aitoearn_lab._version import __version__
from aitoearn_lab.cli.caching import cache, cache_clear, cache_info
from aitoearn_lab.cli.checking import check
from aitoearn_lab.cli.fetching import ID_COLUMNS, fetch, read_id_lines
from aitoearn_lab.cli.options import (
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    Terminated,
    connection_options,
    sigterm_as_interrupt,
)
from aitoearn_lab.cli.reporting import REPORT_COLUMNS, report
from aitoearn_lab.cli.simulating import demo, simulate
from aitoearn_lab.cli.syncing import sync

__all__ = [
    "EXIT_INCOMPLETE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "ID_COLUMNS",
    "REPORT_COLUMNS",
    "Terminated",
    "cache",
    "cache_clear",
    "cache_info",
    "check",
    "cli",
    "connection_options",
    "demo",
    "fetch",
    "main",
    "read_id_lines",
    "report",
    "sigterm_as_interrupt",
    "simulate",
    "sync",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="aitoearn-lab")
def cli() -> None:
    """Fetch, explore and report on AiToEarn video generation tasks.

    The API key comes from the AITOEARN_API_KEY environment variable (never from the command
    line, where it would land in the shell history).
    """


for command in (fetch, sync, report, check, demo, simulate, cache):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``aitoearn-lab`` script and ``python -m aitoearn_lab``."""
    cli.main(args=argv, prog_name="aitoearn-lab")
