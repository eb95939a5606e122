"""The tasks DataFrame -> per-group summaries: counts, rates with intervals, latency percentiles.

Latency figures describe the time to a usable video: they cover succeeded tasks unless
``include_failed=True``. Unfinished tasks are not dropped: they are counted, their age is shown,
and the Kaplan-Meier median treats them as right-censored (at least as slow as their age).
Rows whose fetch failed (no record, ``state`` missing) carry no facts about a task and are left
out of every figure; :func:`~aitoearn_lab.metrics.notes.data_notes` says how many there were.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from aitoearn_lab.frame.build import LATENCY_COLUMNS
from aitoearn_lab.metrics.cost import add_cost
from aitoearn_lab.metrics.grouping import grouped_km_median, grouped_max
from aitoearn_lab.metrics.grouping import grouped_stats as grouped_stats  # re-exported
from aitoearn_lab.metrics.grouping import sorted_by_group as sorted_by_group  # re-exported
from aitoearn_lab.metrics.moments import TimeLike, reference_time, seconds_until
from aitoearn_lab.metrics.notes import data_notes
from aitoearn_lab.metrics.rules import (
    UNFINISHED_STATES,
    in_states,
    latency_states,
    outcome_rates,
    state_codes,
    state_counts,
    valid_seconds,
)

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
    index = grouped.size().index
    groups = Groups(grouped.ngroup().to_numpy(), len(index), state_codes(frame))
    figures = {
        **count_figures(groups),
        "oldest_unfinished_age_s": oldest_unfinished(frame, groups, reference),
        **latency_figures(frame, groups, include_failed=include_failed),
        "total_s_km_p50": km_median(frame, groups, reference, include_failed=include_failed),
        "render_s_per_video_s_p50": render_per_video_second(
            frame, groups, include_failed=include_failed
        ),
        **anomaly_counts(frame, groups),
    }
    summary = _table(figures, index, empty_row=by is None)
    summary.attrs["notes"] = data_notes(df, now=reference)
    if prices is not None:
        summary = add_cost(summary, frame, keys, prices, failed_billed=failed_billed)
    return summary


@dataclass(frozen=True)
class Groups:
    """The rows of a frame of fetched tasks as groups: each row's group id and state code."""

    ids: np.ndarray
    count: int
    states: np.ndarray

    @classmethod
    def single(cls, frame: pd.DataFrame) -> Groups:
        """Every row of ``frame`` in one group."""
        return cls(np.zeros(len(frame), dtype=np.int64), 1, state_codes(frame))

    def rows_in(self, states: tuple[str, ...]) -> np.ndarray:
        """Which rows are in one of ``states``."""
        return in_states(self.states, states)

    def latency_rows(self, *, include_failed: bool = False) -> np.ndarray:
        """The rows latency figures cover."""
        return self.rows_in(latency_states(include_failed=include_failed))


def count_figures(groups: Groups) -> dict[str, np.ndarray]:
    """Counts by state, ``tasks``, ``finished``, ``unfinished``, and the outcome rates."""
    counts = state_counts(groups.ids, groups.states, groups.count)
    return {**counts, **outcome_rates(counts["succeeded"], counts["failed"])}


def oldest_unfinished(frame: pd.DataFrame, groups: Groups, reference: pd.Timestamp) -> np.ndarray:
    """The age at ``reference`` of each group's oldest queued or running task."""
    unfinished = groups.rows_in(UNFINISHED_STATES)
    ages = seconds_until(frame["submitted_at"], reference)
    return grouped_max(groups.ids[unfinished], ages[unfinished], groups.count)


def latency_figures(
    frame: pd.DataFrame,
    groups: Groups,
    *,
    include_failed: bool = False,
    metrics: Sequence[str] = LATENCY_COLUMNS,
    percentiles: Sequence[int] = PERCENTILES,
) -> dict[str, np.ndarray]:
    """``latency_tasks`` and ``<metric>_p<n>/_mean/_max`` per group, negative intervals left out."""
    rows = groups.latency_rows(include_failed=include_failed)
    figures = {"latency_tasks": np.bincount(groups.ids[rows], minlength=groups.count)}
    quantiles = np.array(percentiles) / 100.0
    for metric in metrics:
        values = valid_seconds(frame[metric].to_numpy(dtype=float))
        stats = grouped_stats(groups.ids[rows], values[rows], groups.count, quantiles)
        figures.update({f"{metric}_{stat}": column for stat, column in stats.items()})
    return figures


