"""Asking the API: one task ID until a definitive answer, many IDs with bounded concurrency."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Final

import requests

from aitoearn_lab import schema
from aitoearn_lab.client.outcomes import Outcome
from aitoearn_lab.client.retry import RateLimiter, backoff_delay, retry_after_seconds
from aitoearn_lab.config import FetchSettings
from aitoearn_lab.errors import (
    APIError,
    AuthenticationError,
    InvalidTaskIdError,
    ResponseValidationError,
    TaskNotFoundError,
    TransportError,
)

_ERROR_FOR_CODE: Final[dict[int, type[APIError]]] = {
    schema.CODE_UNAUTHORIZED: AuthenticationError,
    schema.CODE_API_KEY_INVALID: AuthenticationError,
    schema.CODE_VALIDATION_FAILED: InvalidTaskIdError,
    schema.CODE_INVALID_TASK_ID: TaskNotFoundError,
}
_NETWORK_ERRORS: Final = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def ask_many(
    ask: Callable[[str, threading.Event], Outcome], task_ids: list[str], *, workers: int
) -> Generator[Outcome, None, None]:
    """Ask for each ID with bounded concurrency; yield outcomes as they complete."""
    if not task_ids:
        return
    stop = threading.Event()
    pending = iter(task_ids)
    in_flight: dict[Future[Outcome], str] = {}
    limit = workers * 2
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aitoearn-fetch")

    def fill() -> None:
        while len(in_flight) < limit and not stop.is_set():
            task_id = next(pending, None)
            if task_id is None:
                return
            in_flight[pool.submit(ask, task_id, stop)] = task_id

    auth_error: AuthenticationError | None = None
    try:
        fill()
        while in_flight:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    outcome = future.result()
                except AuthenticationError as error:
                    # Stop at once; requests already in flight still finish and are kept.
                    del in_flight[future]
                    auth_error = auth_error or error
                    stop.set()
                    continue
                # Forgotten only once the caller has taken it: a Ctrl-C that lands before (in
                # result(), or in the caller before it saves) finds it among those in flight,
                # and it is handed out again below rather than lost.
                yield outcome
                del in_flight[future]
            fill()
    except KeyboardInterrupt:
        # Requests already sent are answered anyway (the process waits for the pool's
        # threads before it ends): keep those answers, ask nothing more, then stop. The
        # answer last handed out is among them: the caller takes each answer once.
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        for future in [f for f in in_flight if not f.cancelled()]:
            if future.exception() is None:  # waits for the answer
                yield future.result()
        raise
    except BaseException:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    if auth_error is not None:
        raise auth_error


def ask_until_answered(
    session: requests.Session,
    url: str,
    task_id: str,
    stop: threading.Event,
    *,
    settings: FetchSettings,
    limiter: RateLimiter | None,
    clock: Callable[[], float],
    sleep: Callable[[float], object] | None,
) -> Outcome:
    """Ask for ``task_id`` at ``url`` until a definitive answer or the retries run out.

    Raises :class:`AuthenticationError` when the key is refused; any other end is an outcome.
    """
    outcome = Outcome(task_id)
    problem = "not asked: the batch was stopped"
    http_status: int | None = None
    for attempt in range(settings.max_retries + 1):
        if stop.is_set():
            break
        if limiter is not None:
            limiter.acquire()
        outcome.attempts += 1
        delay: float | None = None
        try:
            # Redirects are not followed: the key must only ever go to the base URL.
            response = session.get(
                url,
                timeout=(min(settings.timeout, 10.0), settings.timeout),
                allow_redirects=False,
            )
        except _NETWORK_ERRORS as error:
            problem = _describe_network_error(error)
            http_status = None
        except requests.RequestException as error:
            outcome.fetched_at = clock()
            outcome.error = TransportError(
                f"the request could not be made ({type(error).__name__})", task_id=task_id
            )
            return outcome
        else:
            http_status = response.status_code
            if response.status_code == 200:
                try:
                    envelope = schema.parse_envelope(response.content)
                except schema.MalformedBodyError as error:
                    problem = f"malformed answer: {error}"
                else:
                    outcome.fetched_at = clock()
                    code = envelope["code"]
                    if code == schema.CODE_OK:
                        try:
                            outcome.record = schema.validate_task(
                                envelope.get("data"), task_id=task_id
                            )
                        except ResponseValidationError as error:
                            outcome.error = error
                            return outcome
                        outcome.response = response
                        return outcome
                    refusal = _api_error(envelope, task_id)
                    if isinstance(refusal, AuthenticationError):
                        raise refusal
                    if code not in schema.TRANSIENT_CODES:
                        outcome.error = refusal
                        return outcome
                    problem = str(refusal)
            elif response.status_code == 401:  # a gateway's refusal, without an envelope
                raise AuthenticationError(
                    f"HTTP 401 {response.reason or ''}".strip(),
                    code=schema.CODE_UNAUTHORIZED,
                    task_id=task_id,
                )
            elif response.status_code == 429 or response.status_code >= 500:
                problem = f"HTTP {response.status_code} {response.reason or ''}".strip()
                delay = retry_after_seconds(
                    response.headers.get("Retry-After"),
                    now=time.time(),
                    cap=settings.max_retry_after,
                )
            else:
                outcome.fetched_at = clock()
                text = f"HTTP {response.status_code} {response.reason or ''}".strip()
                if response.is_redirect:
                    target = response.headers.get("Location", "")[:200]
                    text += (
                        f" (a redirect to {target!r}, not followed: the API key is only "
                        "sent to the base URL; point the base URL at the API itself)"
                    )
                outcome.error = TransportError(
                    text,
                    task_id=task_id,
                    http_status=response.status_code,
                )
                return outcome
        if attempt == settings.max_retries:
            break
        if delay is None:
            delay = backoff_delay(attempt, base=settings.backoff_base, cap=settings.backoff_max)
        _wait(delay, stop, sleep)
    outcome.fetched_at = clock()
    outcome.error = TransportError(
        f"no usable answer after {outcome.attempts} attempt(s): {problem}",
        task_id=task_id,
        http_status=http_status,
    )
    return outcome


def _wait(seconds: float, stop: threading.Event, sleep: Callable[[float], object] | None) -> None:
    if sleep is not None:
        sleep(seconds)
    else:
        stop.wait(seconds)


def _api_error(envelope: dict[str, Any], task_id: str) -> APIError:
    code = envelope["code"]
    message = envelope.get("message")
    text = (
        message[:300]
        if isinstance(message, str) and message
        else schema.CODE_MESSAGES.get(code, "error")
    )
    request_id = envelope.get("requestId")
    request_id = request_id[:64] if isinstance(request_id, str) else None
    return _ERROR_FOR_CODE.get(code, APIError)(
        text, code=code, task_id=task_id, request_id=request_id
    )


def _describe_network_error(error: Exception) -> str:
    if isinstance(error, requests.Timeout):
        return "timed out"
    if isinstance(
        error, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return "answer cut off mid-body"
    return "connection dropped or refused"
