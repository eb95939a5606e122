"""The expected wall time to one usable video, counting the time lost to failed attempts.

When every failed task is resubmitted at once, the number of failures before a success is
geometric with mean ``f/(1-f)`` (``f`` the failure rate), so the expected wall time to one usable
video is ``mean turnaround of successes + f/(1-f) × mean time to failure``. A model that is fast
when it works but fails often can lose to a slower, reliable one on this figure.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from aitoearn_lab.metrics.strata import stratum_keys
from aitoearn_lab.metrics.verdicts import MIN_TASKS, TOO_FEW

USABLE_COLUMNS: Final = (
    "rank",
    "expected_s",
    "expected_s_lo",
    "expected_s_hi",
    "p50_s",
    "p90_s",
    "success_rate",
    "tasks",
    "succeeded",
    "failed",
    "mean_success_s",
    "mean_failure_s",
    "note",
)
"""Every column of :func:`time_to_usable`, in order (after the group keys)."""

EXACT_BOOTSTRAP_TASKS: Final = 500
"""Up to this many finished tasks a group is resampled task by task; above, the resampled means
are drawn from their normal approximation (indistinguishable at that size, and O(1))."""

_MAX_FAILURES_PER_SUCCESS: Final = 50.0


def time_to_usable(
    df: pd.DataFrame,
    *,
    by: str = "model",
    within: Sequence[str] | None = None,
    resamples: int = 1000,
    draws: int = 4000,
    seed: int = 0,
) -> pd.DataFrame:
    """Expected wall time to one usable video per group, ranked, with a bootstrap interval.

    Parameters
    ----------
    df
        The tasks DataFrame. Finished tasks count (succeeded and failed); unfinished ones are not
        yet evidence either way. Turnaround is ``total_s`` (submitted → finished).
    by
        The grouping column.
    within
        Like for like: columns such as ``["input_resolution", "input_duration"]``. The figure is
        then computed per stratum and pooled with the same weights for every group (the share of
        all finished tasks in each stratum that every ranked group has succeeded in), so a group
        is not judged on an easier mix of inputs.
    resamples
        Bootstrap resamples for the interval.
    draws
        Simulated attempts-until-success for the percentiles ``p50_s`` and ``p90_s``.
    seed
        Seed of the generators (each group's is derived from it and the group's name).

    Returns
    -------
    pandas.DataFrame
        Indexed by group, best first: ``rank`` (1 = fastest; missing for "too few tasks"),
        ``expected_s`` with its bootstrap 95% interval ``expected_s_lo``/``expected_s_hi``,
        ``p50_s``/``p90_s`` of the simulated wall time (failures resubmitted at once until one
        succeeds), ``success_rate``, ``tasks`` (finished), ``succeeded``, ``failed``,
        ``mean_success_s``, ``mean_failure_s`` and ``note``: "too few tasks" below
        :data:`~aitoearn_lab.metrics.verdicts.MIN_TASKS` successes (no interval then), else empty.

    Examples
    --------
    >>> time_to_usable(tasks)[["rank", "expected_s", "success_rate"]]  # doctest: +SKIP
    """
    if by not in df.columns:
        raise ValueError(f"by must be a column of the frame such as 'model'; got {by!r}")
    if resamples < 1 or draws < 1:
        raise ValueError(f"resamples and draws must be at least 1; got {resamples}, {draws}")
    state = df["state"]
    finished = state.isin(["succeeded", "failed"]).fillna(False).to_numpy(dtype=bool)
    frame = pd.DataFrame(
        {
            "group": df[by].astype(object).to_numpy()[finished],
            "ok": (state == "succeeded").fillna(False).to_numpy(dtype=bool)[finished],
            "time": df["total_s"].to_numpy(dtype=float)[finished],
        }
    )
    frame["stratum"] = "all" if within is None else stratum_keys(df.loc[finished], within).values
    frame = frame[frame["group"].notna()]
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    for (group, stratum), part in frame.groupby(["group", "stratum"], sort=True):
        rng = _generator(seed, str(group), str(stratum))
        cells.setdefault(str(group), {})[str(stratum)] = _figures(
            part["time"].to_numpy(), part["ok"].to_numpy(), rng, resamples, draws
        )
    weights = _weights(frame, cells) if within is not None else {"all": 1.0}
    rows = {group: _row(per_stratum, weights, draws) for group, per_stratum in cells.items()}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(USABLE_COLUMNS[1:]))
    table.index.name = by
    table = table.sort_values(["expected_s"], na_position="last", kind="stable")
    ranked = table["note"] == ""
    table["rank"] = pd.array([pd.NA] * len(table), dtype="Int64")
    table.loc[ranked, "rank"] = np.arange(1, int(ranked.sum()) + 1)
    table = pd.concat([table[ranked], table[~ranked]])[list(USABLE_COLUMNS)]
    for name in ("tasks", "succeeded", "failed"):
        table[name] = table[name].astype(np.int64)
    if within is not None:
        table.attrs["within"] = list(within)
        table.attrs["strata"] = sorted(weights)
    return table


def expected_time(success_mean: float, failure_mean: float, failure_rate: float) -> float:
    """``success_mean + f/(1-f) × failure_mean``; infinite when nothing succeeds.

    >>> expected_time(60.0, 20.0, 0.5)
    80.0
    """
    if failure_rate >= 1.0:
        return math.inf
    if failure_rate == 0.0:
        return success_mean
    return success_mean + failure_rate / (1.0 - failure_rate) * failure_mean


def _figures(
    times: np.ndarray, ok: np.ndarray, rng: np.random.Generator, resamples: int, draws: int
) -> dict[str, Any]:
    """Point figure, bootstrap replicates and simulated wall times of one group in one stratum."""
    valid = times >= 0
    success = times[ok & valid]
    failure = times[~ok & valid]
    n, n_ok = ok.size, int(ok.sum())
    rate = 1.0 - n_ok / n
    s_mean = float(success.mean()) if success.size else math.nan
    f_mean = float(failure.mean()) if failure.size else (0.0 if rate == 0 else math.nan)
    point = expected_time(s_mean, f_mean, rate)
    boot = _bootstrap(times, ok, rng, resamples)
    simulated = _simulate(success, failure, rate, rng, draws)
    return {
        "expected": point,
        "boot": boot,
        "simulated": simulated,
        "tasks": n,
        "succeeded": n_ok,
        "success_mean": s_mean,
        "failure_mean": f_mean,
    }


def _bootstrap(
    times: np.ndarray, ok: np.ndarray, rng: np.random.Generator, resamples: int
) -> np.ndarray:
    """Replicates of the expected time from resampling the group's finished tasks."""
    n = ok.size
    valid = times >= 0
    success, failure = times[ok & valid], times[~ok & valid]
    if success.size == 0:
        return np.full(resamples, math.inf)
    if n <= EXACT_BOOTSTRAP_TASKS:
        picks = rng.integers(0, n, size=(resamples, n))
        ok_drawn, valid_drawn, time_drawn = (
            ok[picks],
            valid[picks],
            np.where(valid, times, 0)[picks],
        )
        k = ok_drawn.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            s_means = (time_drawn * (ok_drawn & valid_drawn)).sum(axis=1) / (
                ok_drawn & valid_drawn
            ).sum(axis=1)
            f_valid = ~ok_drawn & valid_drawn
            f_means = np.where(
                f_valid.any(axis=1), (time_drawn * f_valid).sum(axis=1) / f_valid.sum(axis=1), 0.0
            )
    else:
        k = rng.binomial(n, success.size / max(int(valid.sum()), 1), size=resamples)
        s_means = rng.normal(success.mean(), success.std() / np.sqrt(np.maximum(k, 1)))
        f_means = (
            rng.normal(failure.mean(), failure.std() / np.sqrt(np.maximum(n - k, 1)))
            if failure.size
            else np.zeros(resamples)
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        per_success = (n - k) / np.maximum(k, 1)  # f/(1-f) of the resample
        result = s_means + per_success * f_means
    return np.where(k > 0, result, math.inf)


def _simulate(
    success: np.ndarray, failure: np.ndarray, rate: float, rng: np.random.Generator, draws: int
) -> np.ndarray:
    """Wall times of simulated runs: failures (resubmitted at once) until the first success."""
    if success.size == 0 or rate >= 1.0 or rate / (1.0 - rate) > _MAX_FAILURES_PER_SUCCESS:
        return np.full(draws, np.nan)
    wall = success[rng.integers(0, success.size, draws)]
    if rate == 0.0 or failure.size == 0:
        return wall
    failures = rng.geometric(1.0 - rate, size=draws) - 1
    total = int(failures.sum())
    lost = failure[rng.integers(0, failure.size, total)]
    owner = np.repeat(np.arange(draws), failures)
    return wall + np.bincount(owner, weights=lost, minlength=draws)


def _weights(frame: pd.DataFrame, cells: dict[str, dict[str, dict[str, Any]]]) -> dict[str, float]:
    """Stratum weights shared by every ranked group: strata each such group succeeded in."""
    ranked = [
        per for per in cells.values() if sum(c["succeeded"] for c in per.values()) >= MIN_TASKS
    ]
    common: set[str] | None = None
    for per in ranked:
        mine = {stratum for stratum, cell in per.items() if cell["succeeded"] > 0}
        common = mine if common is None else common & mine
    counts = frame["stratum"].value_counts()
    chosen = sorted(common or [])
    total = float(sum(counts[s] for s in chosen))
    return {stratum: counts[stratum] / total for stratum in chosen} if total else {}


def _row(
    per_stratum: dict[str, dict[str, Any]], weights: dict[str, float], draws: int
) -> dict[str, Any]:
    cells = [per_stratum[s] for s in weights if s in per_stratum]
    covered = len(cells) == len(weights) and len(cells) > 0
    everything = list(per_stratum.values())
    tasks = sum(c["tasks"] for c in everything)
    succeeded = sum(c["succeeded"] for c in everything)
    row: dict[str, Any] = {
        "success_rate": succeeded / tasks if tasks else math.nan,
        "tasks": tasks,
        "succeeded": succeeded,
        "failed": tasks - succeeded,
        "mean_success_s": _pooled_mean(everything, "success_mean", "succeeded"),
        "mean_failure_s": _pooled_mean(everything, "failure_mean", "failed"),
        "note": "",
    }
    if not covered:
        row.update(expected_s=math.nan, expected_s_lo=math.nan, expected_s_hi=math.nan)
        row.update(p50_s=math.nan, p90_s=math.nan, note="not seen in every compared stratum")
    else:
        share = np.array([weights[s] for s in weights])
        row["expected_s"] = float(sum(w * c["expected"] for w, c in zip(share, cells, strict=True)))
        boot = sum(w * c["boot"] for w, c in zip(share, cells, strict=True))
        row["expected_s_lo"], row["expected_s_hi"] = _bounds(np.asarray(boot))
        counts = np.floor(share * draws).astype(int)
        simulated = np.concatenate([c["simulated"][:m] for c, m in zip(cells, counts, strict=True)])
        finite = simulated[~np.isnan(simulated)]
        row["p50_s"], row["p90_s"] = (
            (float(np.percentile(finite, 50)), float(np.percentile(finite, 90)))
            if finite.size
            else (math.nan, math.nan)
        )
    if succeeded < MIN_TASKS:
        row.update(expected_s_lo=math.nan, expected_s_hi=math.nan, p50_s=math.nan, p90_s=math.nan)
        row["note"] = TOO_FEW
    return row


def _pooled_mean(cells: list[dict[str, Any]], mean: str, count: str) -> float:
    pairs = [
        (c[mean], c[count] if count != "failed" else c["tasks"] - c["succeeded"]) for c in cells
    ]
    pairs = [(m, k) for m, k in pairs if k and not math.isnan(m)]
    total = sum(k for _, k in pairs)
    return sum(m * k for m, k in pairs) / total if total else math.nan


def _bounds(replicates: np.ndarray) -> tuple[float, float]:
    # inverted_cdf picks an actual replicate, so infinite ones (no success drawn) stay infinite
    # instead of turning the interpolation into NaN.
    low, high = np.quantile(replicates, [0.025, 0.975], method="inverted_cdf")
    return float(low), float(high)


def _generator(seed: int, group: str, stratum: str) -> np.random.Generator:
    return np.random.default_rng(
        [seed, zlib.crc32(group.encode("utf-8")), zlib.crc32(stratum.encode("utf-8"))]
    )
