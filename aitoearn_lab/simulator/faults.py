"""Faults on demand: what a flaky network and a busy proxy in front of the API do to answers.

A fault is chosen per request from ``(task ID, how many times this ID was asked)`` and the
plan's seed, so a run is reproducible however the client's threads interleave.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from typing import Literal

FaultKind = Literal["server_error", "rate_limit", "drop", "timeout", "malformed"]
FAULT_KINDS: tuple[FaultKind, ...] = ("server_error", "rate_limit", "drop", "timeout", "malformed")

_SPEC_NAMES = {
    "5xx": "server_error",
    "server_error": "server_error",
    "429": "rate_limit",
    "rate_limit": "rate_limit",
    "drop": "drop",
    "timeout": "timeout",
    "malformed": "malformed",
    "latency": "latency",
    "jitter": "jitter",
    "retry-after": "retry_after",
    "retry_after": "retry_after",
    "timeout-delay": "timeout_delay",
    "timeout_delay": "timeout_delay",
    "permanent": "permanent",
    "seed": "seed",
}


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Shares of faulty answers and added latency; all zero is a healthy server.

    Rates are probabilities per answer and must sum to at most 1. ``latency`` and ``jitter`` are
    seconds added to every answer; ``first_only`` limits faults to the first answer for each
    task ID; ``permanent`` is the share of task IDs whose every answer is a 503.
    """

    server_error: float = 0.0
    rate_limit: float = 0.0
    drop: float = 0.0
    timeout: float = 0.0
    malformed: float = 0.0
    latency: float = 0.0
    jitter: float = 0.0
    retry_after: float = 1.0
    timeout_delay: float = 5.0
    permanent: float = 0.0
    first_only: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name not in ("first_only", "seed") and value < 0:
                raise ValueError(f"fault setting {item.name} must be >= 0, got {value}")
        total = sum(getattr(self, kind) for kind in FAULT_KINDS)
        if total > 1.0 + 1e-9:
            raise ValueError(f"fault rates add up to {total:.3f}; they must be at most 1")

    @classmethod
    def parse(cls, spec: str | None) -> FaultPlan:
        """Read ``"5xx=0.1,429=0.05,drop=0.02,latency=0.15,first-only"``.

        Names: ``5xx``, ``429``, ``drop``, ``timeout``, ``malformed`` (shares of answers),
        ``latency``, ``jitter``, ``retry-after``, ``timeout-delay`` (seconds), ``permanent``
        (share of IDs), ``seed``, and the flag ``first-only``.
        """
        if not spec or not spec.strip():
            return cls()
        values: dict[str, float | bool | int] = {}
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            if part in ("first-only", "first_only"):
                values["first_only"] = True
                continue
            name, sep, raw = part.partition("=")
            key = _SPEC_NAMES.get(name.strip().lower())
            if not sep or key is None:
                known = ", ".join(sorted({*_SPEC_NAMES, "first-only"}))
                raise ValueError(f"unknown fault setting {part!r}; known: {known}")
            try:
                values[key] = int(raw) if key == "seed" else float(raw.strip().rstrip("s"))
            except ValueError:
                raise ValueError(f"fault setting {name!r} needs a number, got {raw!r}") from None
        return cls(**values)  # type: ignore[arg-type]

    @property
    def active(self) -> bool:
        return any(getattr(self, kind) for kind in FAULT_KINDS) or self.permanent > 0

    def choose(self, task_id: str, attempt: int) -> FaultKind | None:
        """The fault for the ``attempt``-th request (0-based) for ``task_id``, if any."""
        if self.permanent and unit_interval(self.seed, "permanent", task_id) < self.permanent:
            return "server_error"
        if self.first_only and attempt > 0:
            return None
        roll = unit_interval(self.seed, task_id, attempt)
        for kind in FAULT_KINDS:
            rate = getattr(self, kind)
            if roll < rate:
                return kind
            roll -= rate
        return None

    def delay(self, task_id: str, attempt: int) -> float:
        """Seconds to wait before answering: latency plus a reproducible share of jitter."""
        if not self.jitter:
            return self.latency
        return self.latency + self.jitter * unit_interval(self.seed, "jitter", task_id, attempt)


def unit_interval(*parts: object) -> float:
    """A reproducible number in [0, 1) from its parts."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64
