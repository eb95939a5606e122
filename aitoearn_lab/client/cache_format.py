"""The stored form of one answer: cache keys, the serializer, writing and reading a document."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import requests
from requests_cache.serializers.cattrs import CattrStage
from requests_cache.serializers.pipeline import SerializerPipeline, Stage

_KEPT_RESPONSE_HEADERS: Final = ("Content-Type", "Date", "X-Request-Id")


def _make_serializer() -> SerializerPipeline:
    """requests-cache's JSON serializer, compact, with the body stored as a JSON object."""
    from cattrs.preconf.json import make_converter

    stage = CattrStage(make_converter, decode_content=True)
    # As requests-cache does for JSON: bytes as base64 (cattrs' default base85 is slow).
    stage.converter.register_unstructure_hook(
        bytes, lambda v: base64.b64encode(v).decode() if v else None
    )
    stage.converter.register_structure_hook(
        bytes, lambda v, _: base64.b64decode(v.encode()) if v else b""
    )
    return SerializerPipeline(
        [stage, Stage(dumps=lambda obj: orjson.dumps(obj).decode(), loads=orjson.loads)],
        name="aitoearn-json",
        is_binary=False,
    )


SERIALIZER: Final = _make_serializer()
"""The serializer of the cache file; pass it to ``requests_cache.CachedSession`` to read it."""


def cache_key(scope: str, task_id: str) -> str:
    """The key of one task's answer within one scope."""
    return f"aitoearn:{scope}:{task_id}"


def key_function(scope: str) -> Callable[..., str]:
    """A requests-cache ``key_fn`` that finds the cache's entries for a task URL."""

    def key_fn(request: Any, **_: Any) -> str:
        task_id = unquote(urlsplit(request.url).path.rsplit("/", 1)[-1])
        return cache_key(scope, task_id)

    return key_fn


def stored_value(
    response: requests.Response, *, created_at: float, expires_at: float | None
) -> bytes:
    """The stored form of one answer: what :data:`SERIALIZER` writes for it, built directly.

    ``SERIALIZER.dumps(CachedResponse.from_response(response))`` costs about 0.2 ms of CPU per
    answer (attrs copies, a cattrs walk, a body decoded only to be encoded again); this builds
    the same document (same keys, same values, defaults left out as cattrs leaves them out) in
    about 10 µs. The body, already parsed by the caller, goes in as it came, through
    ``orjson.Fragment``. Request headers are left out: the API key travels in one.

    The value is UTF-8 bytes (a BLOB, which requests-cache reads as well as text): SQLite then
    hands it back without decoding it to ``str``, and orjson parses bytes without encoding them
    again, a quarter of the cost of reading an answer.

    Parameters
    ----------
    response
        A 200 answer whose body the caller has parsed as JSON.
    created_at, expires_at
        Unix seconds; ``expires_at`` None for an answer kept for good.
    """
    document: dict[str, Any] = {"created_at": _iso(created_at)}
    elapsed = response.elapsed.total_seconds() if response.elapsed else 0.0
    if elapsed:
        document["elapsed"] = elapsed
    if response.encoding is not None:
        document["encoding"] = response.encoding
    if expires_at is not None:
        document["expires"] = _iso(expires_at)
    headers = response.headers
    document["headers"] = {
        name: headers[name] for name in _KEPT_RESPONSE_HEADERS if name in headers
    }
    if response.reason is not None:
        document["reason"] = response.reason
    request = response.request
    if request is not None:
        document["request"] = {
            name: value
            for name, value in (("method", request.method), ("url", request.url))
            if value is not None
        }
    document["status_code"] = response.status_code
    if response.url is not None:
        document["url"] = response.url
    body = response.content
    if _is_json_content_type(headers.get("Content-Type")):
        document["_decoded_content"] = orjson.Fragment(body)
    elif (headers.get("Content-Type") or "").startswith("text/"):
        document["_decoded_content"] = response.text
    elif body:  # as requests-cache keeps a body it cannot decode: base64 under _content
        document["_content"] = base64.b64encode(body).decode()
    return orjson.dumps(document)


def _iso(unix_seconds: float) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).isoformat()


def _is_json_content_type(content_type: str | None) -> bool:
    """requests-cache's own rule for a body it stores decoded (``application/...json...``)."""
    return bool(content_type and content_type.startswith("application/") and "json" in content_type)


def decode_stored(value: str | bytes) -> tuple[dict[str, Any], Any, str | None, int] | None:
    """A stored value -> the task record inside it, when it was stored, the server's request ID
    (the envelope's ``requestId``, else the ``X-Request-Id`` header) and the envelope code.

    None if unusable. An answer of code 12302 (no such task) is stored too: its record is the
    error envelope itself, so the caller can name the error as the server worded it.
    """
    try:
        document = orjson.loads(value)
        body = document.get("_decoded_content")
        if not isinstance(body, dict):  # stored in another form: let requests-cache decode it
            body = SERIALIZER.loads(value).json()
        code = body.get("code", 0)
        record = body["data"] if code == 0 else body
        created_at = document["created_at"]
    except Exception:  # a damaged entry is a cache miss, never an error
        return None
    if not isinstance(record, dict) or not isinstance(code, int):
        return None
    request_id = body.get("requestId")
    if not isinstance(request_id, str):
        headers = document.get("headers")
        request_id = headers.get("X-Request-Id") if isinstance(headers, dict) else None
    request_id = request_id[:64] if isinstance(request_id, str) else None
    return record, created_at, request_id, code


class SyntheticAnswer:
    """An answer the server gave, rebuilt from what was kept of it, for :func:`stored_value`.

    Used where no ``requests.Response`` of its own exists: a task listed on a page (stored as
    the answer to its own GET, so ``fetch`` and requests-cache read it like any other) and a
    12302 (no such task), kept without its raw bytes.
    """

    __slots__ = ("content", "elapsed", "encoding", "headers", "reason", "request", "url")
    status_code = 200

    def __init__(
        self,
        url: str,
        body: bytes,
        *,
        headers: dict[str, str],
        elapsed_s: float,
        reason: str | None,
    ) -> None:
        self.url = url
        self.content = body
        self.headers = headers
        self.elapsed = timedelta(seconds=elapsed_s)
        self.encoding = "utf-8"
        self.reason = reason
        self.request = _Request(url)


class _Request:
    __slots__ = ("url",)
    method = "GET"

    def __init__(self, url: str) -> None:
        self.url = url


def unix_seconds(stamps: list[Any]) -> list[float]:
    """ISO 8601 times (UTC when no offset is given) -> Unix seconds; NaN where unreadable.

    Arrow reads the usual form (``2026-07-02T12:00:00.123456+00:00``) for all answers in one
    pass; anything else is read one by one.
    """
    try:
        parsed = pc.cast(pa.array(stamps, type=pa.string()), pa.timestamp("us", tz="UTC"))
        if parsed.null_count == 0:
            micros = parsed.cast(pa.int64()).to_numpy()
            return (micros / 1e6).tolist()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    return [_one_unix_second(stamp) for stamp in stamps]


def _one_unix_second(stamp: Any) -> float:
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return math.nan
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
