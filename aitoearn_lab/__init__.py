"""AiToEarn Lab: explore, compare and report on AiToEarn video generation tasks.

>>> import aitoearn_lab as lab
>>> client = lab.Client()                       # key from AITOEARN_API_KEY  # doctest: +SKIP
>>> tasks = client.fetch(open("task_ids.txt"))  # one row per task          # doctest: +SKIP

Public names are imported lazily, so ``import aitoearn_lab`` stays fast; pandas, requests and
plotly load when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from aitoearn_lab._version import __version__

if TYPE_CHECKING:
    from aitoearn_lab.chart_style import model_colors
    from aitoearn_lab.client import Client, FetchStats
    from aitoearn_lab.compare import compare_models
    from aitoearn_lab.dashboard import Dashboard, dashboard
    from aitoearn_lab.errors import (
        AiToEarnError,
        APIError,
        AuthenticationError,
        CacheError,
        ConfigurationError,
        InvalidTaskIdError,
        ResponseValidationError,
        TaskNotFoundError,
        TransportError,
    )
    from aitoearn_lab.failures import error_groups
    from aitoearn_lab.frame import COLUMNS, to_frame
    from aitoearn_lab.metrics import summarize
    from aitoearn_lab.notes import data_notes
    from aitoearn_lab.periods import timeline
    from aitoearn_lab.report import Report, write_report
    from aitoearn_lab.tables import read_tasks, write_tasks

__all__ = [
    "APIError",
    "AiToEarnError",
    "AuthenticationError",
    "COLUMNS",
    "CacheError",
    "Client",
    "ConfigurationError",
    "Dashboard",
    "FetchStats",
    "InvalidTaskIdError",
    "Report",
    "ResponseValidationError",
    "TaskNotFoundError",
    "TransportError",
    "__version__",
    "compare_models",
    "dashboard",
    "data_notes",
    "error_groups",
    "model_colors",
    "read_tasks",
    "summarize",
    "timeline",
    "to_frame",
    "write_report",
    "write_tasks",
]

_HOME = {
    "APIError": "errors",
    "AiToEarnError": "errors",
    "AuthenticationError": "errors",
    "COLUMNS": "frame",
    "CacheError": "errors",
    "Client": "client",
    "ConfigurationError": "errors",
    "Dashboard": "dashboard",
    "FetchStats": "client",
    "InvalidTaskIdError": "errors",
    "Report": "report",
    "ResponseValidationError": "errors",
    "TaskNotFoundError": "errors",
    "TransportError": "errors",
    "compare_models": "compare",
    "dashboard": "dashboard",
    "data_notes": "notes",
    "error_groups": "failures",
    "model_colors": "chart_style",
    "read_tasks": "tables",
    "summarize": "metrics",
    "timeline": "periods",
    "to_frame": "frame",
    "write_report": "report",
    "write_tasks": "tables",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'aitoearn_lab' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"aitoearn_lab.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
