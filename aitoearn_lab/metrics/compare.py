"""Models against a baseline: medians, their difference and ratio with intervals, and a verdict.

Intervals come from the bootstrap (percentile method) with a seeded generator per model, so the
same data always gives the same table; the p-value comes from the Mann-Whitney rank test. A
verdict says "faster" or "slower" only when both agree: the difference's interval excludes zero
and the p-value is below ``alpha``.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from aitoearn_lab.frame.build import LATENCY_COLUMNS
from aitoearn_lab.metrics.stats import bootstrap_medians, mann_whitney_sorted, median_of_sorted
from aitoearn_lab.metrics.strata import compare_within
from aitoearn_lab.metrics.summary import check_choice, latency_values
from aitoearn_lab.metrics.verdicts import MIN_TASKS, settle

COMPARE_COLUMNS: Final = (
    "model",
    "baseline",
    "metric",
    "tasks",
    "baseline_tasks",
    "median",
    "baseline_median",
    "difference",
    "difference_lo",
    "difference_hi",
    "ratio",
    "ratio_lo",
    "ratio_hi",
    "p_value",
    "verdict",
    "evidence",
)

VERDICTS: Final = ("baseline", "faster", "slower", "no clear difference", "too few tasks")


def compare_models(
    df: pd.DataFrame,
    *,
    metric: str = "total_s",
    baseline: str | None = None,
    include_failed: bool = False,
    alpha: float = 0.05,
    resamples: int = 2000,
    seed: int = 0,
    within: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Compare each model's latency with a baseline model's.

    Parameters
    ----------
    df
        The tasks DataFrame.
    metric
        ``"total_s"`` (turnaround), ``"render_s"`` or ``"queue_s"``.
    baseline
        The model to compare against. Default: the one with the lowest median among models
        with at least :data:`MIN_TASKS` values.
    include_failed
        Latencies of succeeded tasks only (the default), or of failed ones too.
    alpha
        Significance level for the verdict.
    resamples
        Bootstrap resamples per model.
    seed
        Seed of the bootstrap; each model's generator is derived from it and the model name, so
        a model's intervals do not depend on which other models are in the frame.
    within
        Columns that define like-for-like strata, e.g. ``["input_resolution",
        "input_duration"]``: each model is then compared with the baseline only inside the
        same input configuration, and the strata are pooled (see
        :func:`aitoearn_lab.metrics.strata.compare_within`, which adds ``strata`` and
        ``excluded_tasks`` columns).

    Returns
    -------
    pandas.DataFrame
        One row per model, the baseline first, then by median: ``tasks`` and
        ``baseline_tasks`` (sample sizes), ``median``, ``baseline_median``, ``difference``
        (model - baseline, seconds) and ``ratio`` (model / baseline) with ``_lo``/``_hi``
        bootstrap 95% bounds, ``p_value`` (two-sided Mann-Whitney U, normal approximation with
        tie correction), ``verdict``: "baseline", "faster", "slower", "no clear difference"
        or "too few tasks" (below :data:`~aitoearn_lab.metrics.verdicts.MIN_TASKS` values on
        either side, with no interval and no p-value), and ``evidence``, why, in words.

    Examples
    --------
    >>> compare_models(tasks)[["model", "median", "ratio", "verdict"]]  # doctest: +SKIP
    """
    _check_options(metric=metric, alpha=alpha, resamples=resamples)
    rows = _latency_rows(df, metric, within=within, include_failed=include_failed)
    samples = _samples(df, rows, metric)
    if not samples:
        return pd.DataFrame({name: [] for name in COMPARE_COLUMNS})
    base = _baseline(samples, baseline, resamples=resamples, seed=seed)
    if within is not None:
        return compare_within(
            rows, list(samples), base.model, metric=metric, within=within, alpha=alpha,
            resamples=resamples, seed=seed, columns=COMPARE_COLUMNS,
        )  # fmt: skip
    records = [
        _compared(
            model,
            values,
            base,
            metric=metric,
            alpha=alpha,
            boot=bootstrap_medians(values, resamples=resamples, rng=_generator(seed, model)),
        )
        for model, values in samples.items()
    ]
    return _table(records, base.model)


