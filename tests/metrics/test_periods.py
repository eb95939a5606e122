"""timeline: activity per period, counted by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from aitoearn_lab import timeline
from aitoearn_lab.metrics.periods import TIMELINE_COLUMNS
from tests.support import ANCHOR
from tests.support.records import frame, record, world_frame


@pytest.fixture
def tasks() -> pd.DataFrame:
    """From 12:00 UTC: A submitted 12:10, started 12:15, succeeded 12:40; B submitted 12:20,
    started 12:50, failed 13:10; C submitted 12:30, running since 12:35; D queued at 13:05."""
    return frame(
        [
            record(1, "m", "succeeded", submitted=600, started=900, finished=2400),
            record(2, "m", "failed", submitted=1200, started=3000, finished=4200, error="x"),
            record(3, "m", "running", submitted=1800, started=2100),
            record(4, "m", "queued", submitted=3900),
            None,  # an ID that could not be fetched counts nowhere
        ]
    )


def test_hourly_counts_worked_by_hand(tasks: pd.DataFrame) -> None:
    table = timeline(tasks, freq="1h")
    assert list(table.columns) == list(TIMELINE_COLUMNS)
    start = pd.Timestamp(ANCHOR, unit="s", tz="UTC")
    assert table["period_start"].tolist() == [start, start + pd.Timedelta(hours=1)]
    assert table["period_end"].tolist() == [start + pd.Timedelta(hours=h) for h in (1, 2)]
    first, second = table.iloc[0], table.iloc[1]
    assert first[["submitted", "finished", "succeeded", "failed"]].tolist() == [3, 1, 1, 0]
    assert first["failure_rate"] == 0.0
    assert first["total_s_p50"] == 1800.0
    assert first["in_flight"] == 2  # B and C at 13:00
    assert first["waiting"] == 0  # A, B and C had all started by 13:00
    assert second[["submitted", "finished", "succeeded", "failed"]].tolist() == [1, 1, 0, 1]
    assert second["failure_rate"] == 1.0
    assert math.isnan(second["total_s_p50"])
    assert second["in_flight"] == 2  # C and D at 14:00
    assert second["waiting"] == 1  # D


def test_finer_and_calendar_frequencies(tasks: pd.DataFrame) -> None:
    quarter = timeline(tasks, freq="15min")
    assert len(quarter) == 5  # 12:00 .. 13:15, the last holding B's end at 13:10
    assert quarter["submitted"].sum() == 4
    assert quarter["finished"].tolist() == [0, 0, 1, 0, 1]
    weekly = timeline(tasks, freq="W")
    assert len(weekly) == 1
    assert weekly.iloc[0]["submitted"] == 4


def test_bad_or_too_fine_frequencies_are_refused(tasks: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="more than 20,000 periods"):
        timeline(tasks, freq="100ms")
    with pytest.raises(ValueError, match="freq"):
        timeline(tasks, freq="fortnightly")


def test_a_world_timeline_adds_up() -> None:
    tasks = world_frame(500, seed=3)
    table = timeline(tasks, freq="1h")
    assert table["submitted"].sum() == len(tasks)
    assert table["finished"].sum() == tasks["state"].isin(["succeeded", "failed"]).sum()
    assert table.iloc[-1]["in_flight"] == tasks["state"].isin(["queued", "running"]).sum()
    assert table.iloc[-1]["waiting"] == (tasks["state"] == "queued").sum()


def test_an_empty_frame_gives_an_empty_timeline() -> None:
    assert timeline(frame([None]), freq="1h").empty
