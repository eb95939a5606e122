"""What every benchmark shares: a result, timers, peak memory, test data and a simulator process."""

from __future__ import annotations

import atexit
import functools
import gc
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson

ANCHOR = 1782993600.0  # 2026-07-02T12:00:00Z: a fixed world, the same in every run
"""The moment the benchmark worlds are generated for (and viewed at, for a mix of states)."""

LATER = ANCHOR + 3 * 86400.0
"""Three days on: every task of a world generated at ANCHOR has finished."""


@dataclass
class Result:
    """One benchmark's outcome: its figure, the baseline of the same run, and the verdict."""

    number: int
    name: str
    title: str
    figure: str = ""
    baseline: str = ""
    ratio: str = ""
    goal: str = ""
    met: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "met" if self.met else "NOT met"


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float


def timed(function: Callable[[], Any]) -> tuple[Any, Timing]:
    """Run once; wall and process CPU seconds (all threads of this process)."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    value = function()
    return value, Timing(time.perf_counter() - wall, time.process_time() - cpu)


def best_of(
    function: Callable[[], Any], repeat: int, *, setup: Callable[[], Any] | None = None
) -> tuple[Any, Timing]:
    """The least wall time and the least CPU time of ``repeat`` runs, with the last value.

    On a shared machine the minimum is the figure least disturbed by other work; the same rule
    is applied to a benchmark and to its baseline. ``setup`` runs, untimed, before each run
    (to clear a memo, say, so that every run starts in the same state).
    """
    timings: list[Timing] = []
    value: Any = None
    for _ in range(repeat):
        value = None  # let the previous result go before the next run
        if setup is not None:
            setup()
        value, timing = timed(function)
        timings.append(timing)
    return value, fastest(timings)


def clear_memos() -> int:
    """Empty every memo (``functools.cache``/``lru_cache``) of the package's analysis layers.

    A memo filled by an earlier run makes a later run of the same work faster than a user's
    first call; clearing it puts every timed run in the same, cold, state. Returns how many
    memos were cleared, so a benchmark can say so.
    """
    import importlib
    import pkgutil

    import aitoearn_lab

    cleared = 0
    for layer in ("metrics", "charts", "frame", "app"):
        package = importlib.import_module(f"aitoearn_lab.{layer}")
        for info in pkgutil.iter_modules(package.__path__, f"{aitoearn_lab.__name__}.{layer}."):
            module = importlib.import_module(info.name)
            for value in list(vars(module).values()):
                clear = getattr(value, "cache_clear", None)
                if callable(clear) and getattr(value, "__module__", None) == info.name:
                    clear()
                    cleared += 1
    return cleared


def fastest(timings: list[Timing]) -> Timing:
    return Timing(min(t.wall_s for t in timings), min(t.cpu_s for t in timings))


def interleaved(contenders: dict[str, Callable[[], Any]], repeat: int) -> dict[str, Timing]:
    """Each contender's fastest of ``repeat`` runs, the runs taken in turn (A, B, A, B ...).

    Taking turns exposes a benchmark and its baseline to the same moments of other work on
    the machine, where one block of runs after the other would not.
    """
    timings: dict[str, list[Timing]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, function in contenders.items():
            _, timing = timed(function)
            timings[name].append(timing)
    return {name: fastest(found) for name, found in timings.items()}


def seconds(value: float) -> str:
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1.0:
        return f"{value * 1e3:.0f} ms"
    return f"{value:.2f} s"


def megabytes(value: float) -> str:
    return f"{value / 1e6:,.0f} MB"


# --- peak memory, measured in a fresh process ------------------------------------------------------


def peak_memory(probe: str, *args: str) -> dict[str, Any]:
    """Run ``python -m benchmarks._probe <probe> <args>`` and return what it measured.

    A fresh process for each measurement: memory the allocator kept from earlier work cannot
    hide a peak, and one measurement cannot inflate another.
    """
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks._probe", probe, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory probe {probe} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@contextmanager
def rss_peak() -> Iterator[dict[str, int]]:
    """Peak resident memory above the level at entry, in bytes (Linux), else traced peak.

    The kernel's high-water mark is reset on entry (``/proc/self/clear_refs``), so the peak
    counts everything: Python objects, NumPy and Arrow buffers alike.
    """
    out: dict[str, int] = {}
    gc.collect()
    if _can_reset_peak():
        Path("/proc/self/clear_refs").write_text("5")
        start = _status_kb("VmRSS")
        yield out
        out["peak"] = (_status_kb("VmHWM") - start) * 1024
        out["method"] = 1
    else:  # pragma: no cover - not Linux
        tracemalloc.start()
        yield out
        out["peak"] = tracemalloc.get_traced_memory()[1]
        out["method"] = 0
        tracemalloc.stop()


def _can_reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _status_kb("VmHWM") > 0


def _status_kb(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


# --- test data -------------------------------------------------------------------------------------


def world_records(tasks: int, *, seed: int, at: float = ANCHOR) -> bytes:
    """Task records of a simulated world as one JSON array, as the API would show them at ``at``."""
    from aitoearn_lab.simulator import World

    world = World.generate(tasks=tasks, seed=seed, anchor=ANCHOR)
    views = (world.tasks[task_id].view(at) for task_id in world.task_ids())
    return orjson.dumps([view for view in views if view is not None])


@functools.cache
def records_file(tasks: int, *, seed: int, at: float = ANCHOR) -> Path:
    """:func:`world_records` written once per run to a file (several benchmarks share them)."""
    path = scratch_dir() / f"records-{tasks}-{seed}-{int(at)}.json"
    path.write_bytes(world_records(tasks, seed=seed, at=at))
    return path


def load_records(*paths: Path) -> list[dict[str, Any]]:
    """The records of one or more files, one list (files of different worlds: no repeats)."""
    records: list[dict[str, Any]] = []
    for path in paths:
        records += orjson.loads(path.read_bytes())
    return records


def distinct_worlds(rows: int, *, seed: int, at: float = ANCHOR) -> list[Path]:
    """Record files of 200,000-task worlds of consecutive seeds, enough for ``rows`` rows.

    A million rows are five different worlds (their own IDs, prompts and error messages), not
    one world repeated: a repeated world lets every memo and every hash table see each value
    five times, which no user's data does.
    """
    size = 200_000
    return [
        records_file(min(size, rows - start), seed=seed + index, at=at)
        for index, start in enumerate(range(0, rows, size))
    ]


def scratch_dir() -> Path:
    """A temporary folder for this run's files, removed when the run ends."""
    path = Path(tempfile.mkdtemp(prefix="aitoearn-bench-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def fill_cache(path: Path, *, api_key: str, base_url: str, records: list[dict[str, Any]]) -> None:
    """Store one answer per record through the package's own cache, as a fetch would have."""
    import requests
    from requests.structures import CaseInsensitiveDict

    from aitoearn_lab import schema
    from aitoearn_lab.client.api import Client
    from aitoearn_lab.client.cache import TaskCache
    from aitoearn_lab.config import key_scope

    url_of = Client(api_key=api_key, base_url=base_url, cache=False).task_url
    cache = TaskCache(path, scope=key_scope(api_key, base_url))
    date = "Sat, 28 Nov 2026 12:00:00 GMT"
    try:
        for record in records:
            body = orjson.dumps(schema.success_envelope(record, request_id=secrets.token_hex(12)))
            response = requests.Response()
            response.status_code, response.reason, response.encoding = 200, "OK", "utf-8"
            response._content = body
            response.url = url_of(record["id"])
            response.headers = CaseInsensitiveDict(
                {"Content-Type": "application/json; charset=utf-8", "Date": date}
            )
            response.elapsed = timedelta(seconds=0.15)
            response.request = requests.PreparedRequest()
            response.request.method, response.request.url = "GET", response.url
            cache.save(record["id"], response, record, fetched_at=LATER, pending_ttl=60.0)
    finally:
        cache.close()


# --- the simulator, in a process of its own --------------------------------------------------------


@dataclass
class SimulatorProcess:
    """``python -m aitoearn_lab simulate`` in a child process, so its CPU is not counted here."""

    tasks: int
    seed: int = 6
    faults: str = ""
    process: subprocess.Popen[str] | None = None
    base_url: str = ""
    api_key: str = ""
    task_ids: list[str] = field(default_factory=list)

    def __enter__(self) -> SimulatorProcess:
        ids_file = scratch_dir() / "ids.txt"
        command = [
            sys.executable,
            "-m",
            "aitoearn_lab",
            "simulate",
            "--tasks",
            str(self.tasks),
            "--seed",
            str(self.seed),
            "--ids-file",
            str(ids_file),
        ]
        if self.faults:
            command += ["--faults", self.faults]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        seen: dict[str, str] = {}
        deadline = time.monotonic() + 120
        while len(seen) < 3 and time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            match = re.match(r"(base URL|API key|task IDs):\s+(\S+)", line)
            if match:
                seen[match.group(1)] = match.group(2)
        if len(seen) < 3:
            self.__exit__()
            raise RuntimeError("the simulator did not start")
        self.base_url, self.api_key = seen["base URL"], seen["API key"]
        self.task_ids = Path(seen["task IDs"]).read_text("utf-8").split()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
