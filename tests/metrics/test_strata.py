"""Like-for-like comparison (compare_models within=) and honest small samples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aitoearn_lab import compare_models, mix_notes
from aitoearn_lab.metrics.answers import mix_summary
from aitoearn_lab.metrics.compare import COMPARE_COLUMNS
from aitoearn_lab.metrics.verdicts import MIN_TASKS
from tests.metrics.test_usable import simpson_frame
from tests.support.records import done, frame


def test_simpsons_pair_is_slower_overall_and_faster_like_for_like() -> None:
    tasks = simpson_frame()
    overall = compare_models(tasks).set_index("model")
    # Overall medians: A 97.5 (15th and 16th of 30 values: 97, 98), B 42.5 (42, 43).
    assert overall.loc["A", "baseline"] == "B"
    assert overall.loc["A", "median"] == 97.5
    assert overall.loc["A", "baseline_median"] == 42.5
    assert overall.loc["A", "verdict"] == "slower"

    matched = compare_models(tasks, within=["input_resolution", "input_duration"])
    assert list(matched.columns) == [*COMPARE_COLUMNS, "strata", "excluded_tasks"]
    a = matched.set_index("model").loc["A"]
    # Both strata weigh 30 comparable tasks: A 0.5·30 + 0.5·100 = 65, B 0.5·40 + 0.5·110 = 75.
    assert a["median"] == 65.0
    assert a["baseline_median"] == 75.0
    assert a["difference"] == -10.0
    assert a["ratio"] == pytest.approx(65 / 75)
    assert a["tasks"] == 30 and a["baseline_tasks"] == 30
    assert a["strata"] == 2 and a["excluded_tasks"] == 0
    assert a["difference_lo"] <= -10.0 <= a["difference_hi"] < 0
    assert a["p_value"] < 0.05
    assert a["verdict"] == "faster"

    notes = mix_notes(compare_models(tasks), matched)
    assert len(notes) == 1
    assert "overall it is slower than the baseline" in notes[0]
    assert "like for like" in notes[0] and "it is faster than the baseline" in notes[0]


def test_no_note_when_the_mixes_agree() -> None:
    rows = [done(i, "A", queue=0, render=30 + i) for i in range(8)]
    rows += [done(50 + i, "B", queue=0, render=60 + i) for i in range(8)]
    tasks = frame(rows)
    assert (
        mix_notes(compare_models(tasks), compare_models(tasks, within=["input_resolution"])) == []
    )


def test_strata_the_baseline_never_ran_are_excluded_and_counted() -> None:
    rows = [done(i, "A", queue=0, render=30 + i, resolution="720p") for i in range(6)]
    rows += [done(20 + i, "A", queue=0, render=90 + i, resolution="4k") for i in range(3)]
    rows += [done(50 + i, "B", queue=0, render=40 + i, resolution="720p") for i in range(6)]
    table = compare_models(frame(rows), baseline="B", within=["input_resolution"])
    a = table.set_index("model").loc["A"]
    assert a["tasks"] == 6  # only the 720p tasks were comparable
    assert a["excluded_tasks"] == 3
    assert a["strata"] == 1
    assert a["median"] == 32.5 and a["baseline_median"] == 42.5


def test_a_model_with_two_successes_gets_too_few_and_no_interval() -> None:
    rows = [done(i, "steady", queue=0, render=60 + i) for i in range(10)]
    rows += [done(50, "pair", queue=0, render=10), done(51, "pair", queue=0, render=12)]
    for within in (None, ["input_resolution"]):
        row = compare_models(frame(rows), within=within).set_index("model").loc["pair"]
        assert row["verdict"] == "too few tasks"
        for name in ("difference_lo", "difference_hi", "ratio_lo", "ratio_hi", "p_value"):
            assert math.isnan(row[name]), name
        assert f"at least {MIN_TASKS} on each side" in row["evidence"]
        assert row["difference"] == 11 - 64.5  # the plain figure stays, without a decisive interval


def test_verdict_interval_and_p_value_never_contradict() -> None:
    rng = np.random.default_rng(11)
    seen = set()
    for trial in range(60):
        size = int(rng.integers(MIN_TASKS, 9))
        shift = float(rng.uniform(0, 25))
        rows = [done(i, "base", queue=0, render=float(v)) for i, v in
                enumerate(rng.normal(60, 10, size).round(1).clip(1))]  # fmt: skip
        rows += [done(100 + i, "other", queue=0, render=float(v)) for i, v in
                 enumerate(rng.normal(60 + shift, 10, size).round(1).clip(1))]  # fmt: skip
        row = compare_models(frame(rows), baseline="base", seed=trial).iloc[1]
        excludes = row["difference_hi"] < 0 or row["difference_lo"] > 0
        significant = row["p_value"] < 0.05
        decided = row["verdict"] in ("faster", "slower")
        assert decided == (excludes and significant), row.to_dict()
        if excludes and not significant:
            assert "does not agree" in row["evidence"]
            seen.add("disagree")
        if row["verdict"] == "slower":
            assert row["difference_lo"] > 0
            seen.add("slower")
    assert "slower" in seen


def test_a_resolution_in_capitals_is_the_same_stratum() -> None:
    # The platform sends "720P" from one model and "720p" from another (the reference answers).
    rows = [done(i, "A", queue=0, render=30 + i, resolution="720P") for i in range(6)]
    rows += [done(50 + i, "B", queue=0, render=40 + i, resolution="720p") for i in range(6)]
    a = compare_models(frame(rows), baseline="B", within=["input_resolution"]).iloc[1]
    assert (a["model"], a["tasks"], a["baseline_tasks"], a["strata"]) == ("A", 6, 6, 1)
    assert a["excluded_tasks"] == 0 and a["verdict"] == "faster"


def test_a_model_with_no_shared_inputs_is_not_an_answer_that_changed() -> None:
    rows = [done(i, "A", queue=0, render=30 + i, resolution="1080p") for i in range(6)]
    rows += [done(50 + i, "B", queue=0, render=40 + i, resolution="720p") for i in range(6)]
    tasks = frame(rows)
    overall = compare_models(tasks, baseline="B")
    matched = compare_models(tasks, baseline="B", within=["input_resolution"])
    assert matched.set_index("model").loc["A", "verdict"] == "too few tasks"
    assert mix_notes(overall, matched) == [
        "A cannot be compared with B like for like (input_resolution): only 0 against 0 "
        "comparable tasks, so its overall verdict (faster) rests on different inputs."
    ]
    assert mix_summary(overall, matched) == [
        "Compared with B inside the same resolution, every model that can be compared like for "
        "like gets the verdict it gets overall.",
        "Too few tasks in input configurations shared with B to compare like for like: A (0 "
        "against 0); their overall verdicts rest on different inputs.",
    ]
