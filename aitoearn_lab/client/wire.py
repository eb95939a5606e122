"""One GET over the wire, bounded: a size cap on the body, an overall deadline, sockets closed.

``timeout`` bounds each socket read, so a server that trickles a byte at a time could hold a
request for ever; here the body is read in pieces as they arrive and the whole exchange is held
to ``deadline`` seconds of the injected clock (checked between reads, so the worst case is the
deadline plus one read timeout; the head of the answer is held to the deadline by
:mod:`aitoearn_lab.client.watchdog` on the sessions this package makes). A body larger than
``max_body`` bytes is refused as soon as its ``Content-Length`` says so, or as soon as that many
bytes have been read, instead of growing in memory. Whenever the body is not read to its end
the connection is closed at once, not left to the garbage collector.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping

import requests

from aitoearn_lab.client.classify import (
    AnswerTooLarge,
    DeadlineExceeded,
    Reply,
)
from aitoearn_lab.client.watchdog import deadline as watched_for

_PIECE = 256 * 1024  # the most read from the socket at once


def new_request_id() -> str:
    """A fresh random request ID (32 hex digits) for one attempt; nothing of the key in it."""
    return secrets.token_hex(16)


def exchange(
    session: requests.Session,
    url: str,
    *,
    headers: Mapping[str, str],
    timeout: float,
    deadline: float,
    max_body: int,
    clock: Callable[[], float],
) -> Reply:
    """GET ``url`` and read the whole answer within ``max_body`` bytes and ``deadline`` seconds.

    Parameters
    ----------
    session
        Any ``requests.Session``; ``headers`` go with this request only, never into the session.
    url
        Redirects are not followed: the key must only ever go to the base URL.
    headers
        Request headers (the key, the request ID).
    timeout
        Seconds for each socket read (and at most 10 for the connection).
    deadline
        Seconds, by ``clock``, for the whole exchange.
    max_body
        Bytes of (decoded) body accepted.
    clock
        The injected clock.

    Raises
    ------
    requests.RequestException
        As ``requests`` raises it; :class:`AnswerTooLarge` past ``max_body``;
        :class:`DeadlineExceeded` past ``deadline``.
    """
    started = clock()
    with watched_for(deadline) as cut_at:
        try:
            response = session.get(
                url,
                headers=dict(headers),
                timeout=(min(timeout, 10.0), timeout),
                allow_redirects=False,
                stream=True,
            )
        except requests.ConnectionError as error:
            if time.monotonic() >= cut_at:  # the watchdog cut a head that was still trickling
                raise DeadlineExceeded(_late(deadline)) from error
            raise
    if time.monotonic() >= cut_at:  # a head cut short can still parse: it is not an answer
        response.close()
        raise DeadlineExceeded(_late(deadline))
    try:
        body = _read_body(
            response, started=started, deadline=deadline, max_body=max_body, clock=clock
        )
    except BaseException:
        response.close()  # the body was not read to its end: this connection cannot be reused
        raise
    # As ``response.content`` would hold it, so the cache can store this response as usual.
    response._content = body
    response._content_consumed = True  # type: ignore[attr-defined]
    response.close()  # read to the end: the connection goes back to the pool
    return Reply(
        status=response.status_code,
        reason=response.reason or "",
        headers=response.headers,
        body=body,
        response=response,
    )


def _read_body(
    response: requests.Response,
    *,
    started: float,
    deadline: float,
    max_body: int,
    clock: Callable[[], float],
) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_body:
        raise AnswerTooLarge(_too_large(max_body, f"{int(declared):,} bytes announced"))
    pieces: list[bytes] = []
    size = 0
    raw = response.raw
    while True:
        _check_deadline(started, deadline, clock)
        try:
            piece = raw.read1(_PIECE, decode_content=True)
        except Exception as error:
            # In the words of requests, so the retry rules read them as they read the rest.
            raise _as_requests_error(error) from error
        if not piece:
            return b"".join(pieces)
        size += len(piece)
        if size > max_body:
            raise AnswerTooLarge(_too_large(max_body, f"more than {max_body:,} bytes read"))
        pieces.append(piece)


def _check_deadline(started: float, deadline: float, clock: Callable[[], float]) -> None:
    if clock() - started > deadline:
        raise DeadlineExceeded(_late(deadline))


def _late(deadline: float) -> str:
    return f"the answer took longer than the {deadline:g} s deadline"


def _too_large(max_body: int, seen: str) -> str:
    return f"the body is larger than the {max_body / 2**20:g} MiB cap ({seen})"


def _as_requests_error(error: Exception) -> requests.RequestException:
    from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

    if isinstance(error, ReadTimeoutError):
        return requests.exceptions.ReadTimeout(error)
    if isinstance(error, DecodeError):
        return requests.exceptions.ContentDecodingError(error)
    if isinstance(error, ProtocolError):
        return requests.exceptions.ChunkedEncodingError(error)
    if isinstance(error, OSError):
        return requests.ConnectionError(error)
    return requests.RequestException(error)
