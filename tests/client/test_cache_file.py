"""A cache file in trouble: corrupt, truncated, locked, unwritable, or from a clock gone wrong.

Each case ends in one clear line naming the file and the way out, or in a safe rebuild with a
warning naming both files; never in a traceback, and never in an answer that is not this key's.
The command line is run as a real process, so what a user would read is what is checked.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aitoearn_lab import CacheError, Client, read_tasks
from aitoearn_lab.simulator import ManualClock, Simulator
from tests.support import ANCHOR, sqlite_file


@pytest.fixture
def served() -> Iterator[Simulator]:
    with Simulator(tasks=80, seed=13, clock=ManualClock(ANCHOR)) as simulator:
        yield simulator


def cli(
    sim: Simulator, cache: Path, *args: str, key: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``aitoearn-lab fetch`` of every task, as a separate process, with this cache file."""
    env = {
        **os.environ,
        "AITOEARN_API_KEY": key or sim.api_key,
        "AITOEARN_BASE_URL": sim.base_url,
    }
    command = args or ("fetch", *sim.task_ids, "--no-progress", "-o", str(cache.parent / "t.csv"))
    return subprocess.run(
        [sys.executable, "-m", "aitoearn_lab", *command, "--cache", str(cache)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_clear_line(stderr: str, cache: Path, *, way_out: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: cache file ") and str(cache) in lines[0], lines[0]
    assert way_out in lines[0]
    assert "Traceback" not in stderr and "sqlite3." not in stderr


def fill(sim: Simulator, cache: Path, ids: list[str] | None = None) -> None:
    with Client(api_key=sim.api_key, base_url=sim.base_url, cache=cache, clock=sim.clock.now) as c:
        c.fetch(ids if ids is not None else sim.task_ids, progress=False)


def cache_warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


# --- damaged files: moved aside, rebuilt, the batch goes on -----------------------------------


def test_a_corrupt_file_is_moved_aside_with_one_warning(served: Simulator, tmp_path: Path) -> None:
    cache = tmp_path / "tasks.sqlite"
    cache.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    done = cli(served, cache)
    assert done.returncode == 0, done.stderr
    warned = cache_warnings(done.stderr)
    assert len(warned) == 1 and str(cache) in warned[0] and "moved to" in warned[0]
    assert "Traceback" not in done.stderr
    aside = list(tmp_path.glob("tasks.sqlite.corrupt-*"))
    assert len(aside) == 1 and str(aside[0]) in warned[0]
    again = cli(served, cache)
    assert again.returncode == 0 and cache_warnings(again.stderr) == []
    assert f"{len(served.task_ids)} from cache" in again.stderr


def test_a_truncated_file_is_rebuilt_once(served: Simulator, tmp_path: Path) -> None:
    cache = tmp_path / "tasks.sqlite"
    fill(served, cache)
    with sqlite_file(cache) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = cache.read_bytes()
    cache.write_bytes(data[: len(data) // 2])
    done = cli(served, cache)
    assert done.returncode == 0, done.stderr
    assert len(cache_warnings(done.stderr)) == 1 and "Traceback" not in done.stderr
    served.reset_log()
    again = cli(served, cache)
    assert again.returncode == 0 and cache_warnings(again.stderr) == []
    assert served.request_log == []  # everything the rebuilt file took in is kept


def test_a_damaged_journal_beside_the_file_loses_nothing(served: Simulator, tmp_path: Path) -> None:
    cache = tmp_path / "tasks.sqlite"
    fill(served, cache)
    Path(f"{cache}-wal").write_bytes(os.urandom(4096))
    done = cli(
        served,
        cache,
        "fetch",
        *served.task_ids,
        "--pending-ttl",
        "1e9",
        "-o",
        str(tmp_path / "t.csv"),
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert f"{len(served.task_ids)} from cache" in done.stderr


def test_a_damaged_entry_is_a_miss_and_is_replaced(served: Simulator, tmp_path: Path) -> None:
    cache = tmp_path / "tasks.sqlite"
    fill(served, cache)
    with sqlite_file(cache) as connection:
        connection.execute("UPDATE responses SET value = 'not json' WHERE rowid = 1")
        connection.execute("UPDATE responses SET value = X'00FF' WHERE rowid = 2")
    served.reset_log()
    done = cli(served, cache)
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert len(served.request_log) >= 2  # the two damaged entries were asked again
    with sqlite_file(cache) as connection:
        rows = connection.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    assert rows == len(served.task_ids)


def test_a_database_of_another_shape_is_one_clear_error(served: Simulator, tmp_path: Path) -> None:
    cache = tmp_path / "tasks.sqlite"
    with sqlite_file(cache) as connection:
        connection.execute("CREATE TABLE responses (id INTEGER PRIMARY KEY, payload TEXT)")
    done = cli(served, cache)
    assert done.returncode == 2
    assert_one_clear_line(done.stderr, cache, way_out="--cache PATH")


# --- files that cannot be used: one line, exit code 2 -----------------------------------------


@pytest.mark.slow  # the command line waits its full 10 s for the lock
def test_a_locked_file_is_one_clear_line(served: Simulator, tmp_path: Path) -> None:
    """Another program holds the file (here: an exclusive lock in rollback-journal mode)."""
    cache = tmp_path / "tasks.sqlite"
    with sqlite_file(cache) as connection:
        connection.execute("CREATE TABLE other (x)")
    holder = sqlite3.connect(cache, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(CacheError) as error:
            Client(api_key=served.api_key, base_url=served.base_url, cache=cache, lock_timeout=0.2)
        assert str(cache) in str(error.value) and "locked by another program" in str(error.value)
        done = cli(served, cache, "cache", "info")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 2
    assert_one_clear_line(done.stderr, cache, way_out="--no-cache")
    assert "locked by another program (waited 10 s)" in done.stderr


def test_a_writer_holding_the_file_costs_the_cache_not_the_batch(
    served: Simulator, tmp_path: Path
) -> None:
    cache = tmp_path / "tasks.sqlite"
    fill(served, cache, served.task_ids[:10])
    holder = sqlite3.connect(cache, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a write transaction that outlasts the batch
    try:
        with (
            Client(
                api_key=served.api_key, base_url=served.base_url, cache=cache, lock_timeout=0.2
            ) as client,
            pytest.warns(RuntimeWarning, match="Continuing without the cache") as warned,
        ):
            tasks = client.fetch(served.task_ids, progress=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(warned) == 1 and str(cache) in str(warned[0].message)
    assert len(tasks) == len(served.task_ids) and tasks["fetch_error"].isna().all()
    assert tasks["from_cache"].sum() == 10  # readers are not blocked by a writer (WAL)


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder nothing can be created in, even by root (an immutable attribute)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("needs chattr to make a folder read-only for root")
        made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
        if made.returncode != 0:
            pytest.skip(f"chattr +i is not allowed here: {made.stderr.decode().strip()}")
        undo = ["chattr", "-i", str(folder)]
    else:
        folder.chmod(0o555)
        undo = ["chmod", "755", str(folder)]
    try:
        yield folder
    finally:
        subprocess.run(undo, check=True)


def test_a_folder_that_cannot_be_written_is_one_clear_line(
    served: Simulator, read_only_dir: Path
) -> None:
    cache = read_only_dir / "tasks.sqlite"
    done = cli(served, cache, cwd=read_only_dir.parent)
    assert done.returncode == 2
    assert_one_clear_line(done.stderr, cache, way_out="--no-cache")
    assert "cannot be written" in done.stderr


def test_a_parent_that_is_a_file_is_one_clear_line(served: Simulator, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    cache = blocker / "tasks.sqlite"
    done = cli(served, cache)
    assert done.returncode == 2
    assert_one_clear_line(done.stderr, cache, way_out="AITOEARN_LAB_CACHE")


def test_a_folder_given_as_the_cache_file_is_one_clear_error(
    served: Simulator, tmp_path: Path
) -> None:
    given = cli(served, tmp_path)
    assert given.returncode == 2 and "is a directory" in given.stderr  # click's own check
    from_env = subprocess.run(
        [sys.executable, "-m", "aitoearn_lab", "cache", "info"],
        env={**os.environ, "AITOEARN_API_KEY": served.api_key, "AITOEARN_LAB_CACHE": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert from_env.returncode == 2
    assert_one_clear_line(from_env.stderr, tmp_path, way_out="--cache PATH")


def test_an_output_that_cannot_be_written_is_one_clear_line(
    served: Simulator, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    done = cli(
        served,
        tmp_path / "tasks.sqlite",
        "fetch",
        *served.task_ids[:3],
        "--no-progress",
        "-o",
        str(blocker / "tasks.csv"),
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and str(blocker) in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 kB file system: room for the cache to start, not for 2,000 answers."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_costs_the_cache_not_the_batch(tiny_disk: Path, tmp_path: Path) -> None:
    with Simulator(tasks=2000, seed=3, clock=ManualClock(ANCHOR)) as sim:
        cache = tiny_disk / "tasks.sqlite"
        out = tmp_path / "t.csv"
        done = cli(
            sim,
            cache,
            "fetch",
            "--ids-file",
            str(sim.write_task_ids(tmp_path / "ids")),
            "--no-progress",
            "-o",
            str(out),
        )
    assert done.returncode == 0, done.stderr
    warned = cache_warnings(done.stderr)
    assert len(warned) == 1, done.stderr
    assert (
        str(cache) in warned[0]
        and "full" in warned[0]
        and "Continuing without the cache" in warned[0]
    )
    assert "Traceback" not in done.stderr
    tasks = read_tasks(out)
    assert len(tasks) == 2000 and tasks["fetch_error"].isna().all()


# --- whose answers, and how old -----------------------------------------------------------------


def test_another_keys_answers_are_never_served(served: Simulator, tmp_path: Path) -> None:
    cache = tmp_path / "tasks.sqlite"
    fill(served, cache)  # the main key's answers, for every task
    served.reset_log()
    done = cli(served, cache, key=served.other_api_key)
    assert done.returncode == 0
    assert "0 from cache" in done.stderr
    assert {e.owner for e in served.request_log} == {1}
    assert len(served.request_log) == len(served.task_ids)  # all asked, as that key


def test_an_answer_from_the_future_is_not_fresh(served: Simulator, tmp_path: Path) -> None:
    """A clock set back (or a file from a machine whose clock ran fast) re-asks unfinished tasks."""
    cache = tmp_path / "tasks.sqlite"
    late = ManualClock(ANCHOR + 3600)
    with Client(api_key=served.api_key, base_url=served.base_url, cache=cache, clock=late) as c:
        first = c.fetch(served.task_ids, progress=False)
    unfinished = set(first.loc[~first["is_terminal"], "task_id"])
    assert unfinished
    served.reset_log()
    early = ManualClock(ANCHOR)  # an hour before the answers were fetched
    with Client(
        api_key=served.api_key, base_url=served.base_url, cache=cache, clock=early, pending_ttl=60
    ) as client:
        client.fetch(served.task_ids, progress=False)
    assert set(served.request_counts()) == unfinished
