"""``aitoearn-lab check``: exit non-zero when a model breaches a limit (for cron and CI).

Exit codes: 0 when every group is within every limit given, 1 when any group breaches one (each
named on its line and in the last line), 2 for bad usage or a file that cannot be read.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Final

import click

from aitoearn_lab.cli.options import CommandError, friendly_errors

EXIT_BREACH: Final = 1

_DURATION: Final = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|sec|m|min|h|d)?\s*$", re.I)
_UNIT_SECONDS: Final = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}


class Duration(click.ParamType):
    """``90s``, ``10m``, ``1.5h``, ``2d`` or plain seconds, as float seconds."""

    name = "DURATION"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        found = _DURATION.match(str(value))
        if not found:
            self.fail(f"{value!r} is not a duration; write it like 90s, 10m, 1h or 2d", param, ctx)
        seconds = float(found.group(1)) * _UNIT_SECONDS[(found.group(2) or "s").lower()]
        if seconds <= 0:
            self.fail(f"{value!r} must be longer than zero", param, ctx)
        return seconds


class Rate(click.ParamType):
    """``5%`` or ``0.05``, as a fraction between 0 and 1."""

    name = "PCT"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        text = str(value).strip()
        try:
            rate = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
        except ValueError:
            self.fail(f"{value!r} is not a rate; write it like 5% or 0.05", param, ctx)
        if not 0.0 <= rate <= 1.0 or math.isnan(rate):
            self.fail(f"{value!r} is not between 0% and 100% (write 5% or 0.05)", param, ctx)
        return rate


@click.command()
@click.argument("tasks_file", metavar="TASKS", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--max-p95", type=Duration(), default=None, help="Limit on the p95 turnaround.")
@click.option(
    "--max-failure-rate", type=Rate(), default=None, help="Limit on failed / finished tasks."
)
@click.option(
    "--max-time-to-usable",
    type=Duration(),
    default=None,
    help="Limit on the expected wall time to one usable video (failures resubmitted).",
)
@click.option("--by", default="model", show_default=True, help="Column to group by.")
@click.option(
    "--since",
    type=Duration(),
    default=None,
    help="Only tasks submitted this long before the latest fetch (e.g. 1d).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@friendly_errors
def check(
    tasks_file: Path,
    max_p95: float | None,
    max_failure_rate: float | None,
    max_time_to_usable: float | None,
    by: str,
    since: float | None,
    as_json: bool,
) -> None:
    """Check a tasks file against limits; exit 1 when any group breaches one.

    TASKS is a .csv, .parquet or .jsonl file written by fetch. One line per group shows its
    figures and the limits; the exit code is 0 when every group is within every limit given,
    1 when any breaches (named), 2 for bad usage. p95 and the failure rate cover finished tasks;
    the time to a usable video counts failed attempts as resubmitted at once.

    \b
    Examples:
      aitoearn-lab check tasks.parquet --max-p95 10m --max-failure-rate 5%
      aitoearn-lab check tasks.csv --since 1d --max-time-to-usable 15m --json
    """
    import pandas as pd

    from aitoearn_lab.frame.tables import read_tasks
    from aitoearn_lab.metrics.moments import reference_time
    from aitoearn_lab.metrics.summary import summarize
    from aitoearn_lab.metrics.usable import time_to_usable

    tasks = read_tasks(tasks_file)
    for name in ("state", "submitted_at", "total_s", by):
        if name not in tasks.columns:
            raise CommandError(
                f"{tasks_file} has no {name!r} column (is it a tasks file written by "
                f"fetch? --by must name one of its columns)"
            )
    if since is not None:
        start = reference_time(tasks) - pd.Timedelta(seconds=since)
        tasks = tasks[(tasks["submitted_at"] >= start).fillna(False).to_numpy(dtype=bool)]
    tasks = tasks[tasks[by].notna().to_numpy(dtype=bool)]
    if tasks.empty:
        if as_json:
            click.echo(json.dumps({"by": by, "limits": {}, "groups": []}))
        click.echo("no tasks to check (none submitted in that window)", err=True)
        return
    summary = summarize(tasks, by=by)
    usable = time_to_usable(tasks, by=by)
    limits = {
        "p95": max_p95,
        "failure rate": max_failure_rate,
        "time to usable": max_time_to_usable,
    }
    results: list[dict[str, Any]] = []
    for group, row in summary.iterrows():
        figures = {
            "p95": _number(row["total_s_p95"]),
            "failure rate": _number(row["failure_rate"]),
            "time to usable": _number(usable["expected_s"].get(group, math.nan)),
        }
        breaches = [
            name
            for name, limit in limits.items()
            if limit is not None and (figure := figures[name]) is not None and figure > limit
        ]
        results.append(
            {"group": str(group), "tasks": int(row["tasks"]), **figures, "breaches": breaches}
        )
    breached = [r for r in results if r["breaches"]]
    if as_json:
        shown_limits = {name: limit for name, limit in limits.items() if limit is not None}
        groups = [{k: _json_safe(v) for k, v in result.items()} for result in results]
        click.echo(json.dumps({"by": by, "limits": shown_limits, "groups": groups}, indent=2))
    else:
        for result in results:
            click.echo(_line(result, limits))
    if breached:
        names = "; ".join(f"{r['group']} ({', '.join(r['breaches'])})" for r in breached)
        click.echo(f"{len(breached)} of {len(results)} groups breach a limit: {names}", err=True)
        raise click.exceptions.Exit(EXIT_BREACH)
    click.echo(f"all {len(results)} groups within the limits", err=True)


def _json_safe(value: Any) -> Any:
    """Infinity (nothing succeeded, so no usable video in finite time) as the string "inf"."""
    return "inf" if isinstance(value, float) and math.isinf(value) else value


def _number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


def _line(result: dict[str, Any], limits: dict[str, float | None]) -> str:
    from aitoearn_lab.metrics.moments import format_duration

    def shown(name: str, value: float | None) -> str:
        if value is None:
            return "–"
        return f"{value:.1%}" if name == "failure rate" else format_duration(value)

    parts = [f"{result['group']}: {result['tasks']:,} tasks"]
    for name, limit in limits.items():
        bound = "" if limit is None else f" (limit {shown(name, limit)})"
        parts.append(f"{name} {shown(name, result[name])}{bound}")
    verdict = "BREACH " + ", ".join(result["breaches"]) if result["breaches"] else "ok"
    return ", ".join(parts) + f" -> {verdict}"
