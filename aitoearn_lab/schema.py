"""The API contract: envelope, task record, status canon, codes and task ID rules.

This module is shared by the client and the simulator, and imports nothing else of the package
but the exception tree. Facts here come from the endpoint's OpenAPI document (``data/``) and from
the platform's public code; the live service may be newer, so readers stay lenient (an unknown
status, an extra field or a missing one never breaks a row) while the simulator stays strict.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Final

import orjson

from aitoearn_lab.errors import ResponseValidationError

# --- paths -------------------------------------------------------------------------------------

TASK_PATH: Final = "/api/ai/video/generations/"
"""Path prefix of the endpoint; the task ID, URL-encoded, follows it."""

API_KEY_HEADER: Final = "X-Api-Key"

# --- envelope codes ------------------------------------------------------------------------------

CODE_OK: Final = 0
CODE_BAD_REQUEST: Final = 400
CODE_UNAUTHORIZED: Final = 401
CODE_INTERNAL: Final = 500
CODE_VALIDATION_FAILED: Final = 10002
CODE_INVALID_MODEL: Final = 12300
CODE_AI_CALL_FAILED: Final = 12301
CODE_INVALID_TASK_ID: Final = 12302
CODE_AI_LOG_NOT_FOUND: Final = 12303
CODE_API_KEY_INVALID: Final = 19000
CODE_RELAY_UNAVAILABLE: Final = 19001

CODE_MESSAGES: Final[Mapping[int, str]] = {
    CODE_OK: "请求成功",
    CODE_BAD_REQUEST: "Bad Request",
    CODE_UNAUTHORIZED: "Unauthorized",
    CODE_INTERNAL: "Internal Server Error",
    CODE_VALIDATION_FAILED: "参数验证失败",
    CODE_INVALID_MODEL: "无效的 AI 模型",
    CODE_AI_CALL_FAILED: "AI 调用失败",
    CODE_INVALID_TASK_ID: "无效的 AI 任务 ID",
    CODE_AI_LOG_NOT_FOUND: "AI 日志不存在",
    CODE_API_KEY_INVALID: "API Key 无效",
    CODE_RELAY_UNAVAILABLE: "中转服务不可用",
}

AUTH_CODES: Final = frozenset({CODE_UNAUTHORIZED, CODE_API_KEY_INVALID})
"""Codes that mean the key itself is refused: every other call would fail the same way."""

TRANSIENT_CODES: Final = frozenset({CODE_INTERNAL, CODE_RELAY_UNAVAILABLE})
"""Envelope codes worth asking again: the server or its relay had a bad moment."""

DEFINITIVE_CODES: Final = frozenset({CODE_OK, CODE_VALIDATION_FAILED, CODE_INVALID_TASK_ID})
"""Codes that settle a task ID for good: a task, a malformed ID, or no such task."""

# --- status canon --------------------------------------------------------------------------------

STATES: Final = ("queued", "running", "succeeded", "failed", "unknown")
"""The canonical states, in lifecycle order; ``unknown`` holds any status not recognised."""

TERMINAL_STATES: Final = frozenset({"succeeded", "failed"})

_STATE_OF_STATUS: Final[Mapping[str, str]] = {
    **dict.fromkeys(("submitted", "queued", "not_start", "pending"), "queued"),
    **dict.fromkeys(("inprogress", "running", "processing", "in_progress"), "running"),
    **dict.fromkeys(("success", "succeeded", "completed"), "succeeded"),
    **dict.fromkeys(("failure", "failed", "error", "cancelled", "canceled", "expired"), "failed"),
}


def canonical_state(status: object) -> str:
    """Map a raw ``status`` onto :data:`STATES`, case-insensitively.

    >>> canonical_state("InProgress"), canonical_state("SUCCESS"), canonical_state("paused")
    ('running', 'succeeded', 'unknown')
    """
    if not isinstance(status, str):
        return "unknown"
    return _STATE_OF_STATUS.get(status.strip().lower(), "unknown")


# --- task IDs ------------------------------------------------------------------------------------

MAX_TASK_ID_LENGTH: Final = 256
"""Longer than any ID a server would issue; longer input is rejected without a request."""

_WELL_FORMED_ID: Final = re.compile(r"[0-9a-fA-F]{24}")
_PLAIN_ID: Final = re.compile(r"[0-9A-Za-z_.-]{1,256}")
_FORBIDDEN_ID_CHARS: Final = frozenset("/?#\\")


def is_well_formed_task_id(task_id: str) -> bool:
    """True for a MongoDB ObjectId: 24 hexadecimal characters."""
    return _WELL_FORMED_ID.fullmatch(task_id) is not None


def task_id_problem(task_id: str) -> str | None:
    """Why ``task_id`` cannot be a task ID at all (no request is sent), or None if it may be.

    IDs that are merely not 24-hex are left to the server, which answers 10002: that answer is
    the authoritative one.
    """
    if _PLAIN_ID.fullmatch(task_id):  # nearly every ID: settled by one regex, not per character
        return None
    if not task_id:
        return "empty task ID"
    if len(task_id) > MAX_TASK_ID_LENGTH:
        return f"task ID is {len(task_id)} characters long (at most {MAX_TASK_ID_LENGTH})"
    for char in task_id:
        if char.isspace():
            return "task ID contains whitespace"
        if char in _FORBIDDEN_ID_CHARS:
            return f"task ID contains {char!r}, which cannot appear in a task ID"
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            return f"task ID contains the control or unassigned character U+{ord(char):04X}"
    return None


# --- envelope ------------------------------------------------------------------------------------


class MalformedBodyError(ValueError):
    """A body that is not a JSON envelope: truncated, HTML from a proxy, or not an object."""


def parse_envelope(body: bytes) -> dict[str, Any]:
    """Parse an answer body into its envelope dict, or raise :class:`MalformedBodyError`."""
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        snippet = body[:60].decode("utf-8", "replace").replace("\n", " ")
        raise MalformedBodyError(f"answer is not JSON ({error.msg}): {snippet!r}") from None
    if not isinstance(envelope, dict):
        raise MalformedBodyError(f"answer is JSON but not an object: {type(envelope).__name__}")
    code = envelope.get("code")
    if not isinstance(code, int) or isinstance(code, bool):
        raise MalformedBodyError("answer has no integer 'code': not an AiToEarn envelope")
    return envelope


def envelope_text(envelope: Mapping[str, Any]) -> str:
    """An error envelope's message (at most 300 characters), or the code's known meaning."""
    message = envelope.get("message")
    if isinstance(message, str) and message:
        return message[:300]
    return CODE_MESSAGES.get(envelope["code"], "error")


def success_envelope(data: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
    """The envelope of a successful answer (no ``timestamp``, as the server sends it)."""
    return {
        "code": CODE_OK,
        "message": CODE_MESSAGES[CODE_OK],
        "data": data,
        "requestId": request_id,
    }


def error_envelope(code: int, *, request_id: str, timestamp_ms: int) -> dict[str, Any]:
    """The envelope of an error answer: empty ``data`` and a Unix-millisecond ``timestamp``."""
    return {
        "code": code,
        "message": CODE_MESSAGES.get(code, "Error"),
        "data": {},
        "timestamp": timestamp_ms,
        "requestId": request_id,
    }


# --- task record ---------------------------------------------------------------------------------

TASK_REQUIRED: Final = ("id",)
"""The one field without which an answer is not a task: every other gap keeps the row."""
TASK_STRING_FIELDS: Final = (
    "id",
    "model",
    "status",
    "submittedAt",
    "startedAt",
    "finishedAt",
    "videoUrl",
    "coverUrl",
    "mediaId",
    "groupId",
)
TASK_FIELDS: Final = frozenset((*TASK_STRING_FIELDS, "input", "error"))
INPUT_FIELDS: Final = frozenset(
    (
        "prompt",
        "groupId",
        "image",
        "images",
        "audios",
        "duration",
        "aspectRatio",
        "resolution",
        "videoUrl",
        "videos",
        "watermark",
    )
)


def validate_task(data: object, *, task_id: str | None = None) -> dict[str, Any]:
    """Check that an answer's ``data`` is a task at all; return it unchanged.

    Strict only where there is no row to keep: ``data`` is not an object, has no string ``id``,
    or is another task than the one asked for. Everything else (a missing ``model``, a null
    ``startedAt``, an input without ``prompt``, an extra field, an unknown status, a wrong type)
    is left to the frame, which keeps the row and names the gap where it matters.

    Raises
    ------
    ResponseValidationError
        With a message naming the field and what was wrong with it.
    """
    if not isinstance(data, dict):
        raise ResponseValidationError(
            f"answer 'data' is {type(data).__name__}, expected an object", task_id=task_id
        )
    found = data.get("id")
    if found is None:
        raise ResponseValidationError("answer 'data' has no task 'id'", task_id=task_id)
    if not isinstance(found, str):
        raise ResponseValidationError(
            f"answer field 'id' is {type(found).__name__}, expected a string", task_id=task_id
        )
    if task_id is not None and found != task_id and found.lower() != task_id.lower():
        raise ResponseValidationError(
            f"answer is for task {found[:40]!r}, not the one asked for", task_id=task_id
        )
    return data
