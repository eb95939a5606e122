"""Shared fixtures: a simulator on loopback, a hand-moved clock, a cache file per test."""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from aitoearn_lab import Client
from aitoearn_lab.simulator import ManualClock, Simulator

ROOT = Path(__file__).resolve().parent.parent
ANCHOR = 1782993600.0  # 2026-07-02T12:00:00Z

# Property tests draw the same examples on every run and every machine (derandomize), keep no
# example database, and have no per-example deadline (they talk to a server over loopback).
settings.register_profile(
    "aitoearn",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("aitoearn")


class RecordingSleep:
    """Stands in for time.sleep between retries: remembers each wait instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def wait_until_idle(sim: Simulator) -> None:
    """Until every request the simulator received has been handled and logged.

    A request the client gave up on (a timeout, a killed process) is still logged when the
    server finishes it; a test that reads the log must not mistake it for a later one.
    """
    deadline = time.monotonic() + 30
    while sim.open_connections:
        if time.monotonic() > deadline:
            stacks = "\n".join(
                "".join(traceback.format_stack(frame)) for frame in sys._current_frames().values()
            )
            raise AssertionError(f"the simulator is still handling requests:\n{stacks}")
        time.sleep(0.005)  # polling the server's progress, not waiting out a duration


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(ANCHOR)


@pytest.fixture
def sim(clock: ManualClock) -> Iterator[Simulator]:
    with Simulator(tasks=300, seed=11, clock=clock) as simulator:
        yield simulator


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "tasks.sqlite"


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def make_client(
    sim: Simulator, clock: ManualClock, cache_path: Path, sleeps: RecordingSleep
) -> Iterator[Any]:
    """Build clients against the simulator; every one is closed after the test."""
    made: list[Client] = []

    def build(**overrides: Any) -> Client:
        options: dict[str, Any] = {
            "api_key": sim.api_key,
            "base_url": sim.base_url,
            "cache": cache_path,
            "clock": clock,
            "sleep": sleeps,
            "workers": 8,
        }
        options.update(overrides)
        client = Client(**options)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / "data" / "openapi.json").read_text("utf-8"))
    return document
