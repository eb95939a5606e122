"""summarize and data_notes against small frames worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from aitoearn_lab import data_notes, summarize
from aitoearn_lab.metrics.notes import ZERO_QUEUE_NOTE
from aitoearn_lab.metrics.summary import SUMMARY_COLUMNS
from tests.support import ANCHOR
from tests.support.records import done, frame, record, world_frame

NOW = ANCHOR + 3600  # the moment the hand-made frames describe


@pytest.fixture
def tasks() -> pd.DataFrame:
    """alpha: 7 succeeded (queue 1..7 s, render 9..63 s, so turnaround 10..70 s), 3 failed
    after 100 s, 2 running for 300 and 500 s. beta: 4 succeeded in 10..40 s with no queue,
    1 queued, 1 with a status nobody knows. gamma: 1 task whose finishedAt is before its
    startedAt. Plus one ID that could not be fetched."""
    rows: list[dict[str, object] | None] = []
    for i in range(1, 8):
        rows.append(done(i, "alpha", queue=i, render=9 * i))
    for i in range(3):
        rows.append(
            record(20 + i, "alpha", "failed", submitted=0, started=10, finished=100, error="boom")
        )
    rows.append(record(30, "alpha", "running", submitted=3600 - 300, started=3600 - 250))
    rows.append(record(31, "alpha", "running", submitted=3600 - 500, started=3600 - 400))
    for i, total in enumerate((10, 20, 30, 40)):
        rows.append(done(40 + i, "beta", queue=0, render=total, resolution="1080p"))
    rows.append(record(50, "beta", "queued", submitted=3600 - 60))
    rows.append(record(51, "beta", "running", submitted=100, status="PAUSED"))
    rows.append(record(60, "gamma", "succeeded", submitted=0, started=50, finished=40))
    rows.append(None)
    return frame(rows)


def test_counts_rates_and_wilson_bounds(tasks: pd.DataFrame) -> None:
    summary = summarize(tasks, now=NOW)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert list(summary.index) == ["alpha", "beta", "gamma"]  # the ID not fetched is left out
    alpha, beta = summary.loc["alpha"], summary.loc["beta"]
    assert alpha[["tasks", "succeeded", "failed", "running", "queued", "unknown"]].tolist() == [
        12,
        7,
        3,
        2,
        0,
        0,
    ]
    assert alpha["finished"] == 10
    assert alpha["unfinished"] == 2
    assert alpha["failure_rate"] == pytest.approx(0.3)
    assert alpha["success_rate"] == pytest.approx(0.7)
    assert alpha["failure_rate_lo"] == pytest.approx(0.10779, abs=1e-5)
    assert alpha["failure_rate_hi"] == pytest.approx(0.60322, abs=1e-5)
    assert beta[["tasks", "succeeded", "queued", "unknown", "unfinished"]].tolist() == [
        6,
        4,
        1,
        1,
        1,
    ]
    assert beta["failure_rate"] == 0.0
    assert beta["failure_rate_lo"] == 0.0
    assert beta["failure_rate_hi"] == pytest.approx(0.48990, abs=1e-5)


def test_latency_percentiles_over_succeeded_tasks(tasks: pd.DataFrame) -> None:
    alpha = summarize(tasks, now=NOW).loc["alpha"]
    # turnaround 10, 20, ..., 70: p90 sits at rank 0.9·6 = 5.4, between 60 and 70 -> 64.
    assert alpha["latency_tasks"] == 7
    assert alpha["total_s_p50"] == 40.0
    assert alpha["total_s_p90"] == pytest.approx(64.0)
    assert alpha["total_s_p95"] == pytest.approx(67.0)
    assert alpha["total_s_p99"] == pytest.approx(69.4)
    assert alpha["total_s_mean"] == pytest.approx(40.0)
    assert alpha["total_s_max"] == 70.0
    assert alpha["queue_s_p50"] == 4.0
    assert alpha["queue_s_max"] == 7.0
    assert alpha["render_s_p50"] == 36.0
    assert alpha["render_s_per_video_s_p50"] == pytest.approx(36.0 / 5)


def test_include_failed_adds_failed_tasks_to_the_latency_figures(tasks: pd.DataFrame) -> None:
    alpha = summarize(tasks, include_failed=True, now=NOW).loc["alpha"]
    # 10, 20, ..., 70, 100, 100, 100: the median is (50 + 60) / 2.
    assert alpha["latency_tasks"] == 10
    assert alpha["total_s_p50"] == 55.0
    assert alpha["total_s_max"] == 100.0


def test_kaplan_meier_median_counts_running_tasks_as_censored(tasks: pd.DataFrame) -> None:
    summary = summarize(tasks, now=NOW)
    # alpha: events 10..70 and two tasks running for 250+ s: 9 at risk, S falls to 4/9 at the
    # fifth event (50 s). The plain median, 40 s, ignores the running tasks.
    assert summary.loc["alpha", "total_s_km_p50"] == 50.0
    assert summary.loc["alpha", "oldest_unfinished_age_s"] == 500.0
    # beta: events at 10, 20, 30, 40 s and one task queued for 60 s (censored; the PAUSED one
    # is neither finished nor known to be running): S = 4/5, 3/5, 2/5 -> median 30 s.
    assert summary.loc["beta", "total_s_km_p50"] == 30.0
    assert summary.loc["beta", "total_s_p50"] == 25.0
    assert summary.loc["beta", "oldest_unfinished_age_s"] == 60.0


def test_negative_intervals_are_counted_and_left_out(tasks: pd.DataFrame) -> None:
    gamma = summarize(tasks, now=NOW).loc["gamma"]
    assert gamma["negative_intervals"] == 1
    assert gamma["anomalies"] == 1
    assert math.isnan(gamma["render_s_p50"])  # -10 s is a data error, not a fast render
    assert gamma["total_s_p50"] == 40.0
    assert gamma["queue_s_p50"] == 50.0


def test_by_any_column_list_or_nothing(tasks: pd.DataFrame) -> None:
    by_two = summarize(tasks, by=["model", "input_resolution"], now=NOW)
    assert by_two.loc[("beta", "1080p"), "tasks"] == 4
    assert by_two.loc[("beta", "720p"), "tasks"] == 2
    overall = summarize(tasks, by=None, now=NOW)
    assert list(overall.index) == ["all tasks"]
    assert overall.iloc[0]["tasks"] == 19
    assert overall.iloc[0]["failed"] == 3
    day = tasks.assign(day=tasks["submitted_at"].dt.floor("D"))
    by_day = summarize(day, by="day", now=NOW)
    assert by_day["tasks"].sum() == 19


def test_a_missing_group_column_is_named(tasks: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"by names column\(s\).*'region'"):
        summarize(tasks, by="region")


def test_notes_name_every_oddity_with_counts(tasks: pd.DataFrame) -> None:
    notes = data_notes(tasks, now=NOW)
    text = "\n".join(notes)
    assert "1 of 20 task IDs could not be fetched" in text
    assert "4 tasks are unfinished (1 queued, 3 running)" not in text  # PAUSED is not running
    assert "3 tasks are unfinished (1 queued, 2 running)" in text
    assert "oldest was submitted 8 min 20 s before" in text
    assert "1 task has a status this toolkit does not recognise ('PAUSED' ×1)" in text
    assert "1 task has a negative interval" in text
    assert "render_s 1" in text
    assert ZERO_QUEUE_NOTE not in text
    assert summarize(tasks, now=NOW).attrs["notes"] == notes


def test_zero_queue_is_said_in_words_for_a_public_code_server() -> None:
    public = world_frame(300, seed=2, timestamps="public-code")
    assert (public["queue_s"].dropna() == 0).all()
    assert ZERO_QUEUE_NOTE in data_notes(public)
    assert ZERO_QUEUE_NOTE in summarize(public).attrs["notes"]
    separate = world_frame(300, seed=2)
    assert ZERO_QUEUE_NOTE not in data_notes(separate)


def test_a_world_summary_adds_up() -> None:
    tasks = world_frame(400, seed=9)
    summary = summarize(tasks, now=ANCHOR)
    assert summary["tasks"].sum() == len(tasks)
    assert (
        summary["finished"] + summary["unfinished"] + summary["unknown"] == summary["tasks"]
    ).all()
    assert (summary["failure_rate_lo"] <= summary["failure_rate"]).all()
    assert (summary["failure_rate"] <= summary["failure_rate_hi"]).all()
    ordered = summary[["total_s_p50", "total_s_p90", "total_s_p95", "total_s_p99", "total_s_max"]]
    assert (ordered.diff(axis=1).iloc[:, 1:] >= 0).all().all()


def test_one_row_for_every_task_even_when_there_are_none() -> None:
    overall = summarize(frame([None]), by=None, now=NOW)
    assert list(overall.index) == ["all tasks"]
    assert overall.iloc[0]["tasks"] == 0
    assert math.isnan(overall.iloc[0]["failure_rate"])
    assert summarize(frame([None]), now=NOW).empty


def test_schema_drift_is_said_once_and_is_not_an_anomaly() -> None:
    rows = [done(i, "alpha", queue=1, render=10) for i in range(5)]
    rows[0]["foo"] = 1
    rows[1]["foo"] = {"nested": True}
    rows[2]["input"] = {**rows[2]["input"], "bar": 2, "watermark": True}
    tasks = frame(rows)
    assert tasks["anomalies"].isna().all()
    notes = data_notes(tasks, now=NOW)
    drift = [note for note in notes if "does not know" in note]
    assert drift == [
        "3 tasks carry field(s) this version does not know: foo, input.bar; "
        "kept in the extra column."
    ]
    assert not any("anomalies" in note for note in notes)
    assert not any("does not know" in note for note in data_notes(frame(rows[3:]), now=NOW))
