"""What a cache file holds, scope by scope: for ``cache info`` and ``cache clear``."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import orjson

from aitoearn_lab.client.cache import DEFAULT_LOCK_TIMEOUT


class StoredScope(NamedTuple):
    """What a cache file holds for one scope (a key and a site): its site and a count."""

    scope: str
    site: str
    answers: int


def stored_scopes(path: str | Path) -> list[StoredScope]:
    """Every scope a cache file holds answers for, with its site (read from a stored answer).

    The key cannot be read back (a scope is a one-way hash), but each answer keeps the URL it
    came from, so ``cache info`` can say which sites the file holds. A missing file holds none.
    """
    path = Path(path)
    if not path.exists():
        return []
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=DEFAULT_LOCK_TIMEOUT)
    except sqlite3.Error:
        return []
    try:
        rows = connection.execute(
            "SELECT substr(key, 10, instr(substr(key, 10), ':') - 1) AS scope, COUNT(*), MIN(key)"
            " FROM responses WHERE key LIKE 'aitoearn:%' GROUP BY scope ORDER BY scope"
        ).fetchall()
        found = []
        for scope, count, first in rows:
            (value,) = connection.execute(
                "SELECT value FROM responses WHERE key = ?", (first,)
            ).fetchone()
            found.append(StoredScope(scope, _site_of(value), int(count)))
    except sqlite3.Error:
        return []
    finally:
        connection.close()
    return found


def _site_of(value: str | bytes) -> str:
    """The scheme and host a stored answer came from, or ``?`` when it does not say."""
    try:
        url = orjson.loads(value).get("url") or ""
    except (orjson.JSONDecodeError, AttributeError):
        return "?"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "?"
