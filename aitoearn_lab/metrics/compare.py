"""Models against a baseline: medians, their difference and ratio with intervals, and a verdict.

Intervals come from the bootstrap (percentile method) with a seeded generator per model, so the
same data always gives the same table; the p-value comes from the Mann-Whitney rank test. A
verdict says "faster" or "slower" only when both agree: the difference's interval excludes zero
and the p-value is below ``alpha``.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from aitoearn_lab.frame.build import LATENCY_COLUMNS
from aitoearn_lab.metrics.stats import bootstrap_medians, mann_whitney_u, median_of_sorted
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
    check_choice("metric", metric, LATENCY_COLUMNS)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1; got {alpha!r}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1; got {resamples!r}")
    # Only the columns used: selecting rows of the whole frame would copy prompts and all.
    used = ["model", "state", metric, *(within or [])]
    rows = latency_values(
        df[[c for c in dict.fromkeys(used) if c in df]], metric, include_failed=include_failed
    )
    samples = {
        str(model): np.sort(group[metric].to_numpy(dtype=float))
        for model, group in rows.groupby("model", observed=True, sort=True)
    }
    models = sorted(str(m) for m in df["model"].dropna().unique())
    for model in models:
        samples.setdefault(model, np.empty(0))
    if not models:
        return pd.DataFrame({name: [] for name in COMPARE_COLUMNS})
    if baseline is None:
        baseline = _fastest(samples)
    elif baseline not in samples:
        raise ValueError(
            f"baseline must be one of the models {', '.join(models)}; got {baseline!r}"
        )

    if within is not None:
        return compare_within(
            rows, models, baseline, metric=metric, within=within, alpha=alpha,
            resamples=resamples, seed=seed, columns=COMPARE_COLUMNS,
        )  # fmt: skip
    base = samples[baseline]
    base_boot = bootstrap_medians(base, resamples=resamples, rng=_generator(seed, baseline))
    base_median = median_of_sorted(base)
    records = []
    for model in models:
        values = samples[model]
        median = median_of_sorted(values)
        boot = bootstrap_medians(values, resamples=resamples, rng=_generator(seed, model))
        difference = boot - base_boot
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(base_boot > 0, boot / base_boot, np.nan)
        _, p_value = mann_whitney_u(values, base)
        record: dict[str, Any] = {
            "model": model,
            "baseline": baseline,
            "metric": metric,
            "tasks": values.size,
            "baseline_tasks": base.size,
            "median": median,
            "baseline_median": base_median,
            "difference": median - base_median,
            "difference_lo": _percentile(difference, 2.5),
            "difference_hi": _percentile(difference, 97.5),
            "ratio": median / base_median if base_median > 0 else np.nan,
            "ratio_lo": _percentile(ratio, 2.5),
            "ratio_hi": _percentile(ratio, 97.5),
            "p_value": p_value,
        }
        settle(record, baseline=model == baseline, alpha=alpha)
        records.append(record)
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
