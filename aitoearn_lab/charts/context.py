"""Charts about when, what and why: activity over time, render time by input, failure causes.

Part of :mod:`aitoearn_lab.charts.outcome`, which re-exports every function here.
"""

from __future__ import annotations

import copy
import textwrap
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from aitoearn_lab.charts.data import codes_of, latency_mask
from aitoearn_lab.charts.figure import build_figure, subplot_grid
from aitoearn_lab.charts.style import (
    STATE_COLORS,
    base_layout,
    escape,
    hover_lines,
    label,
    model_colors,
    rows_height,
    seconds_text,
)
from aitoearn_lab.metrics.failures import failed_tasks, group_failures
from aitoearn_lab.metrics.periods import timeline
from aitoearn_lab.metrics.summary import sorted_by_group


def activity(df: pd.DataFrame, *, freq: str = "1h") -> go.Figure:
    """Tasks over time: submitted, succeeded and failed per period, work in flight, median
    turnaround and failure rate (see :func:`aitoearn_lab.timeline`)."""
    table = timeline(df, freq=freq)
    # Each period is drawn at its middle, so bars and lines line up with the span they count.
    # Plotly shows time-zone aware times at their wall-clock time; these are UTC.
    middles = (table["period_start"] + (table["period_end"] - table["period_start"]) / 2).to_numpy(
        dtype="datetime64[ms]"
    )
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "x": middles,
            "y": table[name].to_numpy(),
            "name": f"{name} in period",
            "marker": {"color": STATE_COLORS[name]},
            "xaxis": "x",
            "yaxis": "y",
        }
        for name in ("succeeded", "failed")
    ]
    lines = (
        (1, "submitted", "submitted in period", "#333", "%{y:,}"),
        (2, "in_flight", "in flight at period end", STATE_COLORS["running"], "%{y:,}"),
        (3, "total_s_p50", "median turnaround", "#555", "%{customdata}"),
        (4, "failure_rate", "failure rate", STATE_COLORS["failed"], "%{y:.1%}"),
    )
    for row, column, name, color, value in lines:
        data.append(
            {
                "type": "scatter",
                "x": middles,
                "y": table[column].to_numpy(),
                "name": name,
                "mode": "lines+markers" if row > 1 else "lines",
                "marker": {"size": 4},
                "line": {"color": color, "width": 1.8},
                "customdata": [seconds_text(v) for v in table[column]],
                "hovertemplate": f"{name}: {value}<extra></extra>",
                "xaxis": "x" if row == 1 else f"x{row}",
                "yaxis": "y" if row == 1 else f"y{row}",
            }
        )
    grid = _activity_grid()
    layout = copy.deepcopy(grid["layout"])  # the cached grid is shared by every call
    layout.update(base_layout(f"Activity over time (per {freq}, UTC)", height=760))
    layout.update(barmode="stack", hovermode="x unified", bargap=0.1)
    layout["yaxis"]["title"] = {"text": "tasks"}
    layout["yaxis2"].update(title={"text": "in flight"}, rangemode="tozero")
    layout["yaxis3"].update(title={"text": "turnaround (s)"}, rangemode="tozero")
    layout["yaxis4"].update(title={"text": "failure rate"}, tickformat=".0%", rangemode="tozero")
    layout["xaxis4"]["title"] = {"text": "time (UTC)"}
    return build_figure(data, layout, grid=grid)


