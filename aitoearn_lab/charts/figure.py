"""Plotly figures from plain dictionaries, handed to plotly in one step without per-property checks.

Building a figure with ``add_trace``, ``update_layout`` and ``update_xaxes`` validates every
property and copies the ``plotly_white`` template each time: about 20 ms a figure, more than the
numbers behind most charts. The charts describe traces and layouts as dictionaries of plain values
(lists, numpy arrays, nested dicts in plotly's own property names) and build the figure here. The
figure returned checks later edits as usual; the tests check that every chart passes plotly's
validation unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import plotly.graph_objects as go

TEMPLATE: Final = "plotly_white"
"""The template of every chart."""

_GRID_KEYS: Final = ("_grid_str", "_grid_ref")
_template_cache: list[tuple[object, dict[str, Any]]] = []


def build_figure(
    data: list[dict[str, Any]], layout: dict[str, Any], *, grid: Mapping[str, Any] | None = None
) -> go.Figure:
    """A figure of ``data`` (trace dicts with a ``type``) and ``layout``, in the chart template.

    Parameters
    ----------
    data
        One dict per trace, in plotly's property names (``{"type": "bar", "x": ...}``).
    layout
        The layout, nested (``{"xaxis": {"title": {"text": "s"}}}``), without a template.
    grid
        The subplot grid of a ``make_subplots`` figure (see :func:`subplot_grid`), so that
        ``row=`` and ``col=`` work on the figure as on one from ``make_subplots``.

    Returns
    -------
    plotly.graph_objects.Figure
        The same figure ``go.Figure(data, layout)`` with ``template="plotly_white"`` would give;
        further edits (``update_layout``, ``update_traces``) are validated as usual.
    """
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            axis.setdefault("automargin", True)  # long tick labels push the margin, never clip
    whole = {"data": data, "layout": {**layout, "template": template()}}
    if grid is not None:
        whole.update({key: grid[key] for key in _GRID_KEYS})
    figure = go.Figure(whole, _validate=False)
    # Plotly built it unchecked; a user's later edits are checked again, as on any figure.
    figure._validate = True
    figure.layout._validate = True
    for trace in figure.data:
        trace._validate = True
    return figure


def subplot_grid(figure: go.Figure) -> dict[str, Any]:
    """The layout of a ``make_subplots`` figure (without its template) and its subplot grid.

    The grid is read from the dict plotly pickles a figure as, where it travels under the keys
    ``go.Figure`` accepts.
    """
    pickled = figure.__reduce__()[1][0]
    layout = pickled["layout"]
    layout.pop("template", None)
    return {"layout": layout, **{key: pickled[key] for key in _GRID_KEYS}}


def template() -> dict[str, Any]:
    """The chart template as a plain dict, made once per registered template object.

    ``go.Figure`` copies its layout, so the dict handed out is never shared by two figures.
    """
    import plotly.io as pio

    current = pio.templates[TEMPLATE]
    if not _template_cache or _template_cache[0][0] is not current:
        _template_cache[:] = [(current, current.to_plotly_json())]
    return _template_cache[0][1]
