"""Asking the API: one task ID until a definitive answer, many IDs with bounded concurrency.

What one answer means is decided by :func:`aitoearn_lab.client.classify.classify`; reading it
from the wire within a size cap and a deadline by :func:`aitoearn_lab.client.wire.exchange`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import requests

from aitoearn_lab.client.classify import (
    REQUEST_ID_HEADER,
    Kind,
    Reply,
    Verdict,
    classify,
    with_request_id,
)
from aitoearn_lab.client.outcomes import Outcome
from aitoearn_lab.client.retry import RateLimiter, backoff_delay
from aitoearn_lab.client.wire import exchange, new_request_id
from aitoearn_lab.config import FetchSettings
from aitoearn_lab.errors import AuthenticationError, TransportError


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
    headers: Mapping[str, str] | None = None,
    validate: Callable[[Any], Any] | None = None,
) -> Outcome:
    """Ask for ``task_id`` at ``url`` until a definitive answer or the retries run out.

    Each attempt goes through :func:`~aitoearn_lab.client.wire.exchange` (size cap, deadline)
    with ``headers`` (the key) and a fresh ``X-Request-Id``; :func:`classify` says what the
    answer means. ``validate`` turns the envelope's ``data`` into the record (by default a task).

    Raises :class:`AuthenticationError` when the key is refused; any other end is an outcome.
    """
    outcome = Outcome(task_id)
    last = Verdict(Kind.RETRY, problem="not asked: the batch was stopped")
    for attempt in range(settings.max_retries + 1):
        if stop.is_set():
            break
        if limiter is not None:
            limiter.acquire()
        outcome.attempts += 1
        answer: Reply | BaseException
        try:
            answer = exchange(
                session,
                url,
                headers={**(headers or {}), REQUEST_ID_HEADER: new_request_id()},
                timeout=settings.timeout,
                deadline=settings.deadline,
                max_body=settings.max_body,
                clock=clock,
            )
        except requests.RequestException as error:
            answer = error
        last = classify(
            answer,
            task_id=task_id,
            now=clock(),
            max_retry_after=settings.max_retry_after,
            validate=validate,
        )
        outcome.request_id = last.request_id or outcome.request_id
        if last.kind is Kind.STOP:
            assert last.error is not None
            raise last.error
        if last.kind is not Kind.RETRY:
            outcome.fetched_at = clock()
            outcome.record, outcome.error = last.record, last.error
            if last.kind is Kind.TASK and isinstance(answer, Reply):
                outcome.response = answer.response
            return outcome
        if attempt == settings.max_retries:
            break
        delay = last.retry_after
        if delay is None:
            delay = backoff_delay(attempt, base=settings.backoff_base, cap=settings.backoff_max)
        _wait(delay, stop, sleep)
    outcome.fetched_at = clock()
    outcome.error = TransportError(
        with_request_id(
            f"no usable answer after {outcome.attempts} attempt(s): {last.problem}",
            last.request_id,
        ),
        task_id=task_id,
        http_status=last.http_status,
    )
    return outcome


def _wait(seconds: float, stop: threading.Event, sleep: Callable[[float], object] | None) -> None:
    if sleep is not None:
        sleep(seconds)
    else:
        stop.wait(seconds)
