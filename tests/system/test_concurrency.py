"""Concurrency on one SQLite cache: many workers, many threads, and two processes at once.

"database is locked" would surface as a warning (the client carries on without the cache) or
as an error; warnings are errors in this suite, and the command line prints them, so a clean
stderr and a full cache are the evidence.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from aitoearn_lab import Client, read_tasks
from aitoearn_lab.client.cache import TaskCache
from aitoearn_lab.simulator import FaultPlan, ManualClock, Simulator
from tests.support import ANCHOR, sqlite_file
from tests.support.processes import cli_command, running


@pytest.fixture
def big_sim() -> Iterator[Simulator]:
    with Simulator(tasks=2000, seed=37, clock=ManualClock(ANCHOR)) as simulator:
        yield simulator


def stored_keys(cache: Path) -> Counter[str]:
    with sqlite_file(cache) as connection:
        return Counter(key for (key,) in connection.execute("SELECT key FROM responses"))


def test_32_workers_never_find_the_cache_locked(big_sim: Simulator, tmp_path: Path) -> None:
    cache = tmp_path / "tasks.sqlite"
    with Client(
        api_key=big_sim.api_key,
        base_url=big_sim.base_url,
        cache=cache,
        clock=big_sim.clock.now,
        workers=32,
        lock_timeout=0.5,  # a lock held for longer than this would fail the test
    ) as client:
        tasks = client.fetch(big_sim.task_ids, progress=False)
        assert client.cache_size() == 2000
    assert tasks["fetch_error"].isna().all()
    assert len(stored_keys(cache)) == 2000


def test_32_threads_sharing_one_client_and_cache(big_sim: Simulator, tmp_path: Path) -> None:
    """``get_task`` reads and writes the cache from the calling thread: 32 at once."""
    cache = tmp_path / "tasks.sqlite"
    ids = big_sim.task_ids[:640]
    with Client(
        api_key=big_sim.api_key,
        base_url=big_sim.base_url,
        cache=cache,
        clock=big_sim.clock.now,
        workers=32,
        lock_timeout=0.5,
    ) as client:
        with ThreadPoolExecutor(32) as pool:
            records = list(pool.map(client.get_task, ids + ids))  # each ID twice, concurrently
        assert client.cache_size() == 640
    assert [r["id"] for r in records] == ids + ids


def test_an_opener_waits_for_a_short_write_instead_of_failing(tmp_path: Path) -> None:
    """Another opener creating the tables holds a write lock on a new file for a moment.

    SQLite refuses the switch to WAL at once in that state, without its busy wait; the cache
    waits for the lock instead (up to lock_timeout) rather than calling the file locked.
    """
    path = tmp_path / "new.sqlite"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute(
        "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value BLOB, expires INTEGER)"
    )
    finish = threading.Timer(0.3, lambda: other.execute("COMMIT"))  # the other opener's write
    finish.start()
    try:
        cache = TaskCache(path, scope="s", lock_timeout=10)
        assert cache.lookup(["a" * 24]) == {}
        cache.close()
    finally:
        finish.join()
        other.close()


def test_several_caches_opened_at_once_on_a_new_file(tmp_path: Path) -> None:
    """Creating the tables and switching to WAL is safe when openers race."""
    errors: list[BaseException] = []
    for round_ in range(40):
        path = tmp_path / f"race-{round_}.sqlite"
        barrier = threading.Barrier(8)

        def open_and_write(n: int, path: Path = path, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                cache = TaskCache(path, scope=f"scope{n}", lock_timeout=2)
                cache.lookup(["a" * 24])
                cache.close()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=open_and_write, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []


def fetch_process(ids_file: Path, out: Path) -> list[str]:
    return cli_command(
        "fetch", "--ids-file", str(ids_file), "--workers", "16", "--no-progress", "-o", str(out)
    )


def test_two_processes_fetching_into_one_cache_at_once(big_sim: Simulator, tmp_path: Path) -> None:
    # Slow (each run would need 25 s), until both runs are seen mid-batch: the second starts
    # before the first can end however busy the machine is.
    big_sim.faults = FaultPlan(latency=0.5)
    cache = tmp_path / "shared" / "tasks.sqlite"
    ids = big_sim.task_ids[:1200]
    first_ids = tmp_path / "first.txt"
    first_ids.write_text("\n".join(ids[:800]))  # the two halves overlap by 400 IDs
    second_ids = tmp_path / "second.txt"
    second_ids.write_text("\n".join(ids[800:] + ids[400:800]))  # its own IDs first
    env = {
        **os.environ,
        "AITOEARN_API_KEY": big_sim.api_key,
        "AITOEARN_BASE_URL": big_sim.base_url,
        "AITOEARN_LAB_CACHE": str(cache),
    }
    with ExitStack() as stack:
        runs = [
            stack.enter_context(running(fetch_process(first_ids, tmp_path / "first.csv"), env=env)),
            stack.enter_context(
                running(fetch_process(second_ids, tmp_path / "second.csv"), env=env)
            ),
        ]
        only_first, only_second = set(ids[:400]), set(ids[800:])
        deadline = time.monotonic() + 120
        while True:
            asked = set(big_sim.request_counts())
            if asked & only_first and asked & only_second:
                break  # both processes are fetching at this moment
            assert all(run.poll() is None for run in runs), [run.communicate() for run in runs]
            assert time.monotonic() < deadline
            time.sleep(0.005)  # polling the processes' progress, not waiting out a duration
        big_sim.faults = FaultPlan()
        results = [run.communicate(timeout=300) for run in runs]
    for run, (_, stderr) in zip(runs, results, strict=True):
        assert run.returncode == 0, stderr
        assert "warning" not in stderr.lower() and "locked" not in stderr, stderr
    assert read_tasks(tmp_path / "first.csv")["task_id"].tolist() == ids[:800]
    assert read_tasks(tmp_path / "second.csv")["task_id"].tolist() == ids[800:] + ids[400:800]
    for name in ("first.csv", "second.csv"):
        assert read_tasks(tmp_path / name)["fetch_error"].isna().all()
    keys = stored_keys(cache)
    assert len(keys) == 1200 and set(keys.values()) == {1}  # every answer, once
    overlap_asked = sum(1 for t, n in big_sim.request_counts().items() if n > 1)
    assert overlap_asked <= 400  # only IDs both runs wanted can have been asked twice
