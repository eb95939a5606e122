"""What one answer means, decided by the pure ``classify``: values in, a verdict out."""

from __future__ import annotations

from email.utils import formatdate
from typing import Any

import orjson
import pytest
import requests

from aitoearn_lab import schema
from aitoearn_lab.client.classify import (
    AnswerTooLarge,
    DeadlineExceeded,
    Kind,
    Reply,
    Verdict,
    classify,
)
from aitoearn_lab.errors import (
    AuthenticationError,
    InvalidTaskIdError,
    ResponseValidationError,
    TaskNotFoundError,
    TransportError,
)
from tests.support import ANCHOR
from tests.support.records import record

TASK = record(1, "veo3", "succeeded", submitted=0, finished=60)
TASK_ID = TASK["id"]


def judge(answer: Reply | BaseException, *, now: float = ANCHOR) -> Verdict:
    return classify(answer, task_id=TASK_ID, now=now, max_retry_after=60.0)


def answer(body: dict[str, Any] | bytes, *, status: int = 200, **headers: str) -> Reply:
    payload = body if isinstance(body, bytes) else orjson.dumps(body)
    return Reply(status=status, reason="Reason", headers=headers, body=payload)


def envelope(code: int, data: object = None, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": schema.CODE_MESSAGES.get(code, "x"), "data": data, **extra}


def test_a_task_is_done_and_keeps_the_servers_request_id() -> None:
    verdict = judge(answer(envelope(0, TASK, requestId="abc123")))
    assert verdict.kind is Kind.TASK
    assert verdict.record["id"] == TASK_ID
    assert verdict.request_id == "abc123"


def test_the_request_id_header_stands_in_for_a_missing_envelope_field() -> None:
    verdict = judge(answer(envelope(0, TASK), **{"X-Request-Id": "from-header"}))
    assert verdict.request_id == "from-header"
    # The envelope's own field wins when both are there.
    both = judge(answer(envelope(0, TASK, requestId="body"), **{"X-Request-Id": "header"}))
    assert both.request_id == "body"


@pytest.mark.parametrize(
    ("code", "error_type"),
    [
        (schema.CODE_INVALID_TASK_ID, TaskNotFoundError),
        (schema.CODE_VALIDATION_FAILED, InvalidTaskIdError),
    ],
)
def test_definitive_api_errors_end_the_id_and_name_the_request_id(
    code: int, error_type: type[Exception]
) -> None:
    verdict = judge(answer(envelope(code, requestId="r-42")))
    assert verdict.kind is Kind.FINAL
    assert isinstance(verdict.error, error_type)
    assert "r-42" in str(verdict.error)


def test_a_sparse_task_is_kept_and_data_that_is_no_task_is_final() -> None:
    # A record with the asked-for id is a task, however sparse: its gaps are named in the frame.
    assert judge(answer(envelope(0, {"id": TASK_ID}))).kind is Kind.TASK
    for data in ([TASK_ID], {"model": "m"}, {"id": "0" * 24}):
        verdict = judge(answer(envelope(0, data)))
        assert verdict.kind is Kind.FINAL, data
        assert isinstance(verdict.error, ResponseValidationError)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, envelope(schema.CODE_API_KEY_INVALID)),
        (200, envelope(schema.CODE_UNAUTHORIZED)),
        (401, b"no"),
        (403, b"<html>forbidden by the gateway</html>"),
    ],
)
def test_a_refused_key_stops_the_batch(status: int, body: dict[str, Any] | bytes) -> None:
    verdict = judge(answer(body, status=status))
    assert verdict.kind is Kind.STOP
    assert isinstance(verdict.error, AuthenticationError)
    assert "check the API key" in str(verdict.error)


@pytest.mark.parametrize(
    "reply",
    [
        answer(b"", status=503),
        answer(b"", status=429),
        answer(b"{not json", status=200),
        answer(envelope(schema.CODE_INTERNAL)),
        answer(envelope(schema.CODE_RELAY_UNAVAILABLE)),
    ],
)
def test_faults_are_retried(reply: Reply) -> None:
    verdict = judge(reply)
    assert verdict.kind is Kind.RETRY
    assert verdict.problem


def test_retry_after_as_an_http_date_is_measured_from_the_injected_clock() -> None:
    # Seven seconds after the anchor (a date in 2026): only the given `now` makes it 7 seconds.
    stamp = formatdate(ANCHOR + 7, usegmt=True)
    verdict = judge(answer(b"", status=429, **{"Retry-After": stamp}), now=ANCHOR)
    assert verdict.retry_after == pytest.approx(7.0)
    later = judge(answer(b"", status=429, **{"Retry-After": stamp}), now=ANCHOR + 5)
    assert later.retry_after == pytest.approx(2.0)
    assert judge(answer(b"", status=503, **{"Retry-After": "3"})).retry_after == 3.0


def test_a_redirect_or_a_404_is_final_and_says_why() -> None:
    moved = judge(answer(b"", status=302, Location="https://elsewhere.example/x"))
    assert moved.kind is Kind.FINAL and "not followed" in str(moved.error)
    missing = judge(answer(b"", status=404, **{"X-Request-Id": "r404"}))
    assert isinstance(missing.error, TransportError) and missing.error.http_status == 404
    assert str(missing.error) == "HTTP 404 Reason (requestId r404)"


@pytest.mark.parametrize(
    ("error", "kind", "words"),
    [
        (requests.ReadTimeout("slow"), Kind.RETRY, "timed out"),
        (requests.ConnectionError("reset"), Kind.RETRY, "connection dropped"),
        (requests.exceptions.ChunkedEncodingError("cut"), Kind.RETRY, "cut off"),
        (DeadlineExceeded("the answer took longer than the 5 s deadline"), Kind.RETRY, "deadline"),
        (AnswerTooLarge("the body is larger than the 16 MiB cap"), Kind.FINAL, "16 MiB cap"),
        (requests.exceptions.InvalidURL("bad"), Kind.FINAL, "could not be made"),
    ],
)
def test_transport_failures(error: BaseException, kind: Kind, words: str) -> None:
    verdict = judge(error)
    assert verdict.kind is kind
    assert words in (verdict.problem or str(verdict.error))
