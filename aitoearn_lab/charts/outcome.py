"""The tasks DataFrame -> plotly figures. Each function returns a ``go.Figure``; no I/O, no display.

Every chart aggregates before it draws (quartiles, quantile curves, medians per cell), so a
100,000-row frame gives a figure of a few kilobytes. A model has the same colour in every chart
(:func:`~aitoearn_lab.charts.style.model_colors`), and any text that comes from a task is escaped.
The latency charts live in :mod:`~aitoearn_lab.charts.latency`, the charts of time, inputs and
failures in :mod:`~aitoearn_lab.charts.context`; both are re-exported here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from aitoearn_lab.charts.context import activity, error_signatures, render_heatmap
from aitoearn_lab.charts.data import (
    codes_of,
    model_order,
    model_table,
    state_codes,
)
from aitoearn_lab.charts.figure import build_figure
from aitoearn_lab.charts.latency import METRIC_TITLES, latency_distribution, latency_ecdf
from aitoearn_lab.charts.style import (
    STATE_COLORS,
    base_layout,
    label,
    model_axis,
    model_colors,
    rows_height,
    seconds_text,
)
from aitoearn_lab.metrics.notes import queue_is_uninformative
from aitoearn_lab.schema import STATES

__all__ = [
    "METRIC_TITLES",
    "activity",
    "error_signatures",
    "failure_rates",
    "latency_distribution",
    "latency_ecdf",
    "model_colors",
    "queue_render_bars",
    "render_heatmap",
    "state_mix",
]


def queue_render_bars(df: pd.DataFrame, *, summary: pd.DataFrame | None = None) -> go.Figure:
    """Median queue time and median render time per model, stacked.

    When the server reports no queue time (startedAt copied from submittedAt), the chart shows
    the median turnaround alone and says why in words, rather than a row of zero-width bars.
    """
    summary = _model_summary(df, summary)
    colors = model_colors(df)
    names = [label(model) for model in summary.index]
    model_colours = [colors.get(str(m)) for m in summary.index]
    if queue_is_uninformative(df):
        parts = [("turnaround", summary["total_s_p50"], 1.0, "")]
        title = "Median turnaround per model"
        subtitle = (
            "queue time not shown: the server copies submittedAt into startedAt, "
            "so every queue time is zero"
        )
        labels = [seconds_text(v) for v in summary["total_s_p50"]]
    else:
        parts = [
            ("queue", summary["queue_s_p50"], 0.45, "/"),
            ("render", summary["render_s_p50"], 1.0, ""),
        ]
        title = "Median time waiting in the queue and rendering, per model"
        subtitle = (
            "hatched: queue, solid: render · medians of succeeded tasks; "
            "they need not add up to the median turnaround"
        )
        labels = [
            f"{seconds_text(q)} + {seconds_text(r)}"
            for q, r in zip(summary["queue_s_p50"], summary["render_s_p50"], strict=True)
        ]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "y": names,
            "x": column.to_numpy(dtype=float),
            "orientation": "h",
            "name": f"{part} (median)",
            "marker": {
                "color": model_colours,
                "opacity": opacity,
                "pattern": {"shape": pattern, "fgcolor": "#ffffff"},
            },
            "customdata": [seconds_text(v) for v in column],
            "hovertemplate": f"%{{y}}: median {part} %{{customdata}}<extra></extra>",
        }
        for part, column, opacity, pattern in parts
    ]
    ends = sum(column.fillna(0) for _, column, _, _ in parts)
    data.append(
        {
            "type": "scatter",
            "x": np.asarray(ends, dtype=float),
            "y": names,
            "mode": "text",
            "text": [f"  {text}" for text in labels],
            "textposition": "middle right",
            "hoverinfo": "skip",
            "showlegend": False,
        }
    )
    layout = base_layout(title, subtitle=subtitle, height=rows_height(len(names)))
    layout.update(barmode="stack", showlegend=False)
    top = float(np.nanmax(ends)) if len(ends) else 1.0
    layout["xaxis"] = {"title": {"text": "seconds"}, "range": [0, top * 1.25 or 1.0]}
    layout["yaxis"] = model_axis()
    return build_figure(data, layout)


def state_mix(df: pd.DataFrame) -> go.Figure:
    """Where each model's tasks stand: the share of each state, with counts on hover."""
    codes, models = codes_of(df["model"])
    states = state_codes(df)
    known = (codes >= 0) & (states >= 0)
    counts = np.bincount(
        codes[known] * len(STATES) + states[known], minlength=len(models) * len(STATES)
    ).reshape(len(models), len(STATES))
    seen = [code for code in range(len(models)) if counts[code].sum() > 0]
    position = {models[code]: code for code in seen}
    order = [position[model] for model in model_order(df, [models[code] for code in seen])]
    counts = counts[order]
    totals = counts.sum(axis=1)
    names = [label(models[code]) for code in order]
    data: list[dict[str, Any]] = []
    for column, state in enumerate(STATES):
        if counts[:, column].sum() == 0:
            continue
        data.append(
            {
                "type": "bar",
                "y": names,
                "x": counts[:, column] / totals,
                "orientation": "h",
                "name": state,
                "marker": {"color": STATE_COLORS[state]},
                "customdata": np.column_stack([counts[:, column], totals]),
                "hovertemplate": f"%{{y}}: %{{customdata[0]:,}} {state} "
                "(%{x:.1%} of %{customdata[1]:,} tasks)<extra></extra>",
            }
        )
    layout = base_layout("Task states by model", height=rows_height(len(names)))
    layout["barmode"] = "stack"
    layout["xaxis"] = {
        "title": {"text": "share of the model's tasks"},
        "tickformat": ".0%",
        "range": [0, 1],
    }
    layout["yaxis"] = model_axis()
    return build_figure(data, layout)


