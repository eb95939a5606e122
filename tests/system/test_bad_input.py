"""Bad input, generated: task IDs and answers of every odd shape each give a row with a reason.

Task IDs go to the simulator (the faithful server): whatever their characters, each unique ID
gives one row, impossible ones are refused without a request, and the server only ever sees
the task route with the ID as given. Answers come from a peer that sends crafted bodies:
records missing fields, with wrong types, ``null`` objects, huge strings, absurd or reversed
times, odd status casing and extra fields, and envelopes or bodies that are no envelope at all.
Each gives a row: the task with its oddities named in ``anomalies``, or no task and a clear
``fetch_error``; never a crash, and every row survives the cache and every export format.
"""

from __future__ import annotations

import copy
import csv
import itertools
import math
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from aitoearn_lab import Client, read_tasks, to_frame, write_tasks
from aitoearn_lab.cli.commands import cli
from aitoearn_lab.schema import INPUT_FIELDS as SCHEMA_INPUT_FIELDS
from aitoearn_lab.schema import TASK_FIELDS, TASK_PATH
from aitoearn_lab.simulator import Simulator
from tests.support.remote import Crafted, RemoteService, envelope

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# --- task IDs ------------------------------------------------------------------------------------

NASTY_PIECES = [
    "../",
    "..",
    ".",
    "./",
    "%2F",
    "%2f",
    "%2E%2E",
    "%00",
    "%",
    "%zz",
    "\x00",
    " ",
    "\t",
    "\r\n",
    "\u3000",
    "\u00a0",
    "\u200b",
    "\u202e",
    "\ufeff",
    "/",
    "\\",
    "?",
    "#",
    "&",
    ";",
    ":",
    "@",
    "~",
    "+",
    "é",
    "中文",
    "🎬",
    "\U000e0001",
    "ＡＢ",
    "6a461da66fe8a12d33daabdd",
]
TASK_IDS = st.one_of(
    st.text(max_size=30),
    st.lists(st.one_of(st.sampled_from(NASTY_PIECES), st.text(max_size=3)), max_size=6).map(
        "".join
    ),
    st.text(alphabet="0123456789abcdefABCDEF", min_size=22, max_size=26),
    st.integers(250, 3000).map(lambda n: "7" * n),  # around and far over the length limit
    st.binary(max_size=24),
)


def unique_stripped(given: list[str | bytes]) -> list[str]:
    seen: dict[str, None] = {}
    for value in given:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        seen.setdefault(text.strip(), None)
    return list(seen)


@given(data=st.data())
@settings(max_examples=150)
def test_any_task_ids_give_one_row_each_and_only_ever_the_task_route(
    sim: Simulator, make_client: Any, data: st.DataObject
) -> None:
    given_ids: list[str | bytes] = data.draw(st.lists(TASK_IDS, min_size=1, max_size=6))
    given_ids += data.draw(st.lists(st.sampled_from(sim.task_ids[:40]), max_size=2))
    sim.reset_log()
    client = make_client(cache=False)
    tasks = client.fetch(given_ids, progress=False)

    expected = unique_stripped(given_ids)
    assert tasks["task_id"].tolist() == expected
    log = sim.request_log
    assert all(entry.outcome != "404" for entry in log)  # never a path outside the route
    asked = Counter(entry.task_id for entry in log)
    assert set(asked) <= set(expected)  # the server saw exactly the IDs given, decoded
    for row in tasks.itertuples():
        if isinstance(row.fetch_error, str) and "without a request" in row.fetch_error:
            assert row.api_code == 10002 and asked[row.task_id] == 0
            continue
        assert asked[row.task_id] == 1, row.task_id
        assert row.api_code in (0, 10002, 12302), row.fetch_error
        if row.api_code == 0:
            assert row.task_id.lower() in sim.world.tasks
        else:
            assert row.fetch_error.startswith(f"API error {row.api_code} for task ")


def test_the_raw_path_is_the_task_route_and_the_id_percent_encoded() -> None:
    nasty = ["..%2F..%2Fadmin", "a;b", "a&b=c", "x:y@z", "é中🎬", "%00", "%2e%2E", "a.b..c", "+~"]
    service = RemoteService()
    with (
        service.running(),
        Client(api_key="ai_" + "k" * 40, base_url=service.base_url, cache=False) as client,
    ):
        tasks = client.fetch(nasty, progress=False)
    assert len(tasks) == len(nasty)
    assert service.off_route() == []
    assert sorted(service.task_ids_asked()) == sorted(nasty)
    unreserved = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    for seen in service.seen:
        tail = seen.raw_path[len(TASK_PATH) :]
        # Only unreserved characters and escapes: nothing a router would split or resolve on.
        assert set(tail) <= unreserved | {"%"}, tail
        assert unquote(tail) in nasty


