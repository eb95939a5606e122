"""What the cache keeps of an outcome: a task (for good, or ``pending_ttl`` while unfinished)
and a 12302 (no such task, for ``not_found_ttl``: unknown IDs are not asked on every run)."""

from __future__ import annotations

from typing import Any

import orjson

from aitoearn_lab import schema
from aitoearn_lab.client.cache import CachedAnswer, TaskCache, _Rebuilt
from aitoearn_lab.client.cache_format import SyntheticAnswer, cache_key, stored_value
from aitoearn_lab.client.outcomes import Outcome
from aitoearn_lab.errors import ConfigurationError, TaskNotFoundError


def checked_ttl(not_found_ttl: float) -> float:
    """``not_found_ttl`` as seconds, or :class:`ConfigurationError` naming it."""
    if not float(not_found_ttl) >= 0:
        raise ConfigurationError(f"not_found_ttl must be >= 0 seconds, got {not_found_ttl}")
    return float(not_found_ttl)


def save_not_found(
    cache: TaskCache, error: TaskNotFoundError, *, url: str, fetched_at: float, not_found_ttl: float
) -> None:
    """Store a 12302 answer as its error envelope, usable for ``not_found_ttl`` seconds.

    A task ID that names no task today may name one tomorrow (a task of another site, an ID
    copied before its task was saved): the answer is remembered for a while, not for good.
    """
    if error.task_id is None or not_found_ttl <= 0:
        return
    envelope = {
        "code": schema.CODE_INVALID_TASK_ID,
        "message": error.api_message,
        "data": {},
        "requestId": error.request_id or "",
    }
    answer: Any = SyntheticAnswer(
        url,
        orjson.dumps(envelope),
        headers={"Content-Type": "application/json; charset=utf-8"},
        elapsed_s=0.0,
        reason="OK",
    )
    expires_at = fetched_at + not_found_ttl
    value = stored_value(answer, created_at=fetched_at, expires_at=expires_at)
    row = (cache_key(cache.scope, error.task_id), value, int(expires_at))
    statement = "INSERT OR REPLACE INTO responses (key, value, expires) VALUES (?, ?, ?)"
    try:
        with cache._using() as connection:
            connection.execute(statement, row)
    except _Rebuilt:  # the file was corrupt and has been started again: write to the new one
        with cache._using() as connection:
            connection.execute(statement, row)


def remembered_error(task_id: str, answer: CachedAnswer) -> TaskNotFoundError:
    """The 12302 error a stored answer remembers, worded as the server worded it."""
    message = answer.record.get("message")
    request_id = answer.record.get("requestId")
    return TaskNotFoundError(
        message if isinstance(message, str) and message else "no such task",
        code=schema.CODE_INVALID_TASK_ID,
        task_id=task_id,
        request_id=request_id if isinstance(request_id, str) and request_id else None,
    )


def store_outcome(
    cache: TaskCache, outcome: Outcome, *, url: str, pending_ttl: float, not_found_ttl: float
) -> None:
    """Store what of ``outcome`` is worth keeping (a fetched task, or a fresh 12302)."""
    if isinstance(outcome.error, TaskNotFoundError) and not outcome.from_cache:
        save_not_found(
            cache,
            outcome.error,
            url=url,
            fetched_at=outcome.fetched_at,
            not_found_ttl=not_found_ttl,
        )
    elif outcome.record is not None and outcome.response is not None:
        cache.save(
            outcome.task_id,
            outcome.response,
            outcome.record,
            fetched_at=outcome.fetched_at,
            pending_ttl=pending_ttl,
        )


def cached_outcome(
    task_id: str, answer: CachedAnswer, *, now: float, pending_ttl: float, not_found_ttl: float
) -> Outcome | None:
    """The outcome a stored answer settles while fresh (a task, or a remembered 12302)."""
    if not answer.is_fresh(now, pending_ttl, not_found_ttl):
        return None
    if answer.not_found:
        error = remembered_error(task_id, answer)
        return Outcome(
            task_id,
            error=error,
            fetched_at=answer.fetched_at,
            from_cache=True,
            request_id=answer.request_id,
        )
    return Outcome(
        task_id,
        record=answer.record,
        fetched_at=answer.fetched_at,
        from_cache=True,
        request_id=answer.request_id,
    )
