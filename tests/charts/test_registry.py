"""One registry of charts: every chart once, drawn with only the options it takes."""

from __future__ import annotations

import inspect

import plotly.graph_objects as go
import pytest

from aitoearn_lab import charts, summarize
from aitoearn_lab.charts.registry import CHARTS, DASHBOARD_CHARTS, Chart
from tests.support.records import world_frame


def test_every_public_chart_function_is_registered_once() -> None:
    public = {
        name
        for name in charts.__all__
        if inspect.isfunction(getattr(charts, name)) and name != "model_colors"
    }
    registered = [chart.function.__name__ for chart in CHARTS]
    assert sorted(registered) == sorted(public)
    assert len({chart.key for chart in CHARTS}) == len({chart.title for chart in CHARTS})
    assert len({chart.key for chart in CHARTS}) == len(CHARTS)
    assert tuple(chart for chart in CHARTS if chart.on_dashboard) == DASHBOARD_CHARTS


@pytest.mark.parametrize("chart", CHARTS, ids=lambda chart: chart.key)
def test_each_chart_takes_the_options_it_accepts(chart: Chart) -> None:
    tasks = world_frame(200, seed=2)
    options = {"summary": summarize(tasks), "freq": "1D", "not an option": 1}
    figure = chart.draw(tasks, **options)
    assert isinstance(figure, go.Figure) and figure.layout.title.text
    assert "not an option" not in chart.options
    if "freq" in chart.options:
        assert figure.to_json() != chart.draw(tasks, freq="1h").to_json()