@pytest.mark.parametrize(
    "content",
    [
        "6a461da66fe8a12d33daabdd\n".encode("utf-16"),  # a spreadsheet's "Unicode text"
        b"6a461da66fe8a12d33daabdd\n\xff\xfe\x00 bad\n",
        "taskId\n6a461da66fe8a12d33daabdd\n".encode("gb18030") + "任务\n".encode("gb18030"),
    ],
)
def test_an_ids_file_that_is_not_utf8_is_a_clear_usage_error(
    sim: Simulator, tmp_path: Path, content: bytes
) -> None:
    ids_file = tmp_path / "ids.txt"
    ids_file.write_bytes(content)
    result = CliRunner(
        env={"AITOEARN_API_KEY": sim.api_key, "AITOEARN_BASE_URL": sim.base_url}
    ).invoke(cli, ["fetch", "--ids-file", str(ids_file), "--no-cache"])
    assert result.exit_code == 2
    assert "not UTF-8 text" in result.stderr and "Traceback" not in result.output
    assert sim.request_log == []


# --- answers -------------------------------------------------------------------------------------

BASE_RECORD: dict[str, Any] = {
    "model": "kling-v2-1",
    "status": "SUCCESS",
    "input": {"prompt": "a cat on a skateboard", "duration": 5, "images": ["https://a/1.png"]},
    "submittedAt": "2026-07-02T12:00:00.000Z",
    "startedAt": "2026-07-02T12:00:04.000Z",
    "finishedAt": "2026-07-02T12:01:30.000Z",
    "videoUrl": "https://cdn.example/v.mp4",
    "coverUrl": "https://cdn.example/v.jpg",
}
STATE_OF_STATUS = {
    **dict.fromkeys(["submitted", "queued", "not_start", "pending"], "queued"),
    **dict.fromkeys(["inprogress", "running", "processing", "in_progress"], "running"),
    **dict.fromkeys(["success", "succeeded", "completed"], "succeeded"),
    **dict.fromkeys(["failure", "failed", "error", "cancelled", "canceled", "expired"], "failed"),
}
"""The status canon as the README states it (case and surrounding spaces do not matter)."""
OPTIONAL_STRINGS = ("finishedAt", "videoUrl", "coverUrl", "mediaId", "groupId")
INPUT_FIELDS = ("prompt", "duration", "image", "images", "audios", "videos", "resolution")
TIME_FIELDS = ("submittedAt", "startedAt", "finishedAt")

JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
HUGE_TEXT = st.integers(20_000, 200_000).map(lambda n: "长" * n)  # up to 600 kB of UTF-8
ODD_TIMES = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999Z",
            "+10000-01-01T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "2026-02-30T12:00:00Z",
            "2026-07-02T25:61:00Z",
            "2026-07-02T12:00:00+25:00",
            "2026-07-02T20:00:00+08:00",
            "2026-07-02",
            "1782993600",
            "",
            "yesterday",
            "2026-07-02T12:00:00.123456789Z",
        ]
    ),
    st.text(max_size=30),
)
STATUS_VARIANTS = st.one_of(
    st.tuples(st.sampled_from(["SUCCESS", "FAILURE", "InProgress", "QUEUED"]), st.randoms()).map(
        lambda pair: "".join(c.upper() if pair[1].random() < 0.5 else c.lower() for c in pair[0])
    ),
    st.sampled_from(["success ", " Failure", "PAUSED", "", "成功", "SUCCEEDED!"]),
    st.text(max_size=15),
)
MUTATIONS = st.one_of(
    st.tuples(st.just("drop"), st.sampled_from([*sorted(TASK_FIELDS - {"id"}), "input.prompt"])),
    st.tuples(
        st.just("set"),
        st.sampled_from([*sorted(TASK_FIELDS - {"id"}), *(f"input.{f}" for f in INPUT_FIELDS)]),
        st.one_of(JSON_VALUE, HUGE_TEXT),
    ),
    st.tuples(st.just("status"), STATUS_VARIANTS),
    st.tuples(st.just("time"), st.sampled_from(TIME_FIELDS), ODD_TIMES),
    st.tuples(st.just("reverse")),
    st.tuples(st.just("extra"), st.text(min_size=1, max_size=12), JSON_VALUE),
    st.tuples(st.just("extra-input"), st.text(min_size=1, max_size=12), JSON_VALUE),
)


