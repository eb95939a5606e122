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

import html
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import ipywidgets as widgets
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from aitoearn_lab.app.content import NO_ANSWER as NO_ANSWER  # re-exported
from aitoearn_lab.app.content import (
    STYLE,
    PreparedTasks,
    chosen_mask,
    errors_html,
    headline_html,
    merge_refreshed,
    tasks_html,
)
from aitoearn_lab.app.content import TABLE_COLUMNS as TABLE_COLUMNS  # re-exported
from aitoearn_lab.app.content import UNSPECIFIED as UNSPECIFIED  # re-exported
from aitoearn_lab.app.controls import date_slider, duration_slider, multi_choice, renew
from aitoearn_lab.app.figures import replace_figure
from aitoearn_lab.charts.registry import DASHBOARD_CHARTS
from aitoearn_lab.errors import AiToEarnError
from aitoearn_lab.metrics.failures import error_groups
from aitoearn_lab.metrics.overview import Headline, headline

if TYPE_CHECKING:
    from aitoearn_lab.client.api import Client

ChartMaker = Callable[[pd.DataFrame], go.Figure]

CHART_TABS: Final[tuple[tuple[str, ChartMaker], ...]] = tuple(
    (chart.title, chart.function) for chart in DASHBOARD_CHARTS
)
"""Tab title and chart function, in display order (from :mod:`aitoearn_lab.charts.registry`)."""


