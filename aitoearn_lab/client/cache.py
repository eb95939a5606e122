"""The answer cache: a requests-cache SQLite file, read in bulk and written one answer at a time.

The file is an ordinary requests-cache database (tables ``responses`` and ``redirects``, values
serialised by :data:`SERIALIZER`), so ``requests_cache.CachedSession(path,
serializer=SERIALIZER, key_fn=key_function(scope))`` opens it. What this module adds:

- **Status-aware freshness, decided when reading.** An answer for a finished task (SUCCESS,
  FAILURE) is kept for good; one for an unfinished task is used only while younger than the
  caller's ``pending_ttl``. Deciding at read time means ``--pending-ttl 0`` works on old entries.
- **Scoped keys.** Keys are ``aitoearn:<scope>:<task id>``, where the scope is a one-way hash of
  the API key and site: two keys never see each other's entries.
- **No secret on disk.** requests-cache's own redaction list matches header names
  case-sensitively and misses ``X-Api-Key``; request headers are dropped here instead.
- **One row per task.** A newer answer replaces the older one (``INSERT OR REPLACE``).
- **Bulk reads.** Freshly fetched answers are few; warm reloads of 100,000 are common. Reading
  the table with one query per 500 IDs (or one scan of the scope when most of it is asked for)
  and parsing the stored JSON directly is tens of times faster than asking a ``CachedSession``
  for each URL.
- **Cheap writes.** The stored document is built directly (:func:`stored_value`), the same one
  the serializer would write, at about a twentieth of the cost.
- **Clear failures.** A corrupt file is moved aside and rebuilt (with a warning naming both
  files); a locked or unwritable one raises :class:`CacheError` naming the file and the way out.

The stored document itself (keys, serializer, writing and reading one answer) is defined in
:mod:`aitoearn_lab.client.cache_format`.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, NamedTuple
from urllib.parse import urlsplit

import orjson
import requests

from aitoearn_lab._gc import collector_paused
from aitoearn_lab.client.cache_format import SERIALIZER as SERIALIZER  # re-exported: opens the file
from aitoearn_lab.client.cache_format import cache_key, decode_stored, stored_value, unix_seconds
from aitoearn_lab.client.cache_format import (
    key_function as key_function,  # re-exported: opens the file
)
from aitoearn_lab.errors import CacheError
from aitoearn_lab.schema import TERMINAL_STATES, canonical_state

DEFAULT_LOCK_TIMEOUT: Final = 10.0
"""Seconds to wait for another process's write before calling the file locked."""

_CHUNK: Final = 500
_SCAN_FROM: Final = 2_000  # IDs asked at once from which a range scan may beat keyed lookups


class CacheRecoveryWarning(UserWarning):
    """The cache file was unreadable and has been moved aside; a new one was started."""


class CachedAnswer(NamedTuple):
    """A task record as stored, with when it was fetched (a tuple: 100,000 are made at once)."""

    record: dict[str, Any]
    fetched_at: float
    terminal: bool

    def is_fresh(self, now: float, pending_ttl: float) -> bool:
        """Finished tasks never change; unfinished ones are asked again after ``pending_ttl``.

        An answer stamped later than ``now`` (the clock was set back, or the file came from a
        machine whose clock ran fast) cannot be aged, so an unfinished task is asked again.
        """
        return self.terminal or 0 <= (now - self.fetched_at) < pending_ttl