def mutated(task_id: str, mutations: list[tuple[Any, ...]]) -> dict[str, Any]:
    record: dict[str, Any] = {"id": task_id, **copy.deepcopy(BASE_RECORD)}
    for mutation in mutations:
        kind = mutation[0]
        if kind == "drop":
            target, _, name = mutation[1].rpartition(".")
            holder = record.get(target) if target else record
            if isinstance(holder, dict):
                holder.pop(name, None)
        elif kind == "set":
            target, _, name = mutation[1].rpartition(".")
            holder = record.get(target) if target else record
            if isinstance(holder, dict):
                holder[name] = mutation[2]
        elif kind in ("status", "time"):
            record["status" if kind == "status" else mutation[1]] = mutation[-1]
        elif kind == "reverse":
            record["startedAt"], record["finishedAt"] = (
                "2026-07-02T12:05:00Z",
                "2026-07-02T12:00:30Z",
            )
        elif kind == "extra" and mutation[1] not in TASK_FIELDS:
            record[mutation[1]] = mutation[2]
        elif kind == "extra-input" and isinstance(record.get("input"), dict):
            record["input"].setdefault(mutation[1], mutation[2])
    return record


def bodies(task_id: str) -> st.SearchStrategy[tuple[str, Crafted, dict[str, Any] | None]]:
    """``(what it is, the answer, the record it carries if any)`` for one task ID."""
    records = st.lists(MUTATIONS, max_size=4).map(lambda m: mutated(task_id, m))
    return st.one_of(
        records.map(lambda r: ("record", Crafted(body=envelope(r)), r)),
        records.map(lambda r: ("record", Crafted(body=envelope(r)), r)),
        records.map(lambda r: ("record", Crafted(body=envelope(r)), r)),
        JSON_VALUE.map(lambda d: ("data", Crafted(body=envelope(d)), None)),
        st.binary(max_size=120).map(lambda b: ("bytes", Crafted(body=b), None)),
        st.tuples(records, st.floats(0.05, 0.95)).map(
            lambda p: (
                "truncated",
                Crafted(
                    body=orjson.dumps(envelope(p[0]))[
                        : int(len(orjson.dumps(envelope(p[0]))) * p[1])
                    ]
                ),
                None,
            )
        ),
        st.tuples(records, st.sampled_from(["0", 0.0, True, None, "missing", [0]])).map(
            lambda p: ("envelope", Crafted(body=_with_code(envelope(p[0]), p[1])), None)
        ),
        st.just(("deep", Crafted(body=b"[" * 3000 + b"]" * 3000), None)),
    )


def _with_code(body: dict[str, Any], code: object) -> dict[str, Any]:
    if code == "missing":
        body.pop("code")
    else:
        body["code"] = code
    return body


ids_in_order = (f"{n:024x}" for n in itertools.count(0x6A461DA66FE8A12D33D00000))


@pytest.fixture(scope="module")
def peer() -> Iterator[RemoteService]:
    service = RemoteService()
    with service.running():
        yield service


NOT_AN_ENVELOPE = r"no usable answer after 2 attempt\(s\): malformed answer: answer "
BROKEN_CONTRACT = (
    r"answer ('data' is \w+, expected an object|'data' has no task 'id'"
    r"|field 'id' is \w+, expected a string"
    r"|is for task .*, not the one asked for)"
)
EXPECTED_ERROR = {
    # Bodies that are no envelope are retried (max_retries=1: two attempts), then named.
    "bytes": NOT_AN_ENVELOPE
    + r"(is not JSON \(.+\): .*|is JSON but not an object: \w+"
    + r"|has no integer 'code': not an AiToEarn envelope)",
    "truncated": NOT_AN_ENVELOPE + r"is not JSON \(.+\): .*",
    "deep": NOT_AN_ENVELOPE + r"is not JSON \(.+\): .*",
    "envelope": NOT_AN_ENVELOPE + r"has no integer 'code': not an AiToEarn envelope",
    # An envelope with code 0 whose data is no task at all: answered once, the reason named.
    "data": BROKEN_CONTRACT,
}
"""The one error each kind of crafted answer may give, in full."""