def render_heatmap(df: pd.DataFrame) -> go.Figure:
    """Median render time by requested duration and resolution; a menu picks one model or all.

    Cells show the median and, on hover, how many succeeded tasks it rests on. Resolutions are
    compared case-insensitively (``720P`` is ``720p``); a task that sets none is "not set".
    """
    positions = np.flatnonzero(latency_mask(df, "render_s"))
    render = df["render_s"].to_numpy(dtype=float)[positions]
    # Labels are made once per distinct value, not once per row.
    resolution_codes, resolution_labels = _labelled(
        df["input_resolution"].iloc[positions],
        lambda value: "not set" if _missing(value) else str(value).lower(),
    )
    duration_codes, duration_labels = _labelled(
        df["input_duration"].iloc[positions],
        lambda value: "not set" if _missing(value) else f"{value:g} s",
    )
    durations = _ordered(duration_labels)
    resolutions = _ordered(resolution_labels)
    column_of = np.array([durations.index(text) for text in duration_labels], dtype=np.int64)
    row_of = np.array([resolutions.index(text) for text in resolution_labels], dtype=np.int64)
    cells = row_of[resolution_codes] * len(durations) + column_of[duration_codes]
    model_codes, model_names = codes_of(df["model"].iloc[positions])
    seen = np.unique(model_codes[model_codes >= 0]).tolist()
    names = sorted({str(model_names[code]) for code in seen})
    models: list[str | None] = [None, *names]
    rank_of = np.zeros(len(model_names) + 1, dtype=np.int64)  # no model: in "all models" only
    for code in seen:
        rank_of[code] = models.index(str(model_names[code]))
    rank = rank_of[model_codes]
    # Shown first: the model with the most succeeded tasks. "All models" mixes models whose
    # render times differ tenfold, so its cells say more about the mix than about an input.
    counts = np.bincount(rank[model_codes >= 0], minlength=len(models))
    shown = 1 + int(np.argmax(counts[1:])) if len(models) > 1 else 0
    data: list[dict[str, Any]] = []
    for position, model in enumerate(models):
        chosen = slice(None) if model is None else rank == position
        median, size = _cell_medians(
            cells[chosen], render[chosen], len(resolutions), len(durations)
        )
        text = [[seconds_text(v) if not np.isnan(v) else "" for v in row] for row in median]
        data.append(
            {
                "type": "heatmap",
                "z": median,
                "x": durations,
                "y": resolutions,
                "text": text,
                "texttemplate": "%{text}",
                "customdata": size,
                "colorscale": _colorscale("YlGnBu"),
                "colorbar": {"title": {"text": "median<br>render (s)"}},
                "name": "all models (mixed)" if model is None else label(model),
                "visible": position == shown,
                "hovertemplate": "%{x}, %{y}: median render %{text} over %{customdata:,} "
                "tasks<extra></extra>",
            }
        )
    buttons = [
        {
            "label": "all models (mixed)" if model is None else label(model),
            "method": "update",
            "args": [{"visible": [i == position for i in range(len(models))]}],
        }
        for position, model in enumerate(models)
    ]
    layout = base_layout(
        "Median render time by requested duration and resolution",
        subtitle=f"succeeded tasks of {label(models[shown]) if shown else 'all models'} · "
        "“not set”: the model's default · pick another model in the menu",
        height=max(320, 140 + 48 * len(resolutions)),
    )
    layout["updatemenus"] = [
        {
            "buttons": buttons,
            "active": shown,
            "x": 1.0,
            "xanchor": "right",
            "y": 1.18,
            "yanchor": "top",
        }
    ]
    layout["xaxis"] = {"title": {"text": "requested video duration"}, "type": "category"}
    layout["yaxis"] = {"title": {"text": "resolution"}, "type": "category"}
    return build_figure(data, layout)


def error_signatures(df: pd.DataFrame, *, top: int = 10) -> go.Figure:
    """The most common failure signatures, stacked by model (one colour per model).

    Rows are numbered as in :func:`aitoearn_lab.error_groups`, so a label cut short can be
    looked up in that table; the hover shows the whole signature.
    """
    failures = failed_tasks(df)
    if failures.empty:
        return message_figure("Most common failure signatures", "No task failed.")
    colors = model_colors(df)
    ranking = list(group_failures(failures)["signature"])
    shown = ranking[:top]
    counts = _counts_by_model(failures, shown)
    names = [f"#{rank} {wrap_text(s, 50, lines=3)}" for rank, s in enumerate(shown, start=1)]
    full = [escape(s, limit=300) for s in shown]
    data: list[dict[str, Any]] = []
    for model in sorted(counts.columns):
        column = counts[model]
        data.append(
            {
                "type": "bar",
                "y": names,
                "x": column.to_numpy(),
                "orientation": "h",
                "name": label(model),
                "marker": {"color": colors.get(model)},
                "hovertext": [
                    hover_lines({"signature": s, "model": label(model), "failures": f"{n:,}"})
                    for s, n in zip(full, column, strict=True)
                ],
                "hoverinfo": "text",
            }
        )
    subtitle = (
        f"top {len(shown)} of {len(ranking)} signatures · {len(failures):,} failed tasks · "
        "IDs, URLs, numbers and quoted values masked"
    )
    layout = base_layout(
        "Most common failure signatures",
        subtitle=subtitle,
        height=rows_height(len(shown), per_row=62),
    )
    layout["barmode"] = "stack"
    layout["legend"].update(
        {
            "orientation": "v",
            "x": 1.02,
            "xanchor": "left",
            "yref": "paper",
            "y": 1.0,
            "yanchor": "top",
        },
        traceorder="normal",
    )
    layout["xaxis"] = {"title": {"text": "failed tasks"}}
    layout["yaxis"] = {
        "title": {"text": ""},
        "autorange": "reversed",
        "automargin": True,
        "ticksuffix": "  ",
    }
    return build_figure(data, layout)


