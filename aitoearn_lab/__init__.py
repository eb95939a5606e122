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
    from aitoearn_lab.client import Client, FetchStats
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
    from aitoearn_lab.frame import COLUMNS, to_frame
    from aitoearn_lab.tables import read_tasks, write_tasks

__all__ = [
    "APIError",
    "AiToEarnError",
    "AuthenticationError",
    "COLUMNS",
    "CacheError",
    "Client",
    "ConfigurationError",
    "FetchStats",
    "InvalidTaskIdError",
    "ResponseValidationError",
    "TaskNotFoundError",
    "TransportError",
    "__version__",
    "read_tasks",
    "to_frame",
    "write_tasks",
]

_HOME = {
    "COLUMNS": "frame",
    "APIError": "errors",
    "AiToEarnError": "errors",
    "AuthenticationError": "errors",
    "CacheError": "errors",
    "Client": "client",
    "ConfigurationError": "errors",
    "FetchStats": "client",
    "InvalidTaskIdError": "errors",
    "ResponseValidationError": "errors",
    "TaskNotFoundError": "errors",
    "TransportError": "errors",
    "read_tasks": "tables",
    "to_frame": "frame",
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
