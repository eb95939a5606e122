"""Figures into the dashboard's plotly widgets, without sending the template again each time."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import plotly.graph_objects as go


def replace_figure(widget: go.FigureWidget, figure: go.Figure) -> None:
    """Show ``figure`` in ``widget``: its traces, and its layout key by key.

    Assigning a whole layout would check and send the template again (about 20 ms a chart); it is
    the same in every chart, so only the other keys are set, and those gone are removed (in the
    browser too: a relayout alone would leave them there).
    """
    # Traces cannot be added or removed inside batch_update; only the layout is batched.
    widget.data = []
    widget.add_traces(list(figure.data))
    new = figure.layout.to_plotly_json()
    old = widget.layout.to_plotly_json()
    if new.get("template") == old.get("template"):
        new.pop("template", None)
        old.pop("template", None)
    gone = old.keys() - new.keys()
    with widget.batch_update():
        for key in gone:
            widget.layout[key] = None  # a list of annotations or shapes is left empty, not removed
        for key, value in new.items():
            widget.layout[key] = value
    if gone:
        widget.plotly_relayout(dict.fromkeys(gone))
