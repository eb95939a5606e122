"""Small statistics in numpy: Wilson intervals, Kaplan-Meier medians, bootstrap medians, rank test.

Each function takes plain arrays and returns plain numbers, so the DataFrame code in
:mod:`aitoearn_lab.metrics.summary` stays about tables and these stay easy to check by hand.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

Z_95: Final = 1.959963984540054
"""The standard normal quantile for a two-sided 95% interval."""

FloatArray = npt.NDArray[np.float64]


def wilson_interval(
    successes: npt.ArrayLike, trials: npt.ArrayLike, *, z: float = Z_95
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for a proportion, element-wise.

    Unlike the plain ``p ± z·sqrt(p(1-p)/n)``, it stays inside [0, 1] and is honest for small
    counts and for rates of 0 or 1.

    Parameters
    ----------
    successes, trials
        Counts (scalars or arrays of the same shape). ``trials == 0`` gives NaN bounds.
    z
        Normal quantile; the default gives a 95% interval.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper bounds.

    Examples
    --------
    >>> low, high = wilson_interval(3, 10)
    >>> round(float(low), 4), round(float(high), 4)
    (0.1078, 0.6032)
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        z2 = z * z
        denominator = 1.0 + z2 / n
        centre = (p + z2 / (2.0 * n)) / denominator
        half = z * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denominator
    empty = n <= 0
    low = np.where(empty, np.nan, np.clip(centre - half, 0.0, 1.0))
    high = np.where(empty, np.nan, np.clip(centre + half, 0.0, 1.0))
    return low, high


def kaplan_meier(
    durations: npt.ArrayLike, observed: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """The Kaplan-Meier survival curve of durations with right-censoring.

    Parameters
    ----------
    durations
        Time of each subject: its event time when ``observed``, else how long it was watched
        without the event (a task still running: its age when last seen).
    observed
        True where the event (the task finished) was seen.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The distinct event times, ascending, and the survival probability just after each.
        A subject censored at the same time as an event is still counted at risk at that time.
    """
    times = np.asarray(durations, dtype=float)
    events = np.asarray(observed, dtype=bool)
    keep = ~np.isnan(times)
    times, events = times[keep], events[keep]
    if not events.any():
        return np.empty(0), np.empty(0)
    ordered = np.sort(times)
    event_times, deaths = np.unique(times[events], return_counts=True)
    at_risk = ordered.size - np.searchsorted(ordered, event_times, side="left")
    survival = np.cumprod(1.0 - deaths / at_risk)
    return event_times.astype(np.float64), survival.astype(np.float64)


def kaplan_meier_median(durations: npt.ArrayLike, observed: npt.ArrayLike) -> float:
    """The median of the Kaplan-Meier curve: when half of the subjects have had the event.

    It is the first event time where survival falls to 0.5 or below. Where the curve sits at
    exactly 0.5 between two event times, the midpoint of the two is taken, so that without
    censoring the result equals the plain median. NaN when the curve never reaches 0.5 (more than
    half of the subjects were still waiting when last seen).

    Examples
    --------
    Finished at 10, 30, 50 and 70 s; still running at 20, 40 and 60 s:

    >>> kaplan_meier_median([10, 20, 30, 40, 50, 60, 70], [1, 0, 1, 0, 1, 0, 1])
    50.0
    >>> kaplan_meier_median([10, 20, 30, 40], [1, 1, 1, 1])
    25.0
    """
    event_times, survival = kaplan_meier(durations, observed)
    below = np.flatnonzero(survival <= 0.5 + 1e-12)
    if below.size == 0:
        return math.nan
    first = int(below[0])
    if abs(survival[first] - 0.5) < 1e-12 and first + 1 < event_times.size:
        return float((event_times[first] + event_times[first + 1]) / 2.0)
    return float(event_times[first])


def median_of_sorted(values: FloatArray) -> float:
    """The median of an ascending array (NaN when empty)."""
    n = values.size
    if n == 0:
        return math.nan
    middle = n // 2
    if n % 2:
        return float(values[middle])
    return float((values[middle - 1] + values[middle]) / 2.0)


def bootstrap_medians(
    sorted_values: FloatArray, *, resamples: int, rng: np.random.Generator
) -> FloatArray:
    """Medians of bootstrap resamples of a sample, drawn in O(1) each.

    A resample's k-th smallest value is the original's ``ceil(n·V)``-th, where ``V`` is the k-th
    smallest of n uniform draws and so follows Beta(k, n - k + 1); the next order statistic is
    ``V + (1 - V)·Beta(1, n - k)``. Drawing those gives exactly the distribution an ordinary
    bootstrap would, without building the resamples, so a million-row sample costs no more than
    a small one.

    Parameters
    ----------
    sorted_values
        The sample, ascending, without NaN.
    resamples
        How many bootstrap medians to draw.
    rng
        The random generator (seed it for reproducible intervals).
    """
    n = sorted_values.size
    if n == 0:
        return np.full(resamples, np.nan)
    if n == 1:
        return np.full(resamples, float(sorted_values[0]))
    k = (n + 1) // 2  # the lower middle: the median itself when n is odd
    lower = rng.beta(k, n - k + 1, size=resamples)
    lower_rank = np.clip(np.ceil(lower * n).astype(np.int64), 1, n)
    if n % 2:
        return sorted_values[lower_rank - 1]
    # Beta(1, m) is 1 - V**(1/m) for a uniform V, that is -expm1(-E/m) for E ~ Exp(1): exact,
    # and several times cheaper to draw than a general beta.
    gap = -np.expm1(-rng.standard_exponential(resamples) / (n - k))
    upper = lower + (1.0 - lower) * gap
    upper_rank = np.clip(np.ceil(upper * n).astype(np.int64), 1, n)
    return (sorted_values[lower_rank - 1] + sorted_values[upper_rank - 1]) / 2.0


def mann_whitney_u(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[float, float]:
    """Two-sided Mann-Whitney U test by the normal approximation, with tie and continuity
    corrections (what ``scipy.stats.mannwhitneyu(x, y, method="asymptotic")`` computes).

    Returns
    -------
    (float, float)
        U of ``x`` (the number of pairs where x > y, ties counting one half) and the p-value;
        NaN p-value when either sample is empty or every value is tied.

    Examples
    --------
    >>> u, p = mann_whitney_u([1, 2, 3], [4, 5, 6])
    >>> u, round(p, 4)
    (0.0, 0.0809)
    """
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    return mann_whitney_sorted(np.sort(a[~np.isnan(a)]), np.sort(b[~np.isnan(b)]))


def mann_whitney_sorted(a: FloatArray, b: FloatArray) -> tuple[float, float]:
    """:func:`mann_whitney_u` of two samples already ascending and without NaN.

    U is counted from the sorted samples (for each x, the y below it and half the y equal to it)
    instead of ranking the pooled sample: the like-for-like comparison tests every stratum of
    every model, and its samples are sorted already.
    """
    n1, n2 = a.size, b.size
    if n1 == 0 or n2 == 0:
        return math.nan, math.nan
    below = np.searchsorted(b, a, side="left")
    up_to = np.searchsorted(b, a, side="right")
    u1 = float(below.sum() + 0.5 * (up_to - below).sum())
    n = n1 + n2
    pooled = np.concatenate((a, b))
    pooled.sort(kind="mergesort")  # two sorted runs: merged
    edges = np.flatnonzero(np.diff(pooled) != 0) + 1
    tie_counts = np.diff(np.concatenate(([0], edges, [n]))).astype(float)
    tie_term = float(((tie_counts**3) - tie_counts).sum())
    variance = n1 * n2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1)))
    if variance <= 0:
        return u1, math.nan
    mean = n1 * n2 / 2.0
    distance = max(abs(u1 - mean) - 0.5, 0.0)
    z = distance / math.sqrt(variance)
    return u1, min(1.0, math.erfc(z / math.sqrt(2.0)))
