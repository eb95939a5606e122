"""The tasks DataFrame -> activity per period: submissions, completions, failures, in flight."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from aitoearn_lab.metrics.rules import FINISHED_STATES, in_states, state_codes, valid_seconds

_COLUMNS: Final = ("state", "submitted_at", "started_at", "finished_at", "total_s")

MAX_PERIODS: Final = 20_000
"""More periods than this is a frequency too fine for the data's span (and for a chart)."""

TIMELINE_COLUMNS: Final = (
    "period_start",
    "period_end",
    "submitted",
    "finished",
    "succeeded",
    "failed",
    "failure_rate",
    "total_s_p50",
    "in_flight",
    "waiting",
)


def timeline(df: pd.DataFrame, *, freq: str = "1h") -> pd.DataFrame:
    """Activity per period of time, from the first submission to the last event.

    Parameters
    ----------
    df
        The tasks DataFrame.
    freq
        A pandas frequency: ``"15min"``, ``"1h"``, ``"1D"``, ``"W"`` ...

    Returns
    -------
    pandas.DataFrame
        One row per period (UTC), empty periods included:

        - ``period_start``, ``period_end``;
        - ``submitted``: tasks submitted in the period;
        - ``finished``, ``succeeded``, ``failed``: tasks that ended in the period (finishedAt);
        - ``failure_rate``: failed / finished in the period (NaN when none finished);
        - ``total_s_p50``: median turnaround of the tasks that succeeded in the period;
        - ``in_flight``: tasks submitted but not finished at the end of the period;
        - ``waiting``: of those, the ones not yet started (always 0 when the server copies
          submittedAt into startedAt).

    Examples
    --------
    >>> timeline(tasks, freq="1h").tail(3)  # doctest: +SKIP
    """
    # Only the columns used are selected: selecting rows of the whole frame copies every column.
    keep = (df["state"].notna() & df["submitted_at"].notna()).to_numpy(dtype=bool)
    frame = df.loc[keep, list(_COLUMNS)]
    offset = pd.tseries.frequencies.to_offset(freq)
    if offset is None:
        raise ValueError(f"freq must be a pandas frequency such as '1h' or '1D'; got {freq!r}")
    if frame.empty:
        return _empty()
    first = pd.Timestamp(frame["submitted_at"].min())
    last = pd.Timestamp(max(frame["submitted_at"].max(), frame["finished_at"].max(skipna=True)))
    edges = _edges(first, last, offset, freq)
    result = pd.DataFrame(
        {
            "period_start": edges[:-1],
            "period_end": edges[1:],
            **_period_figures(frame, edges.as_unit("ms").asi8),
        }
    )
    for name in ("period_start", "period_end"):
        result[name] = result[name].astype("datetime64[ms, UTC]")
    return result


def _period_figures(frame: pd.DataFrame, edge_ms: np.ndarray) -> dict[str, np.ndarray]:
    """The columns of :func:`timeline` after the period bounds, for periods cut at ``edge_ms``."""
    submitted = _ms(frame["submitted_at"])
    started = _ms(frame["started_at"])
    finished = _ms(frame["finished_at"])
    codes = state_codes(frame)
    ended = ~np.isnan(finished) & in_states(codes, FINISHED_STATES)
    succeeded = ended & in_states(codes, ("succeeded",))
    finished_counts = _per_period(finished[ended], edge_ms)
    failed_counts = _per_period(finished[ended & ~succeeded], edge_ms)
    with np.errstate(divide="ignore", invalid="ignore"):
        failure_rate = np.where(finished_counts > 0, failed_counts / finished_counts, np.nan)
    submitted_by_end = _before_end(submitted, edge_ms)
    return {
        "submitted": _per_period(submitted, edge_ms),
        "finished": finished_counts,
        "succeeded": finished_counts - failed_counts,
        "failed": failed_counts,
        "failure_rate": failure_rate,
        "total_s_p50": _median_turnaround(frame, succeeded, finished, edge_ms),
        "in_flight": submitted_by_end - _before_end(finished[ended], edge_ms),
        "waiting": submitted_by_end
        - _before_end(np.where(np.isnan(started), finished, started), edge_ms),
    }


def _per_period(times: np.ndarray, edge_ms: np.ndarray) -> np.ndarray:
    """How many of ``times`` fall in each period."""
    times = np.sort(times[~np.isnan(times)])
    return np.diff(np.searchsorted(times, edge_ms, side="left"))


def _before_end(times: np.ndarray, edge_ms: np.ndarray) -> np.ndarray:
    """How many of ``times`` come before the end of each period."""
    times = np.sort(times[~np.isnan(times)])
    return np.searchsorted(times, edge_ms[1:], side="left")


def _median_turnaround(
    frame: pd.DataFrame, succeeded: np.ndarray, finished: np.ndarray, edge_ms: np.ndarray
) -> np.ndarray:
    """The median turnaround of the tasks that succeeded in each period."""
    period_of_success = np.searchsorted(edge_ms, finished[succeeded], side="right") - 1
    turnaround = valid_seconds(frame["total_s"].to_numpy(dtype=float)[succeeded])
    medians = pd.Series(turnaround).groupby(period_of_success).median()
    result = np.full(len(edge_ms) - 1, np.nan)
    result[medians.index.to_numpy()] = medians.to_numpy()
    return result


def _edges(
    first: pd.Timestamp, last: pd.Timestamp, offset: pd.DateOffset, freq: str
) -> pd.DatetimeIndex:
    """Period boundaries: the first at or before ``first``, the last after ``last``."""
    try:
        step = int(offset.nanos)
        start = first.floor(freq)
    except ValueError:  # a calendar frequency (week, month): start on its boundary
        step = 24 * 3600 * 10**9
        start = offset.rollback(first.normalize())
    if step <= 0:
        raise ValueError(f"freq must be a positive frequency; got {freq!r}")
    if (last - start).value / step > MAX_PERIODS:
        raise ValueError(
            f"freq {freq!r} cuts {first:%Y-%m-%d %H:%M} .. {last:%Y-%m-%d %H:%M} into "
            f"more than {MAX_PERIODS:,} periods; choose a coarser one"
        )
    edges = pd.date_range(start=start, end=last, freq=offset)
    if len(edges) == 0 or edges[0] > first:
        edges = edges.insert(0, start)
    while edges[-1] <= last:
        edges = edges.append(pd.DatetimeIndex([edges[-1] + offset]))
    return edges


def _ms(column: pd.Series) -> np.ndarray:
    """Timestamps as float milliseconds since the epoch (NaN for NaT), for searchsorted."""
    values = column.to_numpy(dtype="datetime64[ms]")
    result = values.astype("int64").astype(float)
    result[np.isnat(values)] = np.nan
    return result


def _empty() -> pd.DataFrame:
    empty = pd.DataFrame({name: [] for name in TIMELINE_COLUMNS})
    for name in ("period_start", "period_end"):
        empty[name] = empty[name].astype("datetime64[ms, UTC]")
    return empty
