"""Benchmark 6: the tasks DataFrame at 1,000,000 rows, in bytes per task beyond the prompt text."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import pandas as pd

from benchmarks._common import Result, distinct_worlds, peak_memory

GOAL_BYTES = 600.0


def frame_bytes(
    frame: pd.DataFrame, *, list_columns: Sequence[str], prompt_column: str
) -> dict[str, Any]:
    """Bytes of a frame, counted honestly.

    ``memory_usage(deep=True)`` counts a cell holding a list as the list object alone; the
    strings inside are added here. The prompt's text (its UTF-8 bytes) is what the goal leaves
    out; whatever a column spends beyond the text (offsets, object headers) still counts.
    """
    usage = frame.memory_usage(deep=True, index=True)
    contents = 0
    for name in list_columns:
        for cell in frame[name].array:
            if isinstance(cell, list):
                contents += sum(sys.getsizeof(item) for item in cell)
    prompt_text = sum(len(text.encode()) for text in frame[prompt_column].dropna())
    total = int(usage.sum()) + contents
    rows = len(frame)
    per_column = (usage / rows).round(1).sort_values(ascending=False)
    return {
        "total": total,
        "per_task": (total - prompt_text) / rows,
        "prompt_text_per_task": prompt_text / rows,
        "list_contents_per_task": contents / rows,
        "top_columns": per_column.head(8).to_dict(),
    }


def run(*, quick: bool) -> list[Result]:
    files = distinct_worlds(200_000 if quick else 1_000_000, seed=4)
    measured = peak_memory("memory", *(str(path) for path in files))
    ours, baseline = measured["ours"], measured["baseline"]
    rows = measured["rows"]
    result = Result(
        6,
        "memory",
        f"Memory: the tasks DataFrame at {rows:,} rows",
        figure=f"{ours['per_task']:.0f} B/task beyond the prompt text",
        baseline=f"{baseline['per_task']:.0f} B/task (the pd.json_normalize frame of benchmark 4)",
        ratio=f"{ours['per_task'] / baseline['per_task']:.0%} of the baseline",
        goal=f"<= {GOAL_BYTES:.0f} B/task",
        met=ours["per_task"] <= GOAL_BYTES,
    )
    top = ", ".join(f"{name} {size:.0f}" for name, size in ours["top_columns"].items())
    result.notes += [
        f"memory_usage(deep=True) plus the strings inside list cells "
        f"({ours['list_contents_per_task']:.0f} B/task), less the prompt text "
        f"({ours['prompt_text_per_task']:.0f} B/task)",
        f"largest columns (B/task, list cells without their strings): {top}",
        f"{len(files)} different simulated world(s) of up to 200,000 tasks (seeds from 4), "
        "not one world repeated",
    ]
    return [result]
