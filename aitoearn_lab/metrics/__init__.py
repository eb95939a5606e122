"""The tasks DataFrame -> summaries, comparisons, failures, time series and notes (pure, no I/O)."""

from __future__ import annotations

from aitoearn_lab.metrics.compare import compare_models
from aitoearn_lab.metrics.drift import trend
from aitoearn_lab.metrics.failures import error_groups
from aitoearn_lab.metrics.lateness import overdue
from aitoearn_lab.metrics.notes import data_notes
from aitoearn_lab.metrics.overview import Headline, headline
from aitoearn_lab.metrics.periods import timeline
from aitoearn_lab.metrics.strata import mix_notes
from aitoearn_lab.metrics.summary import summarize
from aitoearn_lab.metrics.usable import time_to_usable
from aitoearn_lab.metrics.wasted import wasted_time

__all__ = [
    "Headline",
    "compare_models",
    "data_notes",
    "error_groups",
    "headline",
    "mix_notes",
    "overdue",
    "summarize",
    "time_to_usable",
    "timeline",
    "trend",
    "wasted_time",
]
