"""Per period and group: tasks, turnaround percentiles, failure rate, and a flag for a worse period.

A period is flagged (``shift``) when it is significantly worse than the same group's earlier
periods pooled together, by either test at level ``alpha``:

- failure rate: a one-sided two-proportion z-test (pooled variance) that the period's rate is
  higher than the earlier periods' rate;
- turnaround of successes: a two-sided Mann-Whitney U test against the earlier periods, counted
  only when the period's median is the higher one.

Both sides need at least :data:`~aitoearn_lab.metrics.verdicts.MIN_TASKS` tasks. The default
``alpha`` is 0.01, not 0.05, because every period of every group is tested.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import pandas as pd

from aitoearn_lab.metrics.stats import mann_whitney_sorted, wilson_interval
from aitoearn_lab.metrics.summary import grouped_stats
from aitoearn_lab.metrics.verdicts import MIN_TASKS

TREND_COLUMNS: Final = (
    "period_start",
    "tasks",
    "finished",
    "failed",
    "failure_rate",
    "failure_rate_lo",
    "failure_rate_hi",
    "total_s_p50",
    "total_s_p95",
    "failure_p_value",
    "turnaround_p_value",
    "shift",
    "shift_reason",
)

MAX_TEST_VALUES: Final = 5000
"""The rank test sees at most this many turnarounds a side, taken evenly from the sorted values
(the same distribution, and a million-row frame stays fast)."""


def trend(
    df: pd.DataFrame, *, freq: str = "1D", by: str = "model", alpha: float = 0.01
) -> pd.DataFrame:
    """Per period (by submission time) and group: volume, turnaround, failures, and shifts.

    Parameters
    ----------
    df
        The tasks DataFrame. A task belongs to the period it was submitted in.
    freq
        A pandas frequency (``"1h"``, ``"1D"``, ``"W"``); periods are aligned to it in UTC.
    by
        The grouping column.
    alpha
        Significance level of each test behind ``shift``.

    Returns
    -------
    pandas.DataFrame
        One row per group and period with tasks, columns :data:`TREND_COLUMNS` after ``by``:
        ``tasks`` submitted, ``finished``, ``failed``, ``failure_rate`` with its Wilson 95%
        interval, ``total_s_p50``/``total_s_p95`` of succeeded tasks, the p-values of the two
        tests against the earlier periods, ``shift`` (True when either is below ``alpha`` in the
        worse direction) and ``shift_reason`` in words.

    Examples
    --------
    >>> trend(tasks, freq="1D").query("shift")  # doctest: +SKIP
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha!r}")
    if by not in df.columns:
        raise ValueError(f"by must be a column of the frame such as 'model'; got {by!r}")
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError as error:
        raise ValueError(
            f"freq must be a pandas frequency such as '1h' or '1D'; got {freq!r}"
        ) from error
    keep = (df["state"].notna() & df["submitted_at"].notna() & df[by].notna()).to_numpy(bool)
    submitted = df["submitted_at"][keep]
    try:
        period = submitted.dt.floor(freq)
    except ValueError:  # calendar frequencies (W, MS) cannot floor: roll back to their start
        period = submitted.dt.normalize().map(offset.rollback)
    if not keep.any():
        return _empty(by)
    # Integer codes throughout: grouping on text or on tz-aware timestamps as objects costs
    # seconds on a million rows.
    state = df["state"][keep]
    finished = state.isin(["succeeded", "failed"]).to_numpy(dtype=bool)
    failed = (state == "failed").to_numpy(dtype=bool)
    ok = (state == "succeeded").to_numpy(dtype=bool)
    total = df["total_s"][keep].to_numpy(dtype=float)
    group_codes, group_names = pd.factorize(df[by][keep], sort=True)
    period_starts, period_codes = np.unique(
        period.to_numpy(dtype="datetime64[ms]"), return_inverse=True
    )
    cell = group_codes.astype(np.int64) * len(period_starts) + period_codes.reshape(-1)
    present, ids = np.unique(cell, return_inverse=True)
    ids = ids.reshape(-1)
    n = present.size
    group_of, period_of = np.divmod(present, len(period_starts))
    index = pd.MultiIndex.from_arrays(
        [
            pd.Index(group_names).take(group_of),
            pd.DatetimeIndex(period_starts[period_of]).tz_localize("UTC"),
        ]
    )
    counts = {
        "tasks": np.bincount(ids, minlength=n),
        "finished": np.bincount(ids, weights=finished, minlength=n).astype(np.int64),
        "failed": np.bincount(ids, weights=failed, minlength=n).astype(np.int64),
    }
    good = ok & (total >= 0)
    stats = grouped_stats(ids[good], total[good], n, np.array([0.5, 0.95]))
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(counts["finished"] > 0, counts["failed"] / counts["finished"], np.nan)
    low, high = wilson_interval(counts["failed"], counts["finished"])
    table = pd.DataFrame(
        {
            by: index.get_level_values(0),
            "period_start": index.get_level_values(1),
            **counts,
            "failure_rate": rate,
            "failure_rate_lo": low,
            "failure_rate_hi": high,
            "total_s_p50": stats["p50"],
            "total_s_p95": stats["p95"],
        }
    )
    times = _sorted_times(ids[good], total[good], n)
    _shifts(table, by, times, alpha)
    table = table[[by, *TREND_COLUMNS]]
    table.attrs["alpha"] = alpha  # what a chart rings: the periods each test flagged
    return table


