"""What became of each task ID (Outcome, FetchStats) and the IDs settled before any request."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import requests

from aitoearn_lab import schema
from aitoearn_lab.errors import AiToEarnError, APIError, InvalidTaskIdError, TaskNotFoundError


@dataclass(slots=True)
class Outcome:
    """What became of one task ID: a record, or the error that ended it."""

    task_id: str
    record: dict[str, Any] | None = None
    response: requests.Response | None = field(default=None, repr=False)
    error: AiToEarnError | None = None
    fetched_at: float = math.nan
    from_cache: bool = False
    attempts: int = 0
    request_id: str | None = None  # the server's, for a support ticket

    @property
    def api_code(self) -> int | None:
        if self.record is not None:
            return schema.CODE_OK
        return self.error.code if isinstance(self.error, APIError) else None

    @property
    def settled(self) -> bool:
        """A definitive answer: a task, a malformed ID (10002) or no such task (12302)."""
        return self.record is not None or isinstance(
            self.error, InvalidTaskIdError | TaskNotFoundError
        )


@dataclass(slots=True)
class FetchStats:
    """Counts from the last :meth:`Client.fetch`."""

    requested: int = 0
    unique: int = 0
    rejected: int = 0
    cache_hits: int = 0
    fetched: int = 0
    requests: int = 0
    failed: int = 0
    elapsed_s: float = 0.0

    @property
    def retries(self) -> int:
        return max(self.requests - self.fetched, 0)

    @property
    def complete(self) -> bool:
        """True when every ID got a definitive answer."""
        return self.failed == 0

    def describe(self) -> str:
        """One line for a person."""
        parts = [
            f"{self.unique} unique IDs",
            f"{self.cache_hits} from cache",
            f"{self.fetched} fetched",
        ]
        if self.retries:
            parts.append(f"{self.retries} retries")
        if self.rejected:
            parts.append(f"{self.rejected} rejected locally")
        if self.failed:
            parts.append(f"{self.failed} without an answer")
        return ", ".join(parts) + f" in {self.elapsed_s:.1f} s"


def normalize_ids(ids: Iterable[Any]) -> tuple[int, list[str]]:
    """``(how many were given, unique IDs in first-seen order)``; a lone string is one ID."""
    if isinstance(ids, str | bytes):
        ids = [ids]
    seen: dict[str, None] = {}
    given = 0
    for raw in ids:
        given += 1
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            text = ""
        elif isinstance(raw, bytes):
            text = raw.decode("utf-8", "replace")
        else:
            text = str(raw)
        seen.setdefault(text.strip(), None)
    return given, list(seen)


_PLAIN_IDS: Final = re.compile(r"(?:(?!\.+\n)[0-9A-Za-z_.-]{1,256}\n)*")


def all_plain(task_ids: list[str]) -> bool:
    """True when no ID can have a local problem: each is 1-256 of ``[0-9A-Za-z_.-]``, not
    only dots. One regex over them all, instead of :func:`local_problem` for each."""
    if not task_ids:
        return True
    text = "\n".join(task_ids) + "\n"
    # An ID with a line break inside would read as two plain lines: the count catches it.
    return text.count("\n") == len(task_ids) and _PLAIN_IDS.fullmatch(text) is not None


def local_problem(task_id: str) -> InvalidTaskIdError | None:
    """The error that rejects ``task_id`` without a request; None when it may be asked."""
    problem = schema.task_id_problem(task_id)
    if problem is None and set(task_id) == {"."}:
        problem = "task ID is only dots"
    if problem is None:
        return None
    return InvalidTaskIdError(
        f"rejected without a request: {problem}",
        code=schema.CODE_VALIDATION_FAILED,
        task_id=task_id[:80],
    )
