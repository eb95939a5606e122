"""Client.sync against the simulator itself: 5,000 tasks, then arrivals and endings, by the log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from aitoearn_lab import Client, data_notes
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
