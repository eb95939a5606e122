"""When to ask again: backoff with jitter, ``Retry-After``, and a requests-per-second cap."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime


def backoff_delay(
    attempt: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Exponential backoff with jitter: about ``base * 2**attempt``, never above ``cap``.

    The jitter (a factor between 0.5 and 1.5) keeps workers that failed together from
    retrying together.
    """
    draw = (rng or random).random()
    return float(min(cap, base * 2.0**attempt) * (0.5 + draw))


def retry_after_seconds(value: str | None, *, now: float, cap: float) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), cap)


class RateLimiter:
    """At most ``rate`` acquisitions per second across threads, spaced evenly.

    ``clock`` and ``sleep`` are injectable so tests need not wait.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0, got {rate}")
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for the next slot; return how long this call waited."""
        with self._lock:
            now = self._clock()
            slot = max(self._next, now)
            self._next = slot + self.interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return wait
