"""Charts about when, what and why: activity over time, render time by input, failure causes.

Part of :mod:`aitoearn_lab.charts`, which re-exports every function here.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

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
from aitoearn_lab.failures import error_groups, failed_tasks
from aitoearn_lab.metrics import latency_values
from aitoearn_lab.periods import timeline


def activity(df: pd.DataFrame, *, freq: str = "1h") -> go.Figure:
    """Tasks over time: submitted, succeeded and failed per period, work in flight, median
    turnaround and failure rate (see :func:`aitoearn_lab.timeline`)."""
    table = timeline(df, freq=freq)
    fig = make_subplots(
        rows=4,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.045,
        row_heights=[0.4, 0.2, 0.2, 0.2],
    )
    # Each period is drawn at its middle, so bars and lines line up with the span they count.
    middles = table["period_start"] + (table["period_end"] - table["period_start"]) / 2
    for name in ("succeeded", "failed"):
        fig.add_trace(
            go.Bar(
                x=middles,
                y=table[name],
                name=f"{name} in period",
                marker={"color": STATE_COLORS[name]},
            ),
            row=1,
            col=1,
        )
    lines = (
        (1, "submitted", "submitted in period", "#333", "%{y:,}"),
        (2, "in_flight", "in flight at period end", STATE_COLORS["running"], "%{y:,}"),
        (3, "total_s_p50", "median turnaround", "#555", "%{customdata}"),
        (4, "failure_rate", "failure rate", STATE_COLORS["failed"], "%{y:.1%}"),
    )
    for row, column, name, color, value in lines:
        fig.add_trace(
            go.Scatter(
                x=middles,
                y=table[column],
                name=name,
                mode="lines+markers" if row > 1 else "lines",
                marker={"size": 4},
                line={"color": color, "width": 1.8},
                customdata=[seconds_text(v) for v in table[column]],
                hovertemplate=f"{name}: {value}<extra></extra>",
            ),
            row=row,
            col=1,
        )
    fig.update_layout(
        **base_layout(f"Activity over time (per {freq}, UTC)", height=760),
        barmode="stack",
        hovermode="x unified",
        bargap=0.1,
    )
    fig.update_yaxes(title_text="tasks", row=1, col=1)
    fig.update_yaxes(title_text="in flight", rangemode="tozero", row=2, col=1)
    fig.update_yaxes(title_text="turnaround (s)", rangemode="tozero", row=3, col=1)
    fig.update_yaxes(title_text="failure rate", tickformat=".0%", rangemode="tozero", row=4, col=1)
    fig.update_xaxes(title_text="time (UTC)", row=4, col=1)
    return fig


def render_heatmap(df: pd.DataFrame) -> go.Figure:
    """Median render time by requested duration and resolution; a menu picks one model or all.

    Cells show the median and, on hover, how many succeeded tasks it rests on. Resolutions are
    compared case-insensitively (``720P`` is ``720p``); a task that sets none is "not set".
    """
    rows = latency_values(df, "render_s")
    frame = pd.DataFrame(
        {
            "model": rows["model"].astype("str"),
            "duration": rows["input_duration"],
            "resolution": rows["input_resolution"].astype("str").str.lower().fillna("not set"),
            "render_s": rows["render_s"],
        }
    )
    frame["duration"] = frame["duration"].map(lambda d: "not set" if pd.isna(d) else f"{d:g} s")
    durations = _ordered(frame["duration"])
    resolutions = _ordered(frame["resolution"])
    models = [None, *sorted(frame["model"].dropna().unique())]
    fig = go.Figure()
    for position, model in enumerate(models):
        cells = frame if model is None else frame[frame["model"] == model]
        grid = cells.groupby(["resolution", "duration"])["render_s"].agg(["median", "size"])
        median = grid["median"].unstack().reindex(index=resolutions, columns=durations)
        size = grid["size"].unstack().reindex(index=resolutions, columns=durations).fillna(0)
        text = [[seconds_text(v) if not np.isnan(v) else "" for v in row] for row in median.values]
        fig.add_trace(
            go.Heatmap(
                z=median.to_numpy(),
                x=durations,
                y=resolutions,
                text=text,
                texttemplate="%{text}",
                customdata=size.to_numpy().astype(int),
                colorscale="YlGnBu",
                colorbar={"title": {"text": "median<br>render (s)"}},
                name="all models" if model is None else label(model),
                visible=position == 0,
                hovertemplate="%{x}, %{y}: median render %{text} over %{customdata:,} "
                "tasks<extra></extra>",
            )
        )
    buttons = [
        {
            "label": "all models" if model is None else label(model),
            "method": "update",
            "args": [{"visible": [i == position for i in range(len(models))]}],
        }
        for position, model in enumerate(models)
    ]
    fig.update_layout(
        **base_layout(
            "Median render time by requested duration and resolution",
            subtitle="succeeded tasks · “not set”: the model's default · pick a model in the menu",
            height=max(320, 140 + 48 * len(resolutions)),
        ),
        updatemenus=[
            {"buttons": buttons, "x": 1.0, "xanchor": "right", "y": 1.18, "yanchor": "top"}
        ],
    )
    fig.update_xaxes(title_text="requested video duration", type="category")
    fig.update_yaxes(title_text="resolution", type="category")
    return fig


def error_signatures(df: pd.DataFrame, *, top: int = 10) -> go.Figure:
    """The most common failure signatures, stacked by model (one colour per model).

    Rows are numbered as in :func:`aitoearn_lab.error_groups`, so a label cut short can be
    looked up in that table; the hover shows the whole signature.
    """
    failures = failed_tasks(df)
    if failures.empty:
        return message_figure("Most common failure signatures", "No task failed.")
    colors = model_colors(df)
    ranking = list(error_groups(df)["signature"])
    shown = ranking[:top]
    chosen = failures[failures["signature"].isin(shown)]
    counts = pd.crosstab(chosen["signature"], chosen["model"].astype("str")).reindex(shown)
    names = [f"#{rank} {wrap_text(s, 50, lines=3)}" for rank, s in enumerate(shown, start=1)]
    full = [escape(s, limit=300) for s in shown]
    fig = go.Figure()
    for model in sorted(counts.columns):
        column = counts[model]
        fig.add_trace(
            go.Bar(
                y=names,
                x=column,
                orientation="h",
                name=label(model),
                marker={"color": colors.get(model)},
                hovertext=[
                    hover_lines({"signature": s, "model": label(model), "failures": f"{n:,}"})
                    for s, n in zip(full, column, strict=True)
                ],
                hoverinfo="text",
            )
        )
    subtitle = (
        f"top {len(shown)} of {len(ranking)} signatures · {len(failures):,} failed tasks · "
        "IDs, URLs, numbers and quoted values masked"
    )
    fig.update_layout(
        **base_layout(
            "Most common failure signatures",
            subtitle=subtitle,
            height=rows_height(len(shown), per_row=62),
        ),
        barmode="stack",
    )
    fig.update_layout(
        legend={
            "orientation": "v",
            "x": 1.02,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "top",
            "traceorder": "normal",
        }
    )
    fig.update_xaxes(title_text="failed tasks")
    fig.update_yaxes(title_text="", autorange="reversed", automargin=True, ticksuffix="  ")
    return fig


def _ordered(values: pd.Series) -> list[str]:
    """Labels such as ``"5 s"`` or ``"720p"`` by their number, "not set" last."""
    unique = [str(v) for v in values.dropna().unique()]

    def key(text: str) -> tuple[float, str]:
        digits = "".join(ch for ch in text if ch.isdigit() or ch == ".")
        try:
            return float(digits), text
        except ValueError:
            return np.inf, text

    return sorted(unique, key=key)


def wrap_text(text: str, width: int = 100, *, lines: int | None = None) -> str:
    """Escaped text broken into ``<br>``-separated lines (plotly does not wrap text)."""
    parts = textwrap.wrap(" ".join(str(text).split()), width) or [""]
    if lines is not None and len(parts) > lines:
        parts = [
            *parts[: lines - 1],
            textwrap.shorten(" ".join(parts[lines - 1 :]), width, placeholder="…"),
        ]
    return "<br>".join(escape(part) for part in parts)


def message_figure(title: str, text: str) -> go.Figure:
    """A figure that says something in words instead of drawing misleading marks."""
    fig = go.Figure()
    fig.add_annotation(
        text=wrap_text(text, 80),
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font={"size": 14, "color": "#555"},
    )
    fig.update_layout(**base_layout(title, height=220))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig
