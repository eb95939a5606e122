"""Records -> the tasks DataFrame: columns, dtypes, latencies, states, oddities kept and flagged."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
import pytest

from aitoearn_lab import COLUMNS, to_frame
from aitoearn_lab.schema import STATES, canonical_state
from tests.support import ROOT


def record(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "6a461da66fe8a12d33daabdd",
        "model": "grok-imagine-video",
        "status": "SUCCESS",
        "input": {"prompt": "a cat", "duration": 5, "resolution": "720p", "aspectRatio": "16:9"},
        "submittedAt": "2026-07-02T12:00:00.000Z",
        "startedAt": "2026-07-02T12:00:10.500Z",
        "finishedAt": "2026-07-02T12:01:00.000Z",
        "videoUrl": "https://cdn.example/v.mp4",
    }
    base.update(overrides)
    return base


def test_columns_and_dtypes() -> None:
    frame = to_frame([record()])
    assert tuple(frame.columns) == COLUMNS
    for name in ("model", "status", "state", "input_resolution", "input_aspect_ratio"):
        assert isinstance(frame[name].dtype, pd.CategoricalDtype), name
    for name in ("submitted_at", "started_at", "finished_at", "fetched_at"):
        assert str(frame[name].dtype.tz) == "UTC", name
    assert list(frame["state"].cat.categories) == list(STATES)
    assert frame["is_terminal"].dtype == bool


def test_latencies_in_float_seconds() -> None:
    row = to_frame([record()]).iloc[0]
    assert row["queue_s"] == pytest.approx(10.5)
    assert row["render_s"] == pytest.approx(49.5)
    assert row["total_s"] == pytest.approx(60.0)
    assert row["state"] == "succeeded" and row["is_terminal"]


def test_offsets_are_honoured() -> None:
    row = to_frame(
        [record(submittedAt="2026-07-02T20:00:00+08:00", startedAt="2026-07-02T12:00:30Z")]
    ).iloc[0]
    assert row["submitted_at"] == pd.Timestamp("2026-07-02T12:00:00Z")
    assert row["queue_s"] == pytest.approx(30.0)


def test_running_task_has_no_finish_and_nan_latencies() -> None:
    running = record(status="InProgress")
    del running["finishedAt"], running["videoUrl"]
    row = to_frame([running]).iloc[0]
    assert row["state"] == "running" and not row["is_terminal"]
    assert pd.isna(row["finished_at"])
    assert math.isnan(row["render_s"]) and math.isnan(row["total_s"])
    assert row["queue_s"] == pytest.approx(10.5)


def test_a_queued_task_has_not_started() -> None:
    queued = record(status="QUEUED", startedAt="2026-07-02T12:00:00.000Z")
    del queued["finishedAt"]
    row = to_frame([queued]).iloc[0]
    assert pd.isna(row["started_at"]) and math.isnan(row["queue_s"])


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("SUBMITTED", "queued"), ("QUEUED", "queued"), ("NOT_START", "queued"), ("pending", "queued"),
        ("InProgress", "running"), ("running", "running"), ("processing", "running"), ("in_progress", "running"),
        ("RUNNING", "running"), ("SUCCESS", "succeeded"), ("succeeded", "succeeded"), ("completed", "succeeded"),
        ("FAILURE", "failed"), ("failed", "failed"), ("error", "failed"), ("cancelled", "failed"),
        ("expired", "failed"), ("UNKNOWN", "unknown"), ("paused", "unknown"), (" success ", "succeeded"),
    ],
)  # fmt: skip
def test_status_maps_case_insensitively(status: str, state: str) -> None:
    assert canonical_state(status) == state
    row = to_frame([record(status=status)]).iloc[0]
    assert row["status"] == status and row["state"] == state
    assert row["is_terminal"] == (state in ("succeeded", "failed"))


def test_unknown_status_is_kept_and_flagged() -> None:
    row = to_frame([record(status="ARCHIVED")]).iloc[0]
    assert row["state"] == "unknown"
    assert "unknown status 'ARCHIVED'" in row["anomalies"]


def test_negative_intervals_are_flagged_not_hidden() -> None:
    row = to_frame([record(finishedAt="2026-07-02T12:00:05.000Z")]).iloc[0]
    assert row["render_s"] == pytest.approx(-5.5)
    assert "negative render_s" in row["anomalies"]


def test_image_as_string_or_list_becomes_a_list_and_is_counted() -> None:
    inputs = [
        {"prompt": "p", "image": "https://a/1.jpg"},
        {
            "prompt": "p",
            "image": ["https://a/1.jpg", "https://a/2.jpg"],
            "images": ["https://a/3.jpg"],
        },
        {
            "prompt": "p",
            "audios": ["https://a/x.mp3"],
            "videos": ["https://a/v.mp4"],
            "videoUrl": "https://a/v.mp4",
        },
        {"prompt": "p", "videoUrl": "https://a/only.mp4"},
    ]
    frame = to_frame([record(input=task_input) for task_input in inputs])
    assert frame["input_image"].tolist() == [
        ["https://a/1.jpg"],
        ["https://a/1.jpg", "https://a/2.jpg"],
        None,
        None,
    ]
    assert frame["n_images"].tolist() == [1, 3, 0, 0]
    assert frame["n_audios"].tolist() == [0, 0, 1, 0]
    assert frame["n_videos"].tolist() == [0, 0, 1, 1]


def test_extra_fields_and_wrong_types_keep_the_row() -> None:
    odd = record(
        newField=1, input={"prompt": "p", "duration": "8", "seed": 3, "images": "https://a/x.png"}
    )
    odd["error"] = "plain text"
    junk = [
        odd,
        record(model=42),
        "not a record",
        record(submittedAt="yesterday"),
        record(submittedAt="1970-01-01T00:00:00Z"),
    ]
    frame = to_frame(junk)  # type: ignore[list-item]
    assert len(frame) == 5
    notes = frame["anomalies"].tolist()
    assert "newField" not in notes[0] and "seed" not in notes[0]  # drift, not an oddity
    assert frame.loc[0, "extra"] == '{"newField":1,"input.seed":3}'
    assert frame.loc[0, "input_duration"] == 8.0
    assert frame.loc[0, "input_images"] == ["https://a/x.png"]
    assert frame.loc[0, "error_message"] == "plain text"
    assert "model is int" in notes[1] and pd.isna(frame.loc[1, "model"])
    assert "not an object" in notes[2]
    assert "not an ISO 8601 time" in notes[3]
    assert "implausible" in notes[4]


def test_failed_fetches_are_rows_without_a_state() -> None:
    frame = to_frame([record(), None])
    assert pd.isna(frame.loc[1, "state"]) and not frame.loc[1, "is_terminal"]
    assert frame["api_code"].tolist() == [0, pd.NA]


def test_the_sample_data_set_builds_a_frame() -> None:
    lines = (ROOT / "data" / "sample_tasks.jsonl").read_text("utf-8").splitlines()
    frame = to_frame(json.loads(line) for line in lines)
    assert len(frame) == 300
    assert frame["anomalies"].isna().all()
    assert set(frame["state"].dropna()) >= {"succeeded", "failed"}
    done = frame[frame["state"] == "succeeded"]
    assert (done["total_s"] > 0).all()
    assert (done["queue_s"] + done["render_s"] - done["total_s"]).abs().max() < 1e-6


def test_the_sample_data_matches_the_simulator() -> None:
    from aitoearn_lab.simulator.sample import sample_records

    lines = (ROOT / "data" / "sample_tasks.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == json.loads(json.dumps(sample_records()))


def test_gaps_that_matter_are_named_and_legal_gaps_are_not() -> None:
    """A finished task without startedAt is a fault; a waiting one without it is legal."""
    without_start = {key: value for key, value in record().items() if key != "startedAt"}
    rows = [
        {**without_start, "status": "SUCCESS"},
        {**without_start, "status": "InProgress", "finishedAt": None},
        record(status="QUEUED", startedAt=None, finishedAt=None),
        record(model=None, submittedAt=None, input={"duration": 5}),
        record(input={"prompt": "p", "watermark": "yes"}),
        record(input={"prompt": "p", "watermark": True}),
    ]
    frame = to_frame(rows)
    notes = frame["anomalies"].tolist()
    assert notes[0] == "startedAt is missing"
    assert pd.isna(notes[1]) and pd.isna(notes[2])
    assert notes[3] == "submittedAt is missing; model is missing; input.prompt is missing"
    assert notes[4] == "input.watermark 'yes' is not a boolean"
    assert frame["input_watermark"].tolist()[4:] == [pd.NA, True]
    assert frame.loc[3, "state"] == "succeeded" and frame.loc[3, "render_s"] == 49.5
