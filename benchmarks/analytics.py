"""Benchmark 5: the analytics functions on 1,000,000 rows, together under 5 s.

summarize, error_groups, compare_models (overall and like for like), timeline, time_to_usable,
overdue, trend and wasted_time.

Skipped, saying so, while the analytics functions are not part of the package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from benchmarks._common import Result, best_of, load_records, records_file, seconds, skipped

GOAL_S = 5.0
FUNCTIONS = (
    "summarize",
    "error_groups",
    "compare_models",
    "timeline",
    "time_to_usable",
    "overdue",
    "trend",
    "wasted_time",
)
LIKE_FOR_LIKE = ("input_resolution", "input_duration")
TITLE = "Analytics: the eight analytics functions on 1,000,000 rows"
GOAL = f"< {GOAL_S:g} s together"


def analytics_functions() -> dict[str, Callable[..., Any]] | None:
    """The functions (and compare_models like for like), or None when any is missing."""
    package = importlib.import_module("aitoearn_lab")
    found = {name: getattr(package, name, None) for name in FUNCTIONS}
    if any(function is None for function in found.values()):
        return None
    compare = found["compare_models"]
    found["compare_models within"] = lambda frame: compare(frame, within=LIKE_FOR_LIKE)  # type: ignore[misc]
    return found  # type: ignore[return-value]


def run(*, quick: bool) -> list[Result]:
    functions = analytics_functions()
    if functions is None:
        return [
            skipped(
                5,
                "analytics",
                TITLE,
                GOAL,
                "aitoearn_lab lacks one of " + ", ".join(FUNCTIONS),
            )
        ]
    import pandas as pd

    from aitoearn_lab import to_frame

    base = to_frame(load_records(records_file(200_000, seed=4)))
    sizes = (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000)
    # Single-threaded work: judged on CPU time, far steadier than wall time on a shared machine
    # (wall time is shown beside it).
    cost: dict[int, dict[str, float]] = {}
    wall: dict[int, float] = {}
    for size in sizes:
        repeats = -(-size // len(base))
        frame = pd.concat([base] * repeats, ignore_index=True).iloc[:size]
        cost[size] = {}
        wall[size] = 0.0
        for name, function in functions.items():
            _, timing = best_of(lambda function=function, frame=frame: function(frame), 2)
            cost[size][name] = timing.cpu_s
            wall[size] += timing.wall_s
    largest = sizes[-1]
    total = sum(cost[largest].values())
    growth = ", ".join(f"{size:,}: {seconds(sum(cost[size].values()))}" for size in sizes)
    result = Result(
        5,
        "analytics",
        TITLE.replace("1,000,000", f"{largest:,}"),
        figure=f"{seconds(total)} CPU together (wall {seconds(wall[largest])})",
        baseline="-",
        ratio=f"{total / GOAL_S:.2f}x the budget",
        goal=GOAL,
        met=total < GOAL_S,
    )
    result.notes += [
        "each: " + ", ".join(f"{name} {seconds(value)}" for name, value in cost[largest].items()),
        f"growth with rows: {growth}",
        "rows: a 200,000-task world repeated as needed (so messages repeat more than in a "
        "world of 1,000,000 different tasks); CPU time, best of 2 runs of each function",
    ]
    return [result]
