"""``aitoearn-lab report``: a tasks file -> report.html and CSV tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from aitoearn_lab.cli.options import CommandError, friendly_errors, output_folder_option

REPORT_COLUMNS = ("task_id", "model", "state", "submitted_at", "finished_at", "total_s")


@click.command()
@click.argument("tasks_file", metavar="TASKS", type=click.Path(dir_okay=False, path_type=Path))
@output_folder_option("Folder for report.html and the CSV tables.")
@click.option("--title", default="AiToEarn video tasks", show_default=True, help="Page title.")
@click.option(
    "--freq",
    default="1h",
    show_default=True,
    metavar="FREQ",
    help="Period of the activity timeline: 15min, 1h, 1D, W ...",
)
@click.option(
    "--prices",
    "prices_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="CSV",
    help="Price table (model,[input_resolution,][input_duration,]price): adds the cost per "
    "usable video, failed tasks billed.",
)
@friendly_errors
def report(
    tasks_file: Path, out_dir: Path, title: str, freq: str, prices_file: Path | None
) -> None:
    """Write report.html and CSV tables for a tasks file written by fetch.

    TASKS is a .csv, .parquet or .jsonl file (or JSON Lines of task records as the API
    returns them). The report opens offline in any browser.

    \b
    Examples:
      aitoearn-lab report tasks.csv -o reports/today
      aitoearn-lab report tasks.parquet --freq 15min
      aitoearn-lab report tasks.csv -o reports/today --prices prices.csv
    """
    import pandas as pd

    from aitoearn_lab.cli.pricing import read_prices
    from aitoearn_lab.frame.tables import read_tasks
    from aitoearn_lab.report.document import Report, console_summary

    try:
        pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        raise CommandError(
            f"--freq must be a period such as 15min, 1h or 1D, got {freq!r}"
        ) from None
    prices = read_prices(prices_file) if prices_file is not None else None
    tasks = read_tasks(tasks_file)
    missing = [name for name in REPORT_COLUMNS if name not in tasks.columns]
    if missing and "id" in tasks.columns and "status" in tasks.columns:
        tasks = _records_frame(tasks_file)  # JSON Lines of task records as the API returns them
        missing = []
    if missing:
        raise CommandError(
            f"{tasks_file} is not a tasks table written by fetch (no {', '.join(missing)} column)"
        )
    result = Report(tasks, title=title, freq=freq, prices=prices)
    paths = result.write(out_dir)
    click.echo(console_summary(result.summary))
    for note in result.notes:  # the same notes the demo prints: what to know before reading
        click.echo(f"note: {note}")
    click.echo(f"\nwrote {len(paths)} files to {out_dir}", err=True)
    click.echo(f"report: {paths['html']}")


def _records_frame(path: Path) -> Any:
    """The tasks DataFrame from a JSON Lines file of raw task records (the API's ``data``)."""
    import orjson

    from aitoearn_lab.frame.build import to_frame

    with path.open("rb") as handle:
        return to_frame(orjson.loads(line) for line in handle if line.strip())
