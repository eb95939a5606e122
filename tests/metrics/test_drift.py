"""trend: per period and model, percentiles, failure rate with its interval, and shifts."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from aitoearn_lab import trend
from aitoearn_lab.metrics.drift import TREND_COLUMNS
from tests.support import ANCHOR
from tests.support.records import done, frame, record

DAY = 86400.0


def slow_day_frame() -> pd.DataFrame:
    """Three days of 10 tasks of 60..69 s each; on the third day they take 300..309 s."""
    rows, number = [], 0
    for day in range(3):
        for i in range(10):
            render = (300 if day == 2 else 60) + i
            rows.append(done(number, "A", queue=0, render=render, submitted=day * DAY + 60 * i))
            number += 1
    return frame(rows)


def test_a_slow_day_is_flagged_and_the_percentiles_are_right() -> None:
    table = trend(slow_day_frame(), freq="1D")
    assert list(table.columns) == ["model", *TREND_COLUMNS]
    assert table["tasks"].tolist() == [10, 10, 10]
    start = pd.Timestamp(ANCHOR, unit="s", tz="UTC").floor("1D")
    assert table["period_start"].tolist() == [start + pd.Timedelta(days=d) for d in range(3)]
    # 60..69: p50 = 64.5; p95 = 60 + 0.95·9 = 68.55 (linear interpolation).
    assert table["total_s_p50"].tolist() == [64.5, 64.5, 304.5]
    assert table["total_s_p95"].tolist() == pytest.approx([68.55, 68.55, 308.55])
    assert table["shift"].tolist() == [False, False, True]
    assert "median turnaround 304 s against 64 s before" in table["shift_reason"].iloc[2]
    # Day 1 has nothing earlier; day 2 is the same as day 1 (not slower: no p-value kept).
    assert math.isnan(table["turnaround_p_value"].iloc[0])
    assert math.isnan(table["turnaround_p_value"].iloc[1])


def failing_day_frame() -> pd.DataFrame:
    """Three days of 20 tasks (60 s successes); 1, 1, then 10 of them fail after 30 s."""
    rows, number = [], 0
    for day, failures in ((0, 1), (1, 1), (2, 10)):
        for i in range(20):
            submitted = day * DAY + 60 * i
            if i < failures:
                rows.append(
                    record(number, "A", "failed", submitted=submitted, finished=submitted + 30)
                )
            else:
                rows.append(done(number, "A", queue=0, render=60, submitted=submitted))
            number += 1
    return frame(rows)


def test_a_day_of_failures_is_flagged_by_the_two_proportion_test() -> None:
    table = trend(failing_day_frame(), freq="1D")
    assert table["failed"].tolist() == [1, 1, 10]
    assert table["failure_rate"].tolist() == [0.05, 0.05, 0.5]
    # Wilson 95% for 10 of 20: centre (0.5 + z²/40)/(1 + z²/20), half-width z·sqrt(0.25/20 +
    # z²/1600)/(1 + z²/20).
    z = 1.959963984540054
    centre = (0.5 + z * z / 40) / (1 + z * z / 20)
    half = z * math.sqrt(0.25 / 20 + z * z / 1600) / (1 + z * z / 20)
    assert table["failure_rate_lo"].iloc[2] == pytest.approx(centre - half)
    assert table["failure_rate_hi"].iloc[2] == pytest.approx(centre + half)
    # Day 3 against days 1-2 pooled: 10/20 against 2/40; pooled rate 12/60 = 0.2,
    # se = sqrt(0.2·0.8·(1/20 + 1/40)), z = 0.45 / se, one-sided p = erfc(z/√2)/2.
    se = math.sqrt(0.2 * 0.8 * (1 / 20 + 1 / 40))
    expected = 0.5 * math.erfc(0.45 / se / math.sqrt(2))
    assert table["failure_p_value"].iloc[2] == pytest.approx(expected)
    # Day 2 against day 1: the same rate, z = 0, p = 0.5.
    assert table["failure_p_value"].iloc[1] == pytest.approx(0.5)
    assert table["shift"].tolist() == [False, False, True]
    assert table["shift_reason"].iloc[2].startswith("failure rate 50% against 5% before")


def test_groups_are_separate_and_bad_arguments_are_named() -> None:
    tasks = slow_day_frame()
    tasks["model"] = tasks["model"].cat.add_categories(["B"])
    tasks.loc[tasks.index[::2], "model"] = "B"
    table = trend(tasks, freq="1D")
    assert table.groupby("model", observed=True).size().tolist() == [3, 3]
    with pytest.raises(ValueError, match="alpha must be between 0 and 1"):
        trend(tasks, alpha=5)
    with pytest.raises(ValueError, match="freq must be a pandas frequency"):
        trend(tasks, freq="fortnightly")
    assert trend(tasks.iloc[:0]).empty
