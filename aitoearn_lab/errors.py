"""The one exception tree of aitoearn_lab.

::

    AiToEarnError                   every error this package raises on purpose
    ├── ConfigurationError          settings that cannot work: no API key, unknown region, bad URL
    ├── CacheError                  the cache file cannot be read or written
    ├── TransportError              no usable answer after the retries (HTTP status, network, body)
    ├── ResponseValidationError     an answer that breaks the API contract
    └── APIError                    the API answered with a non-zero envelope ``code``
        ├── AuthenticationError     401 / 403 / 19000: missing, unknown or disabled API key
        ├── InvalidTaskIdError      10002: not a well-formed task ID (also raised locally)
        ├── TaskNotFoundError       12302: well-formed, but no such task for this key
        └── ListingUnavailableError code 404: the server has no list endpoint (use fetch by ID)

Every error carries its context (task ID, code, request ID) as attributes. None of them ever
carries the API key: messages are built from the answer, never from the request headers.
"""

from __future__ import annotations

__all__ = [
    "APIError",
    "AiToEarnError",
    "AuthenticationError",
    "CacheError",
    "ConfigurationError",
    "InvalidTaskIdError",
    "ListingUnavailableError",
    "ResponseValidationError",
    "TaskNotFoundError",
    "TransportError",
]


class AiToEarnError(Exception):
    """Root of every error raised on purpose by aitoearn_lab."""


class ConfigurationError(AiToEarnError, ValueError):
    """Settings that cannot work: a missing API key, an unknown region, a bad base URL."""


class CacheError(AiToEarnError):
    """The cache file cannot be used; the message names the file and the way out."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class TransportError(AiToEarnError):
    """No usable answer for a task after every retry.

    Raised for HTTP errors (5xx, 429), dropped connections, timeouts and malformed bodies.
    """

    def __init__(
        self, message: str, *, task_id: str | None = None, http_status: int | None = None
    ) -> None:
        super().__init__(message)
        self.task_id = task_id
        self.http_status = http_status


class ResponseValidationError(AiToEarnError):
    """An answer whose ``data`` breaks the API contract (a required field missing, a wrong type)."""

    def __init__(self, message: str, *, task_id: str | None = None) -> None:
        super().__init__(message)
        self.task_id = task_id


class APIError(AiToEarnError):
    """The API answered with a non-zero envelope ``code``."""

    def __init__(
        self,
        message: str,
        *,
        code: int,
        task_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.task_id = task_id
        self.request_id = request_id
        self.api_message = message

    def __str__(self) -> str:
        where = f" for task {self.task_id!r}" if self.task_id is not None else ""
        request = f" (requestId {self.request_id})" if self.request_id else ""
        return f"API error {self.code}{where}: {self.api_message}{request}"


class AuthenticationError(APIError):
    """401, 403 or 19000: the key is missing, unknown, disabled or refused by a gateway; every
    other call would fail too."""

    def __str__(self) -> str:
        request = f" (requestId {self.request_id})" if self.request_id else ""
        return (
            f"authentication failed (code {self.code}: {self.api_message}){request}; check the "
            "API key in AITOEARN_API_KEY and that it belongs to this site (aitoearn.ai or .cn)"
        )


class InvalidTaskIdError(APIError):
    """10002: the task ID is not well formed (24 hexadecimal characters)."""


class TaskNotFoundError(APIError):
    """12302: the task ID is well formed, but this key owns no such video task."""


class ListingUnavailableError(APIError):
    """Code 404 on the list endpoint: this server cannot list tasks; fetch them by ID instead."""

    def __str__(self) -> str:
        request = f" (requestId {self.request_id})" if self.request_id else ""
        return (
            f"this server has no task list endpoint (code {self.code}: {self.api_message}){request}"
            "; sync cannot work here: fetch the tasks by ID instead (aitoearn-lab fetch "
            "--ids-file ids.txt, or Client.fetch(ids))"
        )
