"""Charts of :func:`~aitoearn_lab.trend`: each model's turnaround and failure rate per period.

A period the trend flags as worse than the model's earlier ones is ringed in red, on the panel of
the figure that got worse: a ring on the turnaround panel means its rank test fired, one on the
failure-rate panel its two-proportion test.
"""

from __future__ import annotations

import math
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go

from aitoearn_lab.charts.context import message_figure
from aitoearn_lab.charts.figure import build_figure
from aitoearn_lab.charts.style import base_layout, label, model_colors, seconds_text
from aitoearn_lab.metrics.drift import trend

TREND_METRICS: Final = {
    "total_s_p50": "Median turnaround of successes",
    "total_s_p95": "p95 turnaround of successes",
    "failure_rate": "Failure rate",
}
_TEST_OF: Final = {
    "total_s_p50": "turnaround_p_value",
    "total_s_p95": "turnaround_p_value",
    "failure_rate": "failure_p_value",
}
"""Which test's p-value says a period got worse in each figure."""
_RING: Final = {"symbol": "circle-open", "size": 16, "color": "#e15759", "line": {"width": 2}}


def trend_lines(
    df: pd.DataFrame,
    *,
    freq: str = "1D",
    metric: str = "total_s_p50",
    by: str = "model",
    table: pd.DataFrame | None = None,
) -> go.Figure:
    """One line per model over periods; periods worse than before in ``metric`` ringed in red.

    ``table``: :func:`~aitoearn_lab.trend` of ``df`` at ``freq`` by ``by``, when already computed.
    """
    _check_metric(metric)
    title = f"{TREND_METRICS[metric]} per period ({freq})"
    table = trend(df, freq=freq, by=by) if table is None else table
    if table.empty:
        return message_figure(title, "No tasks to show over time.")
    colors = model_colors(df[by]) if by == "model" else {}
    traces = _panel(table, by, metric, colors, axis="", legend=True)
    layout = base_layout(title)
    layout["xaxis"] = {"title": {"text": "period (UTC)"}}
    layout["yaxis"] = _value_axis(metric)
    return build_figure(traces, layout)


def trend_panels(
    df: pd.DataFrame,
    *,
    freq: str = "1D",
    by: str = "model",
    table: pd.DataFrame | None = None,
) -> go.Figure:
    """Median turnaround (top) and failure rate (bottom) per period, one line per model each.

    Toggling a model in the legend hides both of its lines. ``table``: as for
    :func:`trend_lines`.
    """
    title = f"Turnaround and failure rate per period ({freq})"
    table = trend(df, freq=freq, by=by) if table is None else table
    if table.empty:
        return message_figure(title, "No tasks to show over time.")
    colors = model_colors(df[by]) if by == "model" else {}
    traces = [
        *_panel(table, by, "total_s_p50", colors, axis="", legend=True),
        *_panel(table, by, "failure_rate", colors, axis="2", legend=False),
    ]
    layout = base_layout(
        title, height=600, subtitle="ringed: worse than the model's earlier periods"
    )
    layout["xaxis"] = {"title": {"text": "period (UTC)"}, "anchor": "y2"}
    layout["yaxis"] = {**_value_axis("total_s_p50"), "domain": [0.56, 1.0], "anchor": "x"}
    layout["yaxis2"] = {**_value_axis("failure_rate"), "domain": [0.0, 0.44], "anchor": "x"}
    return build_figure(traces, layout)


def _panel(
    table: pd.DataFrame, by: str, metric: str, colors: dict[str, str], *, axis: str, legend: bool
) -> list[dict[str, Any]]:
    """The lines of ``metric``, one per group, and the rings of the periods worse in it."""
    traces: list[dict[str, Any]] = []
    where = {"xaxis": "x", "yaxis": f"y{axis}"}
    for group, rows in table.groupby(by, sort=True):
        values = rows[metric].to_numpy(dtype=float)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": label(group),
                "legendgroup": label(group),
                "showlegend": legend,
                "x": rows["period_start"].tolist(),
                "y": values,
                "line": {"color": colors.get(str(group))},
                "hovertext": [
                    f"<b>{label(group)}</b> {start:%Y-%m-%d %H:%M}: {_shown(metric, v)}"
                    f" ({n:,} tasks){'<br>' + label(reason) if shift else ''}"
                    for start, v, n, shift, reason in zip(
                        rows["period_start"],
                        values,
                        rows["tasks"],
                        rows["shift"],
                        rows["shift_reason"],
                        strict=True,
                    )
                ],
                "hoverinfo": "text",
                **where,
            }
        )
    alpha = float(table.attrs.get("alpha", 0.01))
    worse = table[table["shift"] & (table[_TEST_OF[metric]].to_numpy(dtype=float) < alpha)]
    if not worse.empty:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "worse than before",
                "legendgroup": "worse than before",
                "showlegend": legend,
                "x": worse["period_start"].tolist(),
                "y": worse[metric].to_numpy(dtype=float),
                "marker": _RING,
                "hoverinfo": "skip",
                **where,
            }
        )
    return traces


def _value_axis(metric: str) -> dict[str, Any]:
    share = metric == "failure_rate"
    return {
        "title": {"text": "share failed" if share else "seconds"},
        "tickformat": ".0%" if share else "",
        "rangemode": "tozero",
    }


def _check_metric(metric: str) -> None:
    if metric not in TREND_METRICS:
        raise ValueError(
            f"metric must be one of {', '.join(map(repr, TREND_METRICS))}; got {metric!r}"
        )


def _shown(metric: str, value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.1%}" if metric == "failure_rate" else seconds_text(value)
