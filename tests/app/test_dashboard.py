"""The dashboard as a widget: filters, headline, charts, tables, export and refresh."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aitoearn_lab import Client, read_tasks, to_frame
from aitoearn_lab.app.board import CHART_TABS, TABLE_COLUMNS, Dashboard, dashboard
from aitoearn_lab.app.content import answer_html, tasks_html
from aitoearn_lab.charts.registry import DASHBOARD_CHARTS
from aitoearn_lab.charts.style import seconds_text
from aitoearn_lab.errors import AuthenticationError
from aitoearn_lab.frame.tables import read_csv
from aitoearn_lab.simulator import ManualClock, Simulator, World
from tests.metrics.test_usable import simpson_frame
from tests.support import ANCHOR
from tests.support.records import world_frame


@pytest.fixture(scope="module")
def tasks() -> pd.DataFrame:
    world = World.generate(tasks=1200, seed=31, anchor=ANCHOR)
    records = [world.tasks[t].view(ANCHOR) for t in world.task_ids()]
    records[0]["input"] = {**records[0]["input"], "prompt": "<script>alert('x')</script>"}  # type: ignore[index]
    return to_frame(records)


def kpi(board: Dashboard, key: str) -> str:
    value = board.headline.value.split(f"data-kpi='{key}'>", 1)[1]
    return value.split("lab-kpi-value'>", 1)[1].split("</div>", 1)[0]


def test_headline_figures_match_the_frame(tasks: pd.DataFrame) -> None:
    board = dashboard(tasks)
    done = tasks[tasks["state"] == "succeeded"]
    finished = tasks["state"].isin(["succeeded", "failed"]).sum()
    assert kpi(board, "tasks") == f"{len(tasks):,}"
    assert kpi(board, "success_rate") == f"{100 * len(done) / finished:.1f}%"
    assert kpi(board, "unfinished") == str(int(tasks["state"].isin(["queued", "running"]).sum()))
    assert len(board.filtered) == len(tasks)


def test_a_model_filter_narrows_everything(tasks: pd.DataFrame) -> None:
    board = dashboard(tasks)
    model = board.model_filter.options[-1]
    before = [trace.name for trace in board.figure("Latency").data]
    board.model_filter.value = (model,)
    assert set(board.filtered["model"].astype(str)) == {model}
    assert kpi(board, "tasks") == f"{int((tasks['model'] == model).sum()):,}"
    after = [trace.name for trace in board.figure("Latency").data]
    assert after != before and all(model in name for name in after if name)
    assert model in board.task_table.value


def test_state_date_and_duration_filters_combine(tasks: pd.DataFrame) -> None:
    board = dashboard(tasks)
    board.state_filter.value = ("failed",)
    assert set(board.filtered["state"].astype(str)) == {"failed"}
    board.date_filter.index = (len(board.date_filter.options) - 1,) * 2  # the last hour
    last_hour = board.date_filter.options[-1][1]
    hours = board.filtered["submitted_at"].to_numpy(dtype="datetime64[h]").astype("int64")
    assert (hours == last_hour).all() and len(hours) > 0
    assert board.date_filter.options[-1][0] == board.filtered["submitted_at"].iloc[0].strftime(
        "%b %d %H:00"
    )
    assert "Submitted</b>: " in board.active_filters.value and "State</b>: failed" in (
        board.active_filters.value
    )
    board.reset_filters()
    board.duration_filter.value = (10.0, 12.0)
    durations = board.filtered["input_duration"]
    assert durations.between(10, 12).all() and len(board.filtered) > 0
    board.reset_filters()
    assert len(board.filtered) == len(tasks)


def test_charts_are_drawn_when_their_tab_opens(tasks: pd.DataFrame) -> None:
    board = dashboard(tasks)
    assert board.figures[0] is not None
    assert all(figure is None for figure in board.figures[1:])
    board.tabs.selected_index = 5
    assert board.figures[5] is not None
    board.model_filter.value = board.model_filter.options[:2]
    assert 5 not in board._stale and 0 in board._stale
    board.update(all_charts=True)
    assert all(figure is not None for figure in board.figures)
    assert [title for title, _ in CHART_TABS] == [
        "Time to a usable video",
        "Like for like",
        "Latency",
        "Queue vs render",
        "Status mix",
        "Failure rate",
        "Timeline",
        "Trend",
        "Probably stuck",
        "Errors",
        "Wasted time",
    ]


def test_tables_escape_task_text(tasks: pd.DataFrame) -> None:
    board = dashboard(tasks, table_rows=2000)
    assert "<script>alert" not in board.task_table.value
    assert "&lt;script&gt;alert" in board.task_table.value
    assert "<td" in board.error_table.value


def test_export_writes_the_filtered_tasks_and_summaries(
    tasks: pd.DataFrame, tmp_path: Path
) -> None:
    board = dashboard(tasks, export_dir=tmp_path)
    board.state_filter.value = ("succeeded", "failed")
    board.export_button.click()
    folder = next(tmp_path.glob("dashboard-*"))
    written = read_tasks(folder / "tasks.csv")
    assert written["task_id"].tolist() == board.filtered["task_id"].tolist()
    assert set(read_csv(folder / "by_model.csv").iloc[:, 0]) == set(
        board.filtered["model"].astype(str)
    )
    assert (folder / "errors.csv").exists()
    assert "Exported" in board.status.value


def test_refresh_asks_only_for_unfinished_tasks(tmp_path: Path) -> None:
    clock = ManualClock(ANCHOR)
    with Simulator(tasks=400, seed=3, clock=clock) as sim:
        client = Client(
            api_key=sim.api_key, base_url=sim.base_url, cache=tmp_path / "c.sqlite", clock=clock
        )
        first = client.fetch(sim.task_ids, progress=False)
        unfinished = set(first.loc[~first["is_terminal"], "task_id"])
        board = dashboard(first, client=client)
        assert board.refresh_button is not None and len(unfinished) > 3
        clock.advance(7200)
        sim.reset_log()
        board.refresh_button.click()
        assert set(sim.request_counts()) == unfinished
        client.close()
    refreshed = board.tasks
    assert refreshed["task_id"].tolist() == first["task_id"].tolist()
    assert refreshed["is_terminal"].all()
    assert [str(d) for d in refreshed.dtypes] == [str(d) for d in first.dtypes]
    assert kpi(board, "unfinished") == "0"
    assert board.progress is not None and board.progress.value == len(unfinished)


def test_without_a_client_there_is_no_refresh(tasks: pd.DataFrame) -> None:
    board = dashboard(tasks)
    assert board.refresh_button is None
    with pytest.raises(RuntimeError, match="client"):
        board.refresh()


def test_a_frame_without_the_needed_columns_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="tasks DataFrame"):
        dashboard(pd.DataFrame({"x": [1]}))


def test_an_empty_selection_still_draws(tasks: pd.DataFrame) -> None:
    board = dashboard(tasks)
    board.model_filter.value = ()
    assert kpi(board, "tasks") == "0"
    assert "No tasks match" in board.task_table.value
    figure: Any = board.figure("Status mix")
    assert figure.layout.title.text


# After each filter change every chart widget shows exactly the chart of the filtered tasks, and
# the headline and tables describe them.


@pytest.fixture(scope="module")
def world() -> pd.DataFrame:
    tasks = world_frame(600, seed=21)
    # Seen at one moment, as a fetch records it: ages are measured to it, not to the clock.
    seen = max(tasks["submitted_at"].max(), tasks["finished_at"].max()) + pd.Timedelta(minutes=1)
    tasks["fetched_at"] = seen
    return tasks


def shown(app: Dashboard) -> None:
    """Every chart widget holds the chart of the current selection, data and layout."""
    for title, build in CHART_TABS:
        expected = json.loads(build(app.filtered).to_json())
        widget = app.figure(title)
        assert json.loads(widget.to_json()) == expected, title


def test_charts_follow_filter_changes_including_charts_that_become_words(
    world: pd.DataFrame,
) -> None:
    app = dashboard(world)
    app.update(all_charts=True)
    shown(app)
    app.state_filter.value = ("running",)  # no failures, no turnaround: messages in words
    app.update(all_charts=True)
    errors = app.figure("Errors")
    assert errors.layout.annotations[0].text == "No task failed."
    shown(app)
    app.reset_filters()
    app.update(all_charts=True)
    assert app.figure("Errors").layout.annotations == ()  # the words are gone again
    shown(app)
    models = list(app.model_filter.options)
    app.model_filter.value = tuple(models[1:])
    app.update(all_charts=True)
    shown(app)


def test_a_stale_tab_is_drawn_when_it_opens(world: pd.DataFrame) -> None:
    app = dashboard(world)
    app.tabs.selected_index = 3
    app.model_filter.value = tuple(list(app.model_filter.options)[:2])
    latency = app.figure("Latency")  # stale since the filter change: drawn now
    expected = dict(CHART_TABS)["Latency"](app.filtered)
    assert json.loads(latency.to_json()) == json.loads(expected.to_json())


def said(app: Dashboard, title: str) -> str:
    """The words above the chart of the tab called ``title`` (drawn now if stale)."""
    app.figure(title)
    return app.answers[[chart.title for chart in DASHBOARD_CHARTS].index(title)].value


def test_each_answer_tab_says_its_answer_for_the_selection(world: pd.DataFrame) -> None:
    app = dashboard(world)
    for step in ("all", "three models", "one model"):
        if step == "three models":
            app.model_filter.value = tuple(app.model_filter.options[:3])
        elif step == "one model":
            app.model_filter.value = tuple(app.model_filter.options[:1])
        for chart in DASHBOARD_CHARTS:
            expected = chart.answer(app.filtered).sentences if chart.answer else []
            assert said(app, chart.title) == answer_html(expected), (step, chart.title)
    assert "Nothing to compare" in said(app, "Like for like")
    assert said(app, "Latency") == ""  # a chart that is no answer has no words


def test_the_like_for_like_tab_says_when_the_mixes_change_the_answer() -> None:
    app = dashboard(simpson_frame())
    assert "The input mixes change the answer" in said(app, "Like for like")
    assert "A is slower than the baseline overall but faster" in said(app, "Like for like")
    app.resolution_filter.value = ("1080p",)  # one resolution: nothing to adjust for
    assert "The input mixes do not change the answer" in said(app, "Like for like")


def test_headline_figures_describe_the_selection(world: pd.DataFrame) -> None:
    app = dashboard(world)
    app.model_filter.value = tuple(list(app.model_filter.options)[1:4])
    selected = app.filtered
    state = selected["state"].astype(object)
    succeeded = int((state == "succeeded").sum())
    finished = succeeded + int((state == "failed").sum())
    turnaround = selected.loc[state == "succeeded", "total_s"].dropna()
    figures = dict(
        re.findall(r"data-kpi='(\w+)'><div class='lab-kpi-value'>([^<]*)</div>", app.headline.value)
    )
    assert figures["tasks"] == f"{len(selected):,}"
    assert figures["success_rate"] == f"{100 * succeeded / finished:.1f}%"
    assert figures["p50"] == seconds_text(float(np.percentile(turnaround, 50)))
    assert figures["p95"] == seconds_text(float(np.percentile(turnaround, 95)))
    unfinished = int(state.isin(["queued", "running"]).sum())
    assert figures["unfinished"] == f"{unfinished:,}"


def test_task_table_shows_the_newest_rows_in_sort_order_ties_included(
    world: pd.DataFrame,
) -> None:
    ties = world.copy()
    ties["submitted_at"] = ties["submitted_at"].dt.floor("h")  # many equal times
    ties.loc[ties.index[::5], "submitted_at"] = pd.NaT
    newest = ties.sort_values("submitted_at", ascending=False, na_position="last").head(50)
    html = tasks_html(ties, 50)
    ids = re.findall(r"<td>([0-9a-f]{24})</td>", html)
    assert ids == newest["task_id"].tolist()
    assert "Showing 50 of 600." in html
    assert html.count("<th>") == len(TABLE_COLUMNS)


def test_a_failing_refresh_leaves_the_tasks_and_the_filters_working(tmp_path: Path) -> None:
    clock = ManualClock(ANCHOR)
    with Simulator(tasks=200, seed=3, clock=clock) as sim:
        good = Client(
            api_key=sim.api_key, base_url=sim.base_url, cache=tmp_path / "c.sqlite", clock=clock
        )
        try:
            first = good.fetch(sim.task_ids, progress=False)
        finally:
            good.close()
        refused = Client(api_key="ai_" + "Z" * 48, base_url=sim.base_url, cache=False, clock=clock)
        try:
            board = dashboard(first, client=refused)
            assert board.refresh_button is not None and not first["is_terminal"].all()
            board.refresh_button.click()  # the server refuses the key: the refresh fails
            assert "Refresh failed" in board.status.value
            with pytest.raises(AuthenticationError):
                board.refresh()
        finally:
            refused.close()
    pd.testing.assert_frame_equal(board.tasks, first)
    assert board.progress is not None and board.progress.layout.visibility == "hidden"
    model = board.model_filter.options[-1]
    board.model_filter.value = (model,)  # the filters still redraw everything
    assert kpi(board, "tasks") == f"{int((first['model'] == model).sum()):,}"
    assert set(board.filtered["model"]) == {model}
    board.reset_filters()
    assert kpi(board, "tasks") == f"{len(first):,}"
