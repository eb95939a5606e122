"""Charts, asserted on the figure objects: trace types, names, values, titles, colours, hover."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aitoearn_lab import charts, model_colors, summarize, timeline
from aitoearn_lab.charts.style import MODEL_PALETTE, STATE_COLORS
from tests.support.records import done, frame, record, world_frame

EVIL_PROMPT = "<img src=x onerror=alert(1)>"
EVIL_MODEL = "<b>evil</b>"


@pytest.fixture
def tasks() -> pd.DataFrame:
    """alpha: turnaround 10..100 s (queue 2 s), the slowest with a hostile prompt; beta:
    100..190 s (queue 20 s), 2 failures; a model with a hostile name; a running task."""
    rows = []
    for i in range(10):
        prompt = EVIL_PROMPT if i == 9 else "a cat"
        rows.append(done(i, "alpha", queue=2, render=8 + 10 * i, prompt=prompt))
    for i in range(10):
        rows.append(done(20 + i, "beta", queue=20, render=80 + 10 * i, duration=10))
    rows.append(
        record(40, "beta", "failed", submitted=0, finished=30, error="<script>alert(1)</script>")
    )
    rows.append(record(41, "beta", "failed", submitted=0, finished=40, error="HTTP 403 for job 7"))
    rows.append(done(50, EVIL_MODEL, queue=1, render=50, resolution="720P"))
    rows.append(done(51, EVIL_MODEL, queue=1, render=60, resolution="720p"))
    rows.append(record(60, "alpha", "running", submitted=0, started=5))
    return frame(rows)


def test_model_colors_are_stable_for_subsets() -> None:
    tasks = world_frame(200, seed=1)
    colors = model_colors(tasks)
    assert list(colors) == sorted(colors)
    assert list(colors.values()) == list(MODEL_PALETTE[: len(colors)])
    subset = tasks[tasks["model"] == tasks["model"].iloc[-1]]
    assert model_colors(subset) == colors  # categories survive filtering
    assert model_colors(["b", "a"]) == {"a": MODEL_PALETTE[0], "b": MODEL_PALETTE[1]}


def test_latency_distribution_boxes_and_slowest_points(tasks: pd.DataFrame) -> None:
    fig = charts.latency_distribution(tasks)
    boxes = [t for t in fig.data if t.type == "box"]
    points = [t for t in fig.data if t.type == "scatter"]
    assert [b.name for b in boxes] == ["alpha", "&lt;b&gt;evil&lt;/b&gt;", "beta"]  # by median
    alpha = boxes[0]
    values = np.array([10 + 10 * i for i in range(10)], dtype=float)
    assert alpha.median[0] == pytest.approx(np.median(values))
    assert alpha.q1[0] == pytest.approx(np.percentile(values, 25))
    assert alpha.upperfence[0] == pytest.approx(np.percentile(values, 95))
    assert alpha.orientation == "h"
    assert fig.layout.xaxis.title.text == "seconds (log scale)"
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.yaxis.title.text == "model"
    assert "Turnaround" in fig.layout.title.text
    slowest_alpha = points[0]
    assert max(slowest_alpha.x) == 100.0
    hover = " ".join(slowest_alpha.hovertext)
    assert "&lt;img src=x onerror=alert(1)&gt;" in hover
    assert EVIL_PROMPT not in hover


def test_latency_ecdf_curves(tasks: pd.DataFrame) -> None:
    fig = charts.latency_ecdf(tasks, points=100)
    assert [t.type for t in fig.data] == ["scatter"] * 3
    alpha = fig.data[0]
    assert alpha.name == "alpha"
    assert alpha.y[0] == 0.0
    assert alpha.y[-1] == 1.0
    assert alpha.x[50] == pytest.approx(55.0)  # half the tasks are done within the median
    assert alpha.x[-1] == 100.0
    assert fig.layout.yaxis.tickformat == ".0%"


def test_one_colour_per_model_across_charts(tasks: pd.DataFrame) -> None:
    colors = model_colors(tasks)
    box = {
        t.name: t.marker.color for t in charts.latency_distribution(tasks).data if t.type == "box"
    }
    ecdf = {t.name: t.line.color for t in charts.latency_ecdf(tasks).data}
    rates = charts.failure_rates(tasks).data[0]
    rate_colors = dict(zip(rates.y, rates.marker.color, strict=True))
    errors = {t.name: t.marker.color for t in charts.error_signatures(tasks).data}
    bars = charts.queue_render_bars(tasks).data[1]
    bar_colors = dict(zip(bars.y, bars.marker.color, strict=True))
    expected = {"alpha": colors["alpha"], "beta": colors["beta"]}
    for seen in (box, ecdf, rate_colors, bar_colors):
        assert {name: seen[name] for name in expected} == expected
    assert errors == {"beta": colors["beta"]}


def test_queue_render_bars_stack_the_medians(tasks: pd.DataFrame) -> None:
    fig = charts.queue_render_bars(tasks)
    queue, render, labels = fig.data
    assert (queue.type, render.type, labels.type) == ("bar", "bar", "scatter")
    assert fig.layout.barmode == "stack"
    assert list(queue.y) == ["alpha", "&lt;b&gt;evil&lt;/b&gt;", "beta"]
    assert list(queue.x) == [2.0, 1.0, 20.0]
    assert list(render.x) == [53.0, 55.0, 125.0]
    assert fig.layout.xaxis.title.text == "seconds"


def test_zero_queue_is_not_charted_as_zeros() -> None:
    public = world_frame(300, seed=2, timestamps="public-code")
    fig = charts.queue_render_bars(public)
    bars = [t for t in fig.data if t.type == "bar"]
    assert [b.name for b in bars] == ["turnaround (median)"]
    assert "queue time not shown" in fig.layout.title.text
    assert all(x > 0 for x in bars[0].x)
    words = charts.latency_distribution(public, metric="queue_s")
    assert len(words.data) == 0
    assert "startedAt from submittedAt" in words.layout.annotations[0].text.replace("<br>", " ")


def test_state_mix_shares(tasks: pd.DataFrame) -> None:
    fig = charts.state_mix(tasks)
    assert [t.name for t in fig.data] == ["running", "succeeded", "failed"]
    assert all(t.type == "bar" for t in fig.data)
    by_state = {t.name: dict(zip(t.y, t.x, strict=True)) for t in fig.data}
    assert by_state["failed"]["beta"] == pytest.approx(2 / 12)
    assert by_state["running"]["alpha"] == pytest.approx(1 / 11)
    assert fig.data[2].marker.color == STATE_COLORS["failed"]
    total = sum(by_state[state].get("alpha", 0.0) for state in by_state)
    assert total == pytest.approx(1.0)


def test_failure_rates_with_wilson_error_bars(tasks: pd.DataFrame) -> None:
    summary = summarize(tasks)
    trace = charts.failure_rates(tasks).data[0]
    rates = dict(zip(trace.y, trace.x, strict=True))
    assert rates["beta"] == pytest.approx(2 / 12)
    assert rates["alpha"] == 0.0
    beta = list(trace.y).index("beta")
    assert trace.error_x.array[beta] == pytest.approx(
        summary.loc["beta", "failure_rate_hi"] - 2 / 12
    )
    assert trace.error_x.arrayminus[beta] == pytest.approx(
        2 / 12 - summary.loc["beta", "failure_rate_lo"]
    )
    assert "95% interval" in trace.hovertext[beta]


def test_activity_chart_follows_the_timeline() -> None:
    tasks = world_frame(300, seed=6)
    fig = charts.activity(tasks, freq="1h")
    table = timeline(tasks, freq="1h")
    names = [t.name for t in fig.data]
    assert names[:2] == ["succeeded in period", "failed in period"]
    assert [t.type for t in fig.data] == ["bar", "bar", "scatter", "scatter", "scatter", "scatter"]
    assert list(fig.data[0].y) == table["succeeded"].tolist()
    in_flight = fig.data[names.index("in flight at period end")]
    assert list(in_flight.y) == table["in_flight"].tolist()
    assert fig.layout.yaxis.title.text == "tasks"


def test_render_heatmap_medians_by_duration_and_resolution(tasks: pd.DataFrame) -> None:
    fig = charts.render_heatmap(tasks)
    assert [t.type for t in fig.data] == ["heatmap"] * 4  # all models, then one per model
    # Shown first: the model with the most succeeded tasks, not all models mixed.
    done_by_model = tasks[tasks["state"] == "succeeded"]["model"].astype(str).value_counts()
    shown = [i for i, trace in enumerate(fig.data) if trace.visible]
    assert len(shown) == 1 and shown[0] > 0
    assert done_by_model[fig.data[shown[0]].name] == done_by_model.max()
    assert fig.layout.updatemenus[0].active == shown[0]
    assert fig.data[0].name == "all models (mixed)"
    every = fig.data[0]
    assert list(every.x) == ["5 s", "10 s"]
    assert list(every.y) == ["720p"]  # 720P and 720p are one resolution
    assert every.z[0][0] == pytest.approx(np.median([8 + 10 * i for i in range(10)] + [50, 60]))
    assert every.z[0][1] == 125.0
    assert len(fig.layout.updatemenus[0].buttons) == 4
    assert fig.layout.xaxis.title.text == "requested video duration"


def test_error_signatures_are_ranked_escaped_and_coloured_by_model(tasks: pd.DataFrame) -> None:
    fig = charts.error_signatures(tasks)
    assert [t.name for t in fig.data] == ["beta"]
    labels = list(fig.data[0].y)
    assert labels[0].startswith("#1 ")
    assert any("&lt;script&gt;alert(&lt;n&gt;)&lt;/script&gt;" in text for text in labels)
    assert not any("<script>" in text for text in labels + list(fig.data[0].hovertext))
    quiet = frame([done(1, "alpha", queue=1, render=2)])
    assert charts.error_signatures(quiet).layout.annotations[0].text == "No task failed."


def test_figures_stay_light_for_a_large_frame() -> None:
    tasks = world_frame(20_000, seed=8)
    for build in (
        charts.latency_distribution,
        charts.latency_ecdf,
        charts.queue_render_bars,
        charts.state_mix,
        charts.failure_rates,
        charts.render_heatmap,
        charts.error_signatures,
    ):
        assert len(build(tasks).to_json()) < 250_000, build.__name__