class TaskCache:
    """One cache file, seen through one scope (a key and a site).

    Parameters
    ----------
    path
        The SQLite file; created with its folder if missing.
    scope
        From :func:`aitoearn_lab.config.key_scope`; never the key itself.
    lock_timeout
        Seconds to wait for another writer before raising :class:`CacheError`.
    """

    def __init__(
        self, path: str | Path, *, scope: str, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> None:
        self.path = Path(path)
        self.scope = scope
        self.lock_timeout = lock_timeout
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None
        self._open()

    # --- opening, and what to do when the file is bad ---------------------------------------------

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise self._error(
                f"cannot create its folder ({error.strerror or error})", writable=True
            ) from None
        try:
            self._connection = self._connect()
        except sqlite3.DatabaseError as error:
            if _is_corruption(error):
                self._rebuild(error)
                self._connection = self._connect()
            else:
                raise self._translate(error) from None

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path, timeout=self.lock_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            self._prepare(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _prepare(self, connection: sqlite3.Connection) -> None:
        # Openers racing on a new file can be refused a lock at once, without SQLite's busy
        # wait (switching to WAL, or a read turning into a write another opener just made):
        # try again, briefly, until the lock timeout.
        deadline = time.monotonic() + self.lock_timeout
        pause = 0.002
        while True:
            try:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
                # The tables requests-cache creates, so its CachedSession can open this file.
                for table in ("responses", "redirects"):
                    connection.execute(
                        f"CREATE TABLE IF NOT EXISTS {table} "
                        "(key TEXT PRIMARY KEY, value BLOB, expires INTEGER)"
                    )
                connection.execute("CREATE INDEX IF NOT EXISTS expires_idx ON responses(expires)")
                return
            except sqlite3.OperationalError as error:
                text = str(error).lower()
                if not ("locked" in text or "busy" in text) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    def _rebuild(self, error: BaseException) -> None:
        """Move an unreadable file aside (never delete it) and start a new one."""
        self._close_connection()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        try:
            self.path.replace(aside)
            for suffix in ("-wal", "-shm"):
                extra = self.path.with_name(self.path.name + suffix)
                if extra.exists():
                    extra.replace(aside.with_name(aside.name + suffix))
        except OSError as move_error:
            raise self._error(
                f"is unreadable ({error}) and could not be moved aside ({move_error})"
            ) from None
        warnings.warn(
            f"cache file {self.path} was unreadable ({error}); it was moved to {aside} and a new "
            "cache was started. Answers are fetched again as needed.",
            CacheRecoveryWarning,
            stacklevel=4,
        )

    def _error(self, problem: str, *, writable: bool = False) -> CacheError:
        way_out = (
            "choose another place with --cache PATH (or AITOEARN_LAB_CACHE), or run with --no-cache"
            if writable
            else "wait for the other program to finish, or use --cache PATH or --no-cache"
        )
        return CacheError(f"cache file {self.path} {problem}; {way_out}", path=str(self.path))

    def _translate(self, error: sqlite3.Error) -> CacheError:
        text = str(error).lower()
        if "locked" in text or "busy" in text:
            return self._error(f"is locked by another program (waited {self.lock_timeout:g} s)")
        if "readonly" in text or "unable to open" in text or "disk i/o" in text or "full" in text:
            return self._error(f"cannot be written ({error})", writable=True)
        return self._error(f"cannot be used ({error})", writable=True)

    @contextmanager
    def _using(self) -> Iterator[sqlite3.Connection]:
        """The connection, with sqlite errors turned into one clear :class:`CacheError`."""
        with self._lock:
            if self._connection is None:
                raise CacheError(f"cache file {self.path} is closed", path=str(self.path))
            try:
                yield self._connection
            except sqlite3.DatabaseError as error:
                if _is_corruption(error):
                    self._rebuild(error)
                    self._connection = self._connect()
                    raise _Rebuilt from None
                raise self._translate(error) from None
            except sqlite3.Error as error:
                raise self._translate(error) from None

    # --- reading ---------------------------------------------------------------------------------

    def lookup(self, task_ids: Sequence[str]) -> dict[str, CachedAnswer]:
        """Every stored answer among ``task_ids`` (fresh or not), in bulk."""
        found: dict[str, CachedAnswer] = {}
        prefix_length = len(cache_key(self.scope, ""))
        keys: list[str] = []
        records: list[dict[str, Any]] = []
        stamps: list[Any] = []
        try:
            with collector_paused():
                for key, value in self._rows(task_ids):
                    decoded = decode_stored(value)
                    if decoded is not None:
                        keys.append(key)
                        records.append(decoded[0])
                        stamps.append(decoded[1])
                fetched = unix_seconds(stamps)
                for key, record, fetched_at in zip(keys, records, fetched, strict=True):
                    if fetched_at == fetched_at:  # not NaN: a time that could not be read
                        found[key[prefix_length:]] = CachedAnswer(
                            record, fetched_at, _is_terminal(record.get("status"))
                        )
        except _Rebuilt:
            return {}
        return found

    def _rows(self, task_ids: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        """``(key, value)`` of the stored answers among ``task_ids``."""
        if len(task_ids) >= _SCAN_FROM and 2 * len(task_ids) >= len(self):
            # Asked for most of what this scope holds (a notebook re-run): one pass over the
            # scope's key range reads them in key order, a third faster than keyed lookups.
            wanted = frozenset(cache_key(self.scope, task_id) for task_id in task_ids)
            low = cache_key(self.scope, "")
            with self._using() as connection:
                rows = connection.execute(
                    "SELECT key, value FROM responses WHERE key >= ? AND key < ?",
                    (low, low[:-1] + ";"),
                )
                yield from (row for row in rows if row[0] in wanted)  # streamed, not all held
            return
        for start in range(0, len(task_ids), _CHUNK):
            keys = [cache_key(self.scope, task_id) for task_id in task_ids[start : start + _CHUNK]]
            marks = ",".join("?" * len(keys))
            with self._using() as connection:
                yield from connection.execute(
                    f"SELECT key, value FROM responses WHERE key IN ({marks})", keys
                ).fetchall()

    def __len__(self) -> int:
        """How many answers this scope holds."""
        low = cache_key(self.scope, "")
        try:
            with self._using() as connection:
                row = connection.execute(
                    "SELECT COUNT(*) FROM responses WHERE key >= ? AND key < ?",
                    (low, low[:-1] + ";"),
                ).fetchone()
        except _Rebuilt:
            return 0
        return int(row[0])

    # --- writing ---------------------------------------------------------------------------------

    def save(
        self,
        task_id: str,
        response: requests.Response,
        record: dict[str, Any],
        *,
        fetched_at: float,
        pending_ttl: float,
    ) -> None:
        """Store one successful answer now (committed at once, so a crash loses nothing saved)."""
        terminal = canonical_state(record.get("status")) in TERMINAL_STATES
        expires_at = None if terminal else fetched_at + pending_ttl
        value = stored_value(response, created_at=fetched_at, expires_at=expires_at)
        expires_unix = None if expires_at is None else int(expires_at)
        try:
            with self._using() as connection:
                connection.execute(
                    "INSERT OR REPLACE INTO responses (key, value, expires) VALUES (?, ?, ?)",
                    (cache_key(self.scope, task_id), value, expires_unix),
                )
        except _Rebuilt:
            with self._using() as connection:
                connection.execute(
                    "INSERT OR REPLACE INTO responses (key, value, expires) VALUES (?, ?, ?)",
                    (cache_key(self.scope, task_id), value, expires_unix),
                )

    def clear(self) -> int:
        """Delete this scope's answers (other keys' entries stay); return how many."""
        low = cache_key(self.scope, "")
        with self._using() as connection:
            cursor = connection.execute(
                "DELETE FROM responses WHERE key >= ? AND key < ?", (low, low[:-1] + ";")
            )
        return int(cursor.rowcount)

    def close(self) -> None:
        with self._lock:
            self._close_connection()

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __repr__(self) -> str:
        return f"<TaskCache {self.path}>"


class Holding(NamedTuple):
    """What a cache file holds for one scope (a key and a site): its site and a count."""

    scope: str
    site: str
    answers: int


def holdings(path: str | Path) -> list[Holding]:
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
            found.append(Holding(scope, _site_of(value), int(count)))
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


class _Rebuilt(Exception):
    """Internal: the file was rebuilt mid-operation; what it held is gone."""


def _is_corruption(error: sqlite3.DatabaseError) -> bool:
    text = str(error).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


_TERMINAL_BY_STATUS: dict[str, bool] = {}


def _is_terminal(status: object) -> bool:
    """Whether a raw status is final; decided once per distinct status (a few are kept)."""
    if status.__class__ is not str:
        return False
    terminal = _TERMINAL_BY_STATUS.get(status)
    if terminal is None:
        terminal = canonical_state(status) in TERMINAL_STATES
        if len(_TERMINAL_BY_STATUS) < 256:
            _TERMINAL_BY_STATUS[status] = terminal
    return terminal