@dataclass(frozen=True)
class _Baseline:
    """The model every other is compared with: its sorted values and bootstrap medians."""

    model: str
    values: np.ndarray
    boot: np.ndarray
    median: float


def _check_options(*, metric: str, alpha: float, resamples: int) -> None:
    check_choice("metric", metric, LATENCY_COLUMNS)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha!r}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1; got {resamples!r}")


def _latency_rows(
    df: pd.DataFrame, metric: str, *, within: Sequence[str] | None, include_failed: bool
) -> pd.DataFrame:
    """The rows with a latency to compare, of only the columns used.

    Selecting rows of the whole frame would copy prompts and all (1.6 s at 1,000,000 rows).
    """
    used = [c for c in dict.fromkeys(["model", "state", metric, *(within or [])]) if c in df]
    return latency_values(df[used], metric, include_failed=include_failed)


def _samples(df: pd.DataFrame, rows: pd.DataFrame, metric: str) -> dict[str, np.ndarray]:
    """Each model's sorted latencies, by model name; a model without any has an empty array."""
    found = {
        str(model): np.sort(group[metric].to_numpy(dtype=float))
        for model, group in rows.groupby("model", observed=True, sort=True)
    }
    models = sorted(str(m) for m in df["model"].dropna().unique())
    return {model: found.get(model, np.empty(0)) for model in models}


def _baseline(
    samples: dict[str, np.ndarray], chosen: str | None, *, resamples: int, seed: int
) -> _Baseline:
    if chosen is None:
        chosen = _fastest(samples)
    elif chosen not in samples:
        raise ValueError(f"baseline must be one of the models {', '.join(samples)}; got {chosen!r}")
    values = samples[chosen]
    boot = bootstrap_medians(values, resamples=resamples, rng=_generator(seed, chosen))
    return _Baseline(chosen, values, boot, median_of_sorted(values))


def _compared(
    model: str, values: np.ndarray, base: _Baseline, *, metric: str, alpha: float, boot: np.ndarray
) -> dict[str, Any]:
    """One row of the table: ``model`` against ``base``."""
    median = median_of_sorted(values)
    difference = boot - base.boot
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(base.boot > 0, boot / base.boot, np.nan)
    _, p_value = mann_whitney_sorted(values, base.values)
    record: dict[str, Any] = {
        "model": model,
        "baseline": base.model,
        "metric": metric,
        "tasks": values.size,
        "baseline_tasks": base.values.size,
        "median": median,
        "baseline_median": base.median,
        "difference": median - base.median,
        "difference_lo": _percentile(difference, 2.5),
        "difference_hi": _percentile(difference, 97.5),
        "ratio": median / base.median if base.median > 0 else np.nan,
        "ratio_lo": _percentile(ratio, 2.5),
        "ratio_hi": _percentile(ratio, 97.5),
        "p_value": p_value,
    }
    settle(record, baseline=model == base.model, alpha=alpha)
    return record


def _table(records: list[dict[str, Any]], baseline: str) -> pd.DataFrame:
    """The rows, the baseline first, then by median."""
    table = pd.DataFrame.from_records(records, columns=list(COMPARE_COLUMNS))
    order = np.lexsort((table["median"].fillna(np.inf), table["model"] != baseline))
    table = table.iloc[order].reset_index(drop=True)
    table["tasks"] = table["tasks"].astype(np.int64)
    table["baseline_tasks"] = table["baseline_tasks"].astype(np.int64)
    return table


def _fastest(samples: dict[str, np.ndarray]) -> str:
    enough = {m: v for m, v in samples.items() if v.size >= MIN_TASKS} or {
        m: v for m, v in samples.items() if v.size
    }
    if not enough:
        return min(samples)
    return min(enough, key=lambda model: (median_of_sorted(enough[model]), model))


def _generator(seed: int, model: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(model.encode("utf-8"))])


def _percentile(values: np.ndarray, q: float) -> float:
    finite = values[~np.isnan(values)]
    return float(np.percentile(finite, q)) if finite.size else np.nan
