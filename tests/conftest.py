"""Shared fixtures: a simulator on loopback, a hand-moved clock, a cache file per test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from aitoearn_lab.simulator import ManualClock, Simulator
from tests.support import ANCHOR, ROOT, RecordingSleep, client_maker

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
    with client_maker(
        api_key=sim.api_key,
        base_url=sim.base_url,
        cache=cache_path,
        clock=clock,
        sleep=sleeps,
        workers=8,
    ) as build:
        yield build


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / "data" / "openapi.json").read_text("utf-8"))
    return document
