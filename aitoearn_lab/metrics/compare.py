"""Models against a baseline: medians, their difference and ratio with intervals, and a verdict.

Intervals come from the bootstrap (percentile method) with a seeded generator per model, so the
same data always gives the same table; the p-value comes from the Mann-Whitney rank test. A
verdict says "faster" or "slower" only when both agree: the difference's interval excludes zero
and the p-value is below ``alpha``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from aitoearn_lab.frame.build import LATENCY_COLUMNS
from aitoearn_lab.metrics.stats import bootstrap_medians, mann_whitney_u, median_of_sorted
from aitoearn_lab.metrics.summary import check_choice, latency_values

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
)

VERDICTS: Final = ("baseline", "faster", "slower", "no clear difference", "too few tasks")

MIN_TASKS: Final = 2
"""Fewer values than this and a model gets the verdict "too few tasks"."""


def compare_models(
    df: pd.DataFrame,
    *,
    metric: str = "total_s",
    baseline: str | None = None,
    include_failed: bool = False,
    alpha: float = 0.05,
    resamples: int = 2000,
    seed: int = 0,
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

    Returns
    -------
    pandas.DataFrame
        One row per model, the baseline first, then by median: ``tasks`` and
        ``baseline_tasks`` (sample sizes), ``median``, ``baseline_median``, ``difference``
        (model - baseline, seconds) and ``ratio`` (model / baseline) with ``_lo``/``_hi``
        bootstrap 95% bounds, ``p_value`` (two-sided Mann-Whitney U, normal approximation with
        tie correction) and ``verdict``: "baseline", "faster", "slower", "no clear difference"
        or "too few tasks".

    Examples
    --------
    >>> compare_models(tasks)[["model", "median", "ratio", "verdict"]]  # doctest: +SKIP
    """
    _check_options(metric=metric, alpha=alpha, resamples=resamples)
    samples = _samples(df, metric, include_failed=include_failed)
    if not samples:
        return pd.DataFrame({name: [] for name in COMPARE_COLUMNS})
    base = _baseline(samples, baseline, resamples=resamples, seed=seed)
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


def _samples(df: pd.DataFrame, metric: str, *, include_failed: bool) -> dict[str, np.ndarray]:
    """Each model's sorted latencies, by model name; a model without any has an empty array."""
    rows = latency_values(df, metric, include_failed=include_failed)
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
    _, p_value = mann_whitney_u(values, base.values)
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
    if model == base.model:  # zero and one by definition: no interval, no test
        for name in ("difference_lo", "difference_hi", "ratio_lo", "ratio_hi", "p_value"):
            record[name] = np.nan
        record["verdict"] = "baseline"
        return record
    record["verdict"] = _verdict(
        tasks=values.size,
        base_tasks=base.values.size,
        p_value=p_value,
        low=record["difference_lo"],
        high=record["difference_hi"],
        alpha=alpha,
    )
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


def _verdict(
    *, tasks: int, base_tasks: int, p_value: float, low: float, high: float, alpha: float
) -> str:
    if tasks < MIN_TASKS or base_tasks < MIN_TASKS:
        return "too few tasks"
    if not p_value < alpha:  # NaN (every value tied) is no evidence either way
        return "no clear difference"
    if high < 0:
        return "faster"
    if low > 0:
        return "slower"
    return "no clear difference"
