"""Latency charts: boxes with the slowest tasks named, and the share of tasks done within a time.

Part of :mod:`aitoearn_lab.charts.outcome`, which re-exports every function here.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from aitoearn_lab.charts.context import message_figure
from aitoearn_lab.charts.data import latency_mask, model_groups
from aitoearn_lab.charts.figure import build_figure
from aitoearn_lab.charts.style import (
    base_layout,
    escape,
    hover_lines,
    label,
    model_axis,
    model_colors,
    rows_height,
    seconds_text,
)
from aitoearn_lab.metrics.notes import ZERO_QUEUE_NOTE, queue_is_uninformative
from aitoearn_lab.metrics.summary import check_choice

METRIC_TITLES: Final = {
    "total_s": "Turnaround (submitted → finished)",
    "render_s": "Render time (started → finished)",
    "queue_s": "Queue time (submitted → started)",
}

_NICE_SECONDS: Final = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400)
_HOVER_COLUMNS: Final = (
    "task_id",
    "model",
    "queue_s",
    "render_s",
    "input_duration",
    "input_resolution",
    "input_prompt",
)


def latency_distribution(
    df: pd.DataFrame, *, metric: str = "total_s", include_failed: bool = False, slowest: int = 8
) -> go.Figure:
    """Latency by model as boxes (quartiles, whiskers at the 5th and 95th percentiles).

    The few slowest tasks of each model are drawn as points whose hover text names the task
    (ID, prompt, duration, resolution). Models run fastest (lowest median) to slowest, top down.
    """
    check_choice("metric", metric, tuple(METRIC_TITLES))
    if metric == "queue_s" and queue_is_uninformative(df):
        return message_figure(f"{METRIC_TITLES[metric]} by model", ZERO_QUEUE_NOTE)
    colors = model_colors(df)
    groups = model_groups(df, metric, include_failed=include_failed)
    tails = [group.positions[_slowest(group.values, slowest)] for group in groups]
    hovers = iter(_task_hovers(df, np.concatenate([[], *tails]).astype(np.int64), metric))
    values = df[metric].to_numpy(dtype=float)
    data: list[dict[str, Any]] = []
    for group, tail in zip(groups, tails, strict=True):
        q = np.percentile(group.values, [5, 25, 50, 75, 95])
        name = label(group.model)
        color = colors.get(str(group.model))
        data.append(
            {
                "type": "box",
                "y": [name],
                "q1": [q[1]],
                "median": [q[2]],
                "q3": [q[3]],
                "lowerfence": [q[0]],
                "upperfence": [q[4]],
                "mean": [float(group.values.mean())],
                "name": name,
                "orientation": "h",
                "marker": {"color": color},
                "line": {"width": 1.5},
                "hoverinfo": "x",
                "showlegend": False,
            }
        )
        if len(tail):
            data.append(
                {
                    "type": "scatter",
                    "x": values[tail],
                    "y": [name] * len(tail),
                    "mode": "markers",
                    "name": f"{name}: slowest",
                    "marker": {"color": color, "size": 6, "opacity": 0.7},
                    "hovertext": [next(hovers) for _ in tail],
                    "hoverinfo": "text",
                    "showlegend": False,
                }
            )
    scope = "succeeded and failed" if include_failed else "succeeded"
    layout = base_layout(
        f"{METRIC_TITLES[metric]} by model",
        subtitle=f"{scope} tasks · box: quartiles, whiskers: 5th–95th percentile, "
        "dots: the slowest tasks",
        height=rows_height(len(groups)),
    )
    layout["xaxis"] = _seconds_axis(
        values[latency_mask(df, metric, include_failed=include_failed)], "seconds (log scale)"
    )
    layout["yaxis"] = model_axis()
    return build_figure(data, layout)


def latency_ecdf(
    df: pd.DataFrame, *, metric: str = "total_s", include_failed: bool = False, points: int = 200
) -> go.Figure:
    """The share of tasks done within a given time, one curve per model (an ECDF).

    Each curve is drawn from ``points`` quantiles, whatever the number of tasks.
    """
    check_choice("metric", metric, tuple(METRIC_TITLES))
    if metric == "queue_s" and queue_is_uninformative(df):
        return message_figure(f"{METRIC_TITLES[metric]}: share of tasks done", ZERO_QUEUE_NOTE)
    colors = model_colors(df)
    shares = np.linspace(0.0, 1.0, points + 1)
    data: list[dict[str, Any]] = []
    for group in model_groups(df, metric, include_failed=include_failed):
        times = np.quantile(group.values, shares)
        name = label(group.model)
        data.append(
            {
                "type": "scatter",
                "x": times,
                "y": shares,
                "mode": "lines",
                "name": name,
                "line": {"color": colors.get(str(group.model)), "width": 2, "shape": "hv"},
                "customdata": [seconds_text(t) for t in times],
                "hovertemplate": f"<b>{name}</b><br>%{{y:.0%}} of tasks done within "
                "%{customdata}<extra></extra>",
            }
        )
    layout = base_layout(
        f"{METRIC_TITLES[metric]}: share of tasks done within a time",
        subtitle="read across at 50% for the median, at 95% for the slow tail",
        height=460,
    )
    layout["legend"].update(  # beside the curves, outside the plot: never over a curve
        {"orientation": "v", "yref": "paper", "y": 1.0, "yanchor": "top", "x": 1.02}
    )
    layout["shapes"] = [
        {
            "type": "line",
            "line": {"color": "#999", "width": 1, "dash": "dot"},
            "x0": 0,
            "x1": 1,
            "xref": "x domain",
            "y0": 0.5,
            "y1": 0.5,
            "yref": "y",
        }
    ]
    values = df[metric].to_numpy(dtype=float)
    layout["xaxis"] = _seconds_axis(
        values[latency_mask(df, metric, include_failed=include_failed)], "seconds (log scale)"
    )
    layout["yaxis"] = {
        "title": {"text": "share of tasks done"},
        "tickformat": ".0%",
        "range": [0, 1.02],
    }
    return build_figure(data, layout)


def _seconds_axis(values: np.ndarray, title: str) -> dict[str, Any]:
    """A log axis in seconds with ticks at round durations (10 s, 1 min, 5 min, 1 h ...)."""
    positive = values[values > 0]
    low, high = (float(positive.min()), float(positive.max())) if len(positive) else (1.0, 10.0)
    ticks: list[float] = [t for t in _NICE_SECONDS if low / 2 <= t <= high * 2] or [low, high]
    return {
        "title": {"text": title},
        "type": "log",
        "tickvals": ticks,
        "ticktext": [seconds_text(t).replace(" 00 s", "").replace(" 00 min", "") for t in ticks],
    }


def _slowest(values: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` largest values, largest first, ties in order (as ``nlargest``)."""
    count = min(max(count, 0), values.size)
    if count == 0:
        return np.empty(0, dtype=np.int64)
    # Only values at or above the count-th largest need sorting: a few, not the whole group.
    threshold = np.partition(values, values.size - count)[values.size - count]
    candidates = np.flatnonzero(values >= threshold)
    return candidates[np.argsort(-values[candidates], kind="stable")][:count]


def _task_hovers(df: pd.DataFrame, positions: np.ndarray, metric: str) -> list[str]:
    """Hover text naming each task at ``positions``: only those rows of a few columns are read."""
    columns = dict.fromkeys([*_HOVER_COLUMNS, metric])
    rows = pd.DataFrame({name: df[name].iloc[positions] for name in columns})
    return [_task_hover(row, metric) for row in rows.to_dict("records")]


def _task_hover(row: dict[str, object], metric: str) -> str:
    return hover_lines(
        {
            "task": escape(row["task_id"]),
            "model": label(row["model"]),
            METRIC_TITLES[metric].split(" (")[0].lower(): seconds_text(_float(row[metric])),
            "queue / render": (
                f"{seconds_text(_float(row['queue_s']))} / {seconds_text(_float(row['render_s']))}"
            ),
            "duration": escape(row["input_duration"]),
            "resolution": escape(row["input_resolution"]),
            "prompt": escape(row["input_prompt"], limit=120),
        }
    )


def _float(value: object) -> float:
    return float(value) if isinstance(value, int | float) else float("nan")
