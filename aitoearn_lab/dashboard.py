"""The ipywidgets dashboard: filters -> headline figures, chart tabs, tables, export, refresh.

The only module that imports ipywidgets. ``dashboard(tasks)`` returns a widget; displaying it
(in Jupyter, JupyterLab or Voila) shows the app. Filtering is done on arrays prepared once
(category codes, submission days, durations), so a change costs a few boolean operations even
for 100,000 tasks; only the chart on screen is redrawn at once, the others when their tab opens.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import ipywidgets as widgets
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from aitoearn_lab import charts
from aitoearn_lab.chart_data import state_codes
from aitoearn_lab.chart_style import seconds_text
from aitoearn_lab.failures import error_groups
from aitoearn_lab.frame import CATEGORY_COLUMNS
from aitoearn_lab.schema import STATES

if TYPE_CHECKING:
    from aitoearn_lab.client import Client

ChartMaker = Callable[[pd.DataFrame], go.Figure]

CHART_TABS: Final[tuple[tuple[str, ChartMaker], ...]] = (
    ("Latency", charts.latency_distribution),
    ("Queue vs render", charts.queue_render_bars),
    ("Status mix", charts.state_mix),
    ("Failure rate", charts.failure_rates),
    ("Timeline", charts.activity),
    ("Errors", charts.error_signatures),
)
"""Tab title and chart function, in display order."""

NO_ANSWER: Final = "no answer"
"""The state filter's name for rows whose fetch failed (they have no state)."""
UNSPECIFIED: Final = "unspecified"
TABLE_COLUMNS: Final = (
    "task_id",
    "model",
    "state",
    "submitted_at",
    "total_s",
    "input_resolution",
    "input_duration",
    "error_message",
    "input_prompt",
)
_VIEW_COLUMNS: Final = (
    "task_id",
    "model",
    "state",
    "submitted_at",
    "started_at",
    "finished_at",
    "queue_s",
    "render_s",
    "total_s",
    "error_message",
    "input_prompt",
    "input_duration",
    "input_resolution",
)
"""The columns the charts, the headline and the tables read. Selecting rows copies every column
kept, and the others (URLs, IDs, input lists) would cost more than the arithmetic of all charts."""
_STYLE: Final = """
<style>
.lab-headline { display: flex; gap: 12px; flex-wrap: wrap; margin: 6px 0 10px 0; }
.lab-kpi { border: 1px solid #e3e6ea; border-radius: 8px; padding: 8px 14px; min-width: 130px;
           background: #fafbfc; font-family: system-ui, sans-serif; }
.lab-kpi-value { font-size: 22px; font-weight: 600; color: #1f2933; }
.lab-kpi-label { font-size: 12px; color: #616e7c; }
.lab-table table { border-collapse: collapse; font: 12px system-ui, sans-serif; }
.lab-table th, .lab-table td { border-bottom: 1px solid #e3e6ea; padding: 3px 8px; text-align: left;
           max-width: 420px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.lab-table th { background: #f3f4f6; }
</style>
"""


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


@dataclass
class _Prepared:
    """The columns filters work on, as plain arrays made once."""

    model_codes: np.ndarray
    models: list[str]
    state_codes: np.ndarray
    states: list[str]
    days: np.ndarray
    resolution_codes: np.ndarray
    resolutions: list[str]
    durations: np.ndarray
    view: pd.DataFrame

    @classmethod
    def of(cls, tasks: pd.DataFrame) -> _Prepared:
        model_codes, models = _codes(tasks["model"].astype(object))
        states_raw = tasks["state"].astype(object).where(tasks["state"].notna(), NO_ANSWER)
        state_codes, states = _codes(states_raw, order=[*STATES, NO_ANSWER])
        resolution = tasks["input_resolution"].astype(object)
        resolution = resolution.where(resolution.isna(), resolution.astype(str).str.lower()).fillna(
            UNSPECIFIED
        )
        resolution_codes, resolutions = _codes(resolution)
        stamps = tasks["submitted_at"].to_numpy(dtype="datetime64[ms]")
        days = stamps.astype("datetime64[D]").astype(np.int64)
        days[np.isnat(stamps)] = np.iinfo(np.int64).min
        durations = tasks["input_duration"].to_numpy(dtype=float)
        view = tasks[[name for name in _VIEW_COLUMNS if name in tasks.columns]]
        return cls(
            model_codes,
            models,
            state_codes,
            states,
            days,
            resolution_codes,
            resolutions,
            durations,
            view,
        )


