"""Charts built from plain dicts are valid plotly figures, and their cells match pandas."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from aitoearn_lab import charts, error_groups
from aitoearn_lab.charts.style import seconds_text
from aitoearn_lab.metrics.failures import failed_tasks
from aitoearn_lab.metrics.summary import latency_values
from tests.support.records import done, frame, record, world_frame

CHARTS: list[Callable[[pd.DataFrame], go.Figure]] = [
    charts.latency_distribution,
    charts.latency_ecdf,
    charts.queue_render_bars,
    charts.state_mix,
    charts.failure_rates,
    charts.activity,
    charts.render_heatmap,
    charts.error_signatures,
]


@pytest.fixture(scope="module")
def world() -> pd.DataFrame:
    tasks = world_frame(1200, seed=12)
    tasks.loc[tasks.index[::9], "model"] = np.nan
    tasks.loc[tasks.index[::13], "input_resolution"] = np.nan
    tasks.loc[tasks.index[::17], "input_duration"] = np.nan
    return tasks


QUIET = frame([done(1, "alpha", queue=1, render=2)])
PUBLIC = world_frame(200, seed=2, timestamps="public-code")


@pytest.mark.parametrize("build", CHARTS, ids=lambda build: build.__name__)
@pytest.mark.parametrize("which", ["world", "quiet", "public", "empty"])
def test_every_chart_passes_plotly_validation_unchanged(
    build: Callable[[pd.DataFrame], go.Figure], which: str, world: pd.DataFrame
) -> None:
    tasks = {"world": world, "quiet": QUIET, "public": PUBLIC, "empty": world.iloc[:0]}[which]
    figure = build(tasks)
    checked = go.Figure(figure.to_dict())  # raises on any property plotly does not know
    assert json.loads(checked.to_json()) == json.loads(figure.to_json())
    assert figure.layout.template == pio.templates["plotly_white"]


def test_a_chart_checks_later_edits_as_any_figure_does(world: pd.DataFrame) -> None:
    figure = charts.state_mix(world)
    with pytest.raises(ValueError, match="titel"):
        figure.update_layout(titel="a typo")
    with pytest.raises(ValueError, match="colour"):
        figure.update_traces(marker_colour="red")
    figure.update_layout(title_text="mine")
    assert figure.layout.title.text == "mine"
    other = charts.state_mix(world)  # a figure's edits never reach another's template
    figure.layout.template.layout.font.size = 30
    assert other.layout.template.layout.font.size != 30


def test_render_heatmap_cells_are_pandas_medians(world: pd.DataFrame) -> None:
    rows = latency_values(world, "render_s")
    cells = pd.DataFrame(
        {
            "model": rows["model"].astype("str"),
            "duration": rows["input_duration"].map(
                lambda d: "not set" if pd.isna(d) else f"{d:g} s"
            ),
            "resolution": rows["input_resolution"].astype("str").str.lower().fillna("not set"),
            "render_s": rows["render_s"],
        }
    )
    fig = charts.render_heatmap(world)
    models = [None, *sorted(cells["model"].dropna().unique())]
    assert len(fig.data) == len(models)
    for model, trace in zip(models, fig.data, strict=True):
        chosen = cells if model is None else cells[cells["model"] == model]
        grid = chosen.groupby(["resolution", "duration"])["render_s"].agg(["median", "size"])
        median = grid["median"].unstack().reindex(index=list(trace.y), columns=list(trace.x))
        size = grid["size"].unstack().reindex(index=list(trace.y), columns=list(trace.x))
        np.testing.assert_array_equal(np.asarray(trace.z), median.to_numpy())
        np.testing.assert_array_equal(np.asarray(trace.customdata), size.fillna(0).to_numpy())
        assert [list(row) for row in trace.text] == [
            [seconds_text(v) if not np.isnan(v) else "" for v in row] for row in median.values
        ]
    assert "not set" in fig.data[0].x and "not set" in fig.data[0].y


def test_error_signature_bars_count_failures_by_model(world: pd.DataFrame) -> None:
    failures = failed_tasks(world)
    shown = error_groups(world)["signature"].tolist()[:10]
    chosen = failures[failures["signature"].isin(shown)]
    counts = pd.crosstab(chosen["signature"], chosen["model"].astype("str")).reindex(shown)
    fig = charts.error_signatures(world)
    assert [t.name for t in fig.data] == sorted(counts.columns)
    for trace in fig.data:
        assert list(trace.x) == counts[trace.name].tolist()


def test_error_signature_bars_when_a_signature_has_no_model() -> None:
    tasks = frame(
        [
            record(1, "alpha", "failed", submitted=0, finished=5, error="disk full on node 3"),
            record(2, "alpha", "failed", submitted=0, finished=6, error="disk full on node 4"),
            record(3, "beta", "failed", submitted=0, finished=7, error="quota exceeded"),
        ]
    )
    tasks.loc[2, "model"] = np.nan
    fig = charts.error_signatures(tasks)
    # As pd.crosstab gives it: the signature without a model is a row of NaN, counts in floats.
    assert [t.name for t in fig.data] == ["alpha"]
    assert fig.data[0].x[0] == 2.0
    assert np.isnan(fig.data[0].x[1])


def test_the_activity_chart_keeps_its_subplot_grid(world: pd.DataFrame) -> None:
    figure = charts.activity(world)
    figure.update_yaxes(title_text="in flight (tasks)", row=2, col=1)
    assert figure.layout.yaxis2.title.text == "in flight (tasks)"
    figure.add_trace(go.Scatter(x=[1], y=[2], name="mine"), row=3, col=1)
    assert (figure.data[-1].xaxis, figure.data[-1].yaxis) == ("x3", "y3")
    again = charts.activity(world)  # edits to one figure leave the next one as drawn
    assert again.layout.yaxis2.title.text == "in flight"
    assert len(again.data) == 6
