"""The client against the simulator over loopback: rows, errors, retries, concurrency, limits."""

from __future__ import annotations

import gc
import threading
from collections import Counter
from typing import Any

import pandas as pd
import pytest

from aitoearn_lab import (
    APIError,
    AuthenticationError,
    Client,
    ConfigurationError,
    InvalidTaskIdError,
    TaskNotFoundError,
    TransportError,
    schema,
)
from aitoearn_lab.client.retry import RateLimiter, backoff_delay, retry_after_seconds
from aitoearn_lab.config import ENV_API_KEY, ENV_BASE_URL, REGIONS
from aitoearn_lab.simulator import FaultPlan, ManualClock, Simulator
from tests.support import RecordingSleep, wait_until_idle
from tests.support.remote import Crafted, RemoteService


def test_get_task_returns_the_record(make_client: Any, sim: Simulator) -> None:
    task_id = sim.task_ids[0]
    record = make_client(cache=False).get_task(task_id)
    assert record["id"] == task_id
    assert record["model"] == sim.world.tasks[task_id].model


def test_get_task_raises_from_one_tree(make_client: Any, sim: Simulator) -> None:
    client = make_client(cache=False)
    with pytest.raises(InvalidTaskIdError) as invalid:
        client.get_task("not-hex")
    assert invalid.value.code == 10002 and invalid.value.request_id
    with pytest.raises(TaskNotFoundError) as missing:
        client.get_task(sim.world.unknown_task_id())
    assert missing.value.code == 12302 and "12302" in str(missing.value)
    with pytest.raises(InvalidTaskIdError, match="without a request"):
        client.get_task("a/b")
    assert all(isinstance(e, APIError) for e in (invalid.value, missing.value))
    with pytest.raises(AuthenticationError) as refused:
        make_client(cache=False, api_key="ai_" + "Z" * 48).get_task(sim.task_ids[0])
    assert refused.value.code == 401
    assert "ai_" + "Z" * 48 not in str(refused.value)


def test_fetch_gives_one_row_per_unique_id_in_first_seen_order(
    make_client: Any, sim: Simulator
) -> None:
    ids = sim.task_ids[:20]
    messy = [
        f"  {ids[3]} ",
        ids[0],
        ids[3],
        *ids,
        "",
        ids[0] + "\n",
        sim.world.unknown_task_id(),
        "nothex",
    ]
    tasks = make_client().fetch(pd.Series(messy), progress=False)
    expected = [
        ids[3],
        ids[0],
        *[i for i in ids if i not in (ids[0], ids[3])],
        "",
        sim.world.unknown_task_id(),
        "nothex",
    ]
    assert tasks["task_id"].tolist() == expected
    by_id = tasks.set_index("task_id")
    assert by_id.loc[ids[5], "model"] == sim.world.tasks[ids[5]].model
    assert by_id.loc[ids[5], "api_code"] == 0
    assert by_id.loc[sim.world.unknown_task_id(), "api_code"] == 12302
    assert by_id.loc["nothex", "api_code"] == 10002
    assert "empty" in by_id.loc["", "fetch_error"]
    assert pd.isna(by_id.loc["nothex", "state"])
    assert by_id.loc[ids[5], "state"] in ("succeeded", "failed", "running", "queued")


def test_fetch_accepts_lines_of_a_file(make_client: Any, sim: Simulator, tmp_path: Any) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(sim.task_ids[:5]) + "\n")
    with path.open() as handle:
        tasks = make_client(cache=False).fetch(handle, progress=False)
    assert tasks["task_id"].tolist() == sim.task_ids[:5]


def test_ids_that_cannot_be_task_ids_never_reach_the_server(
    make_client: Any, sim: Simulator
) -> None:
    bad = ["a b", "../etc", "x?y=1", "frag#1", "tab\tid", "nul\x00id", "é" * 300, "..", ".", "a\\b"]
    tasks = make_client(cache=False).fetch([*bad, sim.task_ids[0]], progress=False)
    assert sim.request_counts() == Counter({sim.task_ids[0]: 1})
    rejected = tasks[tasks["task_id"] != sim.task_ids[0]]
    assert len(rejected) == len(bad)
    assert rejected["fetch_error"].str.contains("without a request").all()
    assert (rejected["api_code"] == 10002).all()


