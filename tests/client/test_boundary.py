"""The HTTP boundary against a peer that misbehaves: huge bodies, trickled bodies, stalls, 403s,
request IDs both ways, and a caller's own session left as it was given."""

from __future__ import annotations

import gc
import re
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from aitoearn_lab import AuthenticationError, Client, schema
from aitoearn_lab.simulator import ManualClock
from tests.support import ANCHOR, RecordingSleep, client_maker
from tests.support.records import record
from tests.support.remote import Crafted, RemoteService, envelope

KEY = "ai_boundary0123456789abcdef"
IDS = [f"{n:024x}" for n in range(1, 4)]
MB = 2**20


@pytest.fixture
def service() -> Iterator[RemoteService]:
    with RemoteService().running() as running:
        yield running


@pytest.fixture
def connect(service: RemoteService) -> Iterator[Any]:
    with client_maker(
        api_key=KEY,
        base_url=service.base_url,
        cache=False,
        each=lambda: {"clock": ManualClock(ANCHOR), "sleep": RecordingSleep()},
        workers=2,
        max_retries=1,
    ) as build:
        yield build


class TickingClock:
    """A clock that moves one second each time it is read: a deadline passes after so many
    reads, whatever the machine's speed."""

    def __init__(self) -> None:
        self.now = ANCHOR

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def wait_for_hangups(service: RemoteService, count: int) -> None:
    for _ in range(count):
        assert service.hangups.acquire(timeout=20), "the client kept the connection open"


