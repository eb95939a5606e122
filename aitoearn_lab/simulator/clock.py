"""Clocks for the simulated world: real time (optionally sped up) or a hand-moved one for tests."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the world's time in Unix seconds."""

    def now(self) -> float: ...


class ScaledClock:
    """World time that starts at ``anchor`` and runs ``speed`` times faster than real time."""

    def __init__(self, anchor: float | None = None, *, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.anchor = time.time() if anchor is None else anchor
        self.speed = speed
        self._started = time.monotonic()

    def now(self) -> float:
        return self.anchor + (time.monotonic() - self._started) * self.speed

    def __repr__(self) -> str:
        return f"ScaledClock(anchor={self.anchor!r}, speed={self.speed!r})"


class ManualClock:
    """A clock that moves only when told to: lifecycles and expiry tested without sleeping.

    Calling the instance returns the time too, so ``ManualClock`` can be handed to a client
    that expects a ``time.time``-like callable.
    """

    def __init__(self, start: float) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    __call__ = now

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds``; return the new time."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += seconds
            return self._now

    def __repr__(self) -> str:
        return f"ManualClock({self._now!r})"
