"""What one answer means: a task, a definitive API error, a fault worth retrying, or a stop.

:func:`classify` is pure: it reads a :class:`Reply` (status, headers, body, as read from the
wire) or the exception that took its place, and says what the retry loop should do with it.
It makes no request, reads no clock (``now`` is given) and never sleeps, so every rule can be
tested with values alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

import requests

from aitoearn_lab import schema
from aitoearn_lab.client.retry import retry_after_seconds
from aitoearn_lab.errors import (
    AiToEarnError,
    APIError,
    AuthenticationError,
    InvalidTaskIdError,
    ResponseValidationError,
    TaskNotFoundError,
    TransportError,
)

REQUEST_ID_HEADER: Final = "X-Request-Id"
"""Sent with each request (a fresh random ID per attempt) and read back from the answer."""

_ERROR_FOR_CODE: Final[dict[int, type[APIError]]] = {
    schema.CODE_UNAUTHORIZED: AuthenticationError,
    schema.CODE_API_KEY_INVALID: AuthenticationError,
    schema.CODE_VALIDATION_FAILED: InvalidTaskIdError,
    schema.CODE_INVALID_TASK_ID: TaskNotFoundError,
}
NETWORK_ERRORS: Final = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
"""Transport failures worth another attempt: the next connection may well be fine."""


class AnswerTooLarge(requests.RequestException):
    """The body passed the size cap; the rest was not read."""


class DeadlineExceeded(requests.Timeout):
    """The whole request, body included, took longer than its overall deadline."""


@dataclass(frozen=True, slots=True)
class Reply:
    """One HTTP answer as read from the wire: the body is whole (and within the size cap)."""

    status: int
    reason: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    response: requests.Response | None = field(default=None, repr=False, compare=False)


class Kind(Enum):
    """What the retry loop does next."""

    TASK = "task"  # done: a record
    FINAL = "final"  # done: a definitive error (10002, 12302, a broken contract, a 404 ...)
    RETRY = "retry"  # ask again (after ``retry_after`` when the server said so)
    STOP = "stop"  # the key was refused: stop the whole batch


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one answer means. ``error`` is set for FINAL and STOP, ``problem`` for RETRY."""

    kind: Kind
    record: Any = None
    error: AiToEarnError | None = None
    problem: str = ""
    retry_after: float | None = None
    http_status: int | None = None
    request_id: str | None = None


def classify(
    answer: Reply | BaseException,
    *,
    task_id: str,
    now: float,
    max_retry_after: float,
    validate: Callable[[Any], Any] | None = None,
) -> Verdict:
    """What ``answer`` (a reply, or the exception raised instead of one) means for ``task_id``.

    Parameters
    ----------
    answer
        The reply read from the wire, or the exception that ended the attempt.
    task_id
        Named in the errors.
    now
        Unix seconds from the injected clock: a ``Retry-After`` given as an HTTP date is
        measured from it.
    max_retry_after
        Cap on a server's ``Retry-After``, in seconds.
    validate
        Turns the envelope's ``data`` into the record (raising :class:`ResponseValidationError`);
        by default :func:`aitoearn_lab.schema.validate_task` for ``task_id``.

    Returns
    -------
    Verdict
        TASK with the record; FINAL or STOP with the error; RETRY with what went wrong.
    """
    if isinstance(answer, BaseException):
        return _classify_exception(answer, task_id=task_id)
    request_id = _header_request_id(answer.headers)
    status = answer.status
    text = f"HTTP {status} {answer.reason or ''}".strip()
    if status == 200:
        return _classify_envelope(answer.body, task_id, request_id, validate)
    if status in (401, 403):  # a gateway's refusal of the key, without an envelope
        refused = AuthenticationError(text, code=status, task_id=task_id, request_id=request_id)
        return Verdict(Kind.STOP, error=refused, http_status=status, request_id=request_id)
    if status == 429 or status >= 500:
        delay = retry_after_seconds(answer.headers.get("Retry-After"), now=now, cap=max_retry_after)
        return Verdict(
            Kind.RETRY, problem=text, retry_after=delay, http_status=status, request_id=request_id
        )
    if 300 <= status < 400 and "Location" in answer.headers:
        target = answer.headers.get("Location", "")[:200]
        text += (
            f" (a redirect to {target!r}, not followed: the API key is only "
            "sent to the base URL; point the base URL at the API itself)"
        )
    error = TransportError(with_request_id(text, request_id), task_id=task_id, http_status=status)
    return Verdict(Kind.FINAL, error=error, http_status=status, request_id=request_id)


