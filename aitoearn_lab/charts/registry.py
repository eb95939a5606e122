"""The one list of charts: what the report draws, what the dashboard's tabs show, what is timed."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from aitoearn_lab.charts.answers import (
    like_for_like_ratios,
    overdue_tasks,
    usable_time_bars,
    wasted_time_bars,
)
from aitoearn_lab.charts.context import activity, error_signatures, message_figure, render_heatmap
from aitoearn_lab.charts.latency import latency_distribution, latency_ecdf
from aitoearn_lab.charts.outcome import failure_rates, queue_render_bars, state_mix
from aitoearn_lab.charts.trends import trend_panels
from aitoearn_lab.metrics.answers import (
    Answer,
    like_for_like_answer,
    overdue_answer,
    trend_answer,
    usable_answer,
    wasted_answer,
)


@dataclass(frozen=True, kw_only=True)
class Chart:
    """One chart: its key (the report's ``figures()`` name), its title and how it is drawn."""

    key: str
    title: str
    """The dashboard tab's title."""
    function: Callable[..., go.Figure]
    """Takes the tasks DataFrame first; some take keyword options (``freq``, ``summary``)."""
    on_dashboard: bool = True
    needs: str = "tasks"
    """What the chart draws, in words: "Nothing to show: no <needs> in this selection"."""
    answer: Callable[[pd.DataFrame], Answer] | None = None
    """For a chart of an answer: its tables and what they say, in words (see :meth:`explain`)."""
    options: frozenset[str] = field(init=False)
    """The keyword options ``function`` accepts."""

    def __post_init__(self) -> None:
        parameters = list(inspect.signature(self.function).parameters.values())[1:]
        object.__setattr__(self, "options", frozenset(p.name for p in parameters))

    def draw(self, df: pd.DataFrame, **options: Any) -> go.Figure:
        """The chart of ``df``; of ``options``, only those the function accepts are passed.

        A chart with nothing to draw (no points in any trace) says so in words, instead of
        showing an empty or broken axis.
        """
        figure = self.function(df, **accepted(self, options))
        if is_blank(figure):
            title = figure.layout.title.text or self.title
            return message_figure(
                title.split("<br>")[0],
                f"Nothing to show: no {self.needs} in this selection "
                f"({len(df):,} {'task' if len(df) == 1 else 'tasks'}).",
            )
        return figure

    def explain(self, df: pd.DataFrame, **options: Any) -> tuple[go.Figure, list[str]]:
        """The chart of ``df`` and, for a chart of an answer, the answer in words.

        The answer's tables are computed once, and the chart is drawn from them.
        """
        if self.answer is None:
            return self.draw(df, **options), []
        said = self.answer(df)
        return self.draw(df, **{**options, **said.tables}), list(said.sentences)


def is_blank(figure: go.Figure) -> bool:
    """True when no trace of ``figure`` has a point to draw (every x, y and z empty or NaN).

    A trace of text labels alone does not count: it labels marks drawn by the others.
    """
    if figure.layout.annotations and not figure.data:
        return False  # already a figure that says something in words
    for trace in figure.data:
        if getattr(trace, "mode", None) == "text":
            continue  # labels beside marks: they draw nothing on their own
        if _has_point(trace):
            return False
    return True


def _has_point(trace: Any) -> bool:
    """A value in ``z`` (a heatmap), or an index where every coordinate given has a value."""
    given = [
        np.asarray(trace[name], dtype=object).ravel()
        for name in ("z", "values", "x", "y")
        if name in trace and trace[name] is not None
    ]
    if not given:
        return False
    if ("z" in trace and trace["z"] is not None) or len({len(a) for a in given}) > 1:
        given = given[:1]  # a grid: its cells matter, not its labels
    # Stops at the first point: a chart with data finds one at once, whatever its size.
    return any(
        not any(_missing(values[index]) for values in given) for index in range(len(given[0]))
    )


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value


def accepted(chart: Chart, options: Mapping[str, Any]) -> dict[str, Any]:
    """The ``options`` ``chart`` accepts."""
    return {name: value for name, value in options.items() if name in chart.options}


CHARTS: Final[tuple[Chart, ...]] = (
    Chart(
        key="usable",
        title="Time to a usable video",
        function=usable_time_bars,
        answer=usable_answer,
        needs="model with enough finished tasks",
    ),
    Chart(
        key="like_for_like",
        title="Like for like",
        function=like_for_like_ratios,
        answer=like_for_like_answer,
        needs="input configuration shared by two models",
    ),
    Chart(key="latency", title="Latency", function=latency_distribution, needs="succeeded tasks"),
    Chart(
        key="ecdf",
        title="Latency curves",
        function=latency_ecdf,
        on_dashboard=False,
        needs="succeeded tasks",
    ),
    Chart(
        key="queue_render",
        title="Queue vs render",
        function=queue_render_bars,
        needs="succeeded tasks",
    ),
    Chart(key="states", title="Status mix", function=state_mix),
    Chart(
        key="failure_rates", title="Failure rate", function=failure_rates, needs="finished tasks"
    ),
    Chart(key="activity", title="Timeline", function=activity),
    Chart(
        key="render_heatmap",
        title="Render time by input",
        function=render_heatmap,
        on_dashboard=False,
        needs="succeeded tasks",
    ),
    Chart(
        key="trend",
        title="Trend",
        function=trend_panels,
        answer=trend_answer,
        needs="finished tasks",
    ),
    Chart(
        key="overdue",
        title="Probably stuck",
        function=overdue_tasks,
        answer=overdue_answer,
        needs="overdue unfinished tasks",
    ),
    Chart(key="errors", title="Errors", function=error_signatures, needs="failed tasks"),
    Chart(
        key="wasted",
        title="Wasted time",
        function=wasted_time_bars,
        answer=wasted_answer,
        needs="failed tasks",
    ),
)
"""Every chart, in the report's page order; the dashboard shows those ``on_dashboard``."""

DASHBOARD_CHARTS: Final = tuple(chart for chart in CHARTS if chart.on_dashboard)
"""The dashboard's tabs, in order."""
