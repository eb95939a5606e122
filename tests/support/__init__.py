"""Helpers shared by the tests: the anchor time, the repository root, stand-ins at the edges."""

from __future__ import annotations

import sqlite3
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aitoearn_lab.client.api import Client
from aitoearn_lab.simulator import Simulator

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
ANCHOR = 1782993600.0  # 2026-07-02T12:00:00Z


@contextmanager
def sqlite_file(path: Path | str, **options: Any) -> Iterator[sqlite3.Connection]:
    """A connection to the SQLite file at ``path``: committed, then closed, on the way out.

    ``with sqlite3.connect(path)`` only commits; the connection is left to the garbage
    collector, which Python 3.13 reports with a ResourceWarning (an error in this suite) in
    whichever test it happens to run.
    """
    connection = sqlite3.connect(path, **options)
    try:
        with connection:
            yield connection
    finally:
        connection.close()


@contextmanager
def client_maker(
    *, each: Callable[[], dict[str, Any]] = dict, **defaults: Any
) -> Iterator[Callable[..., Client]]:
    """A maker of clients with these keywords, and those ``each()`` makes anew for every client
    (a clock, a sleep); a test's own keywords win. Every client is closed at the end."""
    made: list[Client] = []

    def build(**overrides: Any) -> Client:
        client = Client(**{**defaults, **each(), **overrides})
        made.append(client)
        return client

    try:
        yield build
    finally:
        for client in made:
            client.close()


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
