"""Charts of the answers: time to a usable video, like for like, overdue tasks, wasted time.

Each function takes the tasks DataFrame (and optionally the table it would compute, so a page
that already has it does not compute it twice) and returns a plotly figure; no I/O, no display.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from aitoearn_lab.charts.context import message_figure
from aitoearn_lab.charts.figure import build_figure
from aitoearn_lab.charts.style import (
    base_layout,
    hover_lines,
    label,
    model_axis,
    model_colors,
    rows_height,
    seconds_text,
)
from aitoearn_lab.metrics.answers import WITHIN
from aitoearn_lab.metrics.categories import CATEGORIES
from aitoearn_lab.metrics.compare import compare_models
from aitoearn_lab.metrics.lateness import overdue
from aitoearn_lab.metrics.usable import time_to_usable
from aitoearn_lab.metrics.wasted import wasted_time

CATEGORY_COLORS: Final = {
    "moderation": "#b07aa1",
    "quota": "#edc948",
    "timeout": "#f28e2b",
    "invalid_input": "#76b7b2",
    "upstream": "#e15759",
    "other": "#bab0ac",
}


def usable_time_bars(
    df: pd.DataFrame,
    *,
    within: Sequence[str] | None = None,
    table: pd.DataFrame | None = None,
) -> go.Figure:
    """Expected wall time to one usable video per model, ranked, with its 95% interval."""
    title = "Time to a usable video (failed attempts resubmitted)"
    table = time_to_usable(df, within=within) if table is None else table
    expected_s = table["expected_s"].to_numpy(dtype=float)  # an empty table's column is object
    shown = table[np.isfinite(expected_s)]
    if shown.empty:
        return message_figure(title, "No model has a usable video yet.")
    colors = model_colors(df)
    names = [label(model) for model in shown.index]
    expected = shown["expected_s"].to_numpy(dtype=float)
    low = np.nan_to_num(expected - shown["expected_s_lo"].to_numpy(dtype=float))
    high = shown["expected_s_hi"].to_numpy(dtype=float) - expected
    high = np.where(np.isfinite(high), high, 0.0)
    hover = [
        hover_lines(
            {
                "model": name,
                "expected": seconds_text(value),
                "95% interval": f"{seconds_text(lo)} – {seconds_text(hi)}",
                "success rate": f"{rate:.0%} of {tasks:,} finished",
                "note": note or "–",
            }
        )
        for name, value, lo, hi, rate, tasks, note in zip(
            names,
            expected,
            shown["expected_s_lo"],
            shown["expected_s_hi"],
            shown["success_rate"],
            shown["tasks"],
            shown["note"],
            strict=True,
        )
    ]
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": expected,
        "y": names,
        "marker": {"color": [colors.get(str(m)) for m in shown.index]},
        "error_x": {"type": "data", "symmetric": False, "array": high, "arrayminus": low},
        "hovertext": hover,
        "hoverinfo": "text",
        "name": "expected time",
    }
    subtitle = "like for like: " + ", ".join(within) if within else None
    layout = base_layout(title, height=rows_height(len(shown)), subtitle=subtitle)
    layout["xaxis"] = {"title": {"text": "seconds"}, "rangemode": "tozero"}
    layout["yaxis"] = model_axis()
    layout["showlegend"] = False
    return build_figure([trace], layout)


def like_for_like_ratios(
    df: pd.DataFrame,
    *,
    within: Sequence[str] = WITHIN,
    baseline: str | None = None,
    overall: pd.DataFrame | None = None,
    matched: pd.DataFrame | None = None,
) -> go.Figure:
    """Each model's ratio of medians to the baseline, overall and like for like, with intervals.

    ``overall`` and ``matched``: the two :func:`~aitoearn_lab.compare_models` tables, when
    already computed (then ``within`` and ``baseline`` are theirs).
    """
    title = "Turnaround against the baseline: overall and like for like"
    overall = compare_models(df, baseline=baseline) if overall is None else overall
    if overall.empty:
        return message_figure(title, "No finished tasks to compare.")
    if matched is None:
        base = str(overall["baseline"].iloc[0])
        matched = compare_models(df, baseline=base, within=list(within))
    traces: list[dict[str, Any]] = []
    for table, name, color in (
        (overall, "overall", "#bab0ac"),
        (matched, "like for like", "#4e79a7"),
    ):
        rows = table[table["verdict"] != "baseline"]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "x": rows["ratio"].to_numpy(dtype=float),
                "y": [label(m) for m in rows["model"]],
                "marker": {"color": color, "size": 10},
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": np.nan_to_num((rows["ratio_hi"] - rows["ratio"]).to_numpy(float)),
                    "arrayminus": np.nan_to_num((rows["ratio"] - rows["ratio_lo"]).to_numpy(float)),
                },
                "hovertext": [
                    f"<b>{label(r.model)}</b> ({name}): ratio {r.ratio:.2f}, {r.verdict}<br>"
                    f"{r.tasks:,} against {r.baseline_tasks:,} tasks"
                    for r in rows.itertuples(index=False)
                ],
                "hoverinfo": "text",
            }
        )
    base = label(overall["baseline"].iloc[0])
    layout = base_layout(
        title,
        height=rows_height(len(overall) - 1),
        subtitle=f"model median / {base} median; below 1 is faster",
    )
    layout["xaxis"] = {
        "title": {"text": "ratio of medians"},
        "type": "log",
        **_ratio_ticks([overall, matched]),
    }
    layout["yaxis"] = model_axis()
    layout["shapes"] = [
        {
            "type": "line",
            "x0": 1,
            "x1": 1,
            "yref": "paper",
            "y0": 0,
            "y1": 1,
            "line": {"dash": "dot"},
        }
    ]
    return build_figure(traces, layout)


def overdue_tasks(
    df: pd.DataFrame, *, quantile: float = 0.99, table: pd.DataFrame | None = None
) -> go.Figure:
    """Unfinished tasks older than their model's turnaround quantile: age and the quantile.

    ``table``: :func:`~aitoearn_lab.overdue` of ``df``, when already computed.
    """
    if table is not None:
        quantile = float(table.attrs.get("quantile", quantile))
    title = f"Overdue tasks (older than {quantile:.0%} of their model's turnarounds)"
    table = overdue(df, quantile=quantile) if table is None else table
    if table.empty:
        return message_figure(title, "No unfinished task is overdue.")
    colors = model_colors(df)
    traces = []
    for model, rows in table.groupby("model", sort=True):
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": label(model),
                "x": rows["age_s"].to_numpy(dtype=float),
                "y": [label(model)] * len(rows),
                "marker": {"color": colors.get(str(model)), "size": 9},
                "hovertext": [
                    f"<b>{label(task)}</b><br>waiting {seconds_text(age)}, "
                    f"{over:.1f}× the {seconds_text(limit)} quantile"
                    for task, age, over, limit in zip(
                        rows["task_id"].to_numpy(dtype=object),
                        rows["age_s"].to_numpy(dtype=float),
                        rows["times_over"].to_numpy(dtype=float),
                        rows["quantile_s"].to_numpy(dtype=float),
                        strict=True,
                    )
                ],
                "hoverinfo": "text",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{label(model)} quantile",
                "x": [float(rows["quantile_s"].iloc[0])],
                "y": [label(model)],
                "marker": {"symbol": "line-ns-open", "size": 18, "color": "#222"},
                "showlegend": False,
                "hoverinfo": "x",
            }
        )
    layout = base_layout(title, height=rows_height(table["model"].nunique()))
    layout["xaxis"] = {"title": {"text": "age (seconds)"}, "type": "log"}
    layout["yaxis"] = model_axis()
    return build_figure(traces, layout)


def wasted_time_bars(
    df: pd.DataFrame, *, rules: dict[str, str] | None = None, table: pd.DataFrame | None = None
) -> go.Figure:
    """Render time spent before failures, stacked by failure category, one bar per model.

    ``table``: :func:`~aitoearn_lab.wasted_time` of ``df``, when already computed.
    """
    title = "Render time wasted on failed tasks, by failure category"
    table = wasted_time(df, rules=rules) if table is None else table
    if table.empty:
        return message_figure(title, "No failed tasks.")
    totals = table.groupby("model")["wasted_render_s"].sum().sort_values(ascending=False)
    models = totals.index.tolist()
    categories = [c for c in CATEGORIES if c in set(table["category"])]
    categories += sorted(set(table["category"]) - set(categories))
    traces = []
    for category in categories:
        rows = table[table["category"] == category].set_index("model").reindex(models)
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": label(category),
                "x": rows["wasted_render_s"].fillna(0).to_numpy(dtype=float),
                "y": [label(m) for m in models],
                "marker": {"color": CATEGORY_COLORS.get(category, "#9c755f")},
                "hovertext": [
                    f"<b>{label(m)}</b> · {label(category)}: {seconds_text(s)} over "
                    f"{0 if math.isnan(n) else int(n):,} failures"
                    for m, s, n in zip(
                        models, rows["wasted_render_s"].fillna(0), rows["failures"], strict=True
                    )
                ],
                "hoverinfo": "text",
            }
        )
    layout = base_layout(title, height=rows_height(len(models)))
    layout["barmode"] = "stack"
    layout["xaxis"] = {"title": {"text": "render seconds before the failure"}}
    layout["yaxis"] = model_axis()
    return build_figure(traces, layout)


def _ratio_ticks(tables: Sequence[pd.DataFrame]) -> dict[str, Any]:
    """Round ratios as the log axis's ticks (``×0.5``, ``×1``, ``×2``), over the range drawn.

    Plotly labels a log axis's minor ticks by their first digit alone ("8 9 1 2"), which reads
    as nonsense for ratios around 1.
    """
    values = np.concatenate(
        [t[c].to_numpy(dtype=float) for t in tables for c in ("ratio", "ratio_lo", "ratio_hi")]
    )
    values = values[np.isfinite(values) & (values > 0)]
    low, high = (float(values.min()), float(values.max())) if values.size else (1.0, 1.0)
    ticks = [v for v in _NICE_RATIOS if low / 1.15 <= v <= high * 1.15] or [1.0]
    return {"tickvals": ticks, "ticktext": [f"×{v:g}" for v in ticks]}


_NICE_RATIOS: Final = (
    0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 7.5,
    10.0, 15.0, 20.0, 30.0, 50.0, 100.0,
)  # fmt: skip