def failure_rates(df: pd.DataFrame, *, summary: pd.DataFrame | None = None) -> go.Figure:
    """Failure rate per model (failed / finished) with its Wilson 95% interval as error bars."""
    summary = _model_summary(df, summary)
    summary = summary[summary["finished"] > 0].sort_values("failure_rate")
    colors = model_colors(df)
    names = [label(model) for model in summary.index]
    rate, low, high = (
        summary["failure_rate"],
        summary["failure_rate_lo"],
        summary["failure_rate_hi"],
    )
    hover = [
        f"<b>{name}</b><br>{r:.1%} failed ({failed:,} of {finished:,} finished)"
        f"<br>95% interval {lo:.1%} – {hi:.1%}"
        for name, r, failed, finished, lo, hi in zip(
            names, rate, summary["failed"], summary["finished"], low, high, strict=True
        )
    ]
    trace = {
        "type": "scatter",
        "x": rate.to_numpy(dtype=float),
        "y": names,
        "mode": "markers",
        "name": "failure rate",
        "marker": {"color": [colors.get(str(m)) for m in summary.index], "size": 11},
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": (high - rate).to_numpy(),
            "arrayminus": (rate - low).to_numpy(),
            "color": "#666",
            "thickness": 1.5,
            "width": 5,
        },
        "hovertext": hover,
        "hoverinfo": "text",
    }
    layout = base_layout(
        "Failure rate by model",
        subtitle="failed / finished tasks · bars: Wilson 95% interval",
        height=rows_height(len(names)),
    )
    layout["showlegend"] = False
    layout["xaxis"] = {
        "title": {"text": "failure rate (% of finished tasks)"},
        "tickformat": ".0%",
    }
    layout["yaxis"] = model_axis()
    return build_figure([trace], layout)


def _model_summary(df: pd.DataFrame, summary: pd.DataFrame | None) -> pd.DataFrame:
    """Per model, fastest first: the given summary, or the few columns the charts need."""
    if summary is None:
        return model_table(df)
    table = summary[summary.index.notna()]
    return table.loc[model_order(df, table.index)]
