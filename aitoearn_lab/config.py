"""Settings: API key, base URL or region, cache location, and the client's tunables.

Everything that can come from the environment is resolved here, once, so the client and the
command line agree on precedence: an explicit argument, then the environment, then the default.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar
from urllib.parse import urlsplit

from aitoearn_lab.errors import AiToEarnError, APIError, ConfigurationError

_E = TypeVar("_E", bound=AiToEarnError)

ENV_API_KEY: Final = "AITOEARN_API_KEY"
ENV_BASE_URL: Final = "AITOEARN_BASE_URL"
ENV_CACHE: Final = "AITOEARN_LAB_CACHE"

REGIONS: Final = {"intl": "https://aitoearn.ai", "cn": "https://aitoearn.cn"}
DEFAULT_REGION: Final = "intl"

DEFAULT_WORKERS: Final = 16
DEFAULT_PENDING_TTL: Final = 60.0
DEFAULT_NOT_FOUND_TTL: Final = 86400.0
"""Seconds a 12302 (no such task) answer is remembered: unknown IDs are not asked on every run."""
DEFAULT_TIMEOUT: Final = 30.0
DEFAULT_MAX_RETRIES: Final = 5
DEFAULT_BACKOFF_BASE: Final = 0.5
DEFAULT_BACKOFF_MAX: Final = 30.0
DEFAULT_MAX_RETRY_AFTER: Final = 120.0
DEFAULT_DEADLINE: Final = 120.0
"""Seconds for one whole request, body included (``timeout`` bounds each socket read)."""
DEFAULT_MAX_BODY: Final = 16 * 2**20
"""Bytes of one answer: a page of 1,000 tasks (1-2 KB each) fits several times over."""
DEFAULT_CACHE_NAME: Final = "tasks.sqlite"

CACHE_OFF_WORDS: Final = frozenset({"off", "none", "no", "false", "0", ""})


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """How the client talks to the API; every field has a ``DEFAULT_*`` beside it."""

    workers: int = DEFAULT_WORKERS
    pending_ttl: float = DEFAULT_PENDING_TTL
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_base: float = DEFAULT_BACKOFF_BASE
    backoff_max: float = DEFAULT_BACKOFF_MAX
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    max_rps: float | None = None
    deadline: float = DEFAULT_DEADLINE
    max_body: int = DEFAULT_MAX_BODY

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ConfigurationError(f"workers must be at least 1, got {self.workers}")
        if self.pending_ttl < 0:
            raise ConfigurationError(f"pending_ttl must be >= 0 seconds, got {self.pending_ttl}")
        if self.timeout <= 0:
            raise ConfigurationError(f"timeout must be > 0 seconds, got {self.timeout}")
        if self.deadline <= 0:
            raise ConfigurationError(f"deadline must be > 0 seconds, got {self.deadline}")
        if self.max_body < 1:
            raise ConfigurationError(f"max_body must be at least 1 byte, got {self.max_body}")
        if self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.max_rps is not None and self.max_rps <= 0:
            raise ConfigurationError(f"max_rps must be > 0 requests per second, got {self.max_rps}")


def resolve_api_key(api_key: str | None) -> str:
    """The key given, else ``AITOEARN_API_KEY``; a clear error if neither holds one."""
    key = api_key if api_key is not None else os.environ.get(ENV_API_KEY)
    key = (key or "").strip()
    if not key:
        raise ConfigurationError(
            f"no API key: pass api_key=... or set {ENV_API_KEY} "
            "(keys are made in the AiToEarn Open Platform console)"
        )
    if any(char.isspace() or not char.isprintable() for char in key):
        raise ConfigurationError("the API key contains whitespace or control characters")
    return key


def resolve_base_url(base_url: str | None, region: str | None) -> str:
    """The base URL given, else ``AITOEARN_BASE_URL``, else the region's site."""
    url = base_url or os.environ.get(ENV_BASE_URL)
    if not url:
        region = region or DEFAULT_REGION
        if region not in REGIONS:
            raise ConfigurationError(f"region must be one of {sorted(REGIONS)}, got {region!r}")
        return REGIONS[region]
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"base URL must look like https://host[:port], got {url.strip()[:80]!r}"
        )
    return url.strip().rstrip("/")


def default_cache_path() -> Path:
    """The user's cache directory for this tool, e.g. ``~/.cache/aitoearn-lab/tasks.sqlite``."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("aitoearn-lab", appauthor=False)) / DEFAULT_CACHE_NAME


def resolve_cache_path(cache: str | os.PathLike[str] | bool | None) -> Path | None:
    """Where the cache lives, or None when it is off.

    ``cache`` may be a path, ``False`` (off), or None / ``True`` for ``AITOEARN_LAB_CACHE`` or the
    user's cache directory. The environment variable may say ``off`` too.
    """
    if cache is False:
        return None
    if cache is None or cache is True:
        from_env = os.environ.get(ENV_CACHE)
        if from_env is None:
            return default_cache_path()
        if from_env.strip().lower() in CACHE_OFF_WORDS:
            return None
        return Path(from_env).expanduser()
    return Path(cache).expanduser()


def mask_key(api_key: str) -> str:
    """A form of the key fit for a repr or a log line: its prefix and last four characters."""
    if len(api_key) <= 8:
        return "***"
    prefix = api_key[:3] if api_key.startswith("ai_") else ""
    return f"{prefix}…{api_key[-4:]}"


def redact_key(text: str, api_key: str, *, shortest: int = 8) -> str:
    """``text`` with the key, and any run of ``shortest`` or more of its characters, as ``***``.

    For messages built from what a server sent: a server (or a proxy in front of it) may echo
    the key back, whole or cut short, in an error message, a request ID or a page.

    >>> redact_key("unknown key ai_0123456789abcdef", "ai_0123456789abcdefXYZ")
    'unknown key ***'
    """
    if not api_key or not text:
        return text
    if len(api_key) < shortest:
        return text.replace(api_key, "***")
    # Any run of `shortest` key characters holds one of these aligned blocks whole: a quick
    # way to pass the common message that holds none.
    block = shortest // 2
    if not any(api_key[i : i + block] in text for i in range(0, len(api_key) - block + 1, block)):
        return text
    pieces: list[str] = []
    start = index = 0
    while index <= len(text) - shortest:
        if text[index : index + shortest] in api_key:
            end = index + shortest
            while end < len(text) and text[index : end + 1] in api_key:
                end += 1
            pieces += (text[start:index], "***")
            start = index = end
        else:
            index += 1
    pieces.append(text[start:])
    return "".join(pieces)


def redact_error(error: _E, api_key: str) -> _E:
    """``error`` with the key cleared from its message and its fields (see :func:`redact_key`)."""
    error.args = tuple(redact_key(a, api_key) if isinstance(a, str) else a for a in error.args)
    if isinstance(error, APIError):
        error.api_message = redact_key(error.api_message, api_key)
        error.request_id = error.request_id and redact_key(error.request_id, api_key)
    return error


def key_scope(api_key: str, base_url: str) -> str:
    """A short one-way tag of (key, site) that scopes cache entries; the key is not recoverable."""
    digest = hashlib.sha256(f"aitoearn-lab\0{base_url}\0{api_key}".encode()).hexdigest()
    return digest[:24]
