"""The ipywidgets dashboard: filters -> headline figures, chart tabs, tables, export, refresh.

With controls.py, the only module that imports ipywidgets. ``dashboard(tasks)`` returns a
widget; displaying it (in Jupyter, JupyterLab or Voila) shows the app. Filtering is done on
arrays prepared once (category codes, submission days, durations), so a change costs a few
boolean operations even for 100,000 tasks; only the chart on screen is redrawn at once, the
others when their tab opens.
What needs no widgets is in content.py (arrays, HTML) and figures.py; the filter controls are
made in controls.py, the charts listed in :mod:`aitoearn_lab.charts.registry`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import ipywidgets as widgets
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from aitoearn_lab.app.actions import Actions
from aitoearn_lab.app.content import NO_ANSWER as NO_ANSWER  # re-exported
from aitoearn_lab.app.content import (
    STYLE,
    PreparedTasks,
    active_filters_html,
    answer_html,
    chosen_mask,
    chosen_text,
    errors_html,
    headline_html,
    tasks_html,
)
from aitoearn_lab.app.content import TABLE_COLUMNS as TABLE_COLUMNS  # re-exported
from aitoearn_lab.app.content import UNSPECIFIED as UNSPECIFIED  # re-exported
from aitoearn_lab.app.controls import datetime_slider, duration_slider, multi_choice
from aitoearn_lab.app.figures import replace_figure
from aitoearn_lab.app.fit import BOARD_CLASS, CHART_CLASS, CHART_CONFIG, ChartFitter
from aitoearn_lab.charts.registry import DASHBOARD_CHARTS
from aitoearn_lab.metrics.overview import Headline, headline

if TYPE_CHECKING:
    from aitoearn_lab.client.api import Client

ChartMaker = Callable[[pd.DataFrame], go.Figure]

CHART_TABS: Final[tuple[tuple[str, ChartMaker], ...]] = tuple(
    (chart.title, chart.draw) for chart in DASHBOARD_CHARTS
)
"""Tab title and chart function, in display order (from :mod:`aitoearn_lab.charts.registry`)."""


def dashboard(
    tasks: pd.DataFrame,
    *,
    client: Client | None = None,
    export_dir: str | Path | None = None,
    table_rows: int = 200,
) -> Dashboard:
    """An interactive dashboard of a tasks DataFrame.

    Parameters
    ----------
    tasks
        The tasks DataFrame (from :meth:`aitoearn_lab.Client.fetch` or :func:`to_frame`).
    client
        When given, a "Refresh" button asks it again for the tasks that have not finished.
    export_dir
        The folder "Export CSV" offers (the user may type another): by default ``exports``
        in the current working directory, as it is when the button is pressed.
    table_rows
        How many of the filtered tasks the table shows (newest first).

    Returns
    -------
    Dashboard
        An ``ipywidgets.VBox``; display it to show the app. ``.filtered`` is the current selection.

    Examples
    --------
    >>> dashboard(tasks, client=client)  # doctest: +SKIP
    """
    folder = None if export_dir is None else Path(export_dir)
    return Dashboard(tasks, client=client, export_dir=folder, table_rows=table_rows)


class Dashboard(Actions, widgets.VBox):
    """The dashboard widget; see :func:`dashboard`."""

    def __init__(
        self,
        tasks: pd.DataFrame,
        *,
        client: Client | None,
        export_dir: Path | None,
        table_rows: int,
    ) -> None:
        _check_columns(tasks)
        self.client = client
        self.export_dir = export_dir
        self.table_rows = table_rows
        self._building = False
        self._take(tasks.reset_index(drop=True))
        self._mask = np.ones(len(self._tasks), dtype=bool)
        self._stale: set[int] = set()
        self.headline_figures: Headline | None = None
        """The figures the headline cards show (:func:`~aitoearn_lab.metrics.headline`)."""
        with self._holding_events():
            filters = self._make_filters()
            charts = self._make_displays()
            actions = self._make_actions(client)
            super().__init__(
                [
                    widgets.HTML(STYLE + "<h3 style='margin:4px 0'>AiToEarn tasks</h3>"),
                    filters,
                    self.active_filters,
                    self.headline,
                    charts,
                    widgets.HTML("<h4 style='margin:10px 0 4px'>Why tasks fail</h4>"),
                    self.error_table,
                    widgets.HTML("<h4 style='margin:10px 0 4px'>Tasks (newest first)</h4>"),
                    self.task_table,
                    actions,
                    self.status,
                    ChartFitter(),
                ],
            )
            self.add_class(BOARD_CLASS)
        self.update()

    def _take(self, tasks: pd.DataFrame) -> None:
        """Hold ``tasks`` and the arrays made from them once."""
        self._tasks = tasks
        self._prepared = PreparedTasks.of(tasks)
        self._selected: pd.DataFrame | None = None

    def _make_filters(self) -> widgets.HBox:
        self.model_filter = multi_choice("Model", self._prepared.models, "lab-filter-model")
        self.state_filter = multi_choice("State", self._prepared.states, "lab-filter-state")
        self.resolution_filter = multi_choice(
            "Resolution", self._prepared.resolutions, "lab-filter-resolution"
        )
        self.date_filter = datetime_slider(self._prepared)
        self.duration_filter = duration_slider(self._prepared)
        self.reset_button = widgets.Button(
            description="Reset filters",
            icon="undo",
            layout={"width": "auto", "align_self": "flex-start"},
        )
        self.active_filters = widgets.HTML().add_class("lab-active-filters")
        self.reset_button.on_click(lambda _: self.reset_filters())
        for control in self._filters():
            control.observe(self._on_filter, names="value")
        return widgets.HBox(
            [self.model_filter, self.state_filter, self.resolution_filter,
             widgets.VBox([self.date_filter, self.duration_filter, self.reset_button])],
            layout={"flex_flow": "row wrap", "grid_gap": "8px"},
        )  # fmt: skip

    def _filters(self) -> tuple[widgets.ValueWidget, ...]:
        return (
            self.model_filter,
            self.state_filter,
            self.resolution_filter,
            self.date_filter,
            self.duration_filter,
        )

    def _make_displays(self) -> widgets.Tab:
        """The headline, the tables and the chart tabs (returned)."""
        self.headline = widgets.HTML().add_class("lab-headline-widget")
        # Each FigureWidget carries plotly.js (about 5 MB) to the browser, and the front end gives
        # a widget two seconds to start: so a chart's widget is made when its tab first opens.
        self.figures: list[go.FigureWidget | None] = [None] * len(DASHBOARD_CHARTS)
        # A chart of an answer says it in words above the chart (empty for the others).
        self.answers = [
            widgets.HTML().add_class("lab-answer-widget").add_class(f"lab-answer-{index}")
            for index in range(len(DASHBOARD_CHARTS))
        ]
        self._slots = [
            widgets.VBox([answer], layout={"min_height": "220px", "width": "100%"})
            for answer in self.answers
        ]
        self.tabs = widgets.Tab(children=self._slots)
        for index, chart in enumerate(DASHBOARD_CHARTS):
            self.tabs.set_title(index, chart.title)
        self.tabs.observe(self._on_tab, names="selected_index")
        self.error_table = widgets.HTML().add_class("lab-table")
        self.task_table = widgets.HTML().add_class("lab-table")
        return self.tabs

    @contextmanager
    def _holding_events(self) -> Iterator[None]:
        """Filter changes made inside do not redraw; however the block ends, they do again."""
        self._building = True
        try:
            yield
        finally:
            self._building = False

    # --- state ----------------------------------------------------------------------------------

    @property
    def tasks(self) -> pd.DataFrame:
        """Every task the dashboard holds (after any refresh)."""
        return self._tasks

    @property
    def filtered(self) -> pd.DataFrame:
        """The tasks the filters select."""
        return self._tasks[self._mask]

    def _selection(self) -> pd.DataFrame:
        """The selected tasks, with only the columns the charts and tables read.

        Made once per selection: every tab opened after a filter change draws from the same rows
        (selecting them again costs milliseconds at 100,000 tasks; the charts only read them).
        """
        if self._selected is None:
            self._selected = self._prepared.view[self._mask]
        return self._selected

    def reset_filters(self) -> None:
        """Select everything again."""
        with self._holding_events():
            self.model_filter.value = tuple(self.model_filter.options)
            self.state_filter.value = tuple(self.state_filter.options)
            self.resolution_filter.value = tuple(self.resolution_filter.options)
            self.date_filter.index = (0, len(self.date_filter.options) - 1)
            self.duration_filter.value = (self.duration_filter.min, self.duration_filter.max)
        self.update()

    def selection_mask(self) -> np.ndarray:
        """Which rows the filters select, as a boolean array."""
        prepared = self._prepared
        mask = chosen_mask(prepared.model_codes, prepared.models, self.model_filter.value)
        mask &= chosen_mask(prepared.state_codes, prepared.states, self.state_filter.value)
        mask &= chosen_mask(
            prepared.resolution_codes, prepared.resolutions, self.resolution_filter.value
        )
        if len(self.date_filter.options) > 1 and self._date_narrowed():
            first, last = self.date_filter.value
            mask &= (prepared.hours >= first) & (prepared.hours <= last)
        low, high = self.duration_filter.value
        if (low, high) != (self.duration_filter.min, self.duration_filter.max):
            mask &= (prepared.durations >= low) & (prepared.durations <= high)
        return mask

    def _date_narrowed(self) -> bool:
        return tuple(self.date_filter.index) != (0, len(self.date_filter.options) - 1)

    def active_filter_parts(self) -> list[tuple[str, str]]:
        """(filter, what it keeps) for every filter that leaves something out."""
        parts = [
            (control.description, chosen_text(control.value, control.options))
            for control in (self.model_filter, self.state_filter, self.resolution_filter)
            if set(control.value) != set(control.options)
        ]
        if self._date_narrowed():
            first, last = self.date_filter.index
            labels = [label for label, _ in self.date_filter.options]
            parts.append(("Submitted", f"{labels[first]} – {labels[last]} UTC"))
        low, high = self.duration_filter.value
        if (low, high) != (self.duration_filter.min, self.duration_filter.max):
            parts.append(("Length", f"{low:g} – {high:g} s"))
        return parts

    # --- drawing --------------------------------------------------------------------------------

    def update(self, *, all_charts: bool = False) -> None:
        """Recompute the selection, the headline, the tables and the chart on screen.

        Other charts are marked stale and redrawn when their tab opens, or now if ``all_charts``.
        """
        self._mask = self.selection_mask()
        self._selected = None
        selected = self._selection()
        visible = self.tabs.selected_index or 0
        self._stale = set(range(len(DASHBOARD_CHARTS)))
        for index in range(len(DASHBOARD_CHARTS)) if all_charts else (visible,):
            self._draw(index, selected)
        self._show_selection(selected)

    def _show_selection(self, selected: pd.DataFrame | None = None) -> None:
        """The headline and the tables for the current selection."""
        selected = self._selection() if selected is None else selected
        self.headline_figures = headline(selected, waiting=False)
        self.headline.value = headline_html(
            selected, len(self._tasks), figures=self.headline_figures
        )
        self.active_filters.value = active_filters_html(
            self.active_filter_parts(), len(selected), len(self._tasks)
        )
        self.error_table.value = errors_html(selected)
        self.task_table.value = tasks_html(selected, self.table_rows, source=self._tasks)

    def _draw(self, index: int, selected: pd.DataFrame | None = None) -> None:
        frame = self._selection() if selected is None else selected
        figure, sentences = DASHBOARD_CHARTS[index].explain(frame)
        self.answers[index].value = answer_html(sentences)
        widget = self.figures[index]
        if widget is None:
            # The layout goes in the constructor: Voila leaves a FigureWidget blank otherwise.
            widget = go.FigureWidget(data=figure.data, layout=figure.layout)
            widget._config = CHART_CONFIG  # responsive: ChartFitter resizes it with its box
            widget.add_class(CHART_CLASS).add_class(f"lab-chart-{index}")
            self.figures[index] = widget
            self._slots[index].children = (self.answers[index], widget)
        else:
            replace_figure(widget, figure)
        self._stale.discard(index)

    def figure(self, title: str) -> go.FigureWidget:
        """The chart of the tab called ``title``, drawn now if it was not yet."""
        titles = [chart.title for chart in DASHBOARD_CHARTS]
        if title not in titles:
            raise ValueError(f"title must be one of {titles}, got {title!r}")
        index = titles.index(title)
        if self.figures[index] is None or index in self._stale:
            self._draw(index)
        widget = self.figures[index]
        assert widget is not None
        return widget

    def _on_filter(self, change: dict[str, Any]) -> None:
        if not self._building:
            self.update()

    def _on_tab(self, change: dict[str, Any]) -> None:
        index = change["new"]
        if index is not None and index in self._stale:
            self._draw(index)


def _check_columns(tasks: pd.DataFrame) -> None:
    missing = [name for name in ("model", "state", "submitted_at", "total_s") if name not in tasks]
    if missing:
        raise ValueError(f"tasks lacks column(s) {', '.join(missing)}: pass the tasks DataFrame")
