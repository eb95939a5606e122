"""overdue: unfinished tasks older than their model's censoring-aware turnaround quantile."""

from __future__ import annotations

import pandas as pd
import pytest

from aitoearn_lab import data_notes, overdue
from tests.support import ANCHOR
from tests.support.records import done, frame, record


def stuck_frame() -> pd.DataFrame:
    """20 finished tasks of 60..79 s; two running, submitted at 0 s and at 3000 s."""
    rows = [done(i, "A", queue=0, render=60 + i, submitted=i) for i in range(20)]
    rows.append(record(20, "A", "running", submitted=0))
    rows.append(record(21, "A", "running", submitted=3000))
    rows.append(record(22, "B", "running", submitted=0))  # B has nothing finished: not judged
    return frame(rows)


def at(seconds: float) -> pd.Timestamp:
    return pd.Timestamp(ANCHOR + seconds, unit="s", tz="UTC")


def test_a_stuck_task_is_named_with_its_age_and_the_quantile() -> None:
    late = overdue(stuck_frame(), quantile=0.8, now=at(3100))
    # Kaplan-Meier: both running tasks are censored after every event, so after the k-th of the
    # 20 events survival is (22 - k)/22; it first falls to 0.2 at k = 18, the 77 s task.
    assert late["task_id"].tolist() == [f"{20:024x}", f"{21:024x}"]
    assert late["age_s"].tolist() == [3100.0, 100.0]
    assert late["quantile_s"].tolist() == [77.0, 77.0]
    assert late["times_over"].tolist() == pytest.approx([3100 / 77, 100 / 77])
    assert set(late["quantile_basis"]) == {"kaplan-meier"}


def test_when_the_curve_never_falls_that_low_the_longest_turnaround_stands_in() -> None:
    late = overdue(stuck_frame(), quantile=0.99, now=at(3100))
    # Survival stops at 2/22 > 0.01: the longest finished turnaround (79 s) is the limit.
    assert late["quantile_s"].tolist() == [79.0, 79.0]
    assert set(late["quantile_basis"]) == {"longest seen"}


def test_now_defaults_to_the_latest_fetch_and_young_tasks_are_not_overdue() -> None:
    tasks = stuck_frame()
    tasks["fetched_at"] = at(3050)
    late = overdue(tasks, quantile=0.8)
    assert late["task_id"].tolist() == [f"{20:024x}"]  # 3050 s old; the other is only 50 s
    assert late["age_s"].tolist() == [3050.0]


def test_data_notes_mention_overdue_tasks() -> None:
    notes = data_notes(stuck_frame(), now=at(3100))
    line = [note for note in notes if "probably stuck" in note]
    assert len(line) == 1
    assert line[0].startswith("2 unfinished tasks are older than 99%")
    assert f"{20:024x}" in line[0] and "51 min 40 s" in line[0]


def test_nothing_unfinished_and_a_bad_quantile() -> None:
    tasks = frame([done(i, "A", queue=0, render=10) for i in range(6)])
    assert overdue(tasks).empty
    with pytest.raises(ValueError, match="quantile must be between 0 and 1"):
        overdue(tasks, quantile=99)
