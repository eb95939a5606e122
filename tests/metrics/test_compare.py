"""compare_models: medians, bootstrap intervals, the rank test and the verdict."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from aitoearn_lab import compare_models
from aitoearn_lab.metrics.compare import COMPARE_COLUMNS
from tests.support.records import done, frame, record


def two_models(fast: list[float], slow: list[float]) -> pd.DataFrame:
    rows = [done(i, "fast", queue=1, render=t - 1) for i, t in enumerate(fast)]
    rows += [done(100 + i, "slow", queue=1, render=t - 1) for i, t in enumerate(slow)]
    return frame(rows)


def test_clearly_different_models() -> None:
    tasks = two_models([10 + i for i in range(10)], [100 + i for i in range(10)])
    table = compare_models(tasks)
    assert list(table.columns) == list(COMPARE_COLUMNS)
    assert table["model"].tolist() == ["fast", "slow"]  # the fastest is the baseline, first
    base, slow = table.iloc[0], table.iloc[1]
    assert base["verdict"] == "baseline"
    assert math.isnan(base["p_value"])
    assert slow["baseline"] == "fast"
    assert slow["tasks"] == 10
    assert slow["baseline_tasks"] == 10
    assert slow["median"] == 104.5
    assert slow["baseline_median"] == 14.5
    assert slow["difference"] == 90.0
    assert slow["ratio"] == pytest.approx(104.5 / 14.5)
    assert 85 <= slow["difference_lo"] <= 90 <= slow["difference_hi"] <= 95
    assert slow["ratio_lo"] <= slow["ratio"] <= slow["ratio_hi"]
    # Every slow value beats every fast one: U = 100, mean 50, variance 100/12·21 = 175.
    assert slow["p_value"] == pytest.approx(math.erfc((50 - 0.5) / math.sqrt(175) / math.sqrt(2)))
    assert slow["verdict"] == "slower"


def test_against_a_chosen_baseline_the_other_model_is_faster() -> None:
    tasks = two_models([10 + i for i in range(10)], [100 + i for i in range(10)])
    table = compare_models(tasks, baseline="slow")
    assert table["model"].tolist() == ["slow", "fast"]
    assert table.iloc[1]["difference"] == -90.0
    assert table.iloc[1]["verdict"] == "faster"


def test_identical_samples_show_no_clear_difference() -> None:
    values = [30, 45, 60, 61, 80, 95]
    table = compare_models(two_models(values, values))
    other = table.iloc[1]
    assert other["difference"] == 0.0
    assert other["p_value"] == 1.0
    assert other["difference_lo"] <= 0 <= other["difference_hi"]
    assert other["verdict"] == "no clear difference"


def test_overlapping_small_samples_show_no_clear_difference() -> None:
    table = compare_models(two_models([10, 30, 50, 70, 90], [20, 40, 60, 80, 100]))
    assert table.iloc[1]["verdict"] == "no clear difference"


def test_results_are_reproducible_and_depend_on_the_seed() -> None:
    tasks = two_models(list(np.linspace(10, 60, 25)), list(np.linspace(20, 90, 30)))
    first = compare_models(tasks, seed=1)
    pd.testing.assert_frame_equal(first, compare_models(tasks, seed=1))
    other = compare_models(tasks, seed=2)
    bounds = ["difference_lo", "difference_hi", "ratio_lo", "ratio_hi"]
    # One bound may fall on the same pair of sample values under both seeds; not all four.
    assert first.iloc[1][bounds].tolist() != other.iloc[1][bounds].tolist()


def test_a_model_with_one_task_has_too_few() -> None:
    rows = [done(i, "fast", queue=1, render=10 + i) for i in range(5)]
    rows.append(done(50, "lonely", queue=1, render=99))
    rows.append(record(51, "waiting", "running", submitted=0, started=1))
    table = compare_models(frame(rows)).set_index("model")
    assert table.loc["lonely", "verdict"] == "too few tasks"
    assert table.loc["waiting", "tasks"] == 0
    assert table.loc["waiting", "verdict"] == "too few tasks"


def test_bad_arguments_name_the_parameter() -> None:
    tasks = two_models([1, 2], [3, 4])
    with pytest.raises(ValueError, match=r"metric must be one of .*'total_s'.*got 'wall_s'"):
        compare_models(tasks, metric="wall_s")
    with pytest.raises(ValueError, match=r"baseline must be one of the models fast, slow"):
        compare_models(tasks, baseline="nope")