def _counts_by_model(failures: pd.DataFrame, shown: list[str]) -> pd.DataFrame:
    """Failures per shown signature (rows, in order) and model (columns, by name).

    As ``pd.crosstab``: a model column only where the model has such failures, and a row of NaN
    (the table then in floats) for a signature whose failures all lack a model.
    """
    signature_codes, signatures = codes_of(failures["signature"])
    row_of = np.full(len(signatures) + 1, -1, dtype=np.int64)  # code -1 reads the last slot
    wanted = {signature: row for row, signature in enumerate(shown)}
    for code, signature in enumerate(signatures):
        row_of[code] = wanted.get(str(signature), -1)
    rows = row_of[signature_codes]
    model_codes, models = codes_of(failures["model"].astype("str"))
    keep = (rows >= 0) & (model_codes >= 0)
    counts = np.bincount(
        rows[keep] * len(models) + model_codes[keep], minlength=len(shown) * len(models)
    ).reshape(len(shown), len(models))
    present = counts.sum(axis=0) > 0
    names = [str(model) for model in np.asarray(models, dtype=object)[present]]
    table = pd.DataFrame(counts[:, present], index=shown, columns=names)
    empty_rows = counts.sum(axis=1) == 0
    if empty_rows.any():
        table = table.astype(float)
        table.loc[empty_rows] = np.nan
    return table


def _labelled(values: pd.Series, name: Callable[[Any], str]) -> tuple[np.ndarray, list[str]]:
    """Each row's index into the distinct labels of the values present, ``name`` called once per
    distinct value (with None for a missing one)."""
    codes, uniques = codes_of(values)
    labels: list[str] = []
    label_of = np.full(len(uniques) + 1, -1, dtype=np.int64)  # code -1 reads the last slot
    for code in np.unique(codes).tolist():
        text = name(None if code < 0 else uniques[code])
        if text not in labels:
            labels.append(text)
        label_of[code] = labels.index(text)
    return label_of[codes], labels


def _cell_medians(
    cells: np.ndarray, values: np.ndarray, rows: int, columns: int
) -> tuple[np.ndarray, np.ndarray]:
    """The median (NaN where empty) and the number of values of each cell, as two grids.

    The median of an even count is the mean of the middle two, as pandas and numpy take it.
    """
    n_cells = rows * columns
    size = np.bincount(cells, minlength=n_cells)
    ordered = sorted_by_group(cells, values, size)
    starts = np.concatenate(([0], np.cumsum(size)[:-1]))
    filled = size > 0
    low = starts + (size - 1) // 2
    high = starts + size // 2
    median = np.full(n_cells, np.nan)
    median[filled] = (ordered[low[filled]] + ordered[high[filled]]) / 2
    return median.reshape(rows, columns), size.reshape(rows, columns)


@cache
def _colorscale(name: str) -> list[list[Any]]:
    """A named plotly colour scale as the list of stops a validated figure carries."""
    stops: list[list[Any]] = go.Heatmap(colorscale=name).to_plotly_json()["colorscale"]
    return [list(stop) for stop in stops]


@cache
def _activity_grid() -> dict[str, Any]:
    """The four stacked plots sharing a time axis, made once (``make_subplots`` takes 40 ms)."""
    return subplot_grid(
        make_subplots(
            rows=4,
            cols=1,
            shared_xaxes=True,
            vertical_spacing=0.045,
            row_heights=[0.4, 0.2, 0.2, 0.2],
        )
    )


def _ordered(labels: list[str]) -> list[str]:
    """Labels such as ``"5 s"`` or ``"720p"`` by their number, "not set" last."""
    unique = [str(v) for v in labels]

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
    layout = base_layout(title, height=220)
    layout["annotations"] = [
        {
            "text": wrap_text(text, 80),
            "xref": "paper",
            "yref": "paper",
            "x": 0.5,
            "y": 0.5,
            "showarrow": False,
            "font": {"size": 14, "color": "#555"},
        }
    ]
    layout["xaxis"] = {"visible": False}
    layout["yaxis"] = {"visible": False}
    return build_figure([], layout)


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))
