"""The statistics against figures worked out by hand."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from aitoearn_lab.metrics.stats import (
    bootstrap_medians,
    kaplan_meier,
    kaplan_meier_median,
    mann_whitney_u,
    median_of_sorted,
    wilson_interval,
)


def test_wilson_interval_for_3_failures_of_10() -> None:
    # p = 0.3, n = 10, z² = 3.8415: centre (0.3 + 0.19207) / 1.38415 = 0.35551,
    # half-width 1.95996·sqrt(0.021 + 0.0096037) / 1.38415 = 0.24772.
    # To ten places (z = 1.959964 exactly; z = 1.96 gives 0.1077892875 and 0.6032267800, which
    # the tolerance of 1e-9 tells apart).
    low, high = wilson_interval(3, 10)
    assert float(low) == pytest.approx(0.1077912674, abs=1e-9)
    assert float(high) == pytest.approx(0.6032218525, abs=1e-9)
    assert float(wilson_interval(3, 10, z=1.96)[0]) == pytest.approx(0.1077892875, abs=1e-9)


def test_wilson_interval_uses_the_exact_normal_quantile() -> None:
    z = NormalDist().inv_cdf(0.975)  # 1.9599639845..., not 1.96
    p, n = 0.3, 10
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low, high = wilson_interval(3, 10)
    assert float(low) == pytest.approx(centre - half, rel=1e-12)
    assert float(high) == pytest.approx(centre + half, rel=1e-12)


def test_wilson_interval_at_the_edges_stays_inside_0_and_1() -> None:
    # 0 of 4: centre = half-width = (z²/8) / (1 + z²/4) = 0.24495, so [0, 0.48990].
    low, high = wilson_interval([0, 4, 0], [4, 4, 0])
    assert low[0] == 0.0
    assert high[0] == pytest.approx(0.4898908365, abs=1e-9)  # 0.4899000204 with z = 1.96
    assert low[1] == pytest.approx(1 - 0.4898908365, abs=1e-9)
    assert high[1] == 1.0
    assert np.isnan(low[2])
    assert np.isnan(high[2])


def test_kaplan_meier_median_with_censored_tasks_worked_by_hand() -> None:
    # Finished at 10, 30, 50, 70 s; still running at 20, 40, 60 s. At risk / survival:
    # 10: 7 at risk, S = 6/7; 30: 5 at risk, S = 6/7·4/5 = 0.686; 50: 3 at risk,
    # S = 0.686·2/3 = 0.457 <= 0.5, so the median is 50 s (the plain median of the finished
    # tasks, 40 s, pretends the running ones do not exist).
    times, survival = kaplan_meier([10, 20, 30, 40, 50, 60, 70], [1, 0, 1, 0, 1, 0, 1])
    assert times.tolist() == [10, 30, 50, 70]
    assert survival.tolist() == pytest.approx([6 / 7, 24 / 35, 16 / 35, 0.0])
    assert kaplan_meier_median([10, 20, 30, 40, 50, 60, 70], [1, 0, 1, 0, 1, 0, 1]) == 50.0


def test_kaplan_meier_median_without_censoring_is_the_plain_median() -> None:
    assert kaplan_meier_median([40, 10, 30, 20], [1, 1, 1, 1]) == 25.0  # flat at 0.5: midpoint
    assert kaplan_meier_median([10, 20, 30], [1, 1, 1]) == 20.0


def test_kaplan_meier_median_is_undefined_while_most_tasks_still_run() -> None:
    # One finished at 10 s, three running: S never drops below 3/4.
    assert math.isnan(kaplan_meier_median([10, 100, 200, 300], [1, 0, 0, 0]))
    assert math.isnan(kaplan_meier_median([], []))


def test_kaplan_meier_counts_a_task_censored_at_an_event_time_as_at_risk() -> None:
    # Event and censoring both at 10: 3 at risk at 10, so S(10) = 2/3, not 1/2.
    _, survival = kaplan_meier([10, 10, 20], [1, 0, 1])
    assert survival.tolist() == pytest.approx([2 / 3, 0.0])


def test_bootstrap_medians_match_a_brute_force_bootstrap() -> None:
    rng = np.random.default_rng(3)
    for n in (9, 10):
        sample = np.sort(rng.lognormal(3.0, 1.0, n))
        fast = bootstrap_medians(sample, resamples=40_000, rng=np.random.default_rng(1))
        slow = np.median(sample[rng.integers(0, n, size=(40_000, n))], axis=1)
        for q in (5, 25, 50, 75, 95):
            # the same discrete distribution: quantiles land on the same few values
            assert np.percentile(fast, q) == pytest.approx(np.percentile(slow, q), rel=0.05)
        assert fast.mean() == pytest.approx(slow.mean(), rel=0.01)


def test_bootstrap_medians_are_reproducible_and_stay_within_the_sample() -> None:
    sample = np.sort(np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]))
    first = bootstrap_medians(sample, resamples=500, rng=np.random.default_rng(7))
    second = bootstrap_medians(sample, resamples=500, rng=np.random.default_rng(7))
    assert first.tolist() == second.tolist()
    assert first.min() >= 1.0
    assert first.max() <= 9.0
    assert (
        bootstrap_medians(np.array([4.0]), resamples=3, rng=np.random.default_rng()).tolist()
        == [4.0] * 3
    )
    assert np.isnan(bootstrap_medians(np.empty(0), resamples=2, rng=np.random.default_rng())).all()


def test_median_of_sorted() -> None:
    assert median_of_sorted(np.array([1.0, 2.0, 10.0])) == 2.0
    assert median_of_sorted(np.array([1.0, 2.0, 4.0, 10.0])) == 3.0
    assert math.isnan(median_of_sorted(np.empty(0)))


@pytest.mark.parametrize("seed", range(5))
def test_mann_whitney_equals_the_pair_count_with_ties(seed: int) -> None:
    # U by its definition, over every pair; the tie term from the pooled sample's counts.
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 12, size=int(rng.integers(1, 40))).astype(float)
    y = rng.integers(0, 12, size=int(rng.integers(1, 40))).astype(float)
    pairs = x[:, None] - y[None, :]
    expected_u = float((pairs > 0).sum() + 0.5 * (pairs == 0).sum())
    _, counts = np.unique(np.concatenate((x, y)), return_counts=True)
    n1, n2, n = x.size, y.size, x.size + y.size
    variance = n1 * n2 / 12.0 * ((n + 1) - float((counts**3 - counts).sum()) / (n * (n - 1)))
    z = max(abs(expected_u - n1 * n2 / 2.0) - 0.5, 0.0) / math.sqrt(variance)
    u, p = mann_whitney_u(rng.permutation(x), rng.permutation(y))
    assert u == expected_u
    assert p == pytest.approx(min(1.0, math.erfc(z / math.sqrt(2.0))), rel=1e-12)


def test_mann_whitney_without_ties_worked_by_hand() -> None:
    # x entirely below y: U = 0; mean n1·n2/2 = 4.5; variance 3·3/12·7 = 5.25;
    # z = (4.5 - 0.5) / sqrt(5.25) = 1.7457; p = erfc(z / sqrt 2) = 0.0809.
    u, p = mann_whitney_u([1, 2, 3], [4, 5, 6])
    assert u == 0.0
    assert p == pytest.approx(math.erfc(4.0 / math.sqrt(5.25) / math.sqrt(2)))
    assert p == pytest.approx(0.08086, abs=1e-5)


def test_mann_whitney_with_ties_worked_by_hand() -> None:
    # Combined 1 2 2 2 3 3: ranks 1, 3, 3, 3, 5.5, 5.5; R(x) = 7, U = 7 - 6 = 1.
    # Tie term (3³-3) + (2³-2) = 30; variance 9/12·(7 - 30/30) = 4.5; z = 3 / sqrt(4.5) = sqrt 2.
    u, p = mann_whitney_u([1, 2, 2], [2, 3, 3])
    assert u == 1.0
    assert p == pytest.approx(math.erfc(1.0), abs=1e-12)


def test_mann_whitney_on_identical_or_empty_samples() -> None:
    u, p = mann_whitney_u([5, 6, 7], [5, 6, 7])
    assert u == 4.5
    assert p == 1.0
    assert math.isnan(mann_whitney_u([1, 1], [1, 1])[1])  # every value tied: no evidence
    assert math.isnan(mann_whitney_u([], [1, 2])[1])