class Dashboard(widgets.VBox):
    """The dashboard widget; see :func:`dashboard`."""

    def __init__(
        self, tasks: pd.DataFrame, *, client: Client | None, export_dir: Path, table_rows: int
    ) -> None:
        missing = [
            name for name in ("model", "state", "submitted_at", "total_s") if name not in tasks
        ]
        if missing:
            raise ValueError(
                f"tasks lacks column(s) {', '.join(missing)}: pass the tasks DataFrame"
            )
        self.client = client
        self.export_dir = export_dir
        self.table_rows = table_rows
        self._tasks = tasks.reset_index(drop=True)
        self._prepared = _Prepared.of(self._tasks)
        self._mask = np.ones(len(self._tasks), dtype=bool)
        self._stale: set[int] = set()
        self._building = True

        self.model_filter = self._multi("Model", self._prepared.models, "lab-filter-model")
        self.state_filter = self._multi("State", self._prepared.states, "lab-filter-state")
        self.resolution_filter = self._multi(
            "Resolution", self._prepared.resolutions, "lab-filter-resolution"
        )
        self.date_filter = self._date_slider()
        self.duration_filter = self._duration_slider()
        self.reset_button = widgets.Button(description="Reset filters", icon="undo")
        self.reset_button.on_click(lambda _: self.reset_filters())

        self.headline = widgets.HTML().add_class("lab-headline-widget")
        # Each FigureWidget carries plotly.js (about 5 MB) to the browser, and the front end gives
        # a widget two seconds to start: so a chart's widget is made when its tab first opens.
        self.figures: list[go.FigureWidget | None] = [None] * len(CHART_TABS)
        self._slots = [widgets.Box(layout={"min_height": "420px"}) for _ in CHART_TABS]
        self.tabs = widgets.Tab(children=self._slots)
        for index, (title, _) in enumerate(CHART_TABS):
            self.tabs.set_title(index, title)
        self.tabs.observe(self._on_tab, names="selected_index")
        self.error_table = widgets.HTML().add_class("lab-table")
        self.task_table = widgets.HTML().add_class("lab-table")
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
            self.refresh_button.on_click(lambda _: self.refresh())
            self.progress = widgets.IntProgress(
                value=0,
                min=0,
                max=1,
                description="",
                layout={"width": "220px", "visibility": "hidden"},
            )
            actions += [self.refresh_button, self.progress]

        filters = widgets.HBox(
            [self.model_filter, self.state_filter, self.resolution_filter,
             widgets.VBox([self.date_filter, self.duration_filter, self.reset_button])],
            layout={"flex_flow": "row wrap", "grid_gap": "8px"},
        )  # fmt: skip
        for control in (
            self.model_filter,
            self.state_filter,
            self.resolution_filter,
            self.date_filter,
            self.duration_filter,
        ):
            control.observe(self._on_filter, names="value")
        super().__init__(
            [
                widgets.HTML(_STYLE + "<h3 style='margin:4px 0'>AiToEarn tasks</h3>"),
                filters,
                self.headline,
                self.tabs,
                widgets.HTML("<h4 style='margin:10px 0 4px'>Why tasks fail</h4>"),
                self.error_table,
                widgets.HTML("<h4 style='margin:10px 0 4px'>Tasks (newest first)</h4>"),
                self.task_table,
                widgets.HBox(actions),
                self.status,
            ]
        )
        self._building = False
        self.update()

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
        self._building = True
        self.model_filter.value = tuple(self.model_filter.options)
        self.state_filter.value = tuple(self.state_filter.options)
        self.resolution_filter.value = tuple(self.resolution_filter.options)
        self.date_filter.index = (0, len(self.date_filter.options) - 1)
        self.duration_filter.value = (self.duration_filter.min, self.duration_filter.max)
        self._building = False
        self.update()

    def selection_mask(self) -> np.ndarray:
        """Which rows the filters select, as a boolean array."""
        prepared = self._prepared
        mask = _member(prepared.model_codes, prepared.models, self.model_filter.value)
        mask &= _member(prepared.state_codes, prepared.states, self.state_filter.value)
        mask &= _member(
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
        self._stale = set(range(len(CHART_TABS)))
        for index in range(len(CHART_TABS)) if all_charts else (visible,):
            self._draw(index, selected)
        self._show_selection(selected)

    def _show_selection(self, selected: pd.DataFrame | None = None) -> None:
        """The headline and the tables for the current selection."""
        selected = self._selection() if selected is None else selected
        self.headline.value = _headline(selected, len(self._tasks))
        self.error_table.value = _errors_html(selected)
        self.task_table.value = _tasks_html(selected, self.table_rows)

    def _draw(self, index: int, selected: pd.DataFrame | None = None) -> None:
        frame = self._selection() if selected is None else selected
        figure = CHART_TABS[index][1](frame)
        widget = self.figures[index]
        if widget is None:
            # The layout goes in the constructor: Voila leaves a FigureWidget blank otherwise.
            widget = go.FigureWidget(data=figure.data, layout=figure.layout).add_class(
                f"lab-chart-{index}"
            )
            self.figures[index] = widget
            self._slots[index].children = (widget,)
        else:
            _replace(widget, figure)
        self._stale.discard(index)

    def figure(self, title: str) -> go.FigureWidget:
        """The chart of the tab called ``title``, drawn now if it was not yet."""
        titles = [name for name, _ in CHART_TABS]
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
        from aitoearn_lab.metrics import summarize
        from aitoearn_lab.tables import write_csv, write_tasks

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
        """Ask the client again for every task that has not finished; return how many were asked."""
        if self.client is None:
            raise RuntimeError("this dashboard has no client; pass client= to dashboard()")
        unfinished = self._tasks.loc[~self._tasks["is_terminal"], "task_id"].dropna().tolist()
        progress = self.progress
        if progress is not None:
            progress.max = max(len(unfinished), 1)
            progress.value = 0
            progress.layout.visibility = "visible"
        fresh_parts = []
        for start in range(0, len(unfinished), chunk):
            part = self.client.fetch(
                unfinished[start : start + chunk], progress=False, refresh=True
            )
            fresh_parts.append(part)
            if progress is not None:
                progress.value = min(start + chunk, len(unfinished))
        if fresh_parts:
            self._tasks = _merge(self._tasks, pd.concat(fresh_parts, ignore_index=True))
            self._prepared = _Prepared.of(self._tasks)
            self._building = True  # states may have appeared or gone: renew the choices
            _renew(self.model_filter, self._prepared.models)
            _renew(self.state_filter, self._prepared.states)
            _renew(self.resolution_filter, self._prepared.resolutions)
            self._building = False
        done = int(self._tasks["is_terminal"].sum())
        self.status.value = (
            f"Asked again for {len(unfinished):,} unfinished tasks; "
            f"{done:,} of {len(self._tasks):,} have finished."
        )
        if progress is not None:
            progress.layout.visibility = "hidden"
        self.update()
        return len(unfinished)

    # --- building blocks ------------------------------------------------------------------------

    def _multi(self, description: str, options: Sequence[str], css: str) -> widgets.SelectMultiple:
        control = widgets.SelectMultiple(
            options=list(options),
            value=tuple(options),
            rows=min(max(len(options), 3), 8),
            description=description,
            layout={"width": "300px" if description == "Model" else "220px"},
            style={"description_width": "70px"},
        )
        return control.add_class(css)

    def _date_slider(self) -> widgets.SelectionRangeSlider:
        days = np.unique(self._prepared.days[self._prepared.days != np.iinfo(np.int64).min])
        if len(days) == 0:
            days = np.array([0])
        # Short labels ("Nov 26") keep the slider's readout whole.
        labels = pd.to_datetime(days.astype("datetime64[D]")).strftime("%b %d")
        options = [(label, int(day)) for label, day in zip(labels, days, strict=True)]
        slider = widgets.SelectionRangeSlider(
            options=options,
            index=(0, len(options) - 1),
            description="Submitted",
            layout={"width": "420px"},
            style={"description_width": "70px"},
        )
        return slider.add_class("lab-filter-date")

    def _duration_slider(self) -> widgets.FloatRangeSlider:
        values = self._prepared.durations[~np.isnan(self._prepared.durations)]
        low, high = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
        if low == high:
            high = low + 1.0
        slider = widgets.FloatRangeSlider(
            value=(low, high),
            min=low,
            max=high,
            step=1.0,
            description="Duration s",
            readout_format=".0f",
            layout={"width": "420px"},
            style={"description_width": "70px"},
        )
        return slider.add_class("lab-filter-duration")


def _codes(values: pd.Series, order: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Integer codes and their labels; labels by frequency (most common first) unless ``order``."""
    filled = values.fillna(UNSPECIFIED).astype(str)
    counts = filled.value_counts()
    labels = [label for label in order if label in counts.index] if order else list(counts.index)
    codes = pd.Categorical(filled, categories=labels).codes.astype(np.int64)  # hashed, not mapped
    return codes, labels


def _renew(control: widgets.SelectMultiple, labels: list[str]) -> None:
    """New choices for a filter: what was chosen stays chosen; if all was, all still is."""
    everything = set(control.value) == set(control.options)
    chosen = set(control.value)
    control.options = labels
    control.value = tuple(label for label in labels if everything or label in chosen)


def _member(codes: np.ndarray, labels: list[str], chosen: Sequence[str]) -> np.ndarray:
    wanted = np.zeros(len(labels) + 1, dtype=bool)
    for label in chosen:
        if label in labels:
            wanted[labels.index(label)] = True
    result: np.ndarray = wanted[codes]
    return result


def _replace(widget: go.FigureWidget, figure: go.Figure) -> None:
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


def _headline(selected: pd.DataFrame, total: int) -> str:
    states = state_codes(selected)
    by_state = np.bincount(states + 1, minlength=len(STATES) + 1)[1:]  # -1: no state
    count = dict(zip(STATES, by_state.tolist(), strict=True))
    succeeded, failed = count["succeeded"], count["failed"]
    unfinished = count["queued"] + count["running"]
    finished = succeeded + failed
    turnaround = selected["total_s"].to_numpy(dtype=float)[states == STATES.index("succeeded")]
    turnaround = turnaround[~np.isnan(turnaround)]
    p50, p95 = np.percentile(turnaround, [50, 95]) if len(turnaround) else (np.nan, np.nan)
    rate = f"{100 * succeeded / finished:.1f}%" if finished else "–"
    figures = [
        ("tasks", f"{len(selected):,}", f"tasks (of {total:,})"),
        ("success_rate", rate, f"success rate ({finished:,} finished)"),
        ("p50", seconds_text(p50) if not np.isnan(p50) else "–", "p50 turnaround"),
        ("p95", seconds_text(p95) if not np.isnan(p95) else "–", "p95 turnaround"),
        ("unfinished", f"{unfinished:,}", "queued or running"),
    ]
    cards = "".join(
        f"<div class='lab-kpi' data-kpi='{key}'>"
        f"<div class='lab-kpi-value'>{html.escape(value)}</div>"
        f"<div class='lab-kpi-label'>{html.escape(text)}</div></div>"
        for key, value, text in figures
    )
    return f"<div class='lab-headline'>{cards}</div>"


def _errors_html(selected: pd.DataFrame, top: int = 12) -> str:
    groups = error_groups(selected).head(top)
    if groups.empty:
        return "<p>No failed tasks in this selection.</p>"
    table = pd.DataFrame(
        {
            "count": groups["count"],
            "share": (100 * groups["share"]).round(1).astype(str) + "%",
            "signature": groups["signature"],
            "models": groups["models"].map(lambda models: ", ".join(map(str, models))),
            "last seen": groups["last_seen"].dt.strftime("%Y-%m-%d %H:%M"),
        }
    )
    return table.to_html(index=False, escape=True, border=0)


def _tasks_html(selected: pd.DataFrame, rows: int) -> str:
    if selected.empty:
        return "<p>No tasks match the filters.</p>"
    # Sorting one column and picking the rows shown costs far less than sorting the whole frame;
    # the order is that of ``selected.sort_values("submitted_at", ...)``, ties included.
    submitted = selected["submitted_at"].reset_index(drop=True)
    newest = submitted.sort_values(ascending=False, na_position="last").index[:rows]
    table = selected[list(TABLE_COLUMNS)].iloc[newest].copy()
    table["submitted_at"] = table["submitted_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    table["total_s"] = table["total_s"].round(1)
    table["input_prompt"] = (
        table["input_prompt"]
        .astype(object)
        .map(lambda text: text if not isinstance(text, str) or len(text) < 80 else text[:79] + "…")
    )
    shown = (
        f"<p style='font-size:12px;color:#616e7c'>Showing {len(table):,} of {len(selected):,}.</p>"
    )
    return shown + table.to_html(index=False, escape=True, border=0, na_rep="")


def _merge(old: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    """``old`` with the rows of ``fresh`` in place of those with the same task ID, order kept."""
    kept = old[~old["task_id"].isin(fresh["task_id"])]
    combined = pd.concat([kept, fresh], ignore_index=True)
    position = {task_id: index for index, task_id in enumerate(old["task_id"])}
    order = np.argsort(combined["task_id"].map(position).to_numpy(dtype=float), kind="stable")
    combined = combined.iloc[order].reset_index(drop=True)
    for name in CATEGORY_COLUMNS:  # concat of differing categories falls back to plain values
        combined[name] = combined[name].astype(old[name].dtype if name == "state" else "category")
    return combined
