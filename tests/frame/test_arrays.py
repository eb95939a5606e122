"""Records -> fields: the strict Arrow pass and the careful Python pass agree on every record."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from aitoearn_lab import to_frame
from aitoearn_lab.frame import arrays as extract_module
from aitoearn_lab.frame.arrays import TOPICS, careful, extract
from aitoearn_lab.simulator import World
from tests.support import ANCHOR, ROOT


def world_records(tasks: int = 1500, seed: int = 4) -> list[dict[str, Any] | None]:
    world = World.generate(tasks=tasks, seed=seed, anchor=ANCHOR)
    # Through JSON, as records arrive: every string its own object.
    return json.loads(json.dumps([world.tasks[t].view(ANCHOR) for t in world.task_ids()]))


def careful_frame(
    monkeypatch: pytest.MonkeyPatch, records: list[dict[str, Any] | None]
) -> pd.DataFrame:
    with monkeypatch.context() as patch:
        patch.setattr(extract_module, "_strict", lambda records, flag: None)
        return to_frame(records)


def notes_of(records: list[Any], *, strict: bool) -> dict[int, list[str]]:
    notes: dict[int, list[str]] = {}

    def flag(topic: str, row: int, text: str) -> None:
        notes.setdefault(row, []).append(f"{topic}: {text}")

    if strict:
        assert extract_module._strict(records, flag) is not None, "took the careful pass"
    else:
        careful(records, flag)
    rank = {topic: index for index, topic in enumerate(TOPICS)}
    return {
        row: sorted(texts, key=lambda text: rank[text.split(": ", 1)[0]])
        for row, texts in notes.items()
    }  # in the frame's order (by topic), as build_frame gives them


def test_both_passes_build_the_same_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    records = world_records()
    records[5] = None
    records[7]["input"] = None  # type: ignore[index]
    records[9]["input"]["images"] = "https://a/lone.png"  # type: ignore[index]
    records[11]["finishedAt"] = None  # type: ignore[index]
    records[13]["input"]["watermark"] = True  # type: ignore[index]
    records[14]["input"].update(watermark=False, seed=[1, "x"])  # type: ignore[index]
    records[15].update(priority={"level": 3}, mediaId=None)  # type: ignore[union-attr]
    assert extract_module._strict(records, lambda topic, row, text: None) is not None
    frame = to_frame(records)
    pd.testing.assert_frame_equal(frame, careful_frame(monkeypatch, records))
    assert frame["input_watermark"][13:15].tolist() == [True, False]
    assert frame["extra"][14:16].tolist() == ['{"input.seed":[1,"x"]}', '{"priority":{"level":3}}']


def test_the_sample_data_takes_the_strict_pass() -> None:
    lines = (ROOT / "data" / "sample_tasks.jsonl").read_text("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert notes_of(records, strict=True) == {}


@pytest.mark.parametrize(
    "record",
    [
        {"id": "a", "status": "SUCCESS", "newField": 1},
        {"id": "a", "input": {"prompt": "p", "seed": 3}},
        {"id": "a", "error": {}},
        {"id": "a", "error": {"message": None, "code": 3}},
        {"id": "a", "mediaId": None, "input": {"prompt": "p", "images": None}},
        {"id": "a", "input": {"prompt": "p", "images": 5, "audios": {}, "seed": 1}, "x": 1},
        {"id": "a", "error": {}, "extra": 2, "input": {"prompt": "p", "videos": 3}},
        {"id": "a", "input": {"prompt": "p", "watermark": True, "seed": None}},
        {"id": "a", "input": {"watermark": None}, "submittedAt": None},
    ],
)
def test_the_strict_pass_flags_what_the_careful_one_flags(record: dict[str, Any]) -> None:
    records = [*world_records(20), record]
    assert notes_of(records, strict=True) == notes_of(records, strict=False)
    strict = extract_module._strict(records, lambda topic, row, text: None)
    assert strict is not None
    slow = careful(records, lambda topic, row, text: None)
    assert strict.extra.equals(slow.extra) and strict.watermark.equals(slow.watermark)


@pytest.mark.parametrize(
    "junk",
    [
        {"id": 5},
        {"id": "a", "error": "plain text"},
        {"id": "a", "input": ["prompt", "p"]},
        {"id": "a", "input": {"prompt": "p", "duration": "8"}},
        {"id": "a", "input": {"prompt": "p", "duration": [5]}},
        {"id": "a", "input": {"prompt": "p", "watermark": 1}},
        {"id": "a", "input": {"prompt": "p", "watermark": "false"}},
        {"id": "a", "error": (("message", "x"),)},
        "not a record",
    ],
)
def test_a_value_of_another_type_sends_the_batch_to_the_careful_pass(junk: Any) -> None:
    assert extract_module._strict([*world_records(5), junk], lambda topic, row, text: None) is None
    fields = extract([*world_records(5), junk], lambda topic, row, text: None)
    assert len(fields.present) == 6


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-07-02T12:00:00.000Z",
        "2026-07-02T12:00:00Z",
        "2026-07-02T20:00:00+08:00",
        "2026-07-02T05:30:00-06:30",
        "2026-07-02T12:00:00.5Z",
        "2026-07-02T12:00:00.123456Z",
        "2026-07-02T12:00:00.1239Z",
        "2026-07-02 12:00:00Z",
        "2026-07-02T12:00Z",
        "2026-07-02T12:00:00",
        "2026-07-02",
        "2026-07-02T12:00:00+0800",
        "20260702T120000Z",
        "yesterday",
        "",
    ],
)
def test_timestamps_parse_as_pandas_parses_them(stamp: str) -> None:
    row = to_frame([{"id": "a", "status": "SUCCESS", "submittedAt": stamp}]).iloc[0]
    expected = pd.to_datetime(
        pd.Series([stamp], dtype=object), utc=True, format="ISO8601", errors="coerce"
    ).astype("datetime64[ms, UTC]")[0]
    assert (pd.isna(row["submitted_at"]) and pd.isna(expected)) or row["submitted_at"] == expected
    if pd.isna(expected):
        assert "not an ISO 8601 time" in row["anomalies"]


@pytest.mark.parametrize(
    "values",
    [["b", None, "a", "b", "é", "Z", "a"], [None, None], [], ["only"]],
)
def test_categories_are_those_pandas_would_find(values: list[str | None]) -> None:
    import pyarrow as pa

    from aitoearn_lab.frame.build import _categorical

    ours = _categorical(pa.array(values, type=pa.large_string()))
    expected = pd.Categorical(pd.array(values, dtype="str"))
    assert ours.dtype == expected.dtype
    assert list(ours.codes) == list(expected.codes)


@pytest.mark.parametrize(
    ("task_ids", "plain"),
    [
        (["6a461da66fe8a12d33daabdd", "nothex", "a.b_c-D"], True),
        ([], True),
        (["6a461da66fe8a12d33daabdd", "a\nb"], False),
        (["ok", "..."], False),
        (["ok", ""], False),
        (["x" * 257], False),
        (["x" * 256], True),
        (["é"], False),
        (["a/b"], False),
        (["a b"], False),
    ],
)
def test_the_bulk_id_check_passes_only_ids_without_a_local_problem(
    task_ids: list[str], plain: bool
) -> None:
    from aitoearn_lab.client.outcomes import all_plain, local_problem

    assert all_plain(task_ids) is plain
    if plain:
        assert all(local_problem(task_id) is None for task_id in task_ids)


def test_the_collector_resumes_as_it_was_after_nested_and_concurrent_holds() -> None:
    import gc
    import threading

    from aitoearn_lab._gc import collector_paused

    assert gc.isenabled()
    inside = threading.Event()
    leave = threading.Event()

    def hold() -> None:
        with collector_paused():
            inside.set()
            leave.wait(5)

    other = threading.Thread(target=hold)
    with collector_paused():
        other.start()
        inside.wait(5)
        with collector_paused():
            assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread still holds it
    leave.set()
    other.join(5)
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # off before, off after
    finally:
        gc.enable()


def test_notes_on_one_row_come_in_the_order_of_their_topics() -> None:
    odd = {
        "id": "a",
        "model": 42,
        "status": "paused",
        "submittedAt": "yesterday",
        "startedAt": "2026-07-02T12:00:00Z",
        "error": "plain",
        "newField": 1,
        "input": {"prompt": "p", "images": 5, "seed": 1, "duration": "x"},
    }
    frame = to_frame([odd])
    assert frame["anomalies"][0] == (
        "unknown status 'paused'; "
        "submittedAt 'yesterday' is not an ISO 8601 time; error is a string, not an object; "
        "input.images is int, not a list; model is int, not a string; "
        "input.duration 'x' is not a number"
    )  # a wrong model type is named once, not again as a missing model
    assert frame["extra"][0] == '{"newField":1,"input.seed":1}'  # drift is not an anomaly
