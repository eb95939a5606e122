"""The tasks DataFrame -> plotly figures. Each function returns a ``go.Figure``; no I/O, no display.

Every chart aggregates before it draws (quartiles, quantile curves, medians per cell), so a
100,000-row frame gives a figure of a few kilobytes. A model has the same colour in every chart
(:func:`~aitoearn_lab.chart_style.model_colors`), and any text that comes from a task is escaped.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from aitoearn_lab.chart_style import (
    STATE_COLORS,
    base_layout,
    escape,
    hover_lines,
    label,
    model_colors,
    rows_height,
    seconds_text,
)
from aitoearn_lab.context_charts import (
    activity,
    error_signatures,
    message_figure,
    render_heatmap,
)
from aitoearn_lab.metrics import check_choice, latency_values, summarize
from aitoearn_lab.notes import ZERO_QUEUE_NOTE, queue_is_uninformative
from aitoearn_lab.schema import STATES

METRIC_TITLES: Final = {
    "total_s": "Turnaround (submitted → finished)",
    "render_s": "Render time (started → finished)",
    "queue_s": "Queue time (submitted → started)",
}
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

_NICE_SECONDS: Final = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400)


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
    rows = latency_values(df, metric, include_failed=include_failed)
    colors = model_colors(df)
    groups = _by_median(rows, metric)
    fig = go.Figure()
    for model, values in groups:
        q = np.percentile(values, [5, 25, 50, 75, 95])
        name = label(model)
        fig.add_trace(
            go.Box(
                y=[name],
                q1=[q[1]],
                median=[q[2]],
                q3=[q[3]],
                lowerfence=[q[0]],
                upperfence=[q[4]],
                mean=[float(values.mean())],
                name=name,
                orientation="h",
                marker={"color": colors.get(str(model))},
                line={"width": 1.5},
                hoverinfo="x",
                showlegend=False,
            )
        )
        tail = rows[rows["model"] == model].nlargest(slowest, metric)
        if len(tail):
            fig.add_trace(
                go.Scatter(
                    x=tail[metric].to_numpy(dtype=float),
                    y=[name] * len(tail),
                    mode="markers",
                    name=f"{name}: slowest",
                    marker={"color": colors.get(str(model)), "size": 6, "opacity": 0.7},
                    hovertext=[_task_hover(row, metric) for row in tail.to_dict("records")],
                    hoverinfo="text",
                    showlegend=False,
                )
            )
    scope = "succeeded and failed" if include_failed else "succeeded"
    fig.update_layout(
        **base_layout(
            f"{METRIC_TITLES[metric]} by model",
            subtitle=f"{scope} tasks · box: quartiles, whiskers: 5th–95th percentile, "
            "dots: the slowest tasks",
            height=rows_height(len(groups)),
        )
    )
    fig.update_xaxes(**_seconds_axis(rows[metric], "seconds (log scale)"))
    fig.update_yaxes(title_text="model", autorange="reversed", ticksuffix="  ")
    return fig


def latency_ecdf(
    df: pd.DataFrame, *, metric: str = "total_s", include_failed: bool = False, points: int = 200
) -> go.Figure:
    """The share of tasks done within a given time, one curve per model (an ECDF).

    Each curve is drawn from ``points`` quantiles, whatever the number of tasks.
    """
    check_choice("metric", metric, tuple(METRIC_TITLES))
    if metric == "queue_s" and queue_is_uninformative(df):
        return message_figure(f"{METRIC_TITLES[metric]}: share of tasks done", ZERO_QUEUE_NOTE)
    rows = latency_values(df, metric, include_failed=include_failed)
    colors = model_colors(df)
    shares = np.linspace(0.0, 1.0, points + 1)
    fig = go.Figure()
    for model, values in _by_median(rows, metric):
        times = np.quantile(values, shares)
        name = label(model)
        fig.add_trace(
            go.Scatter(
                x=times,
                y=shares,
                mode="lines",
                name=name,
                line={"color": colors.get(str(model)), "width": 2, "shape": "hv"},
                customdata=[seconds_text(t) for t in times],
                hovertemplate=f"<b>{name}</b><br>%{{y:.0%}} of tasks done within "
                "%{customdata}<extra></extra>",
            )
        )
    fig.add_hline(y=0.5, line={"color": "#999", "width": 1, "dash": "dot"})
    fig.update_layout(
        **base_layout(
            f"{METRIC_TITLES[metric]}: share of tasks done within a time",
            subtitle="read across at 50% for the median, at 95% for the slow tail",
            height=460,
        )
    )
    fig.update_layout(legend={"orientation": "v", "y": 0.02, "yanchor": "bottom", "x": 0.99})
    fig.update_xaxes(**_seconds_axis(rows[metric], "seconds (log scale)"))
    fig.update_yaxes(title_text="share of tasks done", tickformat=".0%", range=[0, 1.02])
    return fig


def queue_render_bars(df: pd.DataFrame, *, summary: pd.DataFrame | None = None) -> go.Figure:
    """Median queue time and median render time per model, stacked.

    When the server reports no queue time (startedAt copied from submittedAt), the chart shows
    the median turnaround alone and says why in words, rather than a row of zero-width bars.
    """
    summary = _model_summary(df, summary)
    colors = model_colors(df)
    names = [label(model) for model in summary.index]
    model_colours = [colors.get(str(m)) for m in summary.index]
    fig = go.Figure()
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
    for part, column, opacity, pattern in parts:
        fig.add_trace(
            go.Bar(
                y=names,
                x=column,
                orientation="h",
                name=f"{part} (median)",
                marker={
                    "color": model_colours,
                    "opacity": opacity,
                    "pattern": {"shape": pattern, "fgcolor": "#ffffff"},
                },
                customdata=[seconds_text(v) for v in column],
                hovertemplate=f"%{{y}}: median {part} %{{customdata}}<extra></extra>",
            )
        )
    ends = sum(column.fillna(0) for _, column, _, _ in parts)
    fig.add_trace(
        go.Scatter(
            x=ends,
            y=names,
            mode="text",
            text=[f"  {text}" for text in labels],
            textposition="middle right",
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.update_layout(
        **base_layout(title, subtitle=subtitle, height=rows_height(len(names))),
        barmode="stack",
        showlegend=False,
    )
    top = float(np.nanmax(ends)) if len(ends) else 1.0
    fig.update_xaxes(title_text="seconds", range=[0, top * 1.25 or 1.0])
    fig.update_yaxes(title_text="model", autorange="reversed", ticksuffix="  ")
    return fig


def state_mix(df: pd.DataFrame) -> go.Figure:
    """Where each model's tasks stand: the share of each state, with counts on hover."""
    frame = df[df["state"].notna() & df["model"].notna()]
    counts = pd.crosstab(frame["model"], frame["state"]).reindex(columns=list(STATES), fill_value=0)
    counts = counts.loc[counts.sum(axis=1) > 0]
    order = _model_order(df, counts.index)
    counts = counts.loc[order]
    totals = counts.sum(axis=1)
    names = [label(model) for model in counts.index]
    fig = go.Figure()
    for state in STATES:
        if counts[state].sum() == 0:
            continue
        share = counts[state] / totals
        fig.add_trace(
            go.Bar(
                y=names,
                x=share,
                orientation="h",
                name=state,
                marker={"color": STATE_COLORS[state]},
                customdata=np.column_stack([counts[state], totals]),
                hovertemplate=f"%{{y}}: %{{customdata[0]:,}} {state} "
                "(%{x:.1%} of %{customdata[1]:,} tasks)<extra></extra>",
            )
        )
    fig.update_layout(
        **base_layout("Task states by model", height=rows_height(len(names))),
        barmode="stack",
    )
    fig.update_xaxes(title_text="share of the model's tasks", tickformat=".0%", range=[0, 1])
    fig.update_yaxes(title_text="model", autorange="reversed", ticksuffix="  ")
    return fig


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
    fig = go.Figure(
        go.Scatter(
            x=rate,
            y=names,
            mode="markers",
            name="failure rate",
            marker={"color": [colors.get(str(m)) for m in summary.index], "size": 11},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (high - rate).to_numpy(),
                "arrayminus": (rate - low).to_numpy(),
                "color": "#666",
                "thickness": 1.5,
                "width": 5,
            },
            hovertext=hover,
            hoverinfo="text",
        )
    )
    fig.update_layout(
        **base_layout(
            "Failure rate by model",
            subtitle="failed / finished tasks · bars: Wilson 95% interval",
            height=rows_height(len(names)),
        ),
        showlegend=False,
    )
    fig.update_xaxes(title_text="failure rate (% of finished tasks)", tickformat=".0%")
    fig.update_yaxes(title_text="model", autorange="reversed", ticksuffix="  ")
    return fig


