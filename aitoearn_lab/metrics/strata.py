"""Like for like: compare models only inside the same input configuration, then pool the strata.

A model that mostly renders 1080p looks slow beside one that mostly renders 720p even when it is
faster at every resolution (Simpson's paradox). Here each model meets the baseline only in the
strata (e.g. resolution × duration) where both have values, and the per-stratum medians are
pooled with the same weights for both: the *weighted ratio of medians*
``Σ w_s·median_model_s / Σ w_s·median_baseline_s`` with ``w_s`` the comparable tasks of both in
stratum ``s``. Intervals come from a *stratified bootstrap* (each stratum resampled on its own,
then pooled with the same weights); the p-value from Stouffer's combination of the per-stratum
Mann-Whitney tests, weighted by the square root of each stratum's size.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from aitoearn_lab.metrics.stats import bootstrap_medians, mann_whitney_sorted, median_of_sorted
from aitoearn_lab.metrics.verdicts import TOO_FEW, settle

_NORMAL = NormalDist()
MISSING_KEY = "(missing)"
"""The stratum label of a task without a value in a ``within`` column."""


def stratum_codes(df: pd.DataFrame, within: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """A stratum code per row and the label of each code, e.g. ``"720p | 5"``.

    Missing values form their own stratum, labelled :data:`MISSING_KEY`. Codes come from one
    factorization per column, so a million rows cost milliseconds, not a Python call per row.
    """
    columns = list(within)
    if not columns:
        raise ValueError("within must name at least one column, e.g. ['input_resolution']")
    missing = [name for name in columns if name not in df.columns]
    if missing:
        raise ValueError(
            f"within names column(s) the frame does not have: {', '.join(map(repr, missing))}"
        )
    combined = np.zeros(len(df), dtype=np.int64)
    texts: list[list[str]] = []
    for name in columns:
        codes, uniques = _factorized(df[name])
        values = [_text(value) for value in uniques] + [MISSING_KEY]
        codes = np.where(codes < 0, len(values) - 1, codes)
        combined = combined * len(values) + codes
        texts.append(values)
    present, inverse = np.unique(combined, return_inverse=True)
    labels = []
    for code in present.tolist():
        parts = []
        for values in reversed(texts):
            code, position = divmod(code, len(values))
            parts.append(values[position])
        labels.append(" | ".join(reversed(parts)))
    return inverse.reshape(-1), labels


def _factorized(column: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Codes and sorted values of a column, text compared without case (missing: -1).

    The platform sends the same resolution as "720p" from one model and "720P" from another;
    split by case, the two would share no stratum and nothing would be compared like for like.
    Only the distinct values are folded, so a million rows cost no more.
    """
    codes, uniques = pd.factorize(column, sort=True, use_na_sentinel=True)
    if not any(isinstance(value, str) for value in uniques):
        return codes, list(uniques)
    folded = [value.lower() if isinstance(value, str) else value for value in uniques]
    merged_codes, merged = pd.factorize(pd.Index(folded, dtype=object), sort=True)
    return np.where(codes >= 0, merged_codes[np.maximum(codes, 0)], -1), list(merged)


def stratum_keys(df: pd.DataFrame, within: Sequence[str]) -> pd.Series:
    """One text label per row naming its stratum, e.g. ``"720p | 5"``; missing values labelled."""
    codes, labels = stratum_codes(df, within)
    return pd.Series(np.asarray(labels, dtype=object)[codes], index=df.index)