def _classify_envelope(
    body: bytes, task_id: str, request_id: str | None, validate: Callable[[Any], Any] | None
) -> Verdict:
    try:
        envelope = schema.parse_envelope(body)
    except schema.MalformedBodyError as error:
        return Verdict(
            Kind.RETRY, problem=f"malformed answer: {error}", http_status=200, request_id=request_id
        )
    request_id = _text_id(envelope.get("requestId")) or request_id
    code = envelope["code"]
    if code == schema.CODE_OK:
        try:
            if validate is None:
                record = schema.validate_task(envelope.get("data"), task_id=task_id)
            else:
                record = validate(envelope.get("data"))
        except ResponseValidationError as error:
            return Verdict(Kind.FINAL, error=error, http_status=200, request_id=request_id)
        return Verdict(Kind.TASK, record=record, http_status=200, request_id=request_id)
    refusal = api_error(envelope, task_id, request_id=request_id)
    if isinstance(refusal, AuthenticationError):
        return Verdict(Kind.STOP, error=refusal, http_status=200, request_id=request_id)
    if code in schema.TRANSIENT_CODES:
        return Verdict(Kind.RETRY, problem=str(refusal), http_status=200, request_id=request_id)
    return Verdict(Kind.FINAL, error=refusal, http_status=200, request_id=request_id)


def _classify_exception(error: BaseException, *, task_id: str) -> Verdict:
    if isinstance(error, AnswerTooLarge):
        # Not asked again: the same ID would bring the same oversized answer.
        final = TransportError(f"answer refused: {error}", task_id=task_id, http_status=200)
        return Verdict(Kind.FINAL, error=final, http_status=200)
    if isinstance(error, NETWORK_ERRORS):
        return Verdict(Kind.RETRY, problem=describe_network_error(error))
    final = TransportError(
        f"the request could not be made ({type(error).__name__})", task_id=task_id
    )
    return Verdict(Kind.FINAL, error=final)


def api_error(envelope: dict[str, Any], task_id: str, *, request_id: str | None = None) -> APIError:
    """The error for an envelope with a non-zero ``code``, naming the request ID."""
    code = envelope["code"]
    text = schema.envelope_text(envelope)
    return _ERROR_FOR_CODE.get(code, APIError)(
        text,
        code=code,
        task_id=task_id,
        request_id=_text_id(envelope.get("requestId")) or request_id,
    )


def describe_network_error(error: BaseException) -> str:
    """A few words for a transport failure, for the message after the last retry."""
    if isinstance(error, DeadlineExceeded):
        return str(error)
    if isinstance(error, requests.Timeout):
        return "timed out"
    if isinstance(
        error, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return "answer cut off mid-body"
    return "connection dropped or refused"


def with_request_id(text: str, request_id: str | None) -> str:
    """``text`` naming the server's request ID (support asks for it), once."""
    if request_id is None or request_id in text:
        return text
    return f"{text} (requestId {request_id})"


def _header_request_id(headers: Mapping[str, str]) -> str | None:
    return _text_id(headers.get(REQUEST_ID_HEADER) or headers.get(REQUEST_ID_HEADER.lower()))


def _text_id(value: object) -> str | None:
    """A request ID fit to show: text, at most 64 characters; None for anything else."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:64]
