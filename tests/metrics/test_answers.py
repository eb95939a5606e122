"""The answers in words, on frames whose answers are worked by hand."""

from __future__ import annotations

from aitoearn_lab.metrics.answers import (
    like_for_like_answer,
    overdue_answer,
    trend_answer,
    usable_answer,
    wasted_answer,
)
from aitoearn_lab.metrics.moments import format_duration
from tests.metrics.test_drift import slow_day_frame
from tests.metrics.test_lateness import at, stuck_frame
from tests.metrics.test_usable import flip_frame, simpson_frame
from tests.support.records import done, frame, record


def test_a_simpson_pair_says_the_mixes_change_the_answer() -> None:
    said = like_for_like_answer(simpson_frame())
    # Overall A's median is 97.5 s against B's 42.5 s (slower); inside each resolution A is
    # faster (30 against 40 s, 100 against 110 s), on all 30 + 30 tasks.
    assert said.sentences == [
        "The input mixes change the answer. Compared with B inside the same resolution and "
        "duration: A is slower than the baseline overall but faster than the baseline like for "
        "like (30 against 30 comparable tasks). The like-for-like answer is the one to trust."
    ]
    assert said.tables["overall"]["verdict"].tolist() == ["baseline", "slower"]
    assert said.tables["matched"]["verdict"].tolist() == ["baseline", "faster"]


def test_one_input_configuration_changes_nothing_and_one_model_has_nothing_to_compare() -> None:
    said = like_for_like_answer(flip_frame())
    assert said.sentences == [
        "The input mixes do not change the answer: compared with flaky inside the same "
        "resolution and duration, every model gets the verdict it gets overall."
    ]
    alone = flip_frame()
    alone = alone[alone["model"] == "reliable"]
    assert like_for_like_answer(alone).sentences == [
        "Nothing to compare: fewer than two models with tasks."
    ]


def test_the_fastest_usable_video_is_the_one_failures_do_not_slow_down() -> None:
    said = usable_answer(flip_frame())
    # reliable: 60 s; flaky: 40 s + (10 / 10) × 30 s = 70 s.
    assert said.sentences[0] == (
        f"Fastest usable video: reliable, expected {format_duration(60.0)} (95% interval "
        f"{format_duration(60.0)}–{format_duration(60.0)}), counting failed attempts "
        "resubmitted at once."
    )
    assert "Like for like tab" in said.sentences[1]
    assert said.tables["table"].index.tolist() == ["reliable", "flaky"]


def test_a_stuck_task_is_named_and_young_ones_are_counted() -> None:
    tasks = stuck_frame()
    tasks["fetched_at"] = at(3100)
    said = overdue_answer(tasks)
    # Kaplan-Meier survival never falls to 1%: the longest turnaround, 79 s, is the limit; the
    # task running since 0 s has waited 3,100 s, 39.2 times that.
    assert said.sentences == [
        "2 unfinished tasks are older than 99% of their model's turnarounds and probably stuck; "
        f"the worst, {20:024x} (A), has waited {format_duration(3100.0)}, 39.2× that."
    ]
    young = stuck_frame()
    young["fetched_at"] = at(70)  # both A tasks younger than 79 s; B is not judged
    assert overdue_answer(young).sentences == [
        "No unfinished task is overdue: 3 tasks are queued or running, none older than 99% of "
        "its model's turnarounds."
    ]


def test_a_slow_day_is_named() -> None:
    said = trend_answer(slow_day_frame())
    reason = said.tables["table"]["shift_reason"].iloc[2]
    day = said.tables["table"]["period_start"].iloc[2]
    assert said.sentences == [f"Worse than before: A on {day:%Y-%m-%d} 00:00 UTC: {reason}."]
    assert "median turnaround 304 s against 64 s before" in reason


def test_wasted_time_by_category_says_whose_move_it_is() -> None:
    tasks = frame(
        [
            record(1, "alpha", "failed", submitted=0, started=10, finished=910, error="timed out"),
            record(2, "beta", "failed", submitted=0, started=5, finished=6, error="quota hit"),
            record(3, "beta", "failed", submitted=0, started=0, finished=40, error="quota hit"),
            done(4, "alpha", queue=1, render=50),
        ]
    )
    assert wasted_answer(tasks).sentences == [
        "By category: quota: 2 failures, 41 s of render time (top up credits); timeout: "
        "1 failure, 15 min 00 s of render time (the platform or its provider)."
    ]
    assert wasted_answer(tasks.iloc[3:]).sentences == ["No failed tasks."]
