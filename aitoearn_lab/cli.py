"""The command line: ``aitoearn-lab fetch | report | demo | simulate | cache``.

Exit codes: 0 when every ID got a definitive answer (a task, or 10002 / 12302); 1 when some IDs
could not be fetched after retries; 2 for a usage, configuration, cache or authentication error,
always as one clear line without a traceback; 130 when interrupted.
"""

from __future__ import annotations

import csv
import functools
import io
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from aitoearn_lab._version import __version__
from aitoearn_lab.config import DEFAULT_PENDING_TTL, DEFAULT_TIMEOUT, DEFAULT_WORKERS, ENV_API_KEY
from aitoearn_lab.errors import AiToEarnError

F = TypeVar("F", bound=Callable[..., Any])
EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
ID_COLUMNS = ("taskId", "task_id", "id")
REPORT_COLUMNS = ("task_id", "model", "state", "submitted_at", "finished_at", "total_s")


def _friendly(command: F) -> F:
    """Turn the package's errors and Ctrl-C into one line and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except AiToEarnError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(EXIT_USAGE)
        except FileNotFoundError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            click.echo(
                "\ninterrupted: every answer received so far is saved in the cache", err=True
            )
            sys.exit(EXIT_INTERRUPTED)

    return wrapper  # type: ignore[return-value]


def _show_warning(
    message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any
) -> None:
    click.echo(f"warning: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="aitoearn-lab")
def cli() -> None:
    """Fetch, explore and report on AiToEarn video generation tasks.

    The API key comes from the AITOEARN_API_KEY environment variable (never from the command
    line, where it would land in the shell history).
    """
    warnings.showwarning = _show_warning


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
        click.option(
            "--cache",
            "cache_path",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="Cache file (default: AITOEARN_LAB_CACHE or the user cache folder).",
        ),
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
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command()
@click.argument("ids", nargs=-1)
@click.option(
    "--ids-file",
    type=click.File("r", encoding="utf-8-sig"),
    help="File of IDs, one per line, or a CSV with a taskId, task_id or id column; - for stdin.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the tasks to .csv, .parquet or .jsonl (default: CSV on stdout).",
)
@connection_options
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@_friendly
def fetch(
    ids: tuple[str, ...],
    ids_file: io.TextIOBase | None,
    output: Path | None,
    base_url: str | None,
    region: str | None,
    cache_path: Path | None,
    no_cache: bool,
    pending_ttl: float,
    workers: int,
    max_rps: float | None,
    timeout: float,
    no_progress: bool,
) -> None:
    """Fetch tasks by ID into a table.

    \b
    Examples:
      aitoearn-lab fetch 6a461da66fe8a12d33daabdd -o tasks.csv
      aitoearn-lab fetch --ids-file ids.txt -o tasks.parquet
      cat ids.txt | aitoearn-lab fetch --ids-file - > tasks.csv
    """
    from aitoearn_lab.client import Client
    from aitoearn_lab.tables import format_for_csv, output_kind, write_tasks

    if output is not None:
        output_kind(output)  # a wrong suffix is a usage error before any request, not after
    all_ids = list(ids)
    if ids_file is not None:
        all_ids.extend(read_id_lines(ids_file))
    if not all_ids:
        raise click.UsageError("give task IDs as arguments or with --ids-file")
    client = Client(
        base_url=base_url,
        region=region,
        cache=False if no_cache else cache_path,
        workers=workers,
        pending_ttl=pending_ttl,
        timeout=timeout,
        max_rps=max_rps,
    )
    with client:
        tasks = client.fetch(all_ids, progress=not no_progress)
    stats = client.last_fetch
    if output is not None:
        write_tasks(tasks, output)
        click.echo(f"wrote {len(tasks)} tasks to {output}", err=True)
    else:
        format_for_csv(tasks).to_csv(sys.stdout, index=False, lineterminator="\r\n")
    click.echo(stats.describe(), err=True)
    if not stats.complete:
        click.echo(
            f"{stats.failed} ID(s) got no definitive answer; see the fetch_error column", err=True
        )
        sys.exit(EXIT_INCOMPLETE)


def _records_frame(path: Path) -> Any:
    """The tasks DataFrame from a JSON Lines file of raw task records (the API's ``data``)."""
    import orjson

    from aitoearn_lab.frame import to_frame

    with path.open("rb") as handle:
        return to_frame(orjson.loads(line) for line in handle if line.strip())


def read_id_lines(handle: io.TextIOBase | Any) -> Iterator[str]:
    """IDs from a file: one per line (blank lines skipped), or a CSV with an ID column."""
    lines = [line.rstrip("\r\n") for line in handle]
    header = next((line for line in lines if line.strip()), "")
    if "," in header:
        fields = [name.strip() for name in next(csv.reader([header]))]
        column = next((name for name in ID_COLUMNS if name in fields), None)
        if column is None:
            raise click.UsageError(
                f"the IDs file looks like a CSV but has no {', '.join(ID_COLUMNS)} column "
                f"(columns: {', '.join(fields[:10])})"
            )
        body = [line for line in lines if line.strip()][1:]
        rows = csv.DictReader(body, fieldnames=fields)
        yield from (row[column].strip() for row in rows if (row.get(column) or "").strip())
        return
    yield from (line.strip() for line in lines if line.strip())


@cli.command()
@click.argument("tasks_file", metavar="TASKS", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder for report.html and the CSV tables.",
)
@click.option("--title", default="AiToEarn video tasks", show_default=True, help="Page title.")
@click.option(
    "--freq",
    default="1h",
    show_default=True,
    metavar="FREQ",
    help="Period of the activity timeline: 15min, 1h, 1D, W ...",
)
@_friendly
def report(tasks_file: Path, out_dir: Path, title: str, freq: str) -> None:
    """Write report.html and CSV tables for a tasks file written by fetch.

    TASKS is a .csv, .parquet or .jsonl file (or JSON Lines of task records as the API
    returns them). The report opens offline in any browser.

    \b
    Examples:
      aitoearn-lab report tasks.csv -o reports/today
      aitoearn-lab report tasks.parquet --freq 15min
    """
    import pandas as pd

    from aitoearn_lab.report import Report, console_summary
    from aitoearn_lab.tables import read_tasks

    try:
        pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        click.echo(
            f"error: --freq must be a period such as 15min, 1h or 1D, got {freq!r}", err=True
        )
        sys.exit(EXIT_USAGE)
    tasks = read_tasks(tasks_file)
    missing = [name for name in REPORT_COLUMNS if name not in tasks.columns]
    if missing and "id" in tasks.columns and "status" in tasks.columns:
        tasks = _records_frame(tasks_file)  # JSON Lines of task records as the API returns them
        missing = []
    if missing:
        click.echo(
            f"error: {tasks_file} is not a tasks table written by fetch "
            f"(no {', '.join(missing)} column)",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    result = Report(tasks, title=title, freq=freq)
    paths = result.write(out_dir)
    click.echo(console_summary(result.summary))
    click.echo(f"\nwrote {len(paths)} files to {out_dir}", err=True)
    click.echo(f"report: {paths['html']}")


@cli.command()
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder for the results.",
)
@click.option(
    "--tasks",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Tasks in the simulated world.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the simulated world.")
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="How much faster than real time simulated tasks run.",
)
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@_friendly
def demo(out_dir: Path, tasks: int, seed: int, speed: float, no_progress: bool) -> None:
    """Run the whole job against the embedded simulator (no network, no API key)."""
    from aitoearn_lab.demo import run_demo

    run_demo(
        out_dir, tasks=tasks, seed=seed, speed=speed, progress=not no_progress, echo=click.echo
    )


@cli.command()
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=0,
    show_default=True,
    help="0 picks a free port.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--tasks", type=click.IntRange(min=0), default=1000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="How much faster than real time tasks run.",
)
@click.option(
    "--faults",
    default="",
    metavar="SPEC",
    help='e.g. "5xx=0.1,429=0.05,drop=0.02,malformed=0.02,timeout=0.01,latency=0.15,first-only".',
)
@click.option(
    "--timestamps",
    type=click.Choice(["separate", "public-code"]),
    default="separate",
    show_default=True,
    help="public-code: startedAt equals submittedAt, as the platform's public code fills it.",
)
@click.option(
    "--ids-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("simulator-task-ids.txt"),
    show_default=True,
    help="Where to write the task IDs.",
)
@_friendly
def simulate(
    port: int,
    host: str,
    tasks: int,
    seed: int,
    speed: float,
    faults: str,
    timestamps: str,
    ids_file: Path,
) -> None:
    """Run the simulated AiToEarn server in the foreground until Ctrl-C."""
    from aitoearn_lab.simulator import FaultPlan, Simulator

    try:
        plan = FaultPlan.parse(faults)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--faults") from None
    sim = Simulator(
        tasks=tasks,
        seed=seed,
        speed=speed,
        faults=plan,
        timestamps="public-code" if timestamps == "public-code" else "separate",
        host=host,
        port=port,
    )
    sim.start()
    sim.write_task_ids(ids_file)
    click.echo(f"base URL: {sim.base_url}")
    click.echo(f"API key:  {sim.api_key}   (a simulator key; export {ENV_API_KEY}=... to use it)")
    click.echo(f"task IDs: {ids_file} ({len(sim.task_ids)} tasks)")
    click.echo("serving; press Ctrl-C to stop", err=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("simulator stopped", err=True)
    finally:
        sim.stop()


@cli.group()
def cache() -> None:
    """Look at or clear the answer cache."""


@cache.command("info")
@click.option(
    "--cache",
    "cache_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Cache file (default: AITOEARN_LAB_CACHE or the user cache folder).",
)
@click.option("--base-url", metavar="URL")
@click.option("--region", type=click.Choice(["intl", "cn"]), default=None)
@_friendly
def cache_info(cache_path: Path | None, base_url: str | None, region: str | None) -> None:
    """Where the cache is and how many answers it holds for this key."""
    from aitoearn_lab.client import Client

    with Client(base_url=base_url, region=region, cache=cache_path) as client:
        click.echo(f"cache file: {client.cache_path}")
        size = (
            client.cache_path.stat().st_size
            if client.cache_path and client.cache_path.exists()
            else 0
        )
        click.echo(f"size: {size / 1e6:.1f} MB")
        click.echo(f"answers for this key and site: {client.cache_size()}")


@cache.command("clear")
@click.option(
    "--cache",
    "cache_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Cache file (default: AITOEARN_LAB_CACHE or the user cache folder).",
)
@click.option("--base-url", metavar="URL")
@click.option("--region", type=click.Choice(["intl", "cn"]), default=None)
@_friendly
def cache_clear(cache_path: Path | None, base_url: str | None, region: str | None) -> None:
    """Forget this key's stored answers (other keys' entries stay)."""
    from aitoearn_lab.client import Client

    with Client(base_url=base_url, region=region, cache=cache_path) as client:
        removed = client.clear_cache()
    click.echo(f"removed {removed} answers")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``aitoearn-lab`` script and ``python -m aitoearn_lab``."""
    cli.main(args=argv, prog_name="aitoearn-lab")
