"""Envelopes as the public code words them: English or Chinese messages, request IDs, timestamps."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Final

from aitoearn_lab import schema

REQUEST_ID_HEADER: Final = "X-Request-Id"
REQUEST_ID_LENGTH: Final = 21
_REQUEST_ID_ALPHABET: Final = "0123456789abcdefghijklmnopqrstuvwxyz"
_MAX_ECHOED_ID: Final = 200
"""A client's own request ID is echoed back, but not without limit."""

MESSAGES_EN: Final[Mapping[int, str]] = {
    schema.CODE_OK: "Success",
    schema.CODE_BAD_REQUEST: "Bad Request",
    schema.CODE_UNAUTHORIZED: "Unauthorized",
    schema.CODE_INTERNAL: "Internal Server Error",
    schema.CODE_VALIDATION_FAILED: "Validation failed",
    schema.CODE_INVALID_MODEL: "Invalid AI model",
    schema.CODE_AI_CALL_FAILED: "AI call failed",
    schema.CODE_INVALID_TASK_ID: "Invalid AI task ID",
    schema.CODE_AI_LOG_NOT_FOUND: "AI log not found",
    schema.CODE_API_KEY_INVALID: "API key invalid",
    schema.CODE_RELAY_UNAVAILABLE: "Relay server unavailable",
}
"""English is the server's default language; the Chinese words are ``schema.CODE_MESSAGES``."""


def wants_chinese(accept_language: str | None) -> bool:
    """True when the client's first language is Chinese (``Accept-Language: zh-CN``)."""
    if not accept_language:
        return False
    first = accept_language.split(",", 1)[0].split(";", 1)[0].strip().lower()
    return first == "zh" or first.startswith("zh-")


def message(code: int, *, chinese: bool) -> str:
    """The envelope's ``message`` for ``code`` in the language asked for."""
    table = schema.CODE_MESSAGES if chinese else MESSAGES_EN
    return table.get(code, "Error")


def request_id(client_id: str | None = None) -> str:
    """The client's own ``X-Request-Id`` if it sent one, else 21 characters of ``[0-9a-z]``."""
    if client_id and client_id.strip():
        return client_id.strip()[:_MAX_ECHOED_ID]
    return "".join(secrets.choice(_REQUEST_ID_ALPHABET) for _ in range(REQUEST_ID_LENGTH))


def success(data: Any, *, request_id: str, chinese: bool) -> dict[str, Any]:
    """A success envelope: no ``timestamp``, as the server sends it."""
    return {
        "code": schema.CODE_OK,
        "message": message(schema.CODE_OK, chinese=chinese),
        "data": data,
        "requestId": request_id,
    }


def error(
    code: int, *, request_id: str, now: float, chinese: bool, text: str | None = None
) -> dict[str, Any]:
    """An error envelope: empty ``data`` and a Unix-millisecond ``timestamp`` from the clock."""
    return {
        "code": code,
        "message": text if text is not None else message(code, chinese=chinese),
        "data": {},
        "timestamp": int(now * 1000),
        "requestId": request_id,
    }
