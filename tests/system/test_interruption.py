"""Interruption: a fetch stopped by Ctrl-C, or killed outright, part-way through a batch.

The fetch runs as a real ``aitoearn-lab`` process against the simulator, which answers the
first third of the IDs at once and the rest slowly (a second each): the test waits (polling the
simulator's request log, never a blind sleep) until that first third was answered, then
signals it, so the stop lands mid-batch however busy the machine is (the slow rest would take
minutes). The re-run's request log shows what had to be asked again: only the answers not yet
saved, at most the requests in flight.
"""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType

import pytest

from aitoearn_lab import Client, read_tasks
from aitoearn_lab.simulator import FaultPlan, ManualClock, Simulator
from tests.support import ANCHOR, wait_until_idle
from tests.support.leaks import every_file, places_holding
from tests.support.processes import cli_command, running

WORKERS = 4
TASKS = 600
FAST = TASKS // 3
SLOW_S = 1.0


@dataclass(frozen=True, slots=True)
class FastThenSlow(FaultPlan):
    """Answers the first :data:`FAST` IDs almost at once and each later one after a second.

    Once the fast third is answered, the rest of the batch needs minutes: a stop sent then
    lands mid-batch whatever the load, and waits at most a second for the requests in flight.
    """

    slow: frozenset[str] = frozenset()
    fast_s: float = 0.002

    def __post_init__(self) -> None:
        pass  # a healthy plan but for the pacing: nothing of the base's to check

    def delay(self, task_id: str, attempt: int) -> float:
        return SLOW_S if task_id in self.slow else self.fast_s


@pytest.fixture
def slow_sim() -> Iterator[Simulator]:
    with Simulator(tasks=TASKS, seed=29, clock=ManualClock(ANCHOR)) as simulator:
        simulator.faults = FastThenSlow(slow=frozenset(simulator.task_ids[FAST:]))
        yield simulator


def fetch_command(sim: Simulator, tmp_path: Path, name: str) -> list[str]:
    ids_file = sim.write_task_ids(tmp_path / "ids.txt")
    return cli_command(
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
    )


def fetch_env(sim: Simulator, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AITOEARN_API_KEY": sim.api_key,
        "AITOEARN_BASE_URL": sim.base_url,
        "AITOEARN_LAB_CACHE": str(tmp_path / "tasks.sqlite"),
    }


def wait_for_answers(sim: Simulator, process: subprocess.Popen[str], count: int) -> None:
    deadline = time.monotonic() + 60
    while len(sim.request_log) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the fetch did not get going"
        time.sleep(0.005)  # polling another process's progress, not waiting out a duration


def saved_rows(cache: Path) -> int:
    with closing(sqlite3.connect(cache)) as connection:  # closed, not only committed
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
    env = fetch_env(sim, tmp_path)
    with running(fetch_command(sim, tmp_path, "first"), env=env) as first:
        wait_for_answers(sim, first, FAST)
        assert sim.open_connections >= 1  # the fetch's pooled connections, mid-batch
        first.send_signal(sig)
        _, stderr = first.communicate(timeout=120)
    wait_until_idle(sim)
    answered = set(sim.request_counts())
    assert FAST <= len(answered) < TASKS, "the stop came too late to show anything"
    if before_rerun is not None:
        before_rerun(sim, tmp_path)
    saved = saved_rows(tmp_path / "tasks.sqlite")

    sim.reset_log()
    sim.faults = FaultPlan()
    with running(fetch_command(sim, tmp_path, "second"), env=env) as second:
        _, second_err = second.communicate(timeout=300)
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
    """An error stream whose ``n``-th write from the main thread is met by Ctrl-C: the progress
    bar draws from the main thread between answers, so the interrupt lands while an answer is
    being taken in. (tqdm's monitor thread also redraws a bar that has not moved for a while;
    Ctrl-C only ever reaches the main thread, so its writes are not counted.)"""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.writes_left = n

    def write(self, text: str) -> int:
        if threading.current_thread() is threading.main_thread():
            self.writes_left -= 1
            if self.writes_left == 0:
                raise KeyboardInterrupt
        return super().write(text)


def test_ctrl_c_between_answers_still_keeps_the_answers_in_flight(
    slow_sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "tasks.sqlite"
    # An even pace for the fast third (at least 2.5 s of it), so the bar redraws every 0.1 s
    # from the start instead of raising its step on a burst and then waiting out the slow rest.
    slow_sim.faults = replace(slow_sim.faults, fast_s=0.05)
    monkeypatch.setattr(sys, "stderr", InterruptOnWrite(4))
    with (
        client_of(slow_sim, cache) as client,
        pytest.raises(KeyboardInterrupt),
    ):
        client.fetch(slow_sim.task_ids, progress=True)
    wait_until_idle(slow_sim)
    answered = set(slow_sim.request_counts())
    assert WORKERS < len(answered) < TASKS
    assert saved_rows(cache) == len(answered)  # every answer the server gave was kept


def client_of(sim: Simulator, cache: Path) -> Client:
    """A client of the paced simulator, on its clock, with this module's workers."""
    return Client(
        api_key=sim.api_key,
        base_url=sim.base_url,
        cache=cache,
        clock=sim.clock.now,
        workers=WORKERS,
    )


def fetch_interrupted_at_call(client: Client, sim: Simulator, n: int, *, after: int) -> None:
    """Fetch the batch, met by Ctrl-C at the main thread's ``n``-th call into the fetch's code
    once ``after`` answers were logged. A call (or a generator resumed) is where Python checks
    for a signal that arrived, so these are the places a real Ctrl-C can land."""
    calls = 0

    def trace(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        name = frame.f_code.co_filename
        if event != "call" or ("aitoearn_lab" not in name and "concurrent" not in name):
            return
        if calls > n or len(sim.request_log) < after:
            return
        calls += 1
        if calls > n:
            raise KeyboardInterrupt

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        client.fetch(sim.task_ids, progress=False)
    finally:
        sys.settrace(previous)


@pytest.mark.slow
def test_a_ctrl_c_landing_at_any_call_keeps_every_answer(
    slow_sim: Simulator, tmp_path: Path
) -> None:
    """Between an answer arriving and its being saved the main thread makes a few dozen calls;
    a Ctrl-C met at any of them must still keep every answer the server gave."""
    for n in range(0, 90, 2):
        slow_sim.reset_log()
        cache = tmp_path / f"at-call-{n}.sqlite"
        with (
            client_of(slow_sim, cache) as client,
            pytest.raises(KeyboardInterrupt),
        ):
            fetch_interrupted_at_call(client, slow_sim, n, after=20)
        wait_until_idle(slow_sim)
        answered = set(slow_sim.request_counts())
        assert 20 <= len(answered) < TASKS, n
        assert saved_rows(cache) == len(answered), f"an answer was lost at call {n}"
