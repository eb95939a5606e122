"""The numbers behind the model charts, computed on numpy arrays of the few columns they need.

A chart redrawn after every filter change must not copy the whole frame: selecting rows of a
100,000-row frame copies every column, text included (tens of milliseconds), and a pandas
group-by per chart costs as much again. Here rows are picked as integer positions and values read
from the columns as arrays, grouped by category codes. The results equal what
:func:`~aitoearn_lab.metrics.summary.summarize`,
:func:`~aitoearn_lab.metrics.summary.latency_values` and a pandas group-by give; the tests
compare them. Which rows count and which values are valid is decided in
:mod:`aitoearn_lab.metrics.rules`, for these arrays and for ``summarize`` alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aitoearn_lab.frame.build import LATENCY_COLUMNS
from aitoearn_lab.metrics.grouping import grouped_stats
from aitoearn_lab.metrics.rules import (
    in_states,
    latency_states,
    outcome_rates,
    state_codes,
    state_counts,
    valid_seconds,
)
from aitoearn_lab.metrics.summary import check_choice

__all__ = [
    "ModelGroup",
    "codes_of",
    "latency_mask",
    "model_groups",
    "model_medians",
    "model_order",
    "model_table",
    "state_codes",
]


@dataclass(frozen=True)
class ModelGroup:
    """One model's latency rows: the model, its values and their row positions, in row order."""

    model: object
    values: np.ndarray
    positions: np.ndarray


def codes_of(column: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Integer codes (-1 where missing) and the label of each code, labels sorted.

    A categorical column gives its own codes and categories (every category, seen or not).
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(dtype=np.int64), list(column.cat.categories)
    codes, labels = pd.factorize(column, sort=True)
    return codes.astype(np.int64), list(labels)


def latency_mask(df: pd.DataFrame, metric: str, *, include_failed: bool = False) -> np.ndarray:
    """The rows :func:`~aitoearn_lab.metrics.summary.latency_values` keeps, as a boolean array."""
    check_choice("metric", metric, LATENCY_COLUMNS)
    rows = in_states(state_codes(df), latency_states(include_failed=include_failed))
    keep: np.ndarray = rows & ~np.isnan(valid_seconds(df[metric].to_numpy(dtype=float)))
    return keep


def model_groups(
    df: pd.DataFrame, metric: str, *, include_failed: bool = False
) -> list[ModelGroup]:
    """The latency rows of each model (rows without a model left out), fastest median first.

    Models are ordered by the median of ``metric``, then by name, as the latency charts draw them.
    """
    keep = latency_mask(df, metric, include_failed=include_failed)
    codes, models = codes_of(df["model"])
    values = df[metric].to_numpy(dtype=float)
    groups = [
        ModelGroup(models[code], values[positions], positions)
        for code, positions in _positions_by_code(codes, keep & (codes >= 0), len(models))
    ]
    return sorted(groups, key=lambda group: (float(np.median(group.values)), str(group.model)))


def model_medians(df: pd.DataFrame) -> dict[object, float]:
    """Median turnaround of each model's succeeded tasks (models without one are left out)."""
    keep = latency_mask(df, "total_s")
    codes, models = codes_of(df["model"])
    values = df["total_s"].to_numpy(dtype=float)
    return {
        models[code]: float(np.median(values[positions]))
        for code, positions in _positions_by_code(codes, keep & (codes >= 0), len(models))
    }


def model_order(df: pd.DataFrame, models: Iterable[object]) -> list[object]:
    """``models`` fastest first (median turnaround of succeeded tasks), then by name."""
    medians = model_medians(df)
    return sorted(models, key=lambda model: (medians.get(model, np.inf), str(model)))


def model_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per model, fastest first, the columns of :func:`~aitoearn_lab.metrics.summarize` the
    model charts draw: counts by state, ``finished``, ``failure_rate`` with its Wilson bounds
    (``failure_rate_lo``, ``failure_rate_hi``) and the ``<metric>_p50`` latency medians.

    Models are those with a fetched task; rows without a model are left out, as the charts do.
    """
    codes, models = codes_of(df["model"])
    states = state_codes(df)
    fetched = (states >= 0) & (codes >= 0)
    present = np.flatnonzero(np.bincount(codes[fetched], minlength=len(models)))
    group_of = np.full(len(models) + 1, -1, dtype=np.int64)  # code -1 reads the last slot
    group_of[present] = np.arange(present.size)
    ids = group_of[codes]
    n_groups = present.size
    table = state_counts(ids[fetched], states[fetched], n_groups)
    table.update(outcome_rates(table["succeeded"], table["failed"]))
    in_latency = fetched & in_states(states, latency_states())
    half = np.array([0.5])
    for metric in LATENCY_COLUMNS:
        values = valid_seconds(df[metric].to_numpy(dtype=float))
        stats = grouped_stats(ids[in_latency], values[in_latency], n_groups, half)
        table[f"{metric}_p50"] = stats["p50"]
    labels = [models[code] for code in present]
    frame = pd.DataFrame(table, index=pd.Index(labels, dtype=object, name="model"))
    return frame.loc[model_order(df, labels)]


def _positions_by_code(
    codes: np.ndarray, keep: np.ndarray, n_codes: int
) -> list[tuple[int, np.ndarray]]:
    """Row positions of the kept rows for each code that has any, in row order."""
    rows = np.flatnonzero(keep)
    kept_codes = codes[rows]
    # numpy sorts 16-bit integers stably by radix, in linear time
    small = kept_codes.astype(np.int16) if n_codes <= np.iinfo(np.int16).max else kept_codes
    order = np.argsort(small, kind="stable")
    rows, kept_codes = rows[order], kept_codes[order]
    bounds = np.searchsorted(kept_codes, np.arange(n_codes + 1))
    return [
        (code, rows[bounds[code] : bounds[code + 1]])
        for code in range(n_codes)
        if bounds[code + 1] > bounds[code]
    ]
