"""Client.sync against the simulator itself: 5,000 tasks, then arrivals and endings, by the log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests_cache

from aitoearn_lab import Client, data_notes
from aitoearn_lab.client.cache import SERIALIZER, key_function
from aitoearn_lab.config import key_scope
from aitoearn_lab.simulator import ManualClock, Simulator
from tests.support import ANCHOR, RecordingSleep


@pytest.fixture
def world_clock() -> ManualClock:
    return ManualClock(ANCHOR)


@pytest.fixture
def live(world_clock: ManualClock) -> Iterator[Simulator]:
    with Simulator(tasks=5_000, seed=21, clock=world_clock, arrivals=1_000) as simulator:
        yield simulator


def _pages(sim: Simulator) -> list[int]:
    return [
        int(parse_qs(entry.task_id.split("?", 1)[1])["page"][0])
        for entry in sim.request_log
        if entry.route == "list"
    ]


def _by_id(sim: Simulator) -> list[str]:
    return [entry.task_id for entry in sim.request_log if entry.route == "task"]


def test_every_task_once_before_and_after_new_tasks_arrive_and_old_ones_end(
    live: Simulator, world_clock: ManualClock, tmp_path: Path
) -> None:
    options = {
        "api_key": live.api_key,
        "base_url": live.base_url,
        "cache": tmp_path / "tasks.sqlite",
        "clock": world_clock,
        "sleep": RecordingSleep(),
        "workers": 8,
    }
    with Client(**options) as client:
        first = client.sync(progress=False)
        expected = live.world.task_ids(at=world_clock.now())
        assert len(expected) == 5_000
        assert first["task_id"].tolist() == sorted(expected, reverse=True)
        assert first["anomalies"].isna().all()  # real-shaped answers raise no flag
        assert first["fetch_error"].isna().all()
        assert sorted(_pages(live)) == [1, 2, 3, 4, 5] and _by_id(live) == []
        unfinished = set(first.loc[~first["is_terminal"], "task_id"])
        assert unfinished

        world_clock.advance(3_600 + 60)  # the 1,000 arrivals are all in; most running tasks end
        live.reset_log()
        second = client.sync(progress=False)
        assert client.last_sync.new == 1_000 and client.last_sync.incremental
        assert "(1000 new)" in client.last_sync.describe()

    now_listed = sorted(live.world.task_ids(at=world_clock.now()), reverse=True)
    assert len(now_listed) == 6_000
    assert second["task_id"].tolist() == now_listed  # every task once, newest first
    assert second["anomalies"].isna().all() and second["fetch_error"].isna().all()
    assert sorted(_pages(live)) == [1, 2]  # at most 2 list pages after 1,000 new tasks
    off_pages = unfinished - set(now_listed[:2_000])
    assert sorted(_by_id(live)) == sorted(off_pages)  # one request per held unfinished task
    now = world_clock.now()
    by_id = second.set_index("task_id")
    for task_id in unfinished:
        shown = live.world.tasks[task_id].view(now, "public-code")
        assert shown is not None and by_id.loc[task_id, "status"] == shown["status"]


def test_the_simulators_models_name_the_polled_finish_times(
    live: Simulator, world_clock: ManualClock
) -> None:
    with Client(
        api_key=live.api_key, base_url=live.base_url, cache=False, clock=world_clock
    ) as client:
        models = client.models()
        tasks = client.sync(max_tasks=500, progress=False)
    assert len(models) > 0 and models["name"].is_unique
    assert set(tasks["model"]) <= set(models["name"])
    assert live.request_log[0].route == "models"
    assert live.request_log[0].owner is None  # no key was sent
    polled = models.loc[models["channel"].str.lower().isin(["relay", "grok", "dashscope"]), "name"]
    notes = [note for note in data_notes(tasks, models=models) if "poller" in note]
    assert bool(notes) == bool(set(tasks["model"]) & set(polled))


def test_requests_cache_reads_a_listed_task_and_a_remembered_12302(
    live: Simulator, world_clock: ManualClock, tmp_path: Path
) -> None:
    """Listed tasks are stored as answers to their own GET: requests-cache finds them too."""
    cache_path = tmp_path / "tasks.sqlite"
    unknown = live.world.unknown_task_id()
    options = {"api_key": live.api_key, "base_url": live.base_url, "cache": cache_path}
    with Client(**options, clock=world_clock) as client:
        tasks = client.sync(max_tasks=1_000, progress=False)
        task_id = tasks.loc[tasks["is_terminal"], "task_id"].iloc[0]  # kept for good
        task_url, unknown_url = client.task_url(task_id), client.task_url(unknown)
    # requests-cache ages entries by the real clock: the 12302 is remembered from now on.
    with Client(**options) as client:
        client.fetch([unknown], progress=False)
    session = requests_cache.CachedSession(
        str(cache_path),
        backend="sqlite",
        serializer=SERIALIZER,
        key_fn=key_function(key_scope(live.api_key, live.base_url)),
    )
    try:
        live.reset_log()
        listed = session.get(task_url, only_if_cached=True)
        assert listed.from_cache and listed.json()["data"]["id"] == task_id
        assert listed.json()["requestId"] == tasks.set_index("task_id").loc[task_id, "request_id"]
        missing = session.get(unknown_url, only_if_cached=True)
        assert missing.from_cache and missing.json()["code"] == 12302
        assert live.request_log == []
    finally:
        session.close()
