"""One page of the list endpoint: asked until a usable answer, checked, its tasks validated."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import requests

from aitoearn_lab import schema
from aitoearn_lab.client.classify import (
    NETWORK_ERRORS,
    REQUEST_ID_HEADER,
    AnswerTooLarge,
    Reply,
    describe_network_error,
)
from aitoearn_lab.client.holdings import PageMeta
from aitoearn_lab.client.retry import RateLimiter, backoff_delay, retry_after_seconds
from aitoearn_lab.client.wire import exchange, new_request_id
from aitoearn_lab.config import FetchSettings
from aitoearn_lab.errors import (
    APIError,
    AuthenticationError,
    ListingUnavailableError,
    ResponseValidationError,
    TransportError,
)

LIST_PATH: Final = "/api/ai/video/generations"
"""The list endpoint: the caller's tasks, newest first, ``?page=&pageSize=``."""

PAGE_SIZE: Final = 1000
"""The largest page the server accepts: one page replaces a thousand requests."""

CODE_NO_ROUTE: Final = 404
"""The envelope code of an unknown route: a server without the list endpoint."""

_KEPT_HEADERS: Final = ("Content-Type", "Date")


@dataclass(slots=True)
class Page:
    """One answered page: the tasks it listed (valid ones as records) and the list's size then."""

    number: int
    total: int
    records: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[tuple[str, ResponseValidationError]] = field(default_factory=list)
    """Listed tasks whose record breaks the contract: ``(task ID, error)``; kept as rows."""
    listed: int = 0
    """How many entries the page held (a short page is the last one)."""
    fetched_at: float = 0.0
    attempts: int = 0
    meta: PageMeta | None = None

    def task_ids(self) -> list[str]:
        return [record["id"] for record in self.records] + [task_id for task_id, _ in self.invalid]


def page_url(base_url: str, number: int, size: int = PAGE_SIZE) -> str:
    return f"{base_url}{LIST_PATH}?page={number}&pageSize={size}"


def ask_page(
    session: requests.Session,
    base_url: str,
    number: int,
    stop: threading.Event,
    *,
    headers: Mapping[str, str],
    settings: FetchSettings,
    limiter: RateLimiter | None,
    clock: Callable[[], float],
    sleep: Callable[[float], object] | None,
    size: int = PAGE_SIZE,
) -> Page:
    """Ask for page ``number`` until a usable answer; retry what a retry can mend.

    Each attempt goes through :func:`~aitoearn_lab.client.wire.exchange` (the key in
    ``headers`` for this request only, a fresh ``X-Request-Id``, the body-size cap and the
    overall deadline of ``settings``).

    Raises
    ------
    ListingUnavailableError
        The server has no list endpoint (an envelope of code 404, or HTTP 404).
    AuthenticationError
        The key was refused (an envelope of 401 or 19000, or HTTP 401 or 403).
    APIError
        Any other definitive refusal.
    TransportError
        No usable answer after every retry, an answer over the size cap, or the sync stopped.
    """
    url = page_url(base_url, number, size)
    problem = "not asked: the sync was stopped"
    attempts = 0
    for attempt in range(settings.max_retries + 1):
        if stop.is_set():
            break
        if limiter is not None:
            limiter.acquire()
        attempts += 1
        delay: float | None = None
        try:
            reply = exchange(
                session,
                url,
                headers={**headers, REQUEST_ID_HEADER: new_request_id()},
                timeout=settings.timeout,
                deadline=settings.deadline,
                max_body=settings.max_body,
                clock=clock,
            )
        except AnswerTooLarge as error:  # the same page would bring the same answer
            raise TransportError(f"page {number} of the task list refused: {error}") from None
        except NETWORK_ERRORS as error:
            problem = describe_network_error(error)
        except requests.RequestException as error:
            raise TransportError(
                f"page {number}: the request could not be made ({type(error).__name__})"
            ) from None
        else:
            status = reply.status
            if status == 200:
                try:
                    page = _read_page(reply, number, clock())
                except schema.MalformedBodyError as error:
                    problem = f"malformed answer: {error}"
                except _Transient as error:
                    problem = str(error)
                else:
                    page.attempts = attempts
                    return page
            elif status in (401, 403):  # a gateway refusing the key, without an envelope
                raise AuthenticationError(
                    f"HTTP {status} {reply.reason}".strip(), code=schema.CODE_UNAUTHORIZED
                )
            elif status == 404:
                raise ListingUnavailableError(f"HTTP 404 for {LIST_PATH}", code=CODE_NO_ROUTE)
            elif status == 429 or status >= 500:
                problem = f"HTTP {status} {reply.reason}".strip()
                delay = retry_after_seconds(
                    reply.headers.get("Retry-After"),
                    now=time.time(),
                    cap=settings.max_retry_after,
                )
            else:
                raise TransportError(
                    f"page {number}: HTTP {status} {reply.reason}".strip(), http_status=status
                )
        if attempt == settings.max_retries:
            break
        if delay is None:
            delay = backoff_delay(attempt, base=settings.backoff_base, cap=settings.backoff_max)
        if sleep is not None:
            sleep(delay)
        else:
            stop.wait(delay)
    raise TransportError(
        f"page {number} of the task list: no usable answer after {attempts} attempt(s): {problem}"
    )


class _Transient(Exception):
    """An answer worth asking again (a transient envelope code, a page of the wrong shape)."""


def _read_page(reply: Reply, number: int, fetched_at: float) -> Page:
    envelope = schema.parse_envelope(reply.body)
    code = envelope["code"]
    text = schema.envelope_text(envelope)
    request_id = envelope.get("requestId")
    request_id = request_id[:64] if isinstance(request_id, str) else ""
    if code == CODE_NO_ROUTE:
        raise ListingUnavailableError(text, code=code, request_id=request_id or None)
    if code in schema.AUTH_CODES:
        raise AuthenticationError(text, code=code, request_id=request_id or None)
    if code in schema.TRANSIENT_CODES:
        raise _Transient(f"code {code}: {text}")
    if code != schema.CODE_OK:
        raise APIError(f"listing page {number}: {text}", code=code, request_id=request_id or None)
    data = envelope.get("data")
    entries = data.get("list") if isinstance(data, dict) else None
    total = data.get("total") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not isinstance(total, int) or isinstance(total, bool):
        raise _Transient("the page has no 'list' and 'total'")
    headers = {name: reply.headers[name] for name in _KEPT_HEADERS if name in reply.headers}
    response = reply.response
    elapsed = response.elapsed.total_seconds() if response is not None and response.elapsed else 0.0
    page = Page(number=number, total=total, listed=len(entries), fetched_at=fetched_at)
    page.meta = PageMeta(
        headers=headers, elapsed_s=elapsed, request_id=request_id, reason=reply.reason or None
    )
    for entry in entries:
        task_id = entry.get("id") if isinstance(entry, dict) else None
        try:
            page.records.append(schema.validate_task(entry))
        except ResponseValidationError as error:
            if isinstance(task_id, str) and task_id:
                error.task_id = task_id
                page.invalid.append((task_id, error))
            # an entry without an ID cannot become a row of its own; it is counted, not kept
    return page
