"""Summaries -> plotly figures: one function per chart, no I/O and no display.

A model has the same colour in every chart, and text that comes from a task is escaped.
"""

from __future__ import annotations

from aitoearn_lab.charts.answers import (
    like_for_like_ratios,
    overdue_tasks,
    usable_time_bars,
    wasted_time_bars,
)
from aitoearn_lab.charts.context import activity, error_signatures, render_heatmap
from aitoearn_lab.charts.latency import METRIC_TITLES, latency_distribution, latency_ecdf
from aitoearn_lab.charts.outcome import failure_rates, queue_render_bars, state_mix
from aitoearn_lab.charts.style import model_colors
from aitoearn_lab.charts.trends import trend_panels

__all__ = [
    "METRIC_TITLES",
    "activity",
    "error_signatures",
    "failure_rates",
    "latency_distribution",
    "latency_ecdf",
    "like_for_like_ratios",
    "model_colors",
    "overdue_tasks",
    "queue_render_bars",
    "render_heatmap",
    "state_mix",
    "trend_panels",
    "usable_time_bars",
    "wasted_time_bars",
]