def test_ids_are_url_encoded(make_client: Any, sim: Simulator) -> None:
    client = make_client(cache=False)
    assert client.task_url("%2F..%2Fx").endswith("/generations/%252F%2E%2E%252Fx")
    tasks = client.fetch(["%2F..%2Fadmin", "é-ü"], progress=False)
    assert (tasks["api_code"] == 10002).all()
    assert set(sim.request_counts()) == {
        "%2F..%2Fadmin",
        "é-ü",
    }  # the server saw the names as given


def test_retries_recover_every_kind_of_fault(
    make_client: Any, sim: Simulator, sleeps: RecordingSleep
) -> None:
    sim.faults = FaultPlan(
        server_error=0.2, rate_limit=0.2, drop=0.2, malformed=0.2, first_only=True, seed=3
    )
    client = make_client(cache=False)
    tasks = client.fetch(sim.task_ids, progress=False)
    assert tasks["fetch_error"].isna().all()
    assert (tasks["api_code"] == 0).all()
    served = Counter(entry.outcome for entry in sim.request_log)
    assert (
        min(served["server_error"], served["rate_limit"], served["drop"], served["malformed"]) > 20
    )
    assert client.last_fetch.retries == sum(
        served[k] for k in ("server_error", "rate_limit", "drop", "malformed")
    )
    assert client.last_fetch.complete


def test_retry_after_is_honoured(make_client: Any, sim: Simulator, sleeps: RecordingSleep) -> None:
    sim.faults = FaultPlan(rate_limit=1.0, retry_after=7.0, first_only=True)
    make_client(cache=False).fetch(sim.task_ids[:10], progress=False)
    assert sleeps.calls == [7.0] * 10


def test_backoff_grows_and_stays_capped() -> None:
    import random

    rng = random.Random(1)
    delays = [backoff_delay(n, base=0.5, cap=30.0, rng=rng) for n in range(10)]
    assert 0.25 <= delays[0] <= 0.75
    assert 4.0 <= delays[4] <= 12.0
    assert max(delays) <= 45.0  # the cap, with at most +50% jitter
    assert retry_after_seconds("5", now=0, cap=60) == 5
    assert retry_after_seconds("500", now=0, cap=60) == 60
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0, cap=60) == 10
    assert retry_after_seconds("soon", now=0, cap=60) is None


def test_permanent_faults_end_as_rows_not_exceptions(
    make_client: Any, sim: Simulator, sleeps: RecordingSleep
) -> None:
    sim.faults = FaultPlan(permanent=0.1, seed=2)
    client = make_client(cache=False, max_retries=3)
    tasks = client.fetch(sim.task_ids, progress=False)
    broken = tasks[tasks["fetch_error"].notna()]
    assert 10 < len(broken) < 60
    assert broken["fetch_error"].str.contains("after 4 attempt").all()
    assert broken["fetch_error"].str.contains("HTTP 50").all()
    assert broken["api_code"].isna().all()
    assert len(tasks) == len(sim.task_ids)
    assert client.last_fetch.failed == len(broken) and not client.last_fetch.complete
    assert len(sleeps.calls) == 3 * len(broken)


def test_timeouts_are_retried(make_client: Any, sim: Simulator) -> None:
    # Each first answer comes after 2 s, past the client's 0.5 s; the retries, answered at
    # once, come well within it even on a busy machine.
    sim.faults = FaultPlan(timeout=1.0, timeout_delay=2.0, first_only=True)
    client = make_client(cache=False, timeout=0.5)
    tasks = client.fetch(sim.task_ids[:4], progress=False)
    assert tasks["fetch_error"].isna().all()
    assert client.last_fetch.retries >= 4  # every first request timed out and was asked again