def _model_summary(df: pd.DataFrame, summary: pd.DataFrame | None) -> pd.DataFrame:
    table = summarize(df, by="model") if summary is None else summary
    table = table[table.index.notna()]
    return table.loc[_model_order(df, table.index)]


def _model_order(df: pd.DataFrame, models: pd.Index) -> list[object]:
    """Models fastest first (median turnaround of succeeded tasks), then by name."""
    rows = latency_values(df, "total_s")
    medians = rows.groupby("model", observed=True)["total_s"].median()
    return sorted(models, key=lambda m: (medians.get(m, np.inf), str(m)))


def _by_median(rows: pd.DataFrame, metric: str) -> list[tuple[object, np.ndarray]]:
    groups = [
        (model, group[metric].to_numpy(dtype=float))
        for model, group in rows.groupby("model", observed=True)
        if len(group)
    ]
    return sorted(groups, key=lambda item: (float(np.median(item[1])), str(item[0])))


def _seconds_axis(values: pd.Series, title: str) -> dict[str, object]:
    """A log axis in seconds with ticks at round durations (10 s, 1 min, 5 min, 1 h ...)."""
    positive = values[values > 0]
    low, high = (float(positive.min()), float(positive.max())) if len(positive) else (1.0, 10.0)
    ticks: list[float] = [t for t in _NICE_SECONDS if low / 2 <= t <= high * 2] or [low, high]
    return {
        "type": "log",
        "title_text": title,
        "tickvals": ticks,
        "ticktext": [seconds_text(t).replace(" 00 s", "").replace(" 00 min", "") for t in ticks],
    }


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
