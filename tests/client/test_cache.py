"""The cache policy on a real SQLite file: status-aware, scoped per key, secret-free, robust."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests_cache

from aitoearn_lab import CacheError, Client
from aitoearn_lab.client.cache import SERIALIZER, CacheRecoveryWarning, TaskCache, key_function
from aitoearn_lab.config import key_scope
from aitoearn_lab.simulator import FaultPlan, ManualClock, Simulator
from tests.support import ANCHOR, sqlite_file
from tests.support.records import done
from tests.support.remote import Crafted, RemoteService, envelope


def test_second_fetch_asks_only_for_unfinished_tasks(tmp_path: Path) -> None:
    clock = ManualClock(ANCHOR)
    with Simulator(tasks=2000, seed=21, clock=clock) as sim:
        cache = tmp_path / "tasks.sqlite"
        with Client(
            api_key=sim.api_key, base_url=sim.base_url, cache=cache, clock=clock, pending_ttl=0
        ) as client:
            first = client.fetch(sim.task_ids, progress=False)
            unfinished = set(first.loc[~first["is_terminal"], "task_id"])
            assert len(sim.request_log) == 2000
            sim.reset_log()
            second = client.fetch(sim.task_ids, progress=False)
        asked_again = set(sim.request_counts())
        assert 20 < len(unfinished) < 400
        assert asked_again == unfinished
        assert client.last_fetch.cache_hits == 2000 - len(unfinished)
        assert second.loc[second["task_id"].isin(unfinished), "from_cache"].sum() == 0
        assert second.loc[~second["task_id"].isin(unfinished), "from_cache"].all()


def test_unfinished_answers_expire_after_pending_ttl(
    make_client: Any, sim: Simulator, clock: ManualClock
) -> None:
    client = make_client(pending_ttl=60)
    first = client.fetch(sim.task_ids, progress=False)
    running = set(first.loc[~first["is_terminal"], "task_id"])
    assert running
    sim.reset_log()
    clock.advance(59)
    client.fetch(sim.task_ids, progress=False)
    assert sim.request_log == []  # every answer still fresh
    clock.advance(2)
    client.fetch(sim.task_ids, progress=False)
    assert set(sim.request_counts()) == running


def test_a_lower_pending_ttl_applies_to_entries_already_stored(
    make_client: Any, sim: Simulator, clock: ManualClock
) -> None:
    first = make_client(pending_ttl=3600).fetch(sim.task_ids, progress=False)
    unfinished = set(first.loc[~first["is_terminal"], "task_id"])
    sim.reset_log()
    clock.advance(5)
    make_client(pending_ttl=3600).fetch(sim.task_ids, progress=False)
    assert sim.request_log == []
    make_client(pending_ttl=0).fetch(sim.task_ids, progress=False)
    assert set(sim.request_counts()) == unfinished


def test_faulty_answers_are_never_stored_and_only_12302_of_the_errors_is(
    make_client: Any, sim: Simulator
) -> None:
    unknown = sim.world.unknown_task_id()
    sim.faults = FaultPlan(server_error=0.3, malformed=0.3, first_only=True, seed=5)
    client = make_client()
    client.fetch([*sim.task_ids[:50], unknown, "nothex"], progress=False)
    assert client.cache_size() == 51  # the tasks and the 12302; never the 10002 or a fault
    sim.reset_log()
    client.fetch([*sim.task_ids[:50], unknown, "nothex"], progress=False)
    asked = set(sim.request_counts())
    assert "nothex" in asked and unknown not in asked
    finished = {t for t in sim.task_ids[:50] if sim.world.tasks[t].finished_at <= ANCHOR}
    assert not (asked & finished)


def test_entries_are_scoped_per_key(sim: Simulator, clock: ManualClock, cache_path: Path) -> None:
    sim.owner_only = True  # so the second key's answers differ from the first key's
    mine = sim.task_ids[:5]
    theirs = sim.world.task_ids(owner=1)[:3]
    with Client(
        api_key=sim.api_key, base_url=sim.base_url, cache=cache_path, clock=clock
    ) as client:
        client.fetch(mine, progress=False)
    with Client(
        api_key=sim.other_api_key, base_url=sim.base_url, cache=cache_path, clock=clock
    ) as other:
        sim.reset_log()
        seen = other.fetch([*mine, *theirs], progress=False)
        assert not seen["from_cache"].any()
        assert (seen.set_index("task_id").loc[mine, "api_code"] == 12302).all()
        assert other.cache_size() == 8  # its 3 tasks, and the 5 IDs it may not read, for a day
    assert Counter(sim.request_counts()) == Counter({t: 1 for t in [*mine, *theirs]})


def test_the_key_is_never_written_to_the_cache_file(
    make_client: Any, sim: Simulator, cache_path: Path
) -> None:
    client = make_client()
    client.fetch(sim.task_ids, progress=False)
    client.close()
    raw = b"".join(p.read_bytes() for p in cache_path.parent.iterdir())
    assert sim.api_key.encode() not in raw
    assert sim.api_key[3:30].encode() not in raw
    with sqlite_file(cache_path) as connection:
        values = " ".join(str(v) for (v,) in connection.execute("SELECT value FROM responses"))
    assert sim.api_key not in values and "X-Api-Key" not in values


def test_requests_cache_can_read_the_file(
    make_client: Any, sim: Simulator, cache_path: Path
) -> None:
    """The file is a genuine requests-cache database: its CachedSession finds our entries."""
    client = make_client()
    task_id = next(t for t in sim.task_ids if sim.world.tasks[t].finished_at <= ANCHOR)
    record = client.get_task(task_id)
    client.close()
    session = requests_cache.CachedSession(
        str(cache_path),
        backend="sqlite",
        serializer=SERIALIZER,
        key_fn=key_function(key_scope(sim.api_key, sim.base_url)),
    )
    sim.reset_log()
    answer = session.get(client.task_url(task_id))
    assert answer.from_cache
    assert answer.json()["data"] == record
    assert sim.request_log == []
    session.close()


def test_each_answer_is_saved_as_it_arrives(tmp_path: Path) -> None:
    """While a batch is still running, another reader of the file already sees every answer given.

    The peer holds its answer for the last ID until the test lets it go, so the batch cannot end
    before the check: a client that saved everything at the end would show an empty file here.
    """
    ids = [f"{0x6A461DA66FE8A12D33DA0000 + n:024x}" for n in range(6)]
    held, release = threading.Event(), threading.Event()

    def answer(task_id: str) -> Crafted:
        if task_id == ids[-1]:
            held.set()
            release.wait(timeout=60)
        return Crafted(body=envelope(done(int(task_id, 16), "kling-v2-1", 5, 60)))

    service = RemoteService()
    service.answer = answer
    cache_path = tmp_path / "tasks.sqlite"
    results: list[pd.DataFrame] = []
    with (
        service.running(),
        Client(
            api_key="ai_" + "k" * 40, base_url=service.base_url, cache=cache_path, workers=1
        ) as client,
    ):
        fetching = threading.Thread(
            target=lambda: results.append(client.fetch(ids, progress=False))
        )
        fetching.start()
        try:
            assert held.wait(timeout=30), "the last ID was never asked"
            deadline = time.monotonic() + 30
            while stored_keys(cache_path) != len(ids) - 1:
                assert fetching.is_alive() and not results
                assert time.monotonic() < deadline, f"{stored_keys(cache_path)} saved mid-batch"
                fetching.join(0.005)  # wakes at once if the batch ends, which would be a failure
            assert fetching.is_alive() and not results  # the batch was still running
        finally:
            release.set()
            fetching.join(timeout=30)
    assert not fetching.is_alive()
    assert results[0]["task_id"].tolist() == ids
    assert results[0]["fetch_error"].isna().all()
    assert stored_keys(cache_path) == len(ids)


def stored_keys(path: Path) -> int:
    """Rows in the file, as a second reader (another connection) sees them."""
    with closing(sqlite3.connect(path)) as reader:
        return int(reader.execute("SELECT COUNT(*) FROM responses").fetchone()[0])


def test_a_corrupt_file_is_moved_aside_and_rebuilt(
    make_client: Any, sim: Simulator, cache_path: Path
) -> None:
    cache_path.parent.mkdir(parents=True)
    cache_path.write_bytes(b"this is not a database at all" * 100)
    with pytest.warns(CacheRecoveryWarning, match="moved to"):
        client = make_client()
    tasks = client.fetch(sim.task_ids[:10], progress=False)
    assert tasks["fetch_error"].isna().all()
    assert client.cache_size() == 10
    kept = list(cache_path.parent.glob("tasks.sqlite.corrupt-*"))
    assert kept and kept[0].read_bytes().startswith(b"this is not")


def test_a_truncated_file_is_rebuilt_without_losing_the_batch(
    make_client: Any, sim: Simulator, cache_path: Path
) -> None:
    client = make_client()
    client.fetch(sim.task_ids, progress=False)
    client.close()
    with sqlite_file(cache_path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = cache_path.read_bytes()
    cache_path.write_bytes(data[: len(data) // 3])
    with pytest.warns(CacheRecoveryWarning):
        again = make_client().fetch(sim.task_ids, progress=False)
    assert len(again) == len(sim.task_ids)
    assert again["fetch_error"].isna().all()


def test_an_unwritable_location_is_one_clear_error(
    sim: Simulator, clock: ManualClock, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(CacheError) as error:
        Client(
            api_key=sim.api_key, base_url=sim.base_url, cache=blocker / "tasks.sqlite", clock=clock
        )
    message = str(error.value)
    assert str(blocker / "tasks.sqlite") in message
    assert "--no-cache" in message
    assert sim.api_key not in message


def test_a_locked_file_is_one_clear_error(
    make_client: Any, sim: Simulator, cache_path: Path
) -> None:
    make_client().close()
    holder = sqlite3.connect(cache_path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(CacheError, match="locked by another program"):
            TaskCache(cache_path, scope="s", lock_timeout=0.2).lookup(["a" * 24])
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_failing_save_keeps_the_batch(make_client: Any, sim: Simulator, cache_path: Path) -> None:
    client = make_client(lock_timeout=0.1)
    holder = sqlite3.connect(cache_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock for the whole batch
    try:
        with pytest.warns(RuntimeWarning, match="Continuing without the cache"):
            tasks = client.fetch(sim.task_ids[:20], progress=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(tasks) == 20
    assert tasks["fetch_error"].isna().all()


def test_clear_forgets_only_this_keys_entries(
    sim: Simulator, clock: ManualClock, cache_path: Path
) -> None:
    with Client(api_key=sim.api_key, base_url=sim.base_url, cache=cache_path, clock=clock) as mine:
        mine.fetch(sim.task_ids[:4], progress=False)
        with Client(
            api_key=sim.other_api_key, base_url=sim.base_url, cache=cache_path, clock=clock
        ) as other:
            other.fetch(sim.world.task_ids(owner=1)[:2], progress=False)
            assert mine.clear_cache() == 4
            assert mine.cache_size() == 0
            assert other.cache_size() == 2


def test_cache_location_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sim: Simulator
) -> None:
    monkeypatch.setenv("AITOEARN_LAB_CACHE", str(tmp_path / "from-env.sqlite"))
    with Client(api_key=sim.api_key, base_url=sim.base_url) as client:
        assert client.cache_path == tmp_path / "from-env.sqlite"
    monkeypatch.setenv("AITOEARN_LAB_CACHE", "off")
    with Client(api_key=sim.api_key, base_url=sim.base_url) as client:
        assert client.cache_path is None
    monkeypatch.delenv("AITOEARN_LAB_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with Client(api_key=sim.api_key, base_url=sim.base_url) as client:
        assert client.cache_path == tmp_path / "xdg" / "aitoearn-lab" / "tasks.sqlite"


# --- reading part of a larger stored set ---------------------------------------------------------

STORED = 3_000


@pytest.fixture(scope="module")
def stored_set(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Path, Any]]:
    """A simulator whose 3,000 tasks were all fetched once into a cache file (kept as bytes)."""
    clock = ManualClock(ANCHOR)
    folder = tmp_path_factory.mktemp("stored")
    with Simulator(tasks=STORED, seed=23, clock=clock) as sim:
        with Client(
            api_key=sim.api_key, base_url=sim.base_url, cache=folder / "tasks.sqlite", clock=clock
        ) as client:
            first = client.fetch(sim.task_ids, progress=False)
        assert first["fetch_error"].isna().all() and len(first) == STORED
        yield sim, folder / "tasks.sqlite", first.set_index("task_id")


@pytest.mark.parametrize(
    ("asked", "unstored"),
    [
        (1_999, 0),  # below the bulk-read threshold: keyed lookups
        (2_000, 0),  # at it, and most of the scope: one scan of the key range
        (2_001, 0),
        (2_000, 150),  # at it, with IDs the cache has never seen
        (1_400, 600),  # at it, 600 of them never stored: the scan must skip what is not asked
    ],
)
def test_part_of_a_larger_stored_set_is_read_exactly(
    stored_set: tuple[Simulator, Path, Any], tmp_path: Path, asked: int, unstored: int
) -> None:
    """Asking for part of what the file holds gives those rows, and only those, from the cache."""
    sim, stored_file, first = stored_set
    cache_path = tmp_path / "tasks.sqlite"
    cache_path.write_bytes(stored_file.read_bytes())
    wanted = sim.task_ids[500 : 500 + asked]  # from the middle of the key range, not one end
    never_stored = [
        f"{n:024x}"
        for n in range(0x6A0000000000000000000001, 0x6A0000000000000000000001 + unstored)
    ]
    ids = [*wanted, *never_stored]
    clock = ManualClock(ANCHOR)
    sim.reset_log()
    with Client(
        api_key=sim.api_key, base_url=sim.base_url, cache=cache_path, clock=clock, pending_ttl=3600
    ) as client:
        tasks = client.fetch(ids, progress=False)
        assert client.last_fetch.unique == len(ids)
        assert client.last_fetch.cache_hits == asked
        assert client.cache_size() == STORED + unstored  # each 12302 is remembered for a day
    assert tasks["task_id"].tolist() == ids
    assert tasks["from_cache"].tolist() == [True] * asked + [False] * unstored
    assert Counter(sim.request_counts()) == Counter(dict.fromkeys(never_stored, 1))
    columns = ["status", "model", "input_prompt", "submitted_at", "finished_at"]
    pd.testing.assert_frame_equal(
        tasks.set_index("task_id").loc[wanted, columns].astype(str),
        first.loc[wanted, columns].astype(str),
    )


@pytest.mark.parametrize("asked", [1_998, 1_999, 2_400])  # with one more: keyed, scan, scan
def test_a_cache_lookup_returns_exactly_the_ids_asked(
    stored_set: tuple[Simulator, Path, Any], tmp_path: Path, asked: int
) -> None:
    sim, stored_file, _ = stored_set
    cache_path = tmp_path / "tasks.sqlite"
    cache_path.write_bytes(stored_file.read_bytes())
    wanted = sim.task_ids[-asked:]
    cache = TaskCache(cache_path, scope=key_scope(sim.api_key, sim.base_url))
    try:
        found = cache.lookup([*wanted, "0" * 24])
    finally:
        cache.close()
    assert sorted(found) == sorted(wanted)
    assert all(found[task_id].record["id"] == task_id for task_id in wanted)
