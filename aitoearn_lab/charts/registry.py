"""The one list of charts: what the report draws, what the dashboard's tabs show, what is timed."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go

from aitoearn_lab.charts.answers import (
    like_for_like_ratios,
    overdue_tasks,
    trend_lines,
    usable_time_bars,
    wasted_time_bars,
)
from aitoearn_lab.charts.context import activity, error_signatures, render_heatmap
from aitoearn_lab.charts.latency import latency_distribution, latency_ecdf
from aitoearn_lab.charts.outcome import failure_rates, queue_render_bars, state_mix


@dataclass(frozen=True, kw_only=True)
class Chart:
    """One chart: its key (the report's ``figures()`` name), its title and how it is drawn."""

    key: str
    title: str
    """The dashboard tab's title."""
    function: Callable[..., go.Figure]
    """Takes the tasks DataFrame first; some take keyword options (``freq``, ``summary``)."""
    on_dashboard: bool = True
    options: frozenset[str] = field(init=False)
    """The keyword options ``function`` accepts."""

    def __post_init__(self) -> None:
        parameters = list(inspect.signature(self.function).parameters.values())[1:]
        object.__setattr__(self, "options", frozenset(p.name for p in parameters))

    def draw(self, df: pd.DataFrame, **options: Any) -> go.Figure:
        """The chart of ``df``; of ``options``, only those the function accepts are passed."""
        return self.function(df, **accepted(self, options))


def accepted(chart: Chart, options: Mapping[str, Any]) -> dict[str, Any]:
    """The ``options`` ``chart`` accepts."""
    return {name: value for name, value in options.items() if name in chart.options}


CHARTS: Final[tuple[Chart, ...]] = (
    # The answers are off the dashboard until its tabs are reworked to take them.
    Chart(
        key="usable",
        title="Time to a usable video",
        function=usable_time_bars,
        on_dashboard=False,
    ),
    Chart(
        key="like_for_like",
        title="Like for like",
        function=like_for_like_ratios,
        on_dashboard=False,
    ),
    Chart(key="latency", title="Latency", function=latency_distribution),
    Chart(key="ecdf", title="Latency curves", function=latency_ecdf, on_dashboard=False),
    Chart(key="queue_render", title="Queue vs render", function=queue_render_bars),
    Chart(key="states", title="Status mix", function=state_mix),
    Chart(key="failure_rates", title="Failure rate", function=failure_rates),
    Chart(key="activity", title="Timeline", function=activity),
    Chart(
        key="render_heatmap",
        title="Render time by input",
        function=render_heatmap,
        on_dashboard=False,
    ),
    Chart(key="trend", title="Trend", function=trend_lines, on_dashboard=False),
    Chart(key="overdue", title="Overdue tasks", function=overdue_tasks, on_dashboard=False),
    Chart(key="errors", title="Errors", function=error_signatures),
    Chart(key="wasted", title="Wasted time", function=wasted_time_bars, on_dashboard=False),
)
"""Every chart, in the report's page order; the dashboard shows those ``on_dashboard``."""

DASHBOARD_CHARTS: Final = tuple(chart for chart in CHARTS if chart.on_dashboard)
"""The dashboard's tabs, in order."""
