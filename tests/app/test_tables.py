"""The dashboard's tables, export folder and active-filter line, as a person reads them."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from aitoearn_lab import error_groups, to_frame
from aitoearn_lab.app.board import dashboard
from aitoearn_lab.app.tables import errors_html, tasks_html
from aitoearn_lab.charts.registry import CHARTS
from aitoearn_lab.metrics.categories import CATEGORIES
from aitoearn_lab.metrics.moments import format_duration
from aitoearn_lab.simulator import World
from tests.support import ANCHOR

LONG_ERROR = "Upstream provider said: " + "the input image could not be read; " * 6 + "<b>end</b>"


@pytest.fixture(scope="module")
def tasks() -> pd.DataFrame:
    world = World.generate(tasks=300, seed=17, anchor=ANCHOR)
    records = [world.tasks[t].view(ANCHOR) for t in world.task_ids()]
    done = [r for r in records if r and r["status"] == "SUCCESS"]
    failed = next(r for r in records if r and r["status"] == "FAILURE")
    failed["error"] = {"message": LONG_ERROR}
    done[0]["videoUrl"] = "https://cdn.example/v.mp4?a=1&b=<2>"
    done[1]["videoUrl"] = "javascript:alert(1)"
    return to_frame(records)


def test_durations_read_in_human_units_and_urls_are_escaped_links(tasks: pd.DataFrame) -> None:
    html = tasks_html(tasks, 1000)
    slowest = float(tasks["total_s"].max())
    assert f">{format_duration(slowest)}<" in html
    assert re.search(r"<td class='lab-nowrap'>\d+ min \d\d s</td>", html)
    assert "href='https://cdn.example/v.mp4?a=1&amp;b=&lt;2&gt;'" in html
    assert "rel='noopener noreferrer'" in html
    assert "href='javascript" not in html and "javascript:alert(1)" in html  # shown, not linked


def test_a_long_failure_message_is_cut_and_whole_on_hover(tasks: pd.DataFrame) -> None:
    whole = " ".join(LONG_ERROR.split()).replace("<", "&lt;").replace(">", "&gt;")
    for html in (tasks_html(tasks, 1000), errors_html(tasks)):
        assert f"title='{whole}'" in html or f"title='{whole.replace('&', '&amp;')}'" in html
        assert "<b>end</b>" not in html


def test_resolutions_show_as_the_model_gave_them_and_filter_ignoring_case(
    tasks: pd.DataFrame,
) -> None:
    mixed = tasks.copy()
    resolution = mixed["input_resolution"].astype(object)
    first = resolution.dropna().index[:5]
    resolution.loc[first] = resolution.loc[first].str.upper()
    mixed["input_resolution"] = resolution.astype("category")
    board = dashboard(mixed, table_rows=1000)
    labels = list(board.resolution_filter.options)
    assert all(label == label.lower() for label in labels)
    shown_upper = str(mixed.loc[first[0], "input_resolution"])
    assert f"<td>{shown_upper}</td>" in board.task_table.value
    board.resolution_filter.value = (shown_upper.lower(),)
    kept = board.filtered["input_resolution"].astype(str).str.lower()
    assert (kept == shown_upper.lower()).all()


def test_the_active_filter_line_follows_the_filters(tasks: pd.DataFrame) -> None:
    board = dashboard(tasks)
    assert "no filters on" in board.active_filters.value
    model = board.model_filter.options[0]
    board.model_filter.value = (model,)
    assert f"<b>Model</b>: {model}" in board.active_filters.value
    board.date_filter.index = (1, len(board.date_filter.options) - 1)
    assert "<b>Submitted</b>: " in board.active_filters.value
    assert f"Showing {len(board.filtered):,} of {len(tasks):,}" in board.active_filters.value
    board.reset_filters()
    assert "no filters on" in board.active_filters.value


def test_export_goes_to_the_folder_given_by_default_exports_of_the_working_directory(
    tasks: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    board = dashboard(tasks)
    assert board.export_folder.value == str(tmp_path / "exports")
    board.export_button.click()
    written = next((tmp_path / "exports").glob("dashboard-*"))
    assert (written / "tasks.csv").exists()
    assert str(written) in board.status.value
    board.export_folder.value = str(tmp_path / "mine")
    board.export_button.click()
    mine = next((tmp_path / "mine").glob("dashboard-*"))
    assert str(mine) in board.status.value and (mine / "errors.csv").exists()
    (tmp_path / "a-file").write_text("")
    board.export_folder.value = str(tmp_path / "a-file")
    board.export_button.click()
    assert "Export failed" in board.status.value


@pytest.mark.parametrize("chart", CHARTS, ids=[chart.key for chart in CHARTS])
def test_every_chart_says_in_words_when_the_selection_is_empty(
    chart: object, tasks: pd.DataFrame
) -> None:
    figure = chart.draw(tasks.iloc[:0])  # type: ignore[attr-defined]
    assert not figure.data
    assert figure.layout.annotations and figure.layout.annotations[0].text
    assert figure.layout.xaxis.visible is False and figure.layout.yaxis.visible is False


def test_failed_tasks_only_leave_latency_in_words_not_a_broken_axis(tasks: pd.DataFrame) -> None:
    failed = tasks[tasks["state"] == "failed"]
    latency = next(chart for chart in CHARTS if chart.key == "latency").draw(failed)
    assert not latency.data
    assert "no succeeded tasks" in latency.layout.annotations[0].text


def test_the_failure_table_names_each_signatures_category(tasks: pd.DataFrame) -> None:
    cells = r"<tr><td class='lab-nowrap'>[^<]*</td><td[^>]*>[^<]*</td><td[^>]*>([^<]*)</td>"
    rows = re.findall(cells, errors_html(tasks))
    groups = error_groups(tasks).head(12)
    assert rows == groups["category"].tolist()
    assert len(rows) > 1 and set(rows) <= set(CATEGORIES)
