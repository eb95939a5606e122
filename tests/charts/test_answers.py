"""Charts of the answers, checked on the figure objects."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from aitoearn_lab.charts.answers import (
    like_for_like_ratios,
    overdue_tasks,
    usable_time_bars,
    wasted_time_bars,
)
from aitoearn_lab.charts.registry import CHARTS, Chart
from aitoearn_lab.charts.trends import trend_lines, trend_panels
from tests.metrics.test_drift import failing_day_frame, slow_day_frame
from tests.metrics.test_lateness import at, stuck_frame
from tests.metrics.test_usable import flip_frame, simpson_frame
from tests.support.records import done, frame, world_frame


def test_time_to_usable_bars_rank_the_models() -> None:
    figure = usable_time_bars(flip_frame())
    bars = figure.data[0]
    assert list(bars.y) == ["reliable", "flaky"]
    assert list(bars.x) == pytest.approx([60.0, 70.0])
    assert "success rate</b>: 50% of 20 finished" in bars.hovertext[1]


def test_like_for_like_ratios_show_both_answers() -> None:
    figure = like_for_like_ratios(simpson_frame(), within=["input_resolution"])
    overall, matched = figure.data
    assert (overall.name, matched.name) == ("overall", "like for like")
    assert list(overall.y) == ["A"] and overall.x[0] > 1  # slower overall
    assert matched.x[0] == pytest.approx(65 / 75)  # faster like for like


def test_overdue_chart_marks_the_stuck_task() -> None:
    tasks = stuck_frame()
    tasks["fetched_at"] = at(3100)  # now: the latest fetch
    figure = overdue_tasks(tasks, quantile=0.8)
    ages = next(trace for trace in figure.data if trace.name == "A")
    assert list(ages.x) == [3100.0, 100.0]


def test_trend_chart_rings_the_slow_day_frame() -> None:
    figure = trend_lines(slow_day_frame(), freq="1D")
    line, ring = figure.data
    assert list(line.y) == [64.5, 64.5, 304.5]
    assert ring.name == "worse than before" and list(ring.y) == [304.5]
    with pytest.raises(ValueError, match="metric must be one of"):
        trend_lines(slow_day_frame(), metric="p99")


def test_trend_panels_ring_the_figure_that_got_worse() -> None:
    # A slow day: its turnaround is ringed, on the top panel only.
    slow = trend_panels(slow_day_frame(), freq="1D")
    rings = [trace for trace in slow.data if trace.name == "worse than before"]
    assert [(ring.yaxis, list(ring.y)) for ring in rings] == [("y", [304.5])]
    # A day of failures (10 of 20 against 2 of 40): ringed on the failure-rate panel only,
    # where the line reads 5%, 5%, 50%.
    failing = trend_panels(failing_day_frame(), freq="1D")
    rings = [trace for trace in failing.data if trace.name == "worse than before"]
    assert [(ring.yaxis, list(ring.y)) for ring in rings] == [("y2", [0.5])]
    rate = next(t for t in failing.data if t.yaxis == "y2" and t.name == "A")
    assert list(rate.y) == [0.05, 0.05, 0.5]
    assert rate.showlegend is False and rate.legendgroup == "A"  # one legend entry per model
    assert trend_lines(failing_day_frame(), freq="1D").data[-1].name == "A"  # no ring: p50 same


def test_wasted_time_stacks_by_category() -> None:
    figure = wasted_time_bars(flip_frame())
    assert [trace.name for trace in figure.data] == ["upstream"]
    assert list(figure.data[0].x) == [300.0]  # 10 internal errors, each 30 s into the render


def test_empty_answers_say_so_in_words() -> None:
    tasks = frame([done(i, "A", queue=0, render=10) for i in range(6)])
    assert "No unfinished task is overdue" in overdue_tasks(tasks).layout.annotations[0].text
    assert "No failed tasks" in wasted_time_bars(tasks).layout.annotations[0].text


@pytest.mark.parametrize("chart", [c for c in CHARTS if c.answer is not None], ids=lambda c: c.key)
def test_an_answer_chart_drawn_from_its_tables_equals_one_drawn_afresh(chart: Chart) -> None:
    tasks = world_frame(500, seed=8)
    tasks["fetched_at"] = tasks["submitted_at"].max() + pd.Timedelta(minutes=5)
    figure, sentences = chart.explain(tasks)
    assert sentences
    fresh = chart.draw(tasks)
    assert json.loads(figure.to_json()) == json.loads(fresh.to_json())