def km_median(
    frame: pd.DataFrame, groups: Groups, reference: pd.Timestamp, *, include_failed: bool = False
) -> np.ndarray:
    """The Kaplan-Meier median turnaround: unfinished tasks censored at their age when fetched."""
    rows = groups.latency_rows(include_failed=include_failed)
    unfinished = groups.rows_in(UNFINISHED_STATES)
    total = valid_seconds(frame["total_s"].to_numpy(dtype=float))
    durations = np.where(rows, total, _censoring_times(frame, reference))
    return grouped_km_median(groups.ids, durations, rows, rows | unfinished, groups.count)


def render_per_video_second(
    frame: pd.DataFrame, groups: Groups, *, include_failed: bool = False
) -> np.ndarray:
    """The median render seconds per second of output video."""
    rows = groups.latency_rows(include_failed=include_failed)
    render = valid_seconds(frame["render_s"].to_numpy(dtype=float))
    duration = frame["input_duration"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_second = np.where(duration > 0, render / duration, np.nan)
    half = np.array([0.5])
    return grouped_stats(groups.ids[rows], per_second[rows], groups.count, half)["p50"]


def anomaly_counts(frame: pd.DataFrame, groups: Groups) -> dict[str, np.ndarray]:
    """Rows with any anomaly, and rows with a negative interval, per group."""
    anomalies = frame["anomalies"]
    has_anomaly = anomalies.notna().to_numpy()
    negative = np.zeros(len(frame), dtype=bool)
    negative[has_anomaly] = (
        anomalies[has_anomaly].str.contains("negative ", regex=False).to_numpy(dtype=bool)
    )
    return {
        "anomalies": np.bincount(groups.ids[has_anomaly], minlength=groups.count),
        "negative_intervals": np.bincount(groups.ids[negative], minlength=groups.count),
    }


def _table(figures: dict[str, np.ndarray], index: pd.Index, *, empty_row: bool) -> pd.DataFrame:
    summary = pd.DataFrame({name: figures[name] for name in SUMMARY_COLUMNS}, index=index)
    if empty_row and summary.empty:  # one row for "every task", even when there are none
        summary = summary.reindex(pd.Index([ALL_TASKS], name=index.names[0]))
        whole = [*COUNT_COLUMNS, "latency_tasks", "anomalies", "negative_intervals"]
        summary[whole] = summary[whole].fillna(0).astype(np.int64)
    return summary


def latency_values(
    df: pd.DataFrame, metric: str = "total_s", *, include_failed: bool = False
) -> pd.DataFrame:
    """The rows latency figures cover (succeeded, or finished), with a valid ``metric``.

    Negative values (data errors, named in ``anomalies``) and missing ones are left out.
    """
    check_choice("metric", metric, LATENCY_COLUMNS)
    rows = in_states(state_codes(df), latency_states(include_failed=include_failed))
    keep = rows & ~np.isnan(valid_seconds(df[metric].to_numpy(dtype=float)))
    return df.loc[keep]


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


def _censoring_times(frame: pd.DataFrame, reference: pd.Timestamp) -> np.ndarray:
    """How long each task had been waiting when last seen: fetched_at (or now) - submitted_at."""
    age_now = seconds_until(frame["submitted_at"], reference)
    fetched = frame["fetched_at"].to_numpy(dtype="datetime64[ms]")
    submitted = frame["submitted_at"].to_numpy(dtype="datetime64[ms]")
    age_fetched = (fetched - submitted).astype("float64") / 1e3
    age = np.where(np.isnat(fetched), age_now, age_fetched)
    age[np.isnat(submitted)] = np.nan
    return np.maximum(age, 0.0)