def test_a_refused_key_stops_the_batch_at_once(sim: Simulator, clock: ManualClock) -> None:
    client = Client(
        api_key="ai_" + "Q" * 48, base_url=sim.base_url, cache=False, clock=clock, workers=4
    )
    with pytest.raises(AuthenticationError, match="authentication failed"):
        client.fetch(sim.task_ids, progress=False)
    client.close()
    # Each worker sends at most the one request it had in flight: a refused key stops the
    # batch before any worker takes another ID, even one already queued to the pool.
    assert 1 <= len(sim.request_log) <= 4
    assert {entry.outcome for entry in sim.request_log} == {"401"}


def test_close_hangs_up_every_connection_even_after_a_refused_key(sim: Simulator) -> None:
    """The refusal's traceback keeps responses, and so their pool, alive; close() must not
    leave their sockets to the garbage collector (late, and a ResourceWarning under load)."""
    gc.disable()
    try:
        client = Client(api_key="ai_" + "Q" * 48, base_url=sim.base_url, cache=False, workers=4)
        with pytest.raises(AuthenticationError):
            client.fetch(sim.task_ids, progress=False)
        assert sim.open_connections > 0  # keep-alive connections the client still holds
        client.close()
        wait_until_idle(sim)  # every server-side connection ended: the client hung up
    finally:
        gc.enable()


def test_a_refused_key_stops_every_worker_after_the_request_it_had_in_flight() -> None:
    """Four workers, each with a request in flight when the refusals come back together."""
    workers = 4
    arrived: list[str] = []
    lock = threading.Lock()
    all_in = threading.Event()

    def answer(task_id: str) -> Crafted:
        with lock:
            arrived.append(task_id)
            if len(arrived) == workers:
                all_in.set()
        all_in.wait(timeout=30)  # the first four are refused at the same moment
        refusal = schema.error_envelope(
            schema.CODE_UNAUTHORIZED, request_id="req-401", timestamp_ms=0
        )
        return Crafted(body=refusal)

    service = RemoteService()
    service.answer = answer
    ids = [f"{0x6A461DA66FE8A12D33DA0000 + n:024x}" for n in range(200)]
    with (
        service.running(),
        Client(
            api_key="ai_" + "Q" * 48, base_url=service.base_url, cache=False, workers=workers
        ) as client,
        pytest.raises(AuthenticationError),
    ):
        client.fetch(ids, progress=False)
    assert all_in.is_set()
    assert len(service.task_ids_asked()) == workers  # the requests in flight, and nothing after


def test_max_rps_spaces_requests() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(10.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limiter.acquire()
    assert waits == pytest.approx([0.1, 0.1, 0.1, 0.1])
    assert now[0] == pytest.approx(0.4)


def test_max_rps_applies_to_fetch(make_client: Any, sim: Simulator, sleeps: RecordingSleep) -> None:
    # The cap runs on the client's injected clock and sleep: with the clock held still, the
    # 21 requests wait 0, 20, 40 ... 400 ms for their slots, whatever the concurrency.
    make_client(cache=False, max_rps=50.0, workers=8).fetch(sim.task_ids[:21], progress=False)
    assert sorted(sleeps.calls) == pytest.approx([0.02 * k for k in range(1, 21)])


def test_repr_masks_the_key(make_client: Any, sim: Simulator) -> None:
    client = make_client()
    text = repr(client)
    assert sim.api_key not in text
    assert sim.api_key[-4:] in text and sim.base_url in text


def test_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, sim: Simulator
) -> None:
    monkeypatch.setenv(ENV_API_KEY, sim.api_key)
    monkeypatch.setenv(ENV_BASE_URL, sim.base_url)
    with Client(cache=False) as client:
        assert client.get_task(sim.task_ids[0])["id"] == sim.task_ids[0]
    monkeypatch.delenv(ENV_BASE_URL)
    with Client(cache=False, region="cn") as client:
        assert client.base_url == REGIONS["cn"]
    monkeypatch.delenv(ENV_API_KEY)
    with pytest.raises(ConfigurationError, match=ENV_API_KEY):
        Client(cache=False)
    with pytest.raises(ConfigurationError, match="region"):
        Client(api_key="k" * 20, region="mars", cache=False)
    with pytest.raises(ConfigurationError, match="base URL"):
        Client(api_key="k" * 20, base_url="ftp://x", cache=False)
    with pytest.raises(ConfigurationError, match="workers"):
        Client(api_key="k" * 20, workers=0, cache=False)


