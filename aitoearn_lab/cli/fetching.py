"""``aitoearn-lab fetch``: task IDs from arguments or a file -> a tasks table."""

from __future__ import annotations

import io
from collections.abc import Iterator
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
from aitoearn_lab.errors import ConfigurationError

ID_COLUMNS = ("taskId", "task_id", "id")  # as aitoearn_lab.frame.ids, without loading pandas


@click.command()
@click.argument("ids", nargs=-1)
@click.option(
    "--ids-file",
    type=click.File("r", encoding="utf-8-sig"),
    help="File of IDs: one per line; a CSV with a taskId, task_id or id column (its other "
    "columns are kept as user_* columns); or a JSON Lines log of submit answers; - for stdin.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the tasks to .csv, .parquet or .jsonl (default: CSV on stdout).",
)
@connection_options
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@friendly_errors
def fetch(
    ids: tuple[str, ...],
    ids_file: io.TextIOBase | None,
    output: Path | None,
    client_options: dict[str, Any],
    no_progress: bool,
) -> None:
    """Fetch tasks by ID into a table.

    \b
    Examples:
      aitoearn-lab fetch 6a461da66fe8a12d33daabdd -o tasks.csv
      aitoearn-lab fetch --ids-file ids.txt -o tasks.parquet
      aitoearn-lab fetch --ids-file submitted.jsonl -o tasks.csv
      cat ids.txt | aitoearn-lab fetch --ids-file - > tasks.csv
    """
    from aitoearn_lab.client.api import Client
    from aitoearn_lab.frame.ids import IdSource, read_ids
    from aitoearn_lab.frame.tables import output_kind

    if output is not None:
        output_kind(output)  # a wrong suffix is a usage error before any request, not after
    source = IdSource([])
    if ids_file is not None:
        try:
            source = read_ids(ids_file)
        except UnicodeDecodeError as error:
            raise click.UsageError(
                f"the IDs file is not UTF-8 text ({error.reason} at byte {error.start}); "
                "save it as UTF-8 (in a spreadsheet: CSV UTF-8) and try again"
            ) from None
        except ConfigurationError as error:
            raise click.UsageError(str(error)) from None
    for note in source.notes:
        click.echo(f"note: {note}", err=True)
    all_ids = [*ids, *source.task_ids]
    if not all_ids:
        raise click.UsageError("give task IDs as arguments or with --ids-file")
    client = Client(**client_options)
    with client, sigterm_as_interrupt():
        if output is not None:  # the cache is open and fine; the output is checked next,
            check_writable(output)  # still before the first request (not after 5 s of them)
        tasks = source.join(client.fetch(all_ids, progress=not no_progress))
    stats = client.last_fetch
    write_output(tasks, output)
    click.echo(summary_line(tasks, stats), err=True)
    echo_anomalies(tasks)
    if not stats.complete:
        click.echo(
            f"{plural(stats.failed, 'ID')} got no definitive answer; see the fetch_error column",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_INCOMPLETE)


def read_id_lines(handle: io.TextIOBase | Any) -> Iterator[str]:
    """IDs from a file: one per line, a CSV with an ID column, or a JSON Lines log."""
    from aitoearn_lab.frame.ids import read_ids

    try:
        yield from read_ids(handle).task_ids
    except ConfigurationError as error:
        raise click.UsageError(str(error)) from None


def summary_line(tasks: Any, stats: Any) -> str:
    """One line for a person: what each ID became, then where the answers came from.

    Tasks, "no such task" answers, malformed IDs and failures are counted apart (the client's
    own count of "fetched" lumps the first three together).
    """
    from aitoearn_lab import schema

    codes = tasks["api_code"]
    found = int((codes == schema.CODE_OK).sum())
    unknown = int((codes == schema.CODE_INVALID_TASK_ID).sum())
    malformed = int((codes == schema.CODE_VALIDATION_FAILED).sum())
    outcome = [
        plural(found, "task"),
        f"{unknown:,} no such task",
        plural(malformed, "malformed ID"),
        plural(stats.failed, "failure"),
    ]
    sources = [f"{stats.cache_hits:,} from cache", f"{stats.fetched:,} from the server"]
    if stats.retries:
        sources.append(plural(stats.retries, "retry", "retries"))
    return (
        f"{plural(stats.unique, 'ID')}: {', '.join(outcome)} "
        f"({', '.join(sources)}, {stats.elapsed_s:.1f} s)"
    )