def dashboard(
    tasks: pd.DataFrame,
    *,
    client: Client | None = None,
    export_dir: str | Path = "exports",
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
        Where "Export CSV" writes the filtered tasks and their summaries.
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
    return Dashboard(tasks, client=client, export_dir=Path(export_dir), table_rows=table_rows)


class Dashboard(widgets.VBox):
    """The dashboard widget; see :func:`dashboard`."""

    def __init__(
        self, tasks: pd.DataFrame, *, client: Client | None, export_dir: Path, table_rows: int
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
                    self.headline,
                    charts,
                    widgets.HTML("<h4 style='margin:10px 0 4px'>Why tasks fail</h4>"),
                    self.error_table,
                    widgets.HTML("<h4 style='margin:10px 0 4px'>Tasks (newest first)</h4>"),
                    self.task_table,
                    actions,
                    self.status,
                ]
            )
        self.update()

    def _take(self, tasks: pd.DataFrame) -> None:
        """Hold ``tasks`` and the arrays made from them once."""
        self._tasks = tasks
        self._prepared = PreparedTasks.of(tasks)

    def _make_filters(self) -> widgets.HBox:
        self.model_filter = multi_choice("Model", self._prepared.models, "lab-filter-model")
        self.state_filter = multi_choice("State", self._prepared.states, "lab-filter-state")
        self.resolution_filter = multi_choice(
            "Resolution", self._prepared.resolutions, "lab-filter-resolution"
        )
        self.date_filter = date_slider(self._prepared)
        self.duration_filter = duration_slider(self._prepared)
        self.reset_button = widgets.Button(description="Reset filters", icon="undo")
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
        self._slots = [widgets.Box(layout={"min_height": "420px"}) for _ in DASHBOARD_CHARTS]
        self.tabs = widgets.Tab(children=self._slots)
        for index, chart in enumerate(DASHBOARD_CHARTS):
            self.tabs.set_title(index, chart.title)
        self.tabs.observe(self._on_tab, names="selected_index")
        self.error_table = widgets.HTML().add_class("lab-table")
        self.task_table = widgets.HTML().add_class("lab-table")
        return self.tabs

    def _make_actions(self, client: Client | None) -> widgets.HBox:
        self.export_button = widgets.Button(
            description="Export CSV", icon="download", button_style="primary"
        )
        self.export_button.on_click(lambda _: self._export_clicked())
        self.status = widgets.HTML().add_class("lab-status")
        actions: list[widgets.Widget] = [self.export_button]
        self.refresh_button: widgets.Button | None = None
        self.progress: widgets.IntProgress | None = None
        if client is not None:
            self.refresh_button = widgets.Button(description="Refresh unfinished", icon="refresh")
            self.refresh_button.on_click(lambda _: self._refresh_clicked())
            self.progress = widgets.IntProgress(
                value=0, min=0, max=1, description="",
                layout={"width": "220px", "visibility": "hidden"},
            )  # fmt: skip
            actions += [self.refresh_button, self.progress]
        return widgets.HBox(actions)

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
        """The selected tasks, with only the columns the charts and tables read."""
        return self._prepared.view[self._mask]

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
        if len(self.date_filter.options) > 1:
            first, last = self.date_filter.index
            days = [value for _, value in self.date_filter.options]
            mask &= (prepared.days >= days[first]) & (prepared.days <= days[last])
        low, high = self.duration_filter.value
        if (low, high) != (self.duration_filter.min, self.duration_filter.max):
            mask &= (prepared.durations >= low) & (prepared.durations <= high)
        return mask

    # --- drawing --------------------------------------------------------------------------------

    def update(self, *, all_charts: bool = False) -> None:
        """Recompute the selection, the headline, the tables and the chart on screen.

        Other charts are marked stale and redrawn when their tab opens, or now if ``all_charts``.
        """
        self._mask = self.selection_mask()
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
        self.error_table.value = errors_html(selected)
        self.task_table.value = tasks_html(selected, self.table_rows)

    def _draw(self, index: int, selected: pd.DataFrame | None = None) -> None:
        frame = self._selection() if selected is None else selected
        figure = DASHBOARD_CHARTS[index].draw(frame)
        widget = self.figures[index]
        if widget is None:
            # The layout goes in the constructor: Voila leaves a FigureWidget blank otherwise.
            widget = go.FigureWidget(data=figure.data, layout=figure.layout).add_class(
                f"lab-chart-{index}"
            )
            self.figures[index] = widget
            self._slots[index].children = (widget,)
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

    # --- actions --------------------------------------------------------------------------------

    def export(self, directory: str | Path | None = None) -> list[Path]:
        """Write the filtered tasks and their summaries as CSV files; return their paths."""
        from aitoearn_lab.frame.tables import write_csv, write_tasks
        from aitoearn_lab.metrics.summary import summarize

        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = (
            Path(directory) if directory is not None else self.export_dir / f"dashboard-{stamp}"
        )
        target.mkdir(parents=True, exist_ok=True)
        selected = self.filtered
        return [
            write_tasks(selected, target / "tasks.csv"),
            write_csv(summarize(selected), target / "by_model.csv", index=True),
            write_csv(error_groups(selected), target / "errors.csv"),
        ]

    def _export_clicked(self) -> None:
        try:
            paths = self.export()
        except OSError as error:
            self.status.value = (
                f"<span style='color:#b42318'>Export failed: {html.escape(str(error))}</span>"
            )
            return
        listing = ", ".join(html.escape(str(path)) for path in paths)
        self.status.value = f"Exported {int(self._mask.sum()):,} tasks: {listing}"

    def refresh(self, *, chunk: int = 64) -> int:
        """Ask the client again for every task that has not finished; return how many were asked.

        Filter changes wait until the refresh ends; if it fails, the tasks stay as they were, the
        error propagates and the filters work as before.
        """
        if self.client is None:
            raise RuntimeError("this dashboard has no client; pass client= to dashboard()")
        unfinished = self._tasks.loc[~self._tasks["is_terminal"], "task_id"].dropna().tolist()
        with self._holding_events(), self._showing_progress(len(unfinished)):
            fresh = self._fetch_again(unfinished, chunk)
            if fresh is not None:
                self._take(merge_refreshed(self._tasks, fresh))
                renew(self.model_filter, self._prepared.models)  # choices may come or go
                renew(self.state_filter, self._prepared.states)
                renew(self.resolution_filter, self._prepared.resolutions)
        done = int(self._tasks["is_terminal"].sum())
        self.status.value = (
            f"Asked again for {len(unfinished):,} unfinished tasks; "
            f"{done:,} of {len(self._tasks):,} have finished."
        )
        self.update()
        return len(unfinished)

    def _fetch_again(self, task_ids: list[str], chunk: int) -> pd.DataFrame | None:
        assert self.client is not None
        parts = []
        for start in range(0, len(task_ids), chunk):
            parts.append(
                self.client.fetch(task_ids[start : start + chunk], progress=False, refresh=True)
            )
            if self.progress is not None:
                self.progress.value = min(start + chunk, len(task_ids))
        return pd.concat(parts, ignore_index=True) if parts else None

    @contextmanager
    def _showing_progress(self, total: int) -> Iterator[None]:
        progress = self.progress
        if progress is None:
            yield
            return
        progress.max = max(total, 1)
        progress.value = 0
        progress.layout.visibility = "visible"
        try:
            yield
        finally:
            progress.layout.visibility = "hidden"

    def _refresh_clicked(self) -> None:
        try:
            self.refresh()
        except AiToEarnError as error:
            self.status.value = (
                f"<span style='color:#b42318'>Refresh failed: {html.escape(str(error))}</span>"
            )


def _check_columns(tasks: pd.DataFrame) -> None:
    missing = [name for name in ("model", "state", "submitted_at", "total_s") if name not in tasks]
    if missing:
        raise ValueError(f"tasks lacks column(s) {', '.join(missing)}: pass the tasks DataFrame")
