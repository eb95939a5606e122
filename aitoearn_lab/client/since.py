"""The time bounds of a sync: ``since`` as Unix seconds, a task's creation time from its ID."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aitoearn_lab import schema
from aitoearn_lab.errors import ConfigurationError


def since_seconds(since: Any) -> float | None:
    """``since`` (a datetime, date, ISO string, pandas Timestamp or Unix seconds) as Unix seconds.

    A time without a zone is read as UTC.
    """
    if since is None:
        return None
    if isinstance(since, int | float) and not isinstance(since, bool):
        return float(since)
    import pandas as pd

    if isinstance(since, date) and not isinstance(since, datetime):
        since = datetime(since.year, since.month, since.day)
    try:
        moment = pd.Timestamp(since)
    except (TypeError, ValueError):
        raise ConfigurationError(
            f"since must be a date, a datetime or an ISO 8601 string, got {since!r}"
        ) from None
    if moment is pd.NaT:
        raise ConfigurationError(f"since must be a moment, got {since!r}")
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    return float(moment.timestamp())


def created_s(task_id: str) -> int:
    """Creation time (Unix seconds) from the ObjectId; -1 for an ID that is not one."""
    return int(task_id[:8], 16) if schema.is_well_formed_task_id(task_id) else -1
