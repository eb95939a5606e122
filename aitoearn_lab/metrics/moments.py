"""Time helpers shared by the analytics: the moment a frame describes, ages, readable durations."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TypeAlias

import numpy as np
import pandas as pd

TimeLike: TypeAlias = "pd.Timestamp | datetime | float | str | None"
"""A moment: a Timestamp, a datetime, Unix seconds or ISO 8601 text (naive means UTC)."""


def reference_time(df: pd.DataFrame, now: TimeLike = None) -> pd.Timestamp:
    """The moment a frame describes: ``now`` if given, else its latest fetch, else the clock."""
    if now is not None:
        if isinstance(now, int | float):
            return pd.Timestamp(now, unit="s", tz="UTC")
        stamp = pd.Timestamp(now)
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    if "fetched_at" in df and df["fetched_at"].notna().any():
        return pd.Timestamp(df["fetched_at"].max())
    return pd.Timestamp.now(tz="UTC")


def seconds_until(start: pd.Series, end: pd.Timestamp) -> np.ndarray:
    """``end - start`` in float seconds for each row; NaN where ``start`` is missing."""
    stamps = start.to_numpy(dtype="datetime64[ms]")
    moment = end.tz_convert(None).to_datetime64().astype("datetime64[ms]")
    delta = (moment - stamps).astype("timedelta64[ms]").astype("float64") / 1e3
    delta[np.isnat(stamps)] = np.nan
    return delta


def format_duration(seconds: float | None) -> str:
    """Seconds as a person reads them: ``"42 s"``, ``"3 min 05 s"``, ``"2 h 07 min"``, ``"3 d 4 h"``

    >>> format_duration(42.4), format_duration(185), format_duration(7620), format_duration(273600)
    ('42 s', '3 min 05 s', '2 h 07 min', '3 d 4 h')
    """
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    if math.isinf(seconds):  # an interval no finite sample bounds (no success drawn)
        return "∞" if seconds > 0 else "-∞"
    sign = "-" if seconds < 0 else ""
    value = abs(float(seconds))
    if value < 10:
        return f"{sign}{value:.1f} s"
    whole = round(value)
    if whole < 60:
        return f"{sign}{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{sign}{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{sign}{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{sign}{days} d {hours} h"
