"""Benchmark 7: a filter change on 100,000 tasks recomputes every chart in under 300 ms.

What a filter change costs a dashboard is the filter plus every chart drawn again from the rows
left. Until ``aitoearn_lab.dashboard`` exists (issue 4) that is measured through the chart
modules themselves: the filter, then every public chart function that draws from the tasks
DataFrame alone. Skipped, saying so, while the package has no chart modules either.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from collections.abc import Callable
from typing import Any

from benchmarks._common import Result, best_of, load_records, records_file, seconds, skipped

GOAL_S = 0.300
CHART_MODULES = ("aitoearn_lab.charts", "aitoearn_lab.context_charts")
TITLE = "Dashboard: a filter change on 100,000 tasks recomputes every chart"


def chart_functions() -> dict[str, Callable[..., Any]]:
    """Every public function of the chart modules that draws from the tasks DataFrame alone."""
    found: dict[str, Callable[..., Any]] = {}
    for module_name in CHART_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module_name:
                continue
            parameters = list(inspect.signature(function).parameters.values())
            if (
                parameters
                and parameters[0].name == "df"
                and all(p.default is not p.empty for p in parameters[1:])
            ):
                found[name] = function
    return found


def run(*, quick: bool) -> list[Result]:
    charts = chart_functions()
    if not charts:
        return [
            skipped(
                7,
                "dashboard",
                TITLE,
                f"< {GOAL_S * 1000:.0f} ms",
                "aitoearn_lab has neither a dashboard (issue 4) nor chart modules (issue 3) yet",
            )
        ]
    from aitoearn_lab import to_frame

    n = 100_000
    frame = to_frame(load_records(records_file(n, seed=9)))
    models = list(frame["model"].cat.categories)
    chosen = models[: max(1, len(models) // 2)]

    def filter_change() -> None:
        view = frame[frame["model"].isin(chosen)]
        for function in charts.values():
            function(view)

    filter_change()  # imports and first-draw caches
    _, timing = best_of(filter_change, 3)
    result = Result(
        7,
        "dashboard",
        TITLE,
        figure=f"{seconds(timing.wall_s)} for {len(charts)} charts",
        baseline="-",
        ratio=f"{timing.wall_s / GOAL_S:.2f}x the budget",
        goal=f"< {GOAL_S * 1000:.0f} ms",
        met=timing.wall_s < GOAL_S,
    )
    has_dashboard = importlib.util.find_spec("aitoearn_lab.dashboard") is not None
    result.notes.append(
        ("" if has_dashboard else "no aitoearn_lab.dashboard yet: ")
        + "measured as the filter plus every chart function of "
        + ", ".join(CHART_MODULES)
        + f" ({', '.join(charts)}) on {len(chosen)} of {len(models)} models"
    )
    return [result]
