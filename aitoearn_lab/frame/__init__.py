"""Records -> the tasks DataFrame, and the DataFrame <-> CSV / Parquet / JSONL."""

from __future__ import annotations

from aitoearn_lab.frame.build import (
    CATEGORY_COLUMNS,
    COLUMNS,
    LATENCY_COLUMNS,
    LIST_COLUMNS,
    TIME_COLUMNS,
    to_frame,
)
from aitoearn_lab.frame.tables import read_tasks, write_csv, write_tasks

__all__ = [
    "CATEGORY_COLUMNS",
    "COLUMNS",
    "LATENCY_COLUMNS",
    "LIST_COLUMNS",
    "TIME_COLUMNS",
    "read_tasks",
    "to_frame",
    "write_csv",
    "write_tasks",
]
