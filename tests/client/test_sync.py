"""Client.sync against a world of 5,000 tasks over loopback: every task once, incrementally."""

from __future__ import annotations

import _thread
import json
import math
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aitoearn_lab import (
    AuthenticationError,
    ListingUnavailableError,
    TransportError,
    data_notes,
)
from aitoearn_lab.client.holdings import Holdings
from aitoearn_lab.simulator import ManualClock, World
from tests.support import ANCHOR, DATA, RecordingSleep, client_maker
from tests.support.listing import ListingService, arrivals

REAL = json.loads((DATA / "real-shaped-answers.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def big_world() -> World:
    return World.generate(tasks=5_000, seed=21, anchor=ANCHOR)


@pytest.fixture
def world(big_world: World) -> World:
    # Each test adds tasks of its own: a fresh copy of the task table, same tasks.
    return World(
        seed=big_world.seed,
        anchor=big_world.anchor,
        api_keys=big_world.api_keys,
        tasks=dict(big_world.tasks),
    )


@pytest.fixture
def service(world: World, clock: ManualClock) -> Iterator[ListingService]:
    models = [
        REAL["models_entry"],
        {**REAL["models_entry"], "name": "doubao-seedance-2-0-260128", "channel": "volcengine"},
    ]
    with ListingService(world, clock, models=models).running() as running:
        yield running


@pytest.fixture
def client_for(service: ListingService, clock: ManualClock, cache_path: Path) -> Iterator[Any]:
    with client_maker(
        api_key=service.api_key,
        base_url=service.base_url,
        cache=cache_path,
        clock=clock,
        each=lambda: {"sleep": RecordingSleep()},
        workers=8,
    ) as build:
        yield build


def test_a_first_sync_holds_every_task_of_the_account_once(
    client_for: Any, service: ListingService, world: World
) -> None:
    client = client_for()
    tasks = client.sync(progress=False)
    expected = [view["id"] for view in service.visible()]
    assert len(expected) == 5_000
    assert tasks["task_id"].tolist() == expected  # newest first, each once
    assert not set(tasks["task_id"]) & set(world.task_ids(owner=1))  # only the key's own
    assert tasks["fetch_error"].isna().all()
    assert tasks["anomalies"].isna().all()  # legal answers raise no flag
    assert Counter(service.pages_asked()) == Counter({1: 1, 2: 1, 3: 1, 4: 1, 5: 1})
    assert service.ids_asked() == []
    assert client.last_sync.listed == 5_000 and not client.last_sync.incremental
    assert client.cache_path is not None
    stored = b"".join(
        path.read_bytes() for path in client.cache_path.parent.glob(client.cache_path.name + "*")
    )
    assert service.api_key.encode() not in stored  # neither in the answers nor the sync tables

    # Each listed task was stored as a fetched one would be: fetch by ID asks nothing.
    service.remote.reset()
    again = client.fetch(expected, progress=False)
    assert again["from_cache"].all() and service.ids_asked() == []
    assert again["status"].tolist() == tasks["status"].tolist()


def test_a_later_sync_reads_only_new_pages_and_asks_again_only_unfinished_tasks(
    client_for: Any, service: ListingService, world: World, clock: ManualClock
) -> None:
    client = client_for(pending_ttl=60)
    first = client.sync(progress=False)
    unfinished = set(first.loc[~first["is_terminal"], "task_id"])
    assert unfinished  # the world, seen at its anchor, has tasks still running

    new = arrivals(world, count=1_000, after=clock.now(), seed=5)
    clock.advance(3_600 * 2)  # the new tasks are submitted; most old unfinished ones end
    service.remote.reset()
    second = client.sync(progress=False)

    now_listed = [view["id"] for view in service.visible()]
    assert len(now_listed) == 6_000 and set(new) <= set(now_listed)
    assert second["task_id"].tolist() == now_listed  # every task once, newest first
    assert sorted(service.pages_asked()) == [1, 2]
    on_pages = set(now_listed[:2_000])
    held_unfinished = unfinished - on_pages
    assert sorted(service.ids_asked()) == sorted(held_unfinished)
    by_id = second.set_index("task_id")
    for task_id in unfinished:
        assert (
            by_id.loc[task_id, "status"]
            == world.tasks[task_id].view(clock.now(), "public-code")["status"]
        )
    assert client.last_sync.incremental and client.last_sync.held == 5_000
    assert client.last_sync.by_id == len(held_unfinished)
    held_finished = list(set(first["task_id"]) - unfinished - on_pages)
    assert by_id.loc[held_finished, "from_cache"].all()  # from the cache in bulk

    # Nothing new: one page, and nothing asked by ID for tasks that have finished.
    clock.advance(86_400)
    service.remote.reset()
    third = client.sync(progress=False)
    assert third["task_id"].tolist() == now_listed
    assert service.pages_asked() == [1]
    assert third["is_terminal"].all()


@pytest.mark.parametrize("workers", [1, 8])
def test_pages_that_shift_while_tasks_arrive_still_give_every_task_once(
    client_for: Any, service: ListingService, world: World, clock: ManualClock, workers: int
) -> None:
    arrived: list[str] = []

    def arrive(page: int) -> None:
        if page == 3 and not arrived:  # new tasks push every later page down, mid-sync
            arrived.extend(arrivals(world, count=40, after=clock.now(), seed=8))
            clock.advance(3_600)

    service.between_pages = arrive
    client = client_for(workers=workers)
    tasks = client.sync(progress=False)
    assert arrived
    expected = [view["id"] for view in service.visible()]
    assert tasks["task_id"].tolist() == expected and tasks["task_id"].is_unique
    assert client.last_sync.reread


def test_since_stops_paging_at_older_tasks(
    client_for: Any, service: ListingService, clock: ManualClock
) -> None:
    since = clock.now() - 6 * 3_600
    tasks = client_for().sync(since=since, progress=False)
    expected = [v["id"] for v in service.visible() if int(v["id"][:8], 16) >= since]
    assert 0 < len(expected) < 5_000
    assert tasks["task_id"].tolist() == expected
    # Pages are asked a batch of `workers` at a time; the batch that reaches `since` is the last.
    assert max(service.pages_asked()) <= math.ceil(len(expected) / 1_000) + 8
    assert Counter(service.pages_asked()).most_common(1)[0][1] == 1


def test_max_tasks_gives_the_newest_and_keeps_the_mark_where_it_was(
    client_for: Any, service: ListingService
) -> None:
    client = client_for()
    newest = client.sync(max_tasks=1_500, progress=False)
    assert newest["task_id"].tolist() == [v["id"] for v in service.visible()[:1_500]]
    everything = client.sync(progress=False)  # a full sync still reads every page
    assert len(everything) == 5_000 and not client.last_sync.incremental


def test_a_server_without_the_list_endpoint_gets_one_clear_error(
    client_for: Any, service: ListingService
) -> None:
    service.has_list = False
    client = client_for()
    with pytest.raises(ListingUnavailableError) as refused:
        client.sync(progress=False)
    text = str(refused.value)
    assert "no task list endpoint" in text and "fetch" in text and "\n" not in text
    assert refused.value.code == 404
    assert service.pages_asked() == [1]  # a definitive answer: not retried


def test_a_12302_is_remembered_for_not_found_ttl(
    client_for: Any, service: ListingService, world: World, clock: ManualClock
) -> None:
    unknown = world.unknown_task_id()
    client = client_for(not_found_ttl=3_600)
    first = client.fetch([unknown], progress=False)
    assert first["api_code"].tolist() == [12302]
    service.remote.reset()
    clock.advance(3_000)
    again = client.fetch([unknown], progress=False)
    assert service.ids_asked() == [] and again["from_cache"].all()
    assert again["api_code"].tolist() == [12302] and "Invalid AI task ID" in again["fetch_error"][0]
    assert client.last_fetch.complete
    clock.advance(601)  # past the hour: asked again
    client.fetch([unknown], progress=False)
    assert service.ids_asked() == [unknown]
    service.remote.reset()
    client_for(not_found_ttl=0).fetch([unknown], progress=False)
    assert service.ids_asked() == [unknown]


def test_models_are_read_without_the_key_and_name_the_polled_finish_times(
    client_for: Any, service: ListingService
) -> None:
    client = client_for()
    models = client.models()
    assert models["name"].tolist() == ["seedance-2-fast-beta", "doubao-seedance-2-0-260128"]
    assert models.loc[0, "channel"] == "relay" and models.loc[0, "default_duration"] == 5
    assert models.loc[0, "aspect_ratios"] == ["16:9", "9:16", "1:1", "adaptive"]
    assert service.keys_sent_for_models() == [None]
    tasks = client.sync(max_tasks=2_000, progress=False)
    notes = data_notes(tasks, models=models)
    used = set(tasks["model"])
    poller = [note for note in notes if "poller" in note]
    if "seedance-2-fast-beta" in used:
        assert poller and "seedance-2-fast-beta (relay)" in poller[0]
    assert not [n for n in data_notes(tasks) if "poller" in n]


def test_a_cleared_cache_or_a_refused_key_is_met_plainly(
    client_for: Any, service: ListingService
) -> None:
    client = client_for()
    client.sync(max_tasks=10, progress=False)
    client.sync(progress=False)
    assert client.clear_cache() == 5_000
    service.remote.reset()
    tasks = client.sync(progress=False)  # the mark is ignored: the answers behind it are gone
    assert len(tasks) == 5_000 and not client.last_sync.incremental
    assert len(service.pages_asked()) == 5
    wrong = "ai_" + "Q" * 48
    with pytest.raises(AuthenticationError) as refused:
        client_for(api_key=wrong).sync(progress=False)
    assert wrong not in str(refused.value) and refused.value.code == 401


def test_a_sync_cut_short_keeps_its_pages_and_leaves_the_mark_alone(
    client_for: Any, service: ListingService
) -> None:
    service.failing_pages = {4}
    client = client_for(max_retries=1)
    with pytest.raises(TransportError, match="page 4"):
        client.sync(progress=False)
    answered = set(service.pages_asked()) - {4}
    assert client.cache_size() == 1_000 * len(answered) > 0  # every page that answered is stored
    service.failing_pages = set()
    service.remote.reset()
    tasks = client.sync(progress=False)
    assert len(tasks) == 5_000 and tasks["task_id"].is_unique
    assert not client.last_sync.incremental  # no mark: the cut sync never completed
    assert len(service.pages_asked()) == 5


def test_clearing_the_cache_forgets_the_sync_mark_and_listed_ids(
    client_for: Any, service: ListingService
) -> None:
    client = client_for()
    client.sync(progress=False)
    assert client._cache is not None
    holdings = Holdings(client._cache)
    assert holdings.mark() is not None and len(holdings.listed_ids(since_s=None)) == 5_000
    client.clear_cache()
    assert holdings.mark() is None and holdings.listed_ids(since_s=None) == []


def test_a_page_over_the_size_cap_or_a_gateways_403_ends_the_sync_plainly(
    client_for: Any, service: ListingService
) -> None:
    with pytest.raises(TransportError, match="page 1 of the task list refused"):
        client_for(max_body=50_000).sync(progress=False)  # a page of 1,000 is far larger
    assert service.pages_asked() == [1]  # the same page would bring the same answer
    service.remote.reset()
    service.refuse_with = 403
    with pytest.raises(AuthenticationError, match="403"):
        client_for().sync(progress=False)
    assert service.pages_asked() == [1]


def test_listed_rows_carry_the_request_id_of_their_page(client_for: Any) -> None:
    tasks = client_for().sync(max_tasks=1_000, progress=False)
    assert tasks["request_id"].notna().all()
    assert tasks["request_id"].nunique() == 1  # one page, one request


def test_ctrl_c_mid_sync_keeps_every_page_the_server_answered(
    client_for: Any, service: ListingService
) -> None:
    def interrupt(page: int) -> None:
        if page == 3:
            _thread.interrupt_main()  # as Ctrl-C would, while page 3 is in flight

    # Set explicitly: the suite may run with Ctrl-C ignored, and this test needs it delivered.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        service.between_pages = interrupt
        client = client_for(workers=2)
        with pytest.raises(KeyboardInterrupt):
            client.sync(progress=False)
    finally:
        signal.signal(signal.SIGINT, previous)
    answered = set(service.pages_asked())
    assert 3 in answered
    assert client.cache_size() == 1_000 * len(answered)  # page 3's answer too
    assert client._cache is not None and Holdings(client._cache).mark() is None