def check_row(row: pd.Series, kind: str, record: dict[str, Any] | None) -> None:
    """The row for one crafted answer: a task with its oddities named, or a clear reason."""
    error = row["fetch_error"]
    if pd.isna(row["api_code"]) or row["api_code"] != 0:
        assert isinstance(error, str) and error and "\n" not in error and len(error) < 600
        assert pd.isna(row["model"]) and pd.isna(row["state"])
        assert kind != "record", error  # any record with the asked-for id keeps its row
        assert re.fullmatch(EXPECTED_ERROR[kind], error, flags=re.DOTALL), (kind, error)
        return
    assert kind == "record" and record is not None and pd.isna(error)
    notes = row["anomalies"] if isinstance(row["anomalies"], str) else ""
    task_input = record.get("input")
    extra = set(record) - TASK_FIELDS
    if isinstance(task_input, dict):
        extra |= {f"input.{name}" for name in set(task_input) - SCHEMA_INPUT_FIELDS}
    # Drift is kept in the extra column, not flagged: the anomalies are the row's own oddities.
    assert bool(extra) == isinstance(row["extra"], str), (extra, row["extra"])
    if extra:
        assert set(orjson.loads(row["extra"])) == {str(name) for name in extra}
    for name in ("model", "submittedAt", "input.prompt"):
        holder = task_input if name.startswith("input.") else record
        if not isinstance(holder, dict) or holder.get(name.removeprefix("input.")) is None:
            assert f"{name} is missing" in notes, (name, notes)
    for name in OPTIONAL_STRINGS:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            assert f"{name} is {type(value).__name__}" in notes, (name, notes)
    status = record.get("status")
    state = (
        STATE_OF_STATUS.get(status.strip().lower(), "unknown")
        if isinstance(status, str)
        else "unknown"
    )
    assert row["state"] == state, (status, row["state"])
    if record.get("startedAt") is None:  # legal while a task waits, a gap once it has ended
        assert ("startedAt is missing" in notes) == (state in ("succeeded", "failed")), notes
    assert (state == "unknown") == ("unknown status" in notes)
    for name, column in zip(
        TIME_FIELDS, ("submitted_at", "started_at", "finished_at"), strict=True
    ):
        if (
            isinstance(record.get(name), str)
            and pd.isna(row[column])
            and not (name == "startedAt" and row["state"] == "queued")
        ):
            assert name in notes, (name, record[name], notes)
    for column in ("queue_s", "render_s", "total_s"):
        if not math.isnan(row[column]) and row[column] < 0:
            assert f"negative {column}" in notes


