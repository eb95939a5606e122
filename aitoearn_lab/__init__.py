"""AiToEarn Lab: explore, compare and report on AiToEarn video generation tasks.

>>> import aitoearn_lab as lab
>>> client = lab.Client()                       # key from AITOEARN_API_KEY  # doctest: +SKIP
>>> tasks = client.fetch(open("task_ids.txt"))  # one row per task          # doctest: +SKIP

Public names are imported lazily, so ``import aitoearn_lab`` stays fast; pandas, requests and
plotly load when first used. ``_HOME`` is the one list of them: ``__all__`` is made from it, and a
test checks that the type-checking imports below name the same things from the same places.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

from aitoearn_lab._version import __version__

if TYPE_CHECKING:
    from aitoearn_lab.app import Dashboard, dashboard
    from aitoearn_lab.charts import model_colors
    from aitoearn_lab.client import Client, FetchStats
    from aitoearn_lab.errors import (
        AiToEarnError,
        APIError,
        AuthenticationError,
        CacheError,
        ConfigurationError,
        InvalidTaskIdError,
        ListingUnavailableError,
        ResponseValidationError,
        TaskNotFoundError,
        TransportError,
    )
    from aitoearn_lab.frame import COLUMNS, read_tasks, to_frame, write_tasks
    from aitoearn_lab.metrics import (
        compare_models,
        data_notes,
        error_groups,
        mix_notes,
        overdue,
        summarize,
        time_to_usable,
        timeline,
        trend,
        wasted_time,
    )
    from aitoearn_lab.report import Report, write_report

# Each public name and the layer (a module or subpackage of aitoearn_lab) that exports it.
_HOME: Final = {
    "APIError": "errors",
    "AiToEarnError": "errors",
    "AuthenticationError": "errors",
    "COLUMNS": "frame",
    "CacheError": "errors",
    "Client": "client",
    "ConfigurationError": "errors",
    "Dashboard": "app",
    "FetchStats": "client",
    "InvalidTaskIdError": "errors",
    "ListingUnavailableError": "errors",
    "Report": "report",
    "ResponseValidationError": "errors",
    "TaskNotFoundError": "errors",
    "TransportError": "errors",
    "compare_models": "metrics",
    "dashboard": "app",
    "data_notes": "metrics",
    "error_groups": "metrics",
    "mix_notes": "metrics",
    "model_colors": "charts",
    "overdue": "metrics",
    "read_tasks": "frame",
    "summarize": "metrics",
    "time_to_usable": "metrics",
    "timeline": "metrics",
    "to_frame": "frame",
    "trend": "metrics",
    "wasted_time": "metrics",
    "write_report": "report",
    "write_tasks": "frame",
}

__all__ = sorted([*_HOME, "__version__"])


def __getattr__(name: str) -> Any:
    layer = _HOME.get(name)
    if layer is None:
        raise AttributeError(f"module 'aitoearn_lab' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"aitoearn_lab.{layer}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
