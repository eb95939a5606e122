"""The rules every figure follows: which rows count, which values are valid, how rates are made.

:func:`~aitoearn_lab.metrics.summary.summarize`, the headline figures, the charts' array path and
the dashboard all count and measure through these functions, so that they cannot disagree.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from aitoearn_lab.metrics.stats import wilson_interval
from aitoearn_lab.schema import STATES

FINISHED_STATES: Final = ("succeeded", "failed")
UNFINISHED_STATES: Final = ("queued", "running")


def latency_states(*, include_failed: bool = False) -> tuple[str, ...]:
    """The states latency figures cover: succeeded (a usable video), or every finished task."""
    return FINISHED_STATES if include_failed else ("succeeded",)


def state_codes(df: pd.DataFrame) -> np.ndarray:
    """Each row's position in :data:`~aitoearn_lab.schema.STATES`, -1 where the state is missing.

    A row without a state is a fetch that failed: it carries no facts about a task, and no figure
    counts it.
    """
    state = df["state"]
    if isinstance(state.dtype, pd.CategoricalDtype) and list(state.cat.categories) == list(STATES):
        return state.cat.codes.to_numpy(dtype=np.int64)
    return pd.Categorical(state, categories=list(STATES)).codes.astype(np.int64)


def in_states(codes: np.ndarray, states: tuple[str, ...]) -> np.ndarray:
    """Which rows (given their :func:`state_codes`) are in one of ``states``."""
    wanted = np.zeros(len(STATES) + 1, dtype=bool)  # the last slot stands for a missing state
    for state in states:
        wanted[STATES.index(state)] = True
    result: np.ndarray = wanted[codes]
    return result


def valid_seconds(values: np.ndarray) -> np.ndarray:
    """Intervals as float seconds, NaN where missing or negative.

    A negative interval (finished before it started) is a data error, named in ``anomalies``;
    no percentile, mean or median counts it.
    """
    values = np.asarray(values, dtype=float)
    return np.where(values >= 0, values, np.nan)


def state_counts(ids: np.ndarray, codes: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """Per group: a count for each state, ``tasks``, ``finished`` and ``unfinished``.

    ``ids`` and ``codes`` cover the rows with a state (codes >= 0) only.
    """
    flat = np.bincount(ids * len(STATES) + codes, minlength=n_groups * len(STATES))
    by_state = flat.reshape(n_groups, len(STATES))
    counts: dict[str, np.ndarray] = {state: by_state[:, i] for i, state in enumerate(STATES)}
    counts["tasks"] = by_state.sum(axis=1)
    counts["finished"] = counts["succeeded"] + counts["failed"]
    counts["unfinished"] = counts["queued"] + counts["running"]
    return counts


def outcome_rates(succeeded: np.ndarray, failed: np.ndarray) -> dict[str, np.ndarray]:
    """Success and failure rates over finished tasks, the failure rate's Wilson 95% interval.

    A group with no finished task has no rates (NaN).
    """
    finished = (np.asarray(succeeded) + np.asarray(failed)).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        success_rate = np.where(finished > 0, succeeded / finished, np.nan)
        failure_rate = np.where(finished > 0, failed / finished, np.nan)
    low, high = wilson_interval(failed, finished)
    return {
        "success_rate": success_rate,
        "failure_rate": failure_rate,
        "failure_rate_lo": low,
        "failure_rate_hi": high,
    }