@given(data=st.data())
@settings(max_examples=100)
def test_any_answer_gives_a_row_with_a_reason_and_survives_every_export(
    peer: RemoteService, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    task_ids = [next(ids_in_order) for _ in range(data.draw(st.integers(1, 4)))]
    crafted = {task_id: data.draw(bodies(task_id)) for task_id in task_ids}
    peer.answer = lambda task_id: crafted[task_id][1]
    peer.reset()
    folder = tmp_path_factory.mktemp("answers")
    with Client(
        api_key="ai_" + "k" * 40,
        base_url=peer.base_url,
        cache=folder / "tasks.sqlite",
        max_retries=1,
        sleep=lambda seconds: None,
    ) as client:
        tasks = client.fetch(task_ids, progress=False)
        assert tasks["task_id"].tolist() == task_ids
        asked = Counter(peer.task_ids_asked())
        for (_, row), task_id in zip(tasks.iterrows(), task_ids, strict=True):
            kind, _, record = crafted[task_id]
            check_row(row, kind, record)
            retried = (
                isinstance(row["fetch_error"], str) and "malformed answer" in row["fetch_error"]
            )
            assert asked[task_id] == (2 if retried else 1), (kind, row["fetch_error"])
        kept = tasks[tasks["api_code"] == 0]
        assert client.cache_size() == len(kept)
        peer.reset()
        again = client.fetch(task_ids, progress=False)  # the kept ones now come from the cache
    assert set(peer.task_ids_asked()) == set(task_ids) - set(kept["task_id"])
    columns = ["task_id", "status", "state", "model", "input_prompt", "anomalies", "fetch_error"]
    pd.testing.assert_frame_equal(again[columns], tasks[columns])
    assert peer.off_route() == []

    for suffix in (".csv", ".parquet", ".jsonl"):
        path = write_tasks(tasks, folder / f"tasks{suffix}")
        back = read_tasks(path)
        assert back["task_id"].tolist() == task_ids
        assert plain(back["anomalies"]) == plain(tasks["anomalies"])
    assert_csv_is_spreadsheet_safe(folder / "tasks.csv")


def plain(column: pd.Series) -> list[Any]:
    return [None if pd.isna(value) else value for value in column]


def assert_csv_is_spreadsheet_safe(path: Path) -> None:
    csv.field_size_limit(sys.maxsize)  # huge cells are part of what is tested
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            for cell in row:
                if cell.startswith(FORMULA_STARTS):
                    float(cell)  # only a plain number may start with a sign


@given(records=st.lists(st.tuples(st.lists(MUTATIONS, max_size=5), st.booleans()), max_size=6))
@settings(max_examples=100)
def test_to_frame_keeps_every_record_and_every_frame_exports(
    tmp_path_factory: pytest.TempPathFactory, records: list[tuple[list[Any], bool]]
) -> None:
    """Without the network: odd records straight into ``to_frame`` and out to every format."""
    built = [
        mutated(f"{n:024x}", mutations) if keep else None
        for n, (mutations, keep) in enumerate(records)
    ]
    frame = to_frame(built)
    assert len(frame) == len(built)
    folder = tmp_path_factory.mktemp("frames")
    for suffix in (".csv", ".parquet", ".jsonl"):
        back = read_tasks(write_tasks(frame, folder / f"t{suffix}"))
        assert len(back) == len(built)
        assert plain(back["input_prompt"]) == plain(frame["input_prompt"])
    assert_csv_is_spreadsheet_safe(folder / "t.csv")


def test_odd_input_values_are_named_and_every_format_holds_them(tmp_path: Path) -> None:
    """Shapes the property tests found or might miss: each keeps its row and is named."""
    odd_inputs = [
        {"prompt": "p", "images": ["https://a/1.png", 2, None, {"url": "x"}]},  # mixed items
        {"prompt": "p", "image": [["nested"]]},
        {"prompt": "p", "duration": True},  # a bool is not a number
        {"prompt": "p", "audios": ["https://a/s.mp3"] * 40_000},  # more than an int16 counts
        {"prompt": "p", "duration": "8"},  # a number as text: read, as before
    ]
    frame = to_frame(
        [mutated(f"{n:024x}", [("set", "input", value)]) for n, value in enumerate(odd_inputs)]
    )
    notes = frame["anomalies"].tolist()
    assert "input.images holds items that are not strings" in notes[0]
    assert frame.loc[0, "input_images"] == ["https://a/1.png", "2", "null", '{"url":"x"}']
    assert "input.image holds items that are not strings" in notes[1]
    assert "input.duration 'True' is not a number" in notes[2]
    assert math.isnan(frame.loc[2, "input_duration"])
    assert frame.loc[3, "n_audios"] == 40_000
    assert frame.loc[4, "input_duration"] == 8.0
    for suffix in (".csv", ".parquet", ".jsonl"):
        back = read_tasks(write_tasks(frame, tmp_path / f"t{suffix}"))
        assert back["n_audios"].tolist() == [0, 0, 0, 40_000, 0]
        assert back.loc[0, "input_images"] == ["https://a/1.png", "2", "null", '{"url":"x"}']


# --- schema drift --------------------------------------------------------------------------------


def test_schema_drift_keeps_the_rows_and_the_summary_counts_it(tmp_path: Path) -> None:
    drifted = {
        "6a461da66fe8a12d33da0001": {**BASE_RECORD, "status": "PAUSED"},
        "6a461da66fe8a12d33da0002": {**BASE_RECORD, "priority": 3, "region": "eu"},
        "6a461da66fe8a12d33da0003": {
            key: value for key, value in BASE_RECORD.items() if key not in OPTIONAL_STRINGS
        },
        "6a461da66fe8a12d33da0004": {**BASE_RECORD, "input": {**BASE_RECORD["input"], "seed": 7}},
        "6a461da66fe8a12d33da0005": {**BASE_RECORD, "status": "success"},
        "6a461da66fe8a12d33da0006": {**BASE_RECORD, "input": {"prompt": '=HYPERLINK("http://x")'}},
    }
    service = RemoteService()
    service.answer = lambda task_id: Crafted(body=envelope({"id": task_id, **drifted[task_id]}))
    out = tmp_path / "tasks.csv"
    with service.running():
        result = CliRunner(
            env={"AITOEARN_API_KEY": "ai_" + "k" * 40, "AITOEARN_BASE_URL": service.base_url}
        ).invoke(cli, ["fetch", *drifted, "--no-cache", "--no-progress", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "1 row with anomalies" in result.stderr  # the unknown status; drift is no anomaly
    tasks = read_tasks(out).set_index("task_id")
    assert len(tasks) == 6 and tasks["fetch_error"].isna().all()
    notes = tasks["anomalies"]
    assert "unknown status 'PAUSED'" in notes["6a461da66fe8a12d33da0001"]
    assert tasks.loc["6a461da66fe8a12d33da0001", "state"] == "unknown"
    assert pd.isna(notes["6a461da66fe8a12d33da0002"])
    assert tasks.loc["6a461da66fe8a12d33da0002", "extra"] == '{"priority":3,"region":"eu"}'

    assert pd.isna(notes["6a461da66fe8a12d33da0003"])  # optional fields may be missing
    assert tasks.loc["6a461da66fe8a12d33da0003", "state"] == "succeeded"
    assert pd.isna(tasks.loc["6a461da66fe8a12d33da0003", "finished_at"])
    assert pd.isna(notes["6a461da66fe8a12d33da0004"])
    assert tasks.loc["6a461da66fe8a12d33da0004", "extra"] == '{"input.seed":7}'
    assert tasks.loc["6a461da66fe8a12d33da0005", "state"] == "succeeded"
    assert tasks.loc["6a461da66fe8a12d33da0006", "input_prompt"] == '=HYPERLINK("http://x")'
    assert_csv_is_spreadsheet_safe(out)


# --- exports ---------------------------------------------------------------------------------------

DANGEROUS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "'quoted"]


def test_every_csv_the_command_line_writes_is_spreadsheet_safe(tmp_path: Path) -> None:
    """Task text in every text column, and IDs that look like formulas, through -o and stdout."""
    records = {}
    for n, text in enumerate(DANGEROUS):
        records[f"6a461da66fe8a12d33da{n:04x}"] = {
            **BASE_RECORD,
            "status": "FAILURE",
            "model": text,
            "error": {"message": text},
            "videoUrl": text,
            "coverUrl": text,
            "groupId": text,
            "mediaId": text,
            "input": {"prompt": text, "resolution": text, "aspectRatio": text, "images": [text]},
        }
    service = RemoteService()
    service.answer = lambda task_id: Crafted(
        body=envelope({"id": task_id, **records[task_id]})
        if task_id in records
        else envelope({}, code=10002, message=task_id)
    )
    ids = [*records, *DANGEROUS[:4]]  # IDs a user pasted from a spreadsheet
    out = tmp_path / "tasks.csv"
    with service.running():
        runner = CliRunner(
            env={"AITOEARN_API_KEY": "ai_" + "k" * 40, "AITOEARN_BASE_URL": service.base_url}
        )
        to_file = runner.invoke(
            cli, ["fetch", "--no-cache", "--no-progress", "-o", str(out), "--", *ids]
        )
        to_stdout = runner.invoke(cli, ["fetch", "--no-cache", "--no-progress", "--", *ids])
    assert to_file.exit_code == 0 and to_stdout.exit_code == 0, to_file.stderr
    printed = tmp_path / "printed.csv"
    printed.write_text(to_stdout.stdout, encoding="utf-8", newline="")
    for path in (out, printed):
        assert_csv_is_spreadsheet_safe(path)
    back = read_tasks(out).set_index("task_id")
    assert back.loc[ids[0], "input_prompt"] == DANGEROUS[0]  # and read back as it was
    assert back.loc[ids[3], "error_message"] == DANGEROUS[3]
    assert set(DANGEROUS[:4]) <= set(back.index)


def test_the_demo_csv_is_spreadsheet_safe(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["demo", "-o", str(tmp_path), "--tasks", "200", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert_csv_is_spreadsheet_safe(tmp_path / "tasks.csv")
