"""The tasks DataFrame -> per-group summaries: counts, rates with intervals, latency percentiles.

Latency figures describe the time to a usable video: they cover succeeded tasks unless
``include_failed=True``. Unfinished tasks are not dropped: they are counted, their age is shown,
and the Kaplan-Meier median treats them as right-censored (at least as slow as their age).
Rows whose fetch failed (no record, ``state`` missing) carry no facts about a task and are left
out of every figure; :func:`~aitoearn_lab.metrics.notes.data_notes` says how many there were.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from aitoearn_lab.frame.build import LATENCY_COLUMNS
from aitoearn_lab.metrics.cost import add_cost
from aitoearn_lab.metrics.moments import TimeLike, reference_time, seconds_until
from aitoearn_lab.metrics.notes import data_notes
from aitoearn_lab.metrics.stats import kaplan_meier_median, wilson_interval
from aitoearn_lab.schema import STATES

PERCENTILES: Final = (50, 90, 95, 99)
"""The latency percentiles :func:`summarize` reports."""

LATENCY_STATS: Final = (*(f"p{p}" for p in PERCENTILES), "mean", "max")

COUNT_COLUMNS: Final = (
    "tasks",
    "queued",
    "running",
    "succeeded",
    "failed",
    "unknown",
    "finished",
    "unfinished",
)

SUMMARY_COLUMNS: Final = (
    *COUNT_COLUMNS,
    "oldest_unfinished_age_s",
    "success_rate",
    "failure_rate",
    "failure_rate_lo",
    "failure_rate_hi",
    "latency_tasks",
    *(f"{metric}_{stat}" for metric in LATENCY_COLUMNS for stat in LATENCY_STATS),
    "total_s_km_p50",
    "render_s_per_video_s_p50",
    "anomalies",
    "negative_intervals",
)
"""Every column of :func:`summarize`, in order."""

ALL_TASKS: Final = "all tasks"
"""The group label when :func:`summarize` is called with ``by=None``."""


def summarize(
    df: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = "model",
    include_failed: bool = False,
    now: TimeLike = None,
    prices: pd.DataFrame | None = None,
    failed_billed: bool = True,
) -> pd.DataFrame:
    """One row per group: task counts, rates with Wilson intervals, latency percentiles.

    Parameters
    ----------
    df
        The tasks DataFrame (see :func:`aitoearn_lab.to_frame`).
    by
        A column or list of columns to group by: ``"model"``, ``["model", "input_resolution"]``,
        or a column you derive first (``df.assign(day=df["submitted_at"].dt.floor("D"))``).
        ``None`` gives a single row for every task (even for an empty frame). Rows with a
        missing key form their own group.
    include_failed
        Latency figures cover succeeded tasks (the time to a usable video); ``True`` adds failed
        tasks (the time to any answer).
    now
        The moment the data describes, for rows without ``fetched_at``. Default: the latest
        ``fetched_at`` of the frame, else the current time.
    prices
        A price table (``model``, optionally ``input_resolution``/``input_duration``, and
        ``price`` per task in any unit; read a CSV with ``pandas.read_csv`` first). Adds
        ``billed_tasks``, ``unpriced_tasks``, ``cost`` and ``cost_per_usable`` (see
        :func:`aitoearn_lab.metrics.cost.add_cost`).
    failed_billed
        Whether failed tasks cost their price too (the default, as most providers charge for an
        attempted generation); the notes say which.

    Returns
    -------
    pandas.DataFrame
        Indexed by the group keys, with the columns in :data:`SUMMARY_COLUMNS`:

        - counts by state; ``finished`` = succeeded + failed; ``unfinished`` = queued + running;
        - ``success_rate`` and ``failure_rate`` over finished tasks, ``failure_rate_lo`` and
          ``failure_rate_hi`` its Wilson 95% interval;
        - ``<metric>_p50/_p90/_p95/_p99/_mean/_max`` for ``queue_s``, ``render_s``, ``total_s``
          (percentiles by linear interpolation; negative intervals, which are data errors, are
          left out), over ``latency_tasks`` tasks;
        - ``total_s_km_p50``: the Kaplan-Meier median turnaround, counting each unfinished task
          as censored at its age when last fetched, beside the plain ``total_s_p50``;
        - ``render_s_per_video_s_p50``: render seconds per second of output video;
        - ``oldest_unfinished_age_s``, ``anomalies`` (rows with any) and ``negative_intervals``.

        ``attrs["notes"]`` holds :func:`~aitoearn_lab.metrics.notes.data_notes` in words.

    Examples
    --------
    >>> summary = summarize(tasks)  # doctest: +SKIP
    >>> summary[["tasks", "failure_rate", "total_s_p50", "total_s_km_p50"]]  # doctest: +SKIP
    """
    keys = _keys(df, by)
    reference = reference_time(df, now)
    frame = df[df["state"].notna()]
    if by is None:
        frame = frame.assign(**{keys[0]: ALL_TASKS})
    grouped = frame.groupby(keys, observed=True, dropna=False, sort=True)
    ids = grouped.ngroup().to_numpy()
    index = grouped.size().index
    n_groups = len(index)

    state_codes = frame["state"].cat.codes.to_numpy()
    counts = np.bincount(ids * len(STATES) + state_codes, minlength=n_groups * len(STATES))
    by_state = counts.reshape(n_groups, len(STATES))
    out: dict[str, Any] = {state: by_state[:, i] for i, state in enumerate(STATES)}
    out["tasks"] = by_state.sum(axis=1)
    out["finished"] = out["succeeded"] + out["failed"]
    out["unfinished"] = out["queued"] + out["running"]

    unfinished = frame["state"].isin(["queued", "running"]).to_numpy()
    ages = seconds_until(frame["submitted_at"], reference)
    out["oldest_unfinished_age_s"] = _grouped_max(ids[unfinished], ages[unfinished], n_groups)

    finished = out["finished"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["success_rate"] = np.where(finished > 0, out["succeeded"] / finished, np.nan)
        out["failure_rate"] = np.where(finished > 0, out["failed"] / finished, np.nan)
    out["failure_rate_lo"], out["failure_rate_hi"] = wilson_interval(out["failed"], finished)

    latency_states = ["succeeded", "failed"] if include_failed else ["succeeded"]
    in_latency = frame["state"].isin(latency_states).to_numpy()
    out["latency_tasks"] = np.bincount(ids[in_latency], minlength=n_groups)
    quantiles = np.array(PERCENTILES) / 100.0
    for metric in LATENCY_COLUMNS:
        values = _non_negative(frame[metric].to_numpy(dtype=float))
        stats = grouped_stats(ids[in_latency], values[in_latency], n_groups, quantiles)
        for stat, column in stats.items():
            out[f"{metric}_{stat}"] = column

    total = _non_negative(frame["total_s"].to_numpy(dtype=float))
    censored_at = _censoring_times(frame, reference)
    out["total_s_km_p50"] = _grouped_km_median(
        ids,
        np.where(in_latency, total, censored_at),
        in_latency,
        in_latency | unfinished,
        n_groups,
    )

    render = _non_negative(frame["render_s"].to_numpy(dtype=float))
    duration = frame["input_duration"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_second = np.where(duration > 0, render / duration, np.nan)
    out["render_s_per_video_s_p50"] = grouped_stats(
        ids[in_latency], per_second[in_latency], n_groups, np.array([0.5])
    )["p50"]

    anomalies = frame["anomalies"]
    has_anomaly = anomalies.notna().to_numpy()
    out["anomalies"] = np.bincount(ids[has_anomaly], minlength=n_groups)
    negative = np.zeros(len(frame), dtype=bool)
    negative[has_anomaly] = (
        anomalies[has_anomaly].str.contains("negative ", regex=False).to_numpy(dtype=bool)
    )
    out["negative_intervals"] = np.bincount(ids[negative], minlength=n_groups)

    summary = pd.DataFrame({name: out[name] for name in SUMMARY_COLUMNS}, index=index)
    if by is None and summary.empty:  # one row for "every task", even when there are none
        summary = summary.reindex(pd.Index([ALL_TASKS], name=keys[0]))
        whole = [*COUNT_COLUMNS, "latency_tasks", "anomalies", "negative_intervals"]
        summary[whole] = summary[whole].fillna(0).astype(np.int64)
    summary.attrs["notes"] = data_notes(df, now=reference)
    if prices is not None:
        summary = add_cost(summary, frame, keys, prices, failed_billed=failed_billed)
    return summary


def grouped_stats(
    ids: np.ndarray, values: np.ndarray, n_groups: int, quantiles: np.ndarray
) -> dict[str, np.ndarray]:
    """Percentiles (linear interpolation, as ``numpy.percentile``), mean and max per group.

    One sort for all groups instead of one per group, so a million rows cost well under a second.
    NaN values are ignored; a group without values gets NaN.
    """
    keep = ~np.isnan(values)
    ids, values = ids[keep], values[keep]
    counts = np.bincount(ids, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    ordered = sorted_by_group(ids, values, counts)
    empty = counts == 0
    last = np.maximum(counts - 1, 0)
    position = last[:, None] * quantiles[None, :]
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(lower + 1, last[:, None])
    fraction = position - lower
    result: dict[str, np.ndarray] = {}
    if ordered.size:
        low_values = ordered[np.minimum(starts[:, None] + lower, ordered.size - 1)]
        high_values = ordered[np.minimum(starts[:, None] + upper, ordered.size - 1)]
        table = low_values + fraction * (high_values - low_values)
        table[empty] = np.nan
        maxima = np.where(empty, np.nan, ordered[np.minimum(starts + last, ordered.size - 1)])
    else:
        table = np.full((n_groups, quantiles.size), np.nan)
        maxima = np.full(n_groups, np.nan)
    for column, quantile in enumerate(quantiles):
        result[f"p{round(quantile * 100):g}"] = table[:, column]
    with np.errstate(divide="ignore", invalid="ignore"):
        sums = np.bincount(ids, weights=values, minlength=n_groups)
        result["mean"] = np.where(empty, np.nan, sums / counts)
    result["max"] = maxima
    return result


_FEW_GROUPS: Final = 1000
"""Up to this many groups, :func:`sorted_by_group` sorts each group on its own."""


def sorted_by_group(ids: np.ndarray, values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``values`` ordered by group, and within a group ascending: ``values[np.lexsort((values,
    ids))]``, where ``counts`` is ``np.bincount(ids)``.

    With few groups, a stable sort by group (a linear radix sort on 16-bit codes) followed by one
    sort per group is several times faster than ``np.lexsort`` on floats.
    """
    if len(counts) > _FEW_GROUPS:
        result: np.ndarray = values[np.lexsort((values, ids))]
        return result
    ordered = values[np.argsort(ids.astype(np.int16), kind="stable")]
    bounds = np.cumsum(counts)
    for start, end in zip(bounds - counts, bounds, strict=True):
        ordered[start:end].sort()
    return ordered