def compare_within(
    rows: pd.DataFrame,
    models: list[str],
    baseline: str,
    *,
    metric: str,
    within: Sequence[str],
    alpha: float,
    resamples: int,
    seed: int,
    columns: Sequence[str],
) -> pd.DataFrame:
    """The like-for-like table of :func:`aitoearn_lab.compare_models` (its ``within=`` path).

    ``rows`` are the latency rows (valid ``metric``). Each model's row: ``tasks`` and
    ``baseline_tasks`` count the *comparable* tasks only (in strata both have),
    ``excluded_tasks`` the model's tasks in strata the baseline never ran, ``strata`` how many
    strata were shared; ``median`` and ``baseline_median`` are the pooled (weighted) medians.
    """
    strata, labels = stratum_codes(rows, within)
    values = rows[metric].to_numpy(dtype=float)
    model_codes, model_names = pd.factorize(rows["model"], sort=True)
    samples: dict[str, dict[str, np.ndarray]] = {model: {} for model in models}
    keep = model_codes >= 0
    cell = model_codes[keep].astype(np.int64) * max(len(labels), 1) + strata[keep]
    order = np.lexsort((values[keep], cell))  # by cell, ascending values inside each
    ordered, cells = values[keep][order], cell[order]
    starts = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]]) if cells.size else cells
    ends = [*starts[1:], cells.size] if cells.size else []  # no rows: no cells
    for start, end in zip(starts, ends, strict=True):
        model_index, stratum_index = divmod(int(cells[start]), max(len(labels), 1))
        name = str(model_names[model_index])
        samples.setdefault(name, {})[labels[stratum_index]] = ordered[start:end]
    base = samples.get(baseline, {})
    # The baseline's bootstrap medians of a stratum are the same for every model: drawn once.
    base_boots = {
        stratum: bootstrap_medians(
            values, resamples=resamples, rng=_generator(seed, "\0baseline", stratum)
        )
        for stratum, values in base.items()
    }
    records = []
    for model in models:
        mine = samples.get(model, {})
        shared = sorted(set(mine) & set(base))
        record = _pooled(
            mine, base, shared, resamples=resamples, seed=seed, model=model, base_boots=base_boots
        )
        record.update(
            model=model,
            baseline=baseline,
            metric=metric,
            excluded_tasks=sum(v.size for s, v in mine.items() if s not in shared),
            strata=len(shared),
        )
        settle(record, baseline=model == baseline, alpha=alpha)
        records.append(record)
    names = [*columns, "strata", "excluded_tasks"]
    table = pd.DataFrame.from_records(records, columns=names)
    order = np.lexsort((table["median"].fillna(np.inf), table["model"] != baseline))
    table = table.iloc[order].reset_index(drop=True)
    for name in ("tasks", "baseline_tasks", "strata", "excluded_tasks"):
        table[name] = table[name].astype(np.int64)
    table.attrs["within"] = list(within)
    return table


def _pooled(
    mine: dict[str, np.ndarray],
    base: dict[str, np.ndarray],
    shared: list[str],
    *,
    resamples: int,
    seed: int,
    model: str,
    base_boots: dict[str, np.ndarray],
) -> dict[str, Any]:
    tasks = sum(mine[s].size for s in shared)
    base_tasks = sum(base[s].size for s in shared)
    record: dict[str, Any] = {"tasks": tasks, "baseline_tasks": base_tasks}
    if not shared:
        record.update(
            {
                name: math.nan
                for name in (
                    "median",
                    "baseline_median",
                    "difference",
                    "difference_lo",
                    "difference_hi",
                    "ratio",
                    "ratio_lo",
                    "ratio_hi",
                    "p_value",
                )
            }
        )
        return record
    weights = np.array([mine[s].size + base[s].size for s in shared], dtype=float)
    weights /= weights.sum()
    medians = np.array([median_of_sorted(mine[s]) for s in shared])
    base_medians = np.array([median_of_sorted(base[s]) for s in shared])
    boot = np.zeros(resamples)
    base_boot = np.zeros(resamples)
    z_sum, z_weight = 0.0, 0.0
    for weight, stratum in zip(weights, shared, strict=True):
        boot += weight * bootstrap_medians(
            mine[stratum], resamples=resamples, rng=_generator(seed, model, stratum)
        )
        base_boot += weight * base_boots[stratum]
        z, size = _signed_z(mine[stratum], base[stratum])
        if not math.isnan(z):
            z_sum += math.sqrt(size) * z
            z_weight += size
    median = float(weights @ medians)
    base_median = float(weights @ base_medians)
    difference = boot - base_boot
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(base_boot > 0, boot / base_boot, np.nan)
    combined = z_sum / math.sqrt(z_weight) if z_weight > 0 else math.nan
    record.update(
        median=median,
        baseline_median=base_median,
        difference=median - base_median,
        difference_lo=_percentile(difference, 2.5),
        difference_hi=_percentile(difference, 97.5),
        ratio=median / base_median if base_median > 0 else math.nan,
        ratio_lo=_percentile(ratio, 2.5),
        ratio_hi=_percentile(ratio, 97.5),
        p_value=math.nan if math.isnan(combined) else 2.0 * (1.0 - _NORMAL.cdf(abs(combined))),
    )
    return record


