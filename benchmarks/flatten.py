"""Benchmark 4: 200,000 task records -> the tasks DataFrame, against ``pd.json_normalize``."""

from __future__ import annotations

import statistics
from typing import Any

import pandas as pd

from benchmarks._common import (
    Result,
    Timing,
    fastest,
    megabytes,
    peak_memory,
    records_file,
    seconds,
)

GOAL_SPEEDUP = 3.0
GOAL_MEMORY_SHARE = 0.60


def json_normalize_baseline(records: list[dict[str, Any] | None]) -> pd.DataFrame:
    """What a user writes by hand: flatten, parse the three times, compute the three latencies."""
    frame = pd.json_normalize(records)
    for name in ("submittedAt", "startedAt", "finishedAt"):
        frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601", errors="coerce")
    frame["queue_s"] = (frame["startedAt"] - frame["submittedAt"]).dt.total_seconds()
    frame["render_s"] = (frame["finishedAt"] - frame["startedAt"]).dt.total_seconds()
    frame["total_s"] = (frame["finishedAt"] - frame["submittedAt"]).dt.total_seconds()
    return frame


def run(*, quick: bool) -> list[Result]:
    n = 50_000 if quick else 200_000
    repeat = 2 if quick else 4
    path = str(records_file(n, seed=4))
    # Each run in a fresh process (so neither side inherits the other's heap), in turns.
    runs: dict[str, list[dict[str, Any]]] = {"to_frame": [], "json_normalize": []}
    for _ in range(repeat):
        for name, found in runs.items():
            found.append(peak_memory(name, path))
    ours = fastest([Timing(run["wall"], run["cpu"]) for run in runs["to_frame"]])
    baseline = fastest([Timing(run["wall"], run["cpu"]) for run in runs["json_normalize"]])
    ours_peak = statistics.median(run["peak"] for run in runs["to_frame"])
    baseline_peak = statistics.median(run["peak"] for run in runs["json_normalize"])

    # Both sides run on one thread, so CPU time is their cost; on a shared machine it is also
    # far steadier than wall time. Wall time is shown beside it.
    speedup = baseline.cpu_s / ours.cpu_s
    share = ours_peak / baseline_peak
    result = Result(
        4,
        "flatten",
        f"Flatten: {n:,} records through to_frame",
        figure=f"{seconds(ours.cpu_s)} CPU, peak +{megabytes(ours_peak)}",
        baseline=(
            f"{seconds(baseline.cpu_s)} CPU, peak +{megabytes(baseline_peak)} "
            "(pd.json_normalize + datetime parsing + latency arithmetic)"
        ),
        ratio=f"{speedup:.2f}x faster, {share:.0%} of the peak memory",
        goal=f">= {GOAL_SPEEDUP:g}x faster, <= {GOAL_MEMORY_SHARE:.0%} of the peak memory",
        met=speedup >= GOAL_SPEEDUP and share <= GOAL_MEMORY_SHARE,
    )
    result.notes.append(
        f"wall {seconds(ours.wall_s)} against {seconds(baseline.wall_s)} "
        f"({baseline.wall_s / ours.wall_s:.2f}x); best of {repeat} runs, each in a fresh process, "
        "taken in turns; peak = resident memory above the level before the call (median)"
    )
    return [result]