def latency_values(
    df: pd.DataFrame, metric: str = "total_s", *, include_failed: bool = False
) -> pd.DataFrame:
    """The rows latency figures cover (succeeded, or finished), with a valid ``metric``.

    Negative values (data errors, named in ``anomalies``) and missing ones are left out.
    """
    check_choice("metric", metric, LATENCY_COLUMNS)
    states = ["succeeded", "failed"] if include_failed else ["succeeded"]
    keep = df["state"].isin(states) & (df[metric] >= 0)
    return df.loc[keep.fillna(False).to_numpy(dtype=bool)]


def check_choice(parameter: str, value: object, allowed: Sequence[Hashable]) -> None:
    """Raise a ValueError naming the parameter, the allowed values and the value received."""
    if value not in allowed:
        choices = ", ".join(repr(item) for item in allowed)
        raise ValueError(f"{parameter} must be one of {choices}; got {value!r}")


def _keys(df: pd.DataFrame, by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return ["group"]
    keys = [by] if isinstance(by, str) else list(by)
    if not keys:
        raise ValueError("by must name at least one column, or be None for one row")
    missing = [key for key in keys if key not in df.columns]
    if missing:
        raise ValueError(
            f"by names column(s) the frame does not have: {', '.join(map(repr, missing))} "
            f"(columns include {', '.join(list(df.columns)[:8])}, ...)"
        )
    return keys


def _non_negative(values: np.ndarray) -> np.ndarray:
    return np.where(values >= 0, values, np.nan)


def _censoring_times(frame: pd.DataFrame, reference: pd.Timestamp) -> np.ndarray:
    """How long each task had been waiting when last seen: fetched_at (or now) - submitted_at."""
    age_now = seconds_until(frame["submitted_at"], reference)
    fetched = frame["fetched_at"].to_numpy(dtype="datetime64[ms]")
    submitted = frame["submitted_at"].to_numpy(dtype="datetime64[ms]")
    age_fetched = (fetched - submitted).astype("float64") / 1e3
    age = np.where(np.isnat(fetched), age_now, age_fetched)
    age[np.isnat(submitted)] = np.nan
    return np.maximum(age, 0.0)


def _grouped_max(ids: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    result = np.full(n_groups, -np.inf)
    keep = ~np.isnan(values)
    np.maximum.at(result, ids[keep], values[keep])
    return np.where(np.isinf(result), np.nan, result)


def _grouped_km_median(
    ids: np.ndarray,
    durations: np.ndarray,
    observed: np.ndarray,
    include: np.ndarray,
    n_groups: int,
) -> np.ndarray:
    keep = include & ~np.isnan(durations)
    ids, durations, observed = ids[keep], durations[keep], observed[keep]
    result = np.full(n_groups, np.nan)
    order = np.argsort(ids, kind="stable")
    boundaries = np.searchsorted(ids[order], np.arange(n_groups + 1))
    for group in range(n_groups):
        rows = order[boundaries[group] : boundaries[group + 1]]
        if rows.size:
            result[group] = kaplan_meier_median(durations[rows], observed[rows])
    return result
