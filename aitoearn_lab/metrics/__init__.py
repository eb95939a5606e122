"""The tasks DataFrame -> summaries, comparisons, failures, time series and notes (pure, no I/O)."""

from __future__ import annotations

from aitoearn_lab.metrics.compare import compare_models
from aitoearn_lab.metrics.failures import error_groups
from aitoearn_lab.metrics.notes import data_notes
from aitoearn_lab.metrics.overview import Headline, headline
from aitoearn_lab.metrics.periods import timeline
from aitoearn_lab.metrics.summary import summarize

__all__ = [
    "Headline",
    "compare_models",
    "data_notes",
    "error_groups",
    "headline",
    "summarize",
    "timeline",
]
