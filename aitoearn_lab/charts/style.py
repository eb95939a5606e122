"""The look shared by every chart: one colour per model, state colours, escaping, layout.

Nothing here imports plotly: layouts are plain dictionaries, so the palette can colour an HTML
table as well as a figure.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from aitoearn_lab.metrics.moments import format_duration

MODEL_PALETTE: Final = (
    "#4e79a7",
    "#f28e2b",
    "#76b7b2",
    "#b07aa1",
    "#edc948",
    "#9c755f",
    "#ff9da7",
    "#2f4b7c",
    "#a0cbe8",
    "#8cd17d",
    "#d37295",
    "#86bcb6",
    "#b6992d",
    "#499894",
    "#d4a6c8",
    "#79706e",
)
"""Colours for models, in the order models are sorted by name (Tableau-like, colour-blind aware).

Red and green are left out on purpose: they mean "failed" and "succeeded" in every chart."""

STATE_COLORS: Final = {
    "succeeded": "#59a14f",
    "failed": "#e15759",
    "running": "#4e79a7",
    "queued": "#bab0ac",
    "unknown": "#7f3c8d",
}
"""One colour per task state, the same in every chart."""

FONT: Final = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
MAX_LABEL: Final = 60


def model_colors(models: pd.DataFrame | pd.Series | Iterable[object]) -> dict[str, str]:
    """A colour for each model, the same for a frame and any subset of it.

    Parameters
    ----------
    models
        The tasks DataFrame, its ``model`` column, or model names. For a categorical column
        every category counts, so filtering rows keeps every model's colour.

    Returns
    -------
    dict
        Model name -> ``#rrggbb``, models sorted by name and coloured in palette order
        (the palette repeats after :data:`MODEL_PALETTE` runs out).

    Examples
    --------
    >>> model_colors(["veo", "kling"])
    {'kling': '#4e79a7', 'veo': '#f28e2b'}
    """
    if isinstance(models, pd.DataFrame):
        models = models["model"]
    if isinstance(models, pd.Series) and isinstance(models.dtype, pd.CategoricalDtype):
        names: Iterable[object] = models.cat.categories
    elif isinstance(models, pd.Series):
        names = models.dropna().unique()
    else:
        names = models
    ordered = sorted({str(name) for name in names if not _missing(name)})
    return {name: MODEL_PALETTE[i % len(MODEL_PALETTE)] for i, name in enumerate(ordered)}


def escape(value: object, *, limit: int | None = None) -> str:
    """Text as plotly (and HTML) must show it: ``<``, ``>`` and ``&`` escaped, maybe shortened.

    Plotly renders a subset of HTML in titles, labels and hover text, so text that comes from a
    task (a prompt, an error message, a model name) is escaped before it reaches a figure.

    >>> escape("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    """
    if _missing(value):
        return "–"
    text = " ".join(str(value).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=False)


def label(value: object) -> str:
    """A category label for an axis or a legend: escaped and at most :data:`MAX_LABEL` long."""
    return escape(value, limit=MAX_LABEL)


def seconds_text(value: float) -> str:
    """Seconds for hover text: ``"95 s"`` or ``"15 min 50 s"``."""
    return format_duration(value)


def base_layout(title: str, *, height: int = 420, subtitle: str | None = None) -> dict[str, Any]:
    """The layout every chart starts from: white template, system font, left-aligned title.

    No width: a chart fills its container (``autosize``) and follows it when it is resized. The
    legend sits under the plot, in the figure's bottom margin (which grows to hold it), so it
    never covers the title or the data.
    """
    text = title if subtitle is None else f"{title}<br><sup>{subtitle}</sup>"
    return {
        "template": "plotly_white",
        "autosize": True,
        "title": {"text": text, "x": 0.0, "xanchor": "left", "font": {"size": 17}},
        "font": {"family": FONT, "size": 12, "color": "#222"},
        "height": height,
        "margin": {"l": 10, "r": 20, "t": 70 if subtitle else 55, "b": 50},
        "hoverlabel": {"align": "left", "font": {"family": FONT}},
        "legend": {
            "orientation": "h",
            "yref": "container",
            "yanchor": "bottom",
            "y": 0.0,
            "x": 0.0,
            "xanchor": "left",
        },
    }


def model_axis() -> dict[str, Any]:
    """The category axis of the charts with one row per model, fastest on top."""
    return {"title": {"text": "model"}, "autorange": "reversed", "ticksuffix": "  "}


def rows_height(rows: int, *, per_row: int = 34, extra: int = 140) -> int:
    """A chart height that gives each category row room to breathe."""
    return int(extra + per_row * max(rows, 1))


def hover_lines(pairs: Mapping[str, object]) -> str:
    """``<b>name</b>: value`` lines for hover text; every value must already be escaped."""
    return "<br>".join(f"<b>{name}</b>: {value}" for name, value in pairs.items())


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and bool(np.isnan(value))
