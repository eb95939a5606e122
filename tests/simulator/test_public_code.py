"""The simulator's defaults follow the platform's public code; the list and models endpoints."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from aitoearn_lab.cli import cli
from aitoearn_lab.schema import TASK_PATH
from aitoearn_lab.simulator import ManualClock, Simulator
from aitoearn_lab.simulator.catalogue import model_table
from tests.support import ANCHOR, DATA

LIST_PATH = "/api/ai/video/generations"
MODELS_PATH = "/api/ai/models/video/generation"
REQUEST_ID = re.compile(r"[0-9a-z]{21}")
REFERENCE: dict[str, Any] = json.loads((DATA / "real-shaped-answers.json").read_text("utf-8"))


def get(
    sim: Simulator, path: str, *, key: str | None = "main", **headers: str
) -> requests.Response:
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    if key is not None:
        sent["X-Api-Key"] = sim.api_key if key == "main" else key
    return requests.get(f"{sim.base_url}{path}", headers=sent, timeout=10)


def task(sim: Simulator, task_id: str, *, key: str | None = "main", **headers: str) -> Any:
    return get(sim, f"{TASK_PATH}{task_id}", key=key, **headers).json()


def page(sim: Simulator, *, key: str | None = "main", **params: object) -> Any:
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return get(sim, f"{LIST_PATH}?{query}" if query else LIST_PATH, key=key).json()


def shape(value: Any) -> Any:
    """Keys and JSON types, not values: what two answers must share to be alike."""
    if isinstance(value, dict):
        return {name: shape(item) for name, item in value.items()}
    if isinstance(value, list):
        return ["list", sorted({json.dumps(shape(item), sort_keys=True) for item in value})]
    if value is None:
        return "null"
    return type(value).__name__  # bool, int, float, str: bool is checked before int by name


@pytest.fixture
def big(clock: ManualClock) -> Iterator[Simulator]:
    """Enough tasks that every shape of record in the reference occurs."""
    with Simulator(tasks=1500, seed=17, clock=clock) as simulator:
        yield simulator


# --- the public code's defaults ------------------------------------------------------------------


def test_started_equals_submitted_and_only_three_statuses(clock: ManualClock) -> None:
    statuses: Counter[str] = Counter()
    with Simulator(tasks=150, seed=3, clock=clock) as sim:
        for step in (0, 600, 86400):  # some tasks in flight, then every one finished
            clock.advance(step)
            for task_id in sim.task_ids:
                data = task(sim, task_id)["data"]
                assert data["startedAt"] == data["submittedAt"]
                statuses[data["status"]] += 1
    assert set(statuses) == {"InProgress", "SUCCESS", "FAILURE"}


def test_separate_timestamps_stay_an_option(clock: ManualClock) -> None:
    with Simulator(tasks=150, seed=3, clock=clock, timestamps="separate") as sim:
        answers = [task(sim, task_id)["data"] for task_id in sim.task_ids]
    assert any(data["status"] == "QUEUED" for data in answers)
    assert any(data["startedAt"] != data["submittedAt"] for data in answers)


def test_messages_are_english_unless_chinese_is_asked_for(sim: Simulator) -> None:
    cases = {
        sim.task_ids[0]: ("Success", "请求成功"),
        "not-an-object-id": ("Validation failed", "参数验证失败"),
        sim.world.unknown_task_id(): ("Invalid AI task ID", "无效的 AI 任务 ID"),
    }
    for task_id, (english, chinese) in cases.items():
        assert task(sim, task_id)["message"] == english
        assert task(sim, task_id, Accept_Language="en-US,en;q=0.9")["message"] == english
        assert task(sim, task_id, Accept_Language="zh-CN")["message"] == chinese
        assert task(sim, task_id, Accept_Language="zh-CN,zh;q=0.9,en;q=0.8")["message"] == chinese


def test_envelopes_carry_a_timestamp_only_on_errors(clock: ManualClock, sim: Simulator) -> None:
    clock.advance(123.456)
    ok = task(sim, sim.task_ids[0])
    unknown = task(sim, sim.world.unknown_task_id())
    assert set(ok) == {"code", "message", "data", "requestId"}
    assert set(unknown) == {"code", "message", "data", "timestamp", "requestId"}
    assert unknown["data"] == {}
    assert unknown["timestamp"] == int((ANCHOR + 123.456) * 1000)  # the world's clock


def test_request_ids_are_21_characters_sent_twice_or_echoed(sim: Simulator) -> None:
    seen = set()
    for task_id in [*sim.task_ids[:5], "bad", sim.world.unknown_task_id()]:
        answer = get(sim, f"{TASK_PATH}{task_id}")
        body = answer.json()
        assert REQUEST_ID.fullmatch(body["requestId"])
        assert answer.headers["x-request-id"] == body["requestId"]
        seen.add(body["requestId"])
    assert len(seen) == 7
    for path in (f"{TASK_PATH}{sim.task_ids[0]}", f"{TASK_PATH}bad", LIST_PATH, "/nowhere"):
        echoed = get(sim, path, X_Request_Id="support-ticket-42")
        assert echoed.json()["requestId"] == "support-ticket-42"
        assert echoed.headers["x-request-id"] == "support-ticket-42"
    assert all(REQUEST_ID.fullmatch(answer["requestId"]) for answer in _reference_envelopes())


def test_unknown_routes_and_methods_answer_200_with_code_404(sim: Simulator) -> None:
    nothing = get(sim, "/api/ai/nothing")
    assert nothing.status_code == 200
    assert nothing.json()["code"] == 404
    assert nothing.json()["message"] == "Cannot GET /api/ai/nothing"
    assert shape(nothing.json()) == shape(REFERENCE["unknown_route"])
    with requests.Session() as session:  # a body is read, so the connection stays usable
        url = f"{sim.base_url}{TASK_PATH}{sim.task_ids[0]}"
        deleted = session.delete(url, headers={"X-Api-Key": sim.api_key}, timeout=10)
        posted = session.post(url, data=b"x" * 5000, timeout=10)
        after = session.get(url, headers={"X-Api-Key": sim.api_key}, timeout=10)
    assert (deleted.status_code, deleted.json()["code"]) == (200, 404)
    assert deleted.json()["message"].startswith("Cannot DELETE /api/ai/video/generations/")
    assert (posted.status_code, posted.json()["code"]) == (200, 404)
    assert after.json()["code"] == 0


# --- the records ---------------------------------------------------------------------------------


def test_some_tasks_carry_watermark_and_some_successes_lack_a_cover(big: Simulator) -> None:
    records = page(big, pageSize=1000)["data"]["list"]
    watermarks = Counter(repr(record["input"].get("watermark", "absent")) for record in records)
    assert set(watermarks) == {"True", "False", "'absent'"}
    covers = Counter("coverUrl" in r for r in records if r["status"] == "SUCCESS")
    assert covers[True] > 50 and covers[False] > 50
    assert all("coverUrl" not in r for r in records if r["status"] != "SUCCESS")


def test_answers_have_the_shapes_of_the_public_code(big: Simulator) -> None:
    records = page(big, pageSize=1000)["data"]["list"]
    by_shape = {json.dumps(shape(record), sort_keys=True): record["id"] for record in records}
    for name in ("get_task_success", "get_task_failure", "get_task_running"):
        wanted = json.dumps(shape(REFERENCE[name]["data"]), sort_keys=True)
        assert wanted in by_shape, f"no simulated task is shaped like {name}"
        answer = task(big, by_shape[wanted])
        assert shape(answer) == shape(REFERENCE[name]), name
    errors = {
        "get_task_unknown": task(big, big.world.unknown_task_id()),
        "get_task_malformed": task(big, "not-an-object-id"),
        "bad_key": task(big, big.task_ids[0], key="ai_" + "x" * 48),
    }
    for name, answer in errors.items():
        assert shape(answer) == shape(REFERENCE[name]), name
        assert (answer["code"], answer["message"]) == (
            REFERENCE[name]["code"],
            REFERENCE[name]["message"],
        )
    listed = page(big, pageSize=1000)
    reference = REFERENCE["list_page"]
    assert shape({**listed, "data": {**listed["data"], "list": []}}) == shape(
        {**reference, "data": {**reference["data"], "list": []}}
    )
    listed_shapes = {json.dumps(shape(record), sort_keys=True) for record in records}
    for record in reference["data"]["list"]:
        assert json.dumps(shape(record), sort_keys=True) in listed_shapes


# --- the list endpoint ---------------------------------------------------------------------------


def test_every_owned_task_is_listed_once_newest_first(big: Simulator) -> None:
    owned = big.world.task_ids(0, at=ANCHOR)
    first = page(big, pageSize=100)["data"]
    assert (first["page"], first["pageSize"], first["total"]) == (1, 100, len(owned))
    assert first["totalPages"] == -(-len(owned) // 100)
    listed = []
    for number in range(1, first["totalPages"] + 2):  # one page past the end: empty
        data = page(big, page=number, pageSize=100)["data"]
        assert data["total"] == len(owned) and data["page"] == number
        listed.extend(record["id"] for record in data["list"])
    assert listed == owned[::-1]
    submitted = [big.world.tasks[task_id].submitted_at for task_id in listed]
    assert submitted == sorted(submitted, reverse=True)


def test_list_defaults_and_page_size_bounds(sim: Simulator) -> None:
    default = page(sim)["data"]
    assert (default["page"], default["pageSize"], len(default["list"])) == (1, 10, 10)
    assert len(page(sim, pageSize=1)["data"]["list"]) == 1
    everything = page(sim, pageSize=1000)["data"]
    assert len(everything["list"]) == everything["total"] and everything["totalPages"] == 1
    for bad in ({"pageSize": 0}, {"pageSize": 1001}, {"pageSize": "ten"}, {"pageSize": 2.5}):
        answer = page(sim, **bad)
        assert (answer["code"], answer["message"], answer["data"]) == (
            10002,
            "Validation failed",
            {},
        ), bad
    for bad in ({"page": 0}, {"page": -1}, {"page": "x"}):
        assert page(sim, **bad)["code"] == 10002, bad
    slash = get(sim, f"{LIST_PATH}/?pageSize=3").json()["data"]  # Express ignores a final /
    assert [r["id"] for r in slash["list"]] == [r["id"] for r in default["list"][:3]]
    assert get(sim, f"{MODELS_PATH}/", key=None).json()["code"] == 0
    assert page(sim, key=None)["code"] == 401
    assert page(sim, key="ai_nope", pageSize=0)["code"] == 401  # the key is checked first


def test_the_list_holds_only_the_callers_tasks(sim: Simulator) -> None:
    mine = {r["id"] for r in page(sim, pageSize=1000)["data"]["list"]}
    theirs = {r["id"] for r in page(sim, key=sim.other_api_key, pageSize=1000)["data"]["list"]}
    assert mine == set(sim.world.task_ids(0, at=ANCHOR))
    assert theirs == set(sim.world.task_ids(1, at=ANCHOR)) and theirs
    assert not mine & theirs


def test_new_tasks_arrive_at_the_top_and_pages_shift(clock: ManualClock, tmp_path: Path) -> None:
    with Simulator(tasks=200, seed=5, clock=clock, arrivals=30) as sim:
        early = set(sim.world.task_ids(0, at=ANCHOR))
        arriving = [task_id for task_id in sim.task_ids if task_id not in early]
        assert len(arriving) == 30
        written = sim.write_task_ids(tmp_path / "ids.txt").read_text("utf-8").split()
        assert set(written) == early  # only tasks that exist when the file is written
        assert task(sim, arriving[0])["code"] == 12302  # not created yet
        before = page(sim, pageSize=50)["data"]
        assert before["total"] == len(early)
        assert not {r["id"] for r in before["list"]} & set(arriving)

        clock.advance(3600)
        assert task(sim, arriving[0])["code"] == 0
        after = page(sim, pageSize=50)["data"]
        assert after["total"] == len(early) + 30
        assert [r["id"] for r in after["list"][:30]] == arriving[::-1]
        second = page(sim, page=2, pageSize=50)["data"]["list"]
        shifted = {r["id"] for r in before["list"]} & {r["id"] for r in second}
        assert len(shifted) == 30  # last sync's first page moved down into this page 2


# --- models, owners, the command line ------------------------------------------------------------


def test_models_need_no_key_and_follow_the_model_table(sim: Simulator) -> None:
    for key in (None, "main", "ai_nope"):
        answer = get(sim, MODELS_PATH, key=key).json()
        assert answer["code"] == 0
        models = answer["data"]
        assert [model["name"] for model in models] == [entry["name"] for entry in model_table()]
    reference = REFERENCE["models_entry"]
    first = models[0]
    assert shape(first) == {
        **shape(reference),
        "inputConstraints": shape(first["inputConstraints"]),
    }
    assert isinstance(first["inputConstraints"]["images"]["maxCount"], int)
    for model in models:
        assert set(model) == set(reference)
        assert set(model["defaults"]) <= {"resolution", "aspectRatio", "duration"}
        assert isinstance(model["defaults"]["duration"], int)
        assert all(isinstance(seconds, int) for seconds in model["durations"])


def test_any_key_reads_any_task_unless_owner_only(clock: ManualClock) -> None:
    with Simulator(tasks=60, seed=2, clock=clock) as sim:
        theirs = sim.world.task_ids(owner=1)[0]
        assert task(sim, theirs)["code"] == 0
        assert task(sim, sim.task_ids[0], key=sim.other_api_key)["code"] == 0
        assert task(sim, theirs, key="ai_" + "x" * 48)["code"] == 401
    with Simulator(tasks=60, seed=2, clock=clock, owner_only=True) as strict:
        theirs = strict.world.task_ids(owner=1)[0]
        assert task(strict, theirs)["code"] == 12302
        assert task(strict, theirs, key=strict.other_api_key)["code"] == 0
        assert task(strict, strict.task_ids[0], key=strict.other_api_key)["code"] == 12302


def test_the_request_log_keeps_no_key_on_any_route(sim: Simulator) -> None:
    get(sim, f"{TASK_PATH}{sim.task_ids[0]}")
    get(sim, f"{LIST_PATH}?pageSize=5&apiKey={sim.api_key}")  # a key where none belongs
    get(sim, MODELS_PATH)
    get(sim, "/nowhere")
    log = sim.request_log
    assert [(e.route, e.owner, e.outcome) for e in log] == [
        ("task", 0, "ok"),
        ("list", 0, "ok"),
        ("models", 0, "ok"),
        ("unknown", 0, "404"),
    ]
    assert sim.api_key not in repr(log)
    assert log[1].task_id == f"{LIST_PATH}?pageSize=5"
    assert sim.request_counts() == Counter({sim.task_ids[0]: 1})


def test_simulate_offers_owner_only_and_defaults_to_public_code() -> None:
    result = CliRunner().invoke(cli, ["simulate", "--help"])
    assert result.exit_code == 0
    assert "--owner-only" in result.output and "--arrivals" in result.output
    assert re.search(r"--timestamps \[public-code\|separate\]", result.output)
    assert re.search(r"\[default:\s+public-code\]", result.output)


def _reference_envelopes() -> list[dict[str, Any]]:
    return [
        value for name, value in REFERENCE.items() if isinstance(value, dict) and "code" in value
    ]
