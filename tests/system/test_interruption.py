"""Interruption: a fetch stopped by Ctrl-C, or killed outright, part-way through a batch.

The fetch runs as a real ``aitoearn-lab`` process against the simulator, whose added latency
keeps it mid-batch; the test waits (polling the simulator's request log, never a blind sleep)
until a good part of the batch was answered, then signals it. The re-run's request log shows
what had to be asked again: only the answers not yet saved, at most the requests in flight.
"""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aitoearn_lab import Client, read_tasks
from aitoearn_lab.simulator import FaultPlan, ManualClock, Simulator
from tests.support import ANCHOR, wait_until_idle
from tests.support.leaks import every_file, places_holding

WORKERS = 4
TASKS = 600


@pytest.fixture
def slow_sim() -> Iterator[Simulator]:
    with Simulator(tasks=TASKS, seed=29, clock=ManualClock(ANCHOR)) as simulator:
        simulator.faults = FaultPlan(latency=0.04, jitter=0.04)
        yield simulator


def start_fetch(sim: Simulator, tmp_path: Path, name: str) -> subprocess.Popen[str]:
    ids_file = sim.write_task_ids(tmp_path / "ids.txt")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aitoearn_lab",
            "fetch",
            "--ids-file",
            str(ids_file),
            "--workers",
            str(WORKERS),
            "--pending-ttl",
            "1e9",  # anything saved is reused by the re-run, finished or not
            "--no-progress",
            "-o",
            str(tmp_path / f"{name}.csv"),
        ],
        env={
            **os.environ,
            "AITOEARN_API_KEY": sim.api_key,
            "AITOEARN_BASE_URL": sim.base_url,
            "AITOEARN_LAB_CACHE": str(tmp_path / "tasks.sqlite"),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_answers(sim: Simulator, process: subprocess.Popen[str], count: int) -> None:
    deadline = time.monotonic() + 60
    while len(sim.request_log) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the fetch did not get going"
        time.sleep(0.005)  # polling another process's progress, not waiting out a duration


def saved_rows(cache: Path) -> int:
    with sqlite3.connect(cache) as connection:
        return int(connection.execute("SELECT COUNT(*) FROM responses").fetchone()[0])


def check_no_key_in_files(sim: Simulator, tmp_path: Path) -> None:
    """A killed run leaves its journal files (-wal, -shm) behind: the key is in none of them."""
    written = every_file(tmp_path)
    assert any(name.endswith("-wal") for name in written)
    assert places_holding(sim.api_key, written) == []


def interrupt_then_rerun(
    sim: Simulator,
    tmp_path: Path,
    sig: signal.Signals,
    *,
    before_rerun: Callable[[Simulator, Path], None] | None = None,
) -> tuple[subprocess.Popen[str], str, set[str], int, set[str]]:
    """Stop a fetch with ``sig`` a third of the way in, then fetch again to the end.

    Returns the stopped process, its stderr, the IDs the server answered before the stop, the
    rows saved, and the IDs the re-run asked for.
    """
    first = start_fetch(sim, tmp_path, "first")
    wait_for_answers(sim, first, TASKS // 3)
    assert sim.open_connections >= 1  # the fetch's pooled connections, mid-batch
    first.send_signal(sig)
    _, stderr = first.communicate(timeout=60)
    wait_until_idle(sim)
    answered = set(sim.request_counts())
    assert TASKS // 3 <= len(answered) < TASKS, "the stop came too late to show anything"
    if before_rerun is not None:
        before_rerun(sim, tmp_path)
    saved = saved_rows(tmp_path / "tasks.sqlite")

    sim.reset_log()
    sim.faults = FaultPlan()
    second = start_fetch(sim, tmp_path, "second")
    _, second_err = second.communicate(timeout=120)
    assert second.returncode == 0, second_err
    tasks = read_tasks(tmp_path / "second.csv")
    assert tasks["task_id"].tolist() == sim.task_ids and tasks["fetch_error"].isna().all()
    assert saved_rows(tmp_path / "tasks.sqlite") == TASKS
    return first, stderr, answered, saved, set(sim.request_counts())


def test_ctrl_c_keeps_every_answer_and_exits_130(slow_sim: Simulator, tmp_path: Path) -> None:
    first, stderr, answered, saved, asked_again = interrupt_then_rerun(
        slow_sim, tmp_path, signal.SIGINT
    )
    assert first.returncode == 130
    assert "interrupted" in stderr and "Traceback" not in stderr
    # Requests in flight at Ctrl-C are answered before the process ends, and kept: the re-run
    # asks for nothing the first run had been answered.
    assert answered & asked_again == set()
    assert saved == len(answered)
    assert asked_again == set(slow_sim.task_ids) - answered


def test_sigterm_is_met_like_ctrl_c_and_exits_143(slow_sim: Simulator, tmp_path: Path) -> None:
    first, stderr, answered, saved, asked_again = interrupt_then_rerun(
        slow_sim, tmp_path, signal.SIGTERM
    )
    assert first.returncode == 143
    assert "terminated" in stderr and "Traceback" not in stderr
    assert answered & asked_again == set()
    assert saved == len(answered)


def test_a_killed_fetch_loses_nothing_it_saved(slow_sim: Simulator, tmp_path: Path) -> None:
    first, _, answered, saved, asked_again = interrupt_then_rerun(
        slow_sim, tmp_path, signal.SIGKILL, before_rerun=check_no_key_in_files
    )
    assert first.returncode == -signal.SIGKILL
    repeated = answered & asked_again
    # Only what was in flight is asked again: requests sent (at most WORKERS) and answers that
    # had arrived but were not yet written (the window of submitted requests is 2 x WORKERS).
    assert len(repeated) <= 2 * WORKERS, repeated
    assert saved == len(answered) - len(repeated)
    assert asked_again == set(slow_sim.task_ids) - (answered - repeated)


class InterruptOnWrite(io.StringIO):
    """An error stream whose ``n``-th write is met by Ctrl-C: the progress bar draws from the
    main thread between answers, so the interrupt lands while an answer is being taken in."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.writes_left = n

    def write(self, text: str) -> int:
        self.writes_left -= 1
        if self.writes_left == 0:
            raise KeyboardInterrupt
        return super().write(text)


def test_ctrl_c_between_answers_still_keeps_the_answers_in_flight(
    slow_sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "tasks.sqlite"
    monkeypatch.setattr(sys, "stderr", InterruptOnWrite(4))
    with (
        Client(
            api_key=slow_sim.api_key,
            base_url=slow_sim.base_url,
            cache=cache,
            clock=slow_sim.clock.now,
            workers=WORKERS,
        ) as client,
        pytest.raises(KeyboardInterrupt),
    ):
        client.fetch(slow_sim.task_ids, progress=True)
    wait_until_idle(slow_sim)
    answered = set(slow_sim.request_counts())
    assert WORKERS < len(answered) < TASKS
    assert saved_rows(cache) == len(answered)  # every answer the server gave was kept
