"""The dashboard's actions: export the selection as CSV files, ask again for unfinished tasks."""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from aitoearn_lab.app.content import merge_refreshed
from aitoearn_lab.app.controls import renew
from aitoearn_lab.errors import AiToEarnError
from aitoearn_lab.metrics.failures import error_groups

if TYPE_CHECKING:
    from aitoearn_lab.client.api import Client


class Actions:
    """Export and refresh, mixed into :class:`~aitoearn_lab.app.board.Dashboard`."""

    if TYPE_CHECKING:  # made by the dashboard
        client: Client | None
        export_dir: Path | None
        _tasks: pd.DataFrame
        _mask: np.ndarray
        _prepared: Any
        model_filter: widgets.SelectMultiple
        state_filter: widgets.SelectMultiple
        resolution_filter: widgets.SelectMultiple

        @property
        def filtered(self) -> pd.DataFrame: ...
        def _take(self, tasks: pd.DataFrame) -> None: ...
        def _holding_events(self) -> AbstractContextManager[None]: ...
        def update(self, *, all_charts: bool = False) -> None: ...

    def _make_actions(self, client: Client | None) -> widgets.HBox:
        self.export_button = widgets.Button(
            description="Export CSV", icon="download", button_style="primary",
            layout={"width": "auto"},
        )  # fmt: skip
        self.export_button.on_click(lambda _: self._export_clicked())
        self.export_folder = widgets.Text(
            value=str(self.export_dir or Path.cwd() / "exports"),
            description="to folder",
            placeholder="a folder; exports/ of the working directory if empty",
            layout={"width": "460px"},
            style={"description_width": "70px"},
        ).add_class("lab-export-folder")
        self.status = widgets.HTML().add_class("lab-status")
        actions: list[widgets.Widget] = [self.export_button, self.export_folder]
        self.refresh_button: widgets.Button | None = None
        self.progress: widgets.IntProgress | None = None
        if client is not None:
            self.refresh_button = widgets.Button(
                description="Refresh unfinished", icon="refresh", layout={"width": "auto"}
            )
            self.refresh_button.on_click(lambda _: self._refresh_clicked())
            self.progress = widgets.IntProgress(
                value=0, min=0, max=1, description="",
                layout={"width": "220px", "visibility": "hidden"},
            )  # fmt: skip
            actions += [self.refresh_button, self.progress]
        return widgets.HBox(actions, layout={"flex_flow": "row wrap", "grid_gap": "8px"})

    def export(self, directory: str | Path | None = None) -> list[Path]:
        """Write the filtered tasks and their summaries as CSV files; return their paths."""
        from aitoearn_lab.frame.tables import write_csv, write_tasks
        from aitoearn_lab.metrics.summary import summarize

        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        folder = self.export_dir if self.export_dir is not None else Path.cwd() / "exports"
        target = Path(directory) if directory is not None else folder / f"dashboard-{stamp}"
        target.mkdir(parents=True, exist_ok=True)
        selected = self.filtered
        return [
            write_tasks(selected, target / "tasks.csv"),
            write_csv(summarize(selected), target / "by_model.csv", index=True),
            write_csv(error_groups(selected), target / "errors.csv"),
        ]

    def _export_clicked(self) -> None:
        typed = self.export_folder.value.strip()
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        folder = Path(typed).expanduser() if typed else Path.cwd() / "exports"
        try:
            paths = self.export(folder.resolve() / f"dashboard-{stamp}")
        except OSError as error:
            self.status.value = (
                f"<span style='color:#b42318'>Export failed: {html.escape(str(error))}</span>"
            )
            return
        names = ", ".join(html.escape(path.name) for path in paths)
        self.status.value = (
            f"Exported {int(self._mask.sum()):,} tasks to <code>{html.escape(str(paths[0].parent))}"
            f"</code> ({names})"
        )

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