def _signed_z(values: np.ndarray, base: np.ndarray) -> tuple[float, int]:
    """The Mann-Whitney z of one stratum, positive when ``values`` tend to be larger."""
    u, p_value = mann_whitney_sorted(values, base)
    if math.isnan(p_value):
        return math.nan, 0
    # From the lower tail: 1 - p/2 rounds to 1.0 for tiny p, p/2 itself does not.
    z = -_NORMAL.inv_cdf(min(max(p_value, 1e-300), 1.0) / 2.0)
    sign = 1.0 if u > values.size * base.size / 2.0 else -1.0
    return sign * z, values.size + base.size


def mix_notes(
    overall: pd.DataFrame, like_for_like: pd.DataFrame, *, threshold: float = 0.10
) -> list[str]:
    """Sentences saying whether the input mixes differ enough to change the comparison's answer.

    Parameters
    ----------
    overall, like_for_like
        :func:`aitoearn_lab.compare_models` of the same frame, without and with ``within``.
    threshold
        A pooled median that moves by more than this share is worth a sentence even when no
        verdict changes.

    Returns
    -------
    list of str
        Empty when the like-for-like answer is the overall one; else one sentence per model whose
        verdict changes (the answer changes) or whose median moves by more than ``threshold``.
    """
    within = ", ".join(like_for_like.attrs.get("within", [])) or "the input configuration"
    notes: list[str] = []
    for change in mix_changes(overall, like_for_like, threshold=threshold):
        row = change.row
        if not change.comparable:
            notes.append(
                f"{row.model} cannot be compared with {row.baseline} like for like ({within}): "
                f"only {row.tasks:,} against {row.baseline_tasks:,} comparable tasks, so its "
                f"overall verdict ({change.overall_verdict}) rests on different inputs."
            )
        elif change.verdict_changed:
            notes.append(
                f"{row.model} got a different mix of inputs than {row.baseline}: overall it is "
                f"{verdict_words(change.overall_verdict)}, but like for like ({within}, "
                f"{row.tasks:,} against {row.baseline_tasks:,} comparable tasks) it is "
                f"{verdict_words(row.verdict)}. The like-for-like answer is the one to trust."
            )
        else:
            notes.append(
                f"{row.model} against {row.baseline}: the input mixes differ; like for like "
                f"({within}) the ratio of medians is {row.ratio:.2f} instead of "
                f"{change.overall_ratio:.2f} overall, with the same verdict ({row.verdict})."
            )
    return notes


@dataclass(frozen=True)
class MixChange:
    """A model whose like-for-like comparison differs from its overall one."""

    row: Any
    """Its row of the like-for-like table (a named tuple)."""
    overall_verdict: str
    overall_ratio: float

    @property
    def comparable(self) -> bool:
        """Enough tasks in shared input configurations for a like-for-like verdict."""
        return bool(self.row.verdict != TOO_FEW)

    @property
    def verdict_changed(self) -> bool:
        """The answer changes (else only the ratio of medians moves)."""
        return bool(self.overall_verdict != self.row.verdict)


def mix_changes(
    overall: pd.DataFrame, like_for_like: pd.DataFrame, *, threshold: float = 0.10
) -> list[MixChange]:
    """The models :func:`mix_notes` speaks of: a changed verdict, or a ratio that moved by more
    than ``threshold``."""
    before = overall.set_index("model")
    changes: list[MixChange] = []
    for row in like_for_like.itertuples(index=False):
        if row.verdict == "baseline" or row.model not in before.index:
            continue
        old = before.loc[row.model]
        change = MixChange(row, str(old["verdict"]), float(old["ratio"]))
        moved = (
            old["ratio"] > 0 and row.ratio > 0 and abs(row.ratio / old["ratio"] - 1.0) > threshold
        )
        if change.verdict_changed or moved:
            changes.append(change)
    return changes


def verdict_words(verdict: str) -> str:
    """``"faster than the baseline"``, or a verdict that says no such thing, quoted."""
    return f"{verdict} than the baseline" if verdict in ("faster", "slower") else f"'{verdict}'"


def _generator(seed: int, model: str, stratum: str) -> np.random.Generator:
    return np.random.default_rng(
        [seed, zlib.crc32(model.encode("utf-8")), zlib.crc32(stratum.encode("utf-8"))]
    )


def _percentile(values: np.ndarray, q: float) -> float:
    finite = values[~np.isnan(values)]
    return float(np.percentile(finite, q)) if finite.size else math.nan


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