def test_an_answer_with_a_gap_keeps_its_row_and_names_the_gap(
    make_client: Any, sim: Simulator
) -> None:
    """A task without a prompt is still a task: its row is kept, the gap named (answers that
    are not a task at all are rows with a reason: see tests/system/test_bad_input.py)."""
    task_id = sim.task_ids[0]
    del sim.world.tasks[task_id].input["prompt"]
    tasks = make_client().fetch([task_id, sim.task_ids[1]], progress=False)
    assert tasks["fetch_error"].isna().all()
    assert tasks.loc[0, "anomalies"] == "input.prompt is missing"
    assert pd.isna(tasks.loc[0, "input_prompt"]) and pd.notna(tasks.loc[0, "model"])
    assert "prompt" not in make_client(cache=False).get_task(task_id)["input"]


def test_fetch_joins_the_metadata_of_an_ids_frame(make_client: Any, sim: Simulator) -> None:
    first, second = sim.task_ids[:2]
    ids = pd.DataFrame(
        {"taskId": [second, first, second], "campaign": ["b", "a", "c"], "state": [1, 2, 3]}
    )
    with pytest.warns(UserWarning, match="1 task ID.*different metadata; the first row"):
        tasks = make_client(cache=False).fetch(ids, progress=False)
    assert tasks["task_id"].tolist() == [second, first]
    assert tasks["user_campaign"].tolist() == ["b", "a"]
    assert tasks["user_state"].tolist() == [1, 2]  # the user's "state", beside ours
    assert set(tasks["state"].astype(str)) <= {"queued", "running", "succeeded", "failed"}


def test_transport_error_carries_the_http_status(make_client: Any, sim: Simulator) -> None:
    sim.faults = FaultPlan(server_error=1.0)
    with pytest.raises(TransportError) as failure:
        make_client(cache=False, max_retries=1).get_task(sim.task_ids[0])
    assert failure.value.http_status in (502, 503, 504)
    assert failure.value.task_id == sim.task_ids[0]


def test_many_workers_share_a_pool_sized_to_them(sim: Simulator, clock: ManualClock) -> None:
    with Client(
        api_key=sim.api_key, base_url=sim.base_url, cache=False, clock=clock, workers=24
    ) as client:
        adapter = client._session.get_adapter(sim.base_url)
        assert adapter._pool_maxsize == 24  # type: ignore[attr-defined]
        tasks = client.fetch(sim.task_ids, progress=False)
    assert len(tasks) == len(sim.task_ids)


def test_progress_bar_counts_cache_hits(
    make_client: Any, sim: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client()
    client.fetch(sim.task_ids[:30], progress=False)
    client.fetch(sim.task_ids[:40], progress=True)
    err = capsys.readouterr().err
    assert "40/40" in err
    assert f"cached={client.last_fetch.cache_hits}" in err


def test_simulator_speed_clock_lets_tasks_finish(tmp_path: Any) -> None:
    clock = ManualClock(1782993600.0)
    with Simulator(tasks=200, seed=4, clock=clock) as sim:
        client = Client(
            api_key=sim.api_key,
            base_url=sim.base_url,
            cache=tmp_path / "c.sqlite",
            clock=clock,
            pending_ttl=30,
        )
        before = client.fetch(sim.task_ids, progress=False)
        clock.advance(7200)
        after = client.fetch(sim.task_ids, progress=False)
        client.close()
    assert (~before["is_terminal"]).sum() > 0
    assert after["is_terminal"].all()
