"""time_to_usable: the expected wall time to one usable video, counting failed attempts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from aitoearn_lab import compare_models, time_to_usable
from aitoearn_lab.metrics.usable import USABLE_COLUMNS, expected_time
from tests.support.records import done, frame, record


def flip_frame() -> pd.DataFrame:
    """reliable: 10 successes of 60 s. flaky: 10 successes of 40 s and 10 failures at 30 s."""
    rows = [done(i, "reliable", queue=0, render=60) for i in range(10)]
    rows += [done(100 + i, "flaky", queue=0, render=40) for i in range(10)]
    rows += [
        record(200 + i, "flaky", "failed", submitted=0, finished=30, error="Internal error")
        for i in range(10)
    ]
    return frame(rows)


def test_failures_flip_the_ranking() -> None:
    tasks = flip_frame()
    # On successes alone the flaky model is the faster one ...
    assert compare_models(tasks)["model"].iloc[0] == "flaky"
    table = time_to_usable(tasks)
    assert list(table.columns) == list(USABLE_COLUMNS)
    # ... but counting failures: 40 + (0.5 / 0.5) × 30 = 70 s against 60 s.
    assert table.index.tolist() == ["reliable", "flaky"]
    assert table["rank"].tolist() == [1, 2]
    assert table.loc["reliable", "expected_s"] == 60.0
    assert table.loc["flaky", "expected_s"] == pytest.approx(70.0)
    assert table.loc["flaky", "success_rate"] == 0.5
    assert table.loc["flaky", "tasks"] == 20
    assert table.loc["flaky", "mean_failure_s"] == 30.0
    flaky = table.loc["flaky"]
    assert flaky["expected_s_lo"] < 70.0 < flaky["expected_s_hi"]
    # Never failing, never varying: nothing to be unsure about.
    assert table.loc["reliable", "expected_s_lo"] == table.loc["reliable", "expected_s_hi"] == 60
    # Simulated: 40 s + 30 s per failure, failures geometric with p = 0.5. P(≤ 2 failures) =
    # 0.875 and P(≤ 3) = 0.9375, so the 90th percentile is 40 + 3 × 30 = 130 s.
    assert table.loc["flaky", "p90_s"] == 130.0
    assert table.loc["reliable", "p50_s"] == 60.0


def test_the_formula() -> None:
    assert expected_time(60.0, 20.0, 0.5) == 80.0
    assert expected_time(60.0, 20.0, 0.75) == 120.0  # three failures per success
    assert expected_time(60.0, math.nan, 0.0) == 60.0
    assert math.isinf(expected_time(math.nan, 20.0, 1.0))


def test_two_successes_are_too_few_and_show_no_interval() -> None:
    rows = [done(i, "many", queue=0, render=50 + i) for i in range(10)]
    rows += [done(50, "pair", queue=0, render=10), done(51, "pair", queue=0, render=11)]
    table = time_to_usable(frame(rows))
    assert table.index.tolist() == ["many", "pair"]  # too few go last, unranked
    pair = table.loc["pair"]
    assert pair["note"] == "too few tasks"
    assert pd.isna(pair["rank"])
    assert pair["expected_s"] == 10.5  # the point figure is still shown
    for name in ("expected_s_lo", "expected_s_hi", "p50_s", "p90_s"):
        assert math.isnan(pair[name]), name
    assert table.loc["many", "rank"] == 1


def simpson_frame() -> pd.DataFrame:
    """A is faster at every resolution but mostly got 1080p; B mostly 720p.

    A: 720p 5 tasks of 28..32 s (median 30), 1080p 25 of 88..112 s (median 100).
    B: 720p 25 tasks of 28..52 s (median 40), 1080p 5 of 108..112 s (median 110).
    """
    rows, number = [], 0
    for model, resolution, values in (
        ("A", "720p", range(28, 33)),
        ("A", "1080p", range(88, 113)),
        ("B", "720p", range(28, 53)),
        ("B", "1080p", range(108, 113)),
    ):
        for value in values:
            rows.append(done(number, model, queue=0, render=value, resolution=resolution))
            number += 1
    return frame(rows)


def test_like_for_like_time_to_usable_reverses_simpson() -> None:
    tasks = simpson_frame()
    overall = time_to_usable(tasks)
    # Overall means: A (5·30 + 25·100)/30 = 88.33, B (25·40 + 5·110)/30 = 51.67.
    assert overall.index.tolist() == ["B", "A"]
    assert overall.loc["A", "expected_s"] == pytest.approx(2650 / 30)
    assert overall.loc["B", "expected_s"] == pytest.approx(1550 / 30)
    matched = time_to_usable(tasks, within=["input_resolution"])
    # Each resolution holds 30 of the 60 tasks: A 0.5·30 + 0.5·100 = 65, B 0.5·40 + 0.5·110 = 75.
    assert matched.index.tolist() == ["A", "B"]
    assert matched.loc["A", "expected_s"] == pytest.approx(65.0)
    assert matched.loc["B", "expected_s"] == pytest.approx(75.0)
    assert matched.attrs["strata"] == ["1080p", "720p"]
    assert matched.loc["A", "expected_s_lo"] < 65.0 < matched.loc["A", "expected_s_hi"]


def test_reproducible_and_bad_arguments() -> None:
    tasks = flip_frame()
    pd.testing.assert_frame_equal(time_to_usable(tasks, seed=3), time_to_usable(tasks, seed=3))
    with pytest.raises(ValueError, match="by must be a column"):
        time_to_usable(tasks, by="colour")
    with pytest.raises(ValueError, match="within names column"):
        time_to_usable(tasks, within=["colour"])


def test_a_large_group_uses_the_normal_bootstrap_and_stays_consistent() -> None:
    rng = np.random.default_rng(1)
    rows = [done(i, "big", queue=0, render=float(rng.integers(30, 90))) for i in range(900)]
    rows += [
        record(1000 + i, "big", "failed", submitted=0, finished=20, error="x") for i in range(100)
    ]
    table = time_to_usable(frame(rows))
    big = table.loc["big"]
    assert big["expected_s"] == pytest.approx(big["mean_success_s"] + 100 / 900 * 20)
    assert big["expected_s_lo"] < big["expected_s"] < big["expected_s_hi"]
    assert big["expected_s_hi"] - big["expected_s_lo"] < 5
