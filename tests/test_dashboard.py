"""The dashboard outside a browser: after each filter change every chart widget shows exactly the
chart of the filtered tasks, and the headline and tables describe them."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from aitoearn_lab import dashboard
from aitoearn_lab.chart_style import seconds_text
from aitoearn_lab.dashboard import CHART_TABS, TABLE_COLUMNS, Dashboard, _tasks_html

from .records import world_frame


@pytest.fixture(scope="module")
def tasks() -> pd.DataFrame:
    return world_frame(600, seed=21)


def shown(app: Dashboard) -> None:
    """Every chart widget holds the chart of the current selection, data and layout."""
    for title, build in CHART_TABS:
        expected = json.loads(build(app.filtered).to_json())
        widget = app.figure(title)
        assert json.loads(widget.to_json()) == expected, title


def test_charts_follow_filter_changes_including_charts_that_become_words(
    tasks: pd.DataFrame,
) -> None:
    app = dashboard(tasks)
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


def test_a_stale_tab_is_drawn_when_it_opens(tasks: pd.DataFrame) -> None:
    app = dashboard(tasks)
    app.tabs.selected_index = 3
    app.model_filter.value = tuple(list(app.model_filter.options)[:2])
    latency = app.figure("Latency")  # stale since the filter change: drawn now
    expected = CHART_TABS[0][1](app.filtered)
    assert json.loads(latency.to_json()) == json.loads(expected.to_json())


def test_headline_figures_describe_the_selection(tasks: pd.DataFrame) -> None:
    app = dashboard(tasks)
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
    tasks: pd.DataFrame,
) -> None:
    ties = tasks.copy()
    ties["submitted_at"] = ties["submitted_at"].dt.floor("h")  # many equal times
    ties.loc[ties.index[::5], "submitted_at"] = pd.NaT
    newest = ties.sort_values("submitted_at", ascending=False, na_position="last").head(50)
    html = _tasks_html(ties, 50)
    ids = re.findall(r"<td>([0-9a-f]{24})</td>", html)
    assert ids == newest["task_id"].tolist()
    assert "Showing 50 of 600." in html
    assert html.count("<th>") == len(TABLE_COLUMNS)