def fifty_megabytes() -> Iterator[bytes]:
    block = b" " * MB
    for _ in range(50):
        yield block


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "chunked"])
def test_a_50_mb_answer_ends_as_a_row_without_memory_growth(
    service: RemoteService, connect: Any, announced: bool
) -> None:
    headers = {"Content-Length": str(50 * MB)} if announced else {}
    service.answer = lambda task_id: Crafted(headers=headers, pieces=fifty_megabytes)
    client = connect()
    tracemalloc.start()
    try:
        tasks = client.fetch(IDS[:1], progress=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 * MB, f"reading the answer took {peak / MB:.0f} MB"
    assert "16 MiB cap" in tasks.loc[0, "fetch_error"]
    assert client.last_fetch.requests == 1  # not asked again: it would be as large again
    assert not client.last_fetch.complete
    wait_for_hangups(service, 1)


def test_the_size_cap_is_a_setting(service: RemoteService, connect: Any) -> None:
    task = record(1, "veo3", "succeeded", submitted=0, finished=60)
    service.answer = lambda task_id: Crafted(body=envelope(task))
    assert connect().fetch([task["id"]], progress=False).loc[0, "state"] == "succeeded"
    refused = connect(max_body=100).fetch([task["id"]], progress=False)
    assert "cap" in refused.loc[0, "fetch_error"]


def test_a_trickled_answer_is_cut_at_the_deadline(service: RemoteService, connect: Any) -> None:
    def trickle() -> Iterator[bytes]:
        for _ in range(20_000):  # 200 s at most, should the client never hang up
            yield b" "
            time.sleep(0.01)  # the server's pace, not a wait of the test

    service.answer = lambda task_id: Crafted(pieces=trickle)
    client = connect(clock=TickingClock(), deadline=40.0, timeout=30.0, max_retries=1)
    tasks = client.fetch(IDS[:1], progress=False)
    error = tasks.loc[0, "fetch_error"]
    assert "no usable answer after 2 attempt(s)" in error and "40 s deadline" in error
    wait_for_hangups(service, 2)


def test_a_trickled_head_is_cut_at_the_deadline(connect: Any) -> None:
    # A status line, then one header a byte at a time: every read brings something, so only
    # the deadline (real seconds, kept by the watchdog) can end the wait.
    hung_up = threading.Event()

    def serve(server: socket.socket) -> None:
        connection, _ = server.accept()
        with connection:
            connection.settimeout(30)
            connection.recv(65536)
            try:
                connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                for _ in range(6000):  # 60 s at most, should the client never hang up
                    connection.sendall(b"a")
                    time.sleep(0.01)  # the server's pace, not a wait of the test
            except OSError:
                hung_up.set()

    with socket.create_server(("127.0.0.1", 0)) as server:
        thread = threading.Thread(target=serve, args=(server,), daemon=True)
        thread.start()
        base_url = f"http://127.0.0.1:{server.getsockname()[1]}"
        client = connect(base_url=base_url, deadline=1.0, timeout=30.0, max_retries=0)
        tasks = client.fetch(IDS[:1], progress=False)
        assert "the 1 s deadline" in tasks.loc[0, "fetch_error"]
        assert hung_up.wait(20), "the client kept the connection open"
        thread.join(20)


def test_a_socket_abandoned_on_a_read_timeout_is_closed_at_once(
    service: RemoteService, connect: Any
) -> None:
    # Headers and the first byte, then nothing: the read times out. With the garbage collector
    # off, only the client's own close can end the connection.
    def stall() -> Iterator[bytes]:
        yield b"{"

    service.answer = lambda task_id: Crafted(
        headers={"Content-Length": "1000"}, pieces=stall, hold=True
    )
    client = connect(timeout=0.3, max_retries=0)
    enabled = gc.isenabled()
    gc.disable()
    try:
        tasks = client.fetch(IDS[:1], progress=False)
        assert "timed out" in tasks.loc[0, "fetch_error"]
        wait_for_hangups(service, 1)
    finally:
        if enabled:
            gc.enable()


def test_a_gateways_403_stops_the_batch_like_a_401(service: RemoteService, connect: Any) -> None:
    service.answer = lambda task_id: Crafted(status=403, body=b"<html>Forbidden</html>")
    ids = [f"{n:024x}" for n in range(1, 41)]
    with pytest.raises(AuthenticationError) as refused:
        connect().fetch(ids, progress=False)
    assert "authentication failed (code 403: HTTP 403" in str(refused.value)
    assert "check the API key" in str(refused.value)
    assert len(service.seen) <= 4  # only what was in flight when the refusal came


def test_request_ids_go_out_fresh_and_come_back_in_a_column(
    service: RemoteService, connect: Any, tmp_path: Any
) -> None:
    tasks = {
        task_id: record(n, "veo3", "succeeded", submitted=0, finished=9)
        for n, task_id in enumerate(IDS, start=1)
    }
    tasks = {t["id"]: t for t in tasks.values()}
    first, second, third = list(tasks)
    asked: dict[str, int] = {}

    def answer(task_id: str) -> Crafted:
        asked[task_id] = asked.get(task_id, 0) + 1
        if task_id == first and asked[task_id] == 1:
            return Crafted(status=503)  # a second attempt, so a second request ID
        if task_id == first:
            return Crafted(body=envelope(tasks[task_id]))  # requestId "req-0001" in the body
        if task_id == second:  # only in the header
            body = {"code": 0, "message": "Success", "data": tasks[task_id]}
            return Crafted(body=body, headers={"x-request-id": "hdr-2"})
        return Crafted(
            body={"code": schema.CODE_INVALID_TASK_ID, "message": "no", "requestId": "r12302"}
        )

    service.answer = answer
    cache = tmp_path / "tasks.sqlite"
    frame = connect(cache=cache).fetch(tasks, progress=False).set_index("task_id")
    assert frame.loc[first, "request_id"] == "req-0001"
    assert frame.loc[second, "request_id"] == "hdr-2"
    assert frame.loc[third, "request_id"] == "r12302"
    assert "r12302" in frame.loc[third, "fetch_error"]  # support asks for it
    sent = [seen.request_id for seen in service.seen]
    assert len(sent) == 4 and len(set(sent)) == 4  # one fresh ID per attempt
    assert all(re.fullmatch(r"[0-9a-f]{32}", str(rid)) for rid in sent)
    assert not any(KEY[3:11] in str(rid) for rid in sent)
    # A cached row keeps the request ID of the answer that was stored.
    again = connect(cache=cache).fetch([first, second], progress=False).set_index("task_id")
    assert again["from_cache"].all()
    assert list(again["request_id"]) == ["req-0001", "hdr-2"]


def test_a_callers_session_gets_no_key_and_stays_open(service: RemoteService) -> None:
    task = record(1, "veo3", "succeeded", submitted=0, finished=60)
    service.answer = lambda task_id: Crafted(body=envelope(task))
    with requests.Session() as session:
        with Client(api_key=KEY, base_url=service.base_url, cache=False, session=session) as client:
            assert client.get_task(task["id"])["id"] == task["id"]
        assert service.seen[-1].api_key == KEY
        assert schema.API_KEY_HEADER not in session.headers
        # Still open after client.close(), and the caller's own requests carry no key.
        assert session.get(f"{service.base_url}/elsewhere", timeout=10).status_code == 200
        assert service.seen[-1].raw_path == "/elsewhere"
        assert service.seen[-1].api_key is None


def test_a_client_closes_the_session_it_made(service: RemoteService) -> None:
    task = record(1, "veo3", "succeeded", submitted=0, finished=60)
    service.answer = lambda task_id: Crafted(body=envelope(task))
    client = Client(api_key=KEY, base_url=service.base_url, cache=False)
    client.get_task(task["id"])
    pools = client._session.get_adapter(service.base_url).poolmanager.pools
    assert len(pools) == 1
    client.close()
    assert len(pools) == 0
