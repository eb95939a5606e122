"""The simulator behaves like the real service: spec conformance, auth, lifecycles, faults."""

from __future__ import annotations

import copy
import socket
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import jsonschema
import pytest
import requests

from aitoearn_lab.schema import TASK_PATH, canonical_state
from aitoearn_lab.simulator import FaultPlan, ManualClock, Simulator, World
from aitoearn_lab.simulator.catalogue import model_table
from tests.support import ANCHOR


def get(
    sim: Simulator,
    task_id: str,
    key: str | None = "main",
    timeout: float = 10,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    headers = dict(headers or {})
    if key == "main":
        headers["X-Api-Key"] = sim.api_key
    elif key is not None:
        headers["X-Api-Key"] = key
    return requests.get(f"{sim.base_url}{TASK_PATH}{task_id}", headers=headers, timeout=timeout)


def response_schema(openapi: dict[str, Any]) -> dict[str, Any]:
    operation = openapi["paths"]["/api/ai/video/generations/{taskId}"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    components = copy.deepcopy(openapi["components"])
    # The seed's spec lacks input.watermark; the public code's answers carry it.
    task_input = components["schemas"]["VideoTaskStatusResponseVo"]["properties"]["input"]
    task_input["properties"]["watermark"] = {"type": "boolean"}
    return {**schema, "components": components}


def example(openapi: dict[str, Any], name: str) -> dict[str, Any]:
    operation = openapi["paths"]["/api/ai/video/generations/{taskId}"]["get"]
    value: dict[str, Any] = operation["responses"]["200"]["content"]["application/json"][
        "examples"
    ][name]["value"]
    return value


# --- conformance ---------------------------------------------------------------------------------


@pytest.mark.parametrize("timestamps", ["separate", "public-code"])
def test_every_success_answer_matches_the_spec_schema(
    openapi: dict[str, Any], timestamps: str
) -> None:
    clock = ManualClock(ANCHOR)
    validator = jsonschema.Draft202012Validator(response_schema(openapi))
    seen_states: Counter[str] = Counter()
    with Simulator(tasks=120, seed=3, clock=clock, timestamps=timestamps) as sim:  # type: ignore[arg-type]
        for moment in (0, 600, 86400):  # queued and running tasks, then all finished
            clock.advance(moment)
            for task_id in sim.task_ids:
                answer = get(sim, task_id)
                assert answer.status_code == 200
                body = answer.json()
                errors = sorted(validator.iter_errors(body), key=str)
                assert not errors, f"{task_id}: {errors[0].message}"
                assert body["code"] == 0 and "timestamp" not in body and body["requestId"]
                seen_states[canonical_state(body["data"]["status"])] += 1
    assert {"succeeded", "failed", "running"} <= set(seen_states)


def test_error_answers_match_the_spec_examples(openapi: dict[str, Any], sim: Simulator) -> None:
    chinese = {"Accept-Language": "zh-CN"}  # the spec's examples are the Chinese answers
    cases = {
        "unauthorized401": get(sim, sim.task_ids[0], key=None, headers=chinese),
        "validationFailed10002": get(sim, "not-an-object-id", headers=chinese),
        "invalidAiTaskId12302": get(sim, sim.world.unknown_task_id(), headers=chinese),
    }
    validator = jsonschema.Draft202012Validator(
        {
            **response_schema(openapi),
            "properties": {**response_schema(openapi)["properties"], "data": {"const": {}}},
        }
    )
    for name, answer in cases.items():
        expected = example(openapi, name)
        body = answer.json()
        assert answer.status_code == 200, name
        assert answer.headers["Content-Type"].startswith("application/json")
        assert not list(validator.iter_errors(body)), name
        assert (body["code"], body["message"], body["data"]) == (
            expected["code"],
            expected["message"],
            {},
        )
        assert set(body) == {"code", "message", "data", "timestamp", "requestId"}
        assert abs(body["timestamp"] - ANCHOR * 1000) < 5000


def test_keys_see_only_their_own_tasks_when_owner_only(sim: Simulator) -> None:
    sim.owner_only = True  # the public GET does not check the owner; a stricter server does
    mine = sim.task_ids[0]
    theirs = sim.world.task_ids(owner=1)[0]
    assert get(sim, mine).json()["code"] == 0
    assert get(sim, theirs).json()["code"] == 12302
    assert get(sim, theirs, key=sim.other_api_key).json()["code"] == 0
    assert get(sim, mine, key=sim.other_api_key).json()["code"] == 12302
    assert get(sim, mine, key="ai_" + "x" * 48).json()["code"] == 401


def test_a_bad_key_wins_over_a_bad_id(sim: Simulator) -> None:
    assert get(sim, "zzz", key="wrong").json()["code"] == 401
    assert get(sim, "zzz", key=None).json()["code"] == 401


def test_ids_are_case_insensitive_hex_and_other_routes_are_404(sim: Simulator) -> None:
    assert get(sim, sim.task_ids[0].upper()).json()["code"] == 0
    answer = requests.get(
        f"{sim.base_url}/api/ai/video/other", headers={"X-Api-Key": sim.api_key}, timeout=5
    )
    assert (answer.status_code, answer.json()["code"]) == (200, 404)


# --- the world -----------------------------------------------------------------------------------


def test_the_world_is_deterministic_per_seed_and_anchor() -> None:
    first = World.generate(tasks=200, seed=5, anchor=ANCHOR)
    again = World.generate(tasks=200, seed=5, anchor=ANCHOR)
    other = World.generate(tasks=200, seed=6, anchor=ANCHOR)
    assert first.task_ids() == again.task_ids()
    assert [t.view(ANCHOR) for t in first.tasks.values()] == [
        t.view(ANCHOR) for t in again.tasks.values()
    ]
    assert first.task_ids() != other.task_ids()
    assert first.api_keys == again.api_keys
    assert all(
        key.startswith("ai_") and len(key) == 51 and key[3:].isalnum() for key in first.api_keys
    )


def test_object_id_time_matches_submitted_at() -> None:
    world = World.generate(tasks=500, seed=1, anchor=ANCHOR)
    for task in world.tasks.values():
        embedded = int(task.task_id[:8], 16)
        submitted = datetime.fromisoformat(task.submitted_iso.replace("Z", "+00:00")).timestamp()
        assert embedded == int(submitted)
        assert len(task.task_id) == 24 and task.task_id == task.task_id.lower()


def test_inputs_are_valid_for_each_model() -> None:
    table = {entry["name"]: entry for entry in model_table()}
    world = World.generate(tasks=3000, seed=2, anchor=ANCHOR)
    image_kinds: Counter[str] = Counter()
    for task in world.tasks.values():
        spec, task_input = table[task.model], task.input
        assert isinstance(task_input["prompt"], str) and 1 <= len(task_input["prompt"]) <= 4000
        if "duration" in task_input:
            assert task_input["duration"] in spec["durations"]
        if "resolution" in task_input:
            assert task_input["resolution"] in spec["resolutions"]
        if "aspectRatio" in task_input:
            assert task_input["aspectRatio"] in spec["aspectRatios"]
        images = task_input.get("images", [])
        assert len(images) <= spec["maxInputImages"]
        if "image" in task_input:
            image_kinds[type(task_input["image"]).__name__] += 1
        if "videoUrl" in task_input:
            assert task_input["videoUrl"] == task_input["videos"][0]
    assert image_kinds["str"] > 0 and image_kinds["list"] > 0
    assert {t.model for t in world.tasks.values()} == set(table)


def test_latency_and_failures_differ_by_model_and_grow_with_resolution() -> None:
    world = World.generate(tasks=6000, seed=4, anchor=ANCHOR)
    queue, render, failed, count = defaultdict(list), defaultdict(list), Counter(), Counter()
    render_by_res: dict[str, list[float]] = defaultdict(list)
    for task in world.tasks.values():
        count[task.model] += 1
        queue[task.model].append(task.started_at - task.submitted_at)
        if task.succeeds:
            span = task.finished_at - task.started_at
            render[task.model].append(span)
            if task.model == "doubao-seedance-2-0-260128" and task.input.get("duration") == 5:
                render_by_res[task.input.get("resolution", "720p")].append(span)
        else:
            failed[task.model] += 1
    medians = {model: statistics.median(values) for model, values in render.items()}
    assert max(medians.values()) > 3 * min(medians.values())
    queue_medians = {model: statistics.median(values) for model, values in queue.items()}
    assert max(queue_medians.values()) > 3 * min(queue_medians.values())
    rates = {model: failed[model] / count[model] for model in count}
    assert max(rates.values()) > 2 * min(rates.values())
    assert statistics.median(render_by_res["1080p"]) > 1.4 * statistics.median(
        render_by_res["720p"]
    )
    messages = [t.error_message for t in world.tasks.values() if t.error_message]
    assert len(set(messages)) > len(messages) / 3  # varied, not a handful of fixed strings


# --- lifecycles against the clock ----------------------------------------------------------------


@pytest.fixture
def separate_sim(clock: ManualClock) -> Iterator[Simulator]:
    """A server that fills startedAt when rendering begins: tasks are QUEUED until then."""
    with Simulator(tasks=300, seed=11, clock=clock, timestamps="separate") as simulator:
        yield simulator


def test_a_task_moves_through_its_lifecycle_as_the_clock_moves(
    clock: ManualClock, separate_sim: Simulator
) -> None:
    sim = separate_sim
    task = next(
        t
        for t in sim.world.tasks.values()
        if t.owner == 0 and t.succeeds and t.started_at > ANCHOR + 5
    )
    seen = []
    for moment in (
        ANCHOR,
        task.started_at + 0.001,
        task.finished_at + 0.001,
    ):  # queued at the anchor
        clock.advance(moment - clock.now())
        seen.append(get(sim, task.task_id).json()["data"])
    queued, running, done = seen
    assert (queued["status"], running["status"], done["status"]) == (
        "QUEUED",
        "InProgress",
        "SUCCESS",
    )
    assert "finishedAt" not in queued and "finishedAt" not in running and "videoUrl" not in running
    assert queued["startedAt"] == queued["submittedAt"]
    assert running["startedAt"] == task.started_iso != running["submittedAt"]
    assert done["finishedAt"] == task.finished_iso and done["videoUrl"].endswith(
        f"{task.task_id}.mp4"
    )


def test_public_code_timestamps_fill_started_from_submitted(clock: ManualClock) -> None:
    with Simulator(tasks=50, seed=9, clock=clock, timestamps="public-code") as sim:
        clock.advance(86400)
        for task_id in sim.task_ids:
            data = get(sim, task_id).json()["data"]
            assert data["startedAt"] == data["submittedAt"]
            assert data["status"] in ("SUCCESS", "FAILURE")


def test_finished_at_lands_on_the_servers_30_second_poll() -> None:
    world = World.generate(tasks=300, seed=8, anchor=ANCHOR)
    phases = {round((t.finished_at - t.started_at - 1.0) % 30.0, 1) for t in world.tasks.values()}
    offsets = {
        round(t.finished_at % 30.0, 2)
        for t in world.tasks.values()
        if t.finished_at - t.started_at > 1.001
    }
    assert len(offsets) == 1, "every finish is noticed on the same 30-second grid"
    assert len(phases) > 1


def test_tasks_still_running_at_the_anchor() -> None:
    world = World.generate(tasks=2000, seed=1, anchor=ANCHOR)
    states = Counter(canonical_state(t.view(ANCHOR)["status"]) for t in world.tasks.values())  # type: ignore[index]
    assert states["running"] + states["queued"] > 20
    assert states["succeeded"] > states["failed"] > 50


# --- faults --------------------------------------------------------------------------------------


def test_fault_plan_parses_and_rejects_nonsense() -> None:
    plan = FaultPlan.parse(
        "5xx=0.1, 429=0.05,drop=0.02,malformed=0.03,timeout=0.01,latency=0.15,first-only"
    )
    assert (plan.server_error, plan.rate_limit, plan.drop, plan.malformed, plan.timeout) == (
        0.1,
        0.05,
        0.02,
        0.03,
        0.01,
    )
    assert plan.latency == 0.15 and plan.first_only
    with pytest.raises(ValueError, match="unknown fault setting"):
        FaultPlan.parse("5xx=0.1,explode=1")
    with pytest.raises(ValueError, match="at most 1"):
        FaultPlan.parse("5xx=0.6,429=0.6")


def test_each_fault_kind_is_served(sim: Simulator) -> None:
    ids = sim.task_ids[:40]
    kinds = {
        "server_error": lambda r: r.status_code in (502, 503, 504) and "nginx" in r.text,
        "rate_limit": lambda r: r.status_code == 429 and r.headers["Retry-After"] == "2",
        "malformed": lambda r: r.status_code == 200 and not _is_json(r),
    }
    for kind, check in kinds.items():
        sim.faults = FaultPlan(**{kind: 1.0}, retry_after=2.0)
        for task_id in ids[:5]:
            assert check(get(sim, task_id)), kind
    sim.faults = FaultPlan(drop=1.0)
    with pytest.raises(requests.ConnectionError):
        get(sim, ids[0])
    sim.faults = FaultPlan(timeout=1.0, timeout_delay=1.0)
    with pytest.raises(requests.Timeout):
        get(sim, ids[0], timeout=0.2)


def test_first_only_faults_hit_only_the_first_answer(sim: Simulator) -> None:
    sim.faults = FaultPlan(server_error=1.0, first_only=True)
    task_id = sim.task_ids[0]
    assert get(sim, task_id).status_code >= 500
    assert get(sim, task_id).json()["code"] == 0
    outcomes = [entry.outcome for entry in sim.request_log]
    assert outcomes == ["server_error", "ok"]


def test_permanent_faults_stick_to_their_ids(sim: Simulator) -> None:
    sim.faults = FaultPlan(permanent=0.2, seed=1)
    broken = [
        task_id for task_id in sim.task_ids if sim.faults.choose(task_id, 0) == "server_error"
    ]
    assert 0.1 * len(sim.task_ids) < len(broken) < 0.3 * len(sim.task_ids)
    for _ in range(3):
        assert get(sim, broken[0]).status_code >= 500


def test_request_log_never_keeps_the_key(sim: Simulator) -> None:
    get(sim, sim.task_ids[0])
    get(sim, sim.task_ids[1], key="ai_nope")
    assert [(e.owner, e.outcome) for e in sim.request_log] == [(0, "ok"), (None, "401")]
    assert sim.api_key not in repr(sim.request_log)


def test_latency_is_added_to_every_answer(sim: Simulator) -> None:
    import time

    sim.faults = FaultPlan(latency=0.2)
    started = time.perf_counter()
    get(sim, sim.task_ids[0])
    assert time.perf_counter() - started >= 0.19


def test_server_survives_a_client_that_hangs_up(sim: Simulator) -> None:
    host, port = sim.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(b"GET " + TASK_PATH.encode() + b"abc HTTP/1.1\r\nHost: x\r\n")
    assert get(sim, sim.task_ids[0]).json()["code"] == 0


def _is_json(response: requests.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True
