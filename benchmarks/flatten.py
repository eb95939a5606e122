"""Benchmark 4: 200,000 task records -> the tasks DataFrame, against ``pd.json_normalize``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from benchmarks._common import (
    Result,
    Timing,
    best_of,
    load_records,
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


def _times(n: int, repeat: int) -> tuple[Timing, Timing]:
    from aitoearn_lab import to_frame

    records = load_records(records_file(n, seed=4))
    to_frame(records[:200]), json_normalize_baseline(records[:200])  # imports, warm-up
    _, ours = best_of(lambda: to_frame(records), repeat)
    _, baseline = best_of(lambda: json_normalize_baseline(records), repeat)
    return ours, baseline


def run(*, quick: bool) -> list[Result]:
    n = 50_000 if quick else 200_000
    repeat = 2 if quick else 3
    ours, baseline = _times(n, repeat)
    path = str(records_file(n, seed=4))
    ours_peak = peak_memory("to_frame", path)["peak"]
    baseline_peak = peak_memory("json_normalize", path)["peak"]

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
        f"({baseline.wall_s / ours.wall_s:.2f}x); best of {repeat} runs; peak = resident memory "
        "above the level before the call, each in a fresh process"
    )
    return [result]
