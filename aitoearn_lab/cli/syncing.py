"""``aitoearn-lab sync``: every task of the account from the list endpoint -> a tasks table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from aitoearn_lab.cli.options import (
    EXIT_INCOMPLETE,
    connection_options,
    friendly_errors,
    sigterm_as_interrupt,
)
from aitoearn_lab.cli.output import check_writable, echo_anomalies, plural, write_output


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the tasks to .csv, .parquet or .jsonl (default: CSV on stdout).",
)
@click.option(
    "--since",
    metavar="DATE",
    help="Only tasks created at or after this date or time (ISO 8601; UTC unless a zone is given).",
)
@click.option(
    "--max-tasks",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="At most the N newest tasks.",
)
@connection_options
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@friendly_errors
def sync(
    output: Path | None,
    since: str | None,
    max_tasks: int | None,
    client_options: dict[str, Any],
    no_progress: bool,
) -> None:
    """Fetch every task of the account, no task IDs needed.

    The server lists the key's own tasks, 1,000 a page. With the cache on, a later sync reads
    only the pages of new tasks and asks again only for the unfinished ones it holds; the table
    still holds every task. A server without the list endpoint ends with exit code 2: fetch
    the tasks by ID there.

    \b
    Examples:
      aitoearn-lab sync -o tasks.parquet
      aitoearn-lab sync --since 2026-07-01 -o july.csv
    """
    from aitoearn_lab.client.api import Client
    from aitoearn_lab.client.since import since_seconds
    from aitoearn_lab.errors import ConfigurationError
    from aitoearn_lab.frame.tables import output_kind

    if output is not None:
        output_kind(output)  # a wrong suffix is a usage error before any request, not after
    if since is not None:
        try:
            since_seconds(since)
        except ConfigurationError:
            raise click.BadParameter(
                f"{since!r} is not a date or time; use ISO 8601, e.g. 2026-07-01 or "
                "2026-07-01T12:00:00Z",
                param_hint="--since",
            ) from None
    client = Client(**client_options)
    with client, sigterm_as_interrupt():
        if output is not None:  # before the first request, as fetch does
            check_writable(output)
        tasks = client.sync(since=since, max_tasks=max_tasks, progress=not no_progress)
    stats = client.last_sync
    write_output(tasks, output)
    click.echo(stats.describe(), err=True)
    echo_anomalies(tasks)
    if stats.failed:
        click.echo(
            f"{plural(stats.failed, 'task')} got no usable answer; see the fetch_error column",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_INCOMPLETE)