def _sorted_times(ids: np.ndarray, values: np.ndarray, n: int) -> list[np.ndarray]:
    order = np.lexsort((values, ids))
    bounds = np.searchsorted(ids[order], np.arange(n + 1))
    ordered = values[order]
    return [ordered[bounds[i] : bounds[i + 1]] for i in range(n)]


def _shifts(table: pd.DataFrame, by: str, times: list[np.ndarray], alpha: float) -> None:
    failure_p = np.full(len(table), np.nan)
    turnaround_p = np.full(len(table), np.nan)
    shift = np.zeros(len(table), dtype=bool)
    reasons = [""] * len(table)
    for _, rows in table.groupby(by, sort=False).indices.items():
        earlier_failed = earlier_finished = 0
        earlier: list[np.ndarray] = []
        for row in rows:  # periods ascending within a group
            finished, failed = int(table["finished"].iat[row]), int(table["failed"].iat[row])
            if finished >= MIN_TASKS and earlier_finished >= MIN_TASKS:
                failure_p[row] = _higher_rate_p(failed, finished, earlier_failed, earlier_finished)
            now_times = times[row]  # sorted, as is ``before``: the rank test needs no sort
            # Each piece is sorted already: a stable sort (timsort) merges the runs in near-linear
            # time, instead of sorting from scratch for every period.
            before = np.sort(np.concatenate(earlier), kind="stable") if earlier else np.empty(0)
            if now_times.size >= MIN_TASKS and before.size >= MIN_TASKS:
                _, p_value = mann_whitney_sorted(_thin(now_times), _thin(before))
                if np.median(now_times) > np.median(before):
                    turnaround_p[row] = p_value
            worse = []
            if failure_p[row] < alpha:
                before_rate = earlier_failed / earlier_finished
                worse.append(
                    f"failure rate {failed / finished:.0%} against {before_rate:.0%} before "
                    f"(p = {failure_p[row]:.2g})"
                )
            if turnaround_p[row] < alpha:
                worse.append(
                    f"median turnaround {np.median(now_times):.0f} s against "
                    f"{np.median(before):.0f} s before (p = {turnaround_p[row]:.2g})"
                )
            shift[row] = bool(worse)
            reasons[row] = "; ".join(worse)
            earlier_failed += failed
            earlier_finished += finished
            earlier.append(now_times)
    table["failure_p_value"] = failure_p
    table["turnaround_p_value"] = turnaround_p
    table["shift"] = shift
    table["shift_reason"] = pd.array(reasons, dtype="str")


def _higher_rate_p(failed: int, finished: int, before_failed: int, before_finished: int) -> float:
    """One-sided p-value of a two-proportion z-test that the period's rate is the higher."""
    pooled = (failed + before_failed) / (finished + before_finished)
    variance = pooled * (1 - pooled) * (1 / finished + 1 / before_finished)
    if variance <= 0:
        return math.nan
    z = (failed / finished - before_failed / before_finished) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _thin(ordered: np.ndarray) -> np.ndarray:
    """At most :data:`MAX_TEST_VALUES` values, evenly spaced through the sorted sample."""
    if ordered.size <= MAX_TEST_VALUES:
        return ordered
    return ordered[np.linspace(0, ordered.size - 1, MAX_TEST_VALUES).astype(np.int64)]


def _empty(by: str) -> pd.DataFrame:
    table = pd.DataFrame({name: [] for name in (by, *TREND_COLUMNS)})
    table["period_start"] = table["period_start"].astype("datetime64[ms, UTC]")
    table["shift"] = table["shift"].astype(bool)
    return table
