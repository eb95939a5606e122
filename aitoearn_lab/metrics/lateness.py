"""Unfinished tasks that are probably stuck: older than nearly every turnaround of their model.

A model's turnaround quantile is read from the Kaplan-Meier curve of its tasks, where a task
still running counts as censored at its age when last fetched, so a model whose tasks are all
slow today does not make its own slow tasks look normal, and a backlog of stuck tasks does not
hide itself by dragging the plain percentile up.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import pandas as pd

from aitoearn_lab.metrics.moments import TimeLike, format_duration, reference_time, seconds_until
from aitoearn_lab.metrics.stats import kaplan_meier
from aitoearn_lab.metrics.verdicts import MIN_TASKS

OVERDUE_COLUMNS: Final = (
    "task_id",
    "model",
    "state",
    "submitted_at",
    "age_s",
    "quantile_s",
    "times_over",
    "quantile_basis",
)


def overdue(df: pd.DataFrame, *, quantile: float = 0.99, now: TimeLike = None) -> pd.DataFrame:
    """Unfinished tasks older than their model's censoring-aware turnaround quantile.

    Parameters
    ----------
    df
        The tasks DataFrame.
    quantile
        Which turnaround quantile counts as "too old" (0.99: older than 99% of finished tasks).
    now
        The moment ages are measured to. Default: the frame's latest ``fetched_at``.

    Returns
    -------
    pandas.DataFrame
        One row per overdue task, most overdue first: ``task_id``, ``model``, ``state``,
        ``submitted_at``, ``age_s`` (now - submitted), ``quantile_s`` (the model's Kaplan-Meier
        turnaround quantile), ``times_over`` (age / quantile) and ``quantile_basis``:
        "kaplan-meier", or "longest seen" when the curve never falls that low (too many tasks
        still waiting) and the longest finished turnaround stands in. A model with fewer than
        :data:`~aitoearn_lab.metrics.verdicts.MIN_TASKS` finished tasks is not judged.

    Examples
    --------
    >>> overdue(tasks, quantile=0.99)[["task_id", "model", "age_s", "times_over"]]  # doctest: +SKIP
    """
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be between 0 and 1 (exclusive); got {quantile!r}")
    reference = reference_time(df, now)
    # Plain arrays and integer model codes: a frame copy or a comparison of text per model
    # would cost more than the whole Kaplan-Meier work on a million rows.
    state = df["state"]
    unfinished = state.isin(["queued", "running"]).to_numpy(dtype=bool, copy=True)
    codes, names = pd.factorize(df["model"])
    unfinished &= codes >= 0
    if not unfinished.any():
        return _empty()
    finished = state.isin(["succeeded", "failed"]).to_numpy(dtype=bool) & (codes >= 0)
    age = seconds_until(df["submitted_at"], reference)
    total = df["total_s"].to_numpy(dtype=float)
    durations = np.where(finished, total, _age_when_fetched(df, age))
    usable = (finished | unfinished) & (durations >= 0)
    limit_of = np.full(len(names), np.nan)
    basis_of = np.full(len(names), "", dtype=object)
    for code in np.unique(codes[unfinished]).tolist():
        mine = codes == code
        if int((mine & finished & (total >= 0)).sum()) < MIN_TASKS:
            continue
        use = mine & usable
        limit_of[code], basis_of[code] = _quantile(durations[use], finished[use], quantile)
    rows = np.flatnonzero(unfinished)
    limit = limit_of[codes[rows]]
    basis = basis_of[codes[rows]]
    with np.errstate(divide="ignore", invalid="ignore"):
        over = age[rows] / limit
    late = age[rows] > limit  # NaN limits compare False: not judged
    picked = rows[late]
    table = pd.DataFrame(
        {
            "task_id": df["task_id"].iloc[picked].to_numpy(),
            "model": np.asarray(names, dtype=object)[codes[picked]],
            "state": df["state"].iloc[picked].astype(object).to_numpy(),
            "submitted_at": df["submitted_at"].iloc[picked].array,
            "age_s": age[rows][late],
            "quantile_s": limit[late],
            "times_over": over[late],
            "quantile_basis": basis[late],
        }
    )
    table = table.sort_values("times_over", ascending=False, kind="stable").reset_index(drop=True)
    table.attrs["quantile"] = quantile
    table.attrs["now"] = reference
    return table


def overdue_note(df: pd.DataFrame, *, now: TimeLike = None, quantile: float = 0.99) -> list[str]:
    """A sentence for :func:`~aitoearn_lab.metrics.notes.data_notes` when tasks are overdue."""
    said = overdue_sentence(overdue(df, quantile=quantile, now=now), quantile=quantile)
    return [f"{said[:-1]} (see overdue())."] if said else []


def overdue_sentence(late: pd.DataFrame, *, quantile: float = 0.99) -> str:
    """How many tasks of :func:`overdue`'s table are probably stuck, and the worst (or empty)."""
    if late.empty:
        return ""
    worst = late.iloc[0]
    count = len(late)
    subject = "1 unfinished task is" if count == 1 else f"{count:,} unfinished tasks are"
    return (
        f"{subject} older than {quantile:.0%} of their model's turnarounds and probably stuck; "
        f"the worst, {worst['task_id']} ({worst['model']}), has waited "
        f"{format_duration(float(worst['age_s']))}, {worst['times_over']:.1f}× that."
    )


def _quantile(durations: np.ndarray, observed: np.ndarray, quantile: float) -> tuple[float, str]:
    times, survival = kaplan_meier(durations, observed)
    below = np.flatnonzero(survival <= 1.0 - quantile + 1e-12)
    if below.size:
        return float(times[below[0]]), "kaplan-meier"
    if times.size:
        return float(times[-1]), "longest seen"
    return math.nan, ""


def _age_when_fetched(frame: pd.DataFrame, age_now: np.ndarray) -> np.ndarray:
    """How long each task had waited when last fetched (its censoring time); now when unknown."""
    if "fetched_at" not in frame:
        return age_now
    fetched = frame["fetched_at"].to_numpy(dtype="datetime64[ms]")
    submitted = frame["submitted_at"].to_numpy(dtype="datetime64[ms]")
    seen = (fetched - submitted).astype("float64") / 1e3
    return np.where(np.isnat(fetched) | np.isnat(submitted), age_now, seen)


def _empty() -> pd.DataFrame:
    table = pd.DataFrame({name: [] for name in OVERDUE_COLUMNS})
    table["submitted_at"] = table["submitted_at"].astype("datetime64[ms, UTC]")
    return table
