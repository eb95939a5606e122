"""What a sync remembers in the cache file: the listed tasks of a key and how far a sync reached.

Two small tables beside requests-cache's own (which ignores them), keyed by the same one-way
scope as the answers, never by the key:

- ``aitoearn_listed``: every task ID the list endpoint has shown for a scope. Tasks fetched by
  ID are not in it: the public GET reads any task by ID, so the cache may hold tasks of other
  accounts, and only the list says which ones are this account's.
- ``aitoearn_sync``: after a sync that saw the whole list (down to ``floor``, the ``since`` it
  was asked with, or the very first task), the newest task it saw. A later sync pages only
  until it reaches that task.

Each page's answers are written with its membership rows in one transaction: a sync cut short
keeps every page it finished, and the mark moves only when the sync completes.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import orjson

from aitoearn_lab import schema
from aitoearn_lab.client.cache import TaskCache, _Rebuilt
from aitoearn_lab.client.cache_format import SyntheticAnswer, cache_key, stored_value
from aitoearn_lab.errors import CacheError
from aitoearn_lab.schema import TERMINAL_STATES, canonical_state

_TABLES: Final = (
    "CREATE TABLE IF NOT EXISTS aitoearn_listed "
    "(scope TEXT NOT NULL, task_id TEXT NOT NULL, PRIMARY KEY (scope, task_id)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS aitoearn_sync "
    "(scope TEXT PRIMARY KEY, newest_id TEXT NOT NULL, floor REAL, synced_at REAL NOT NULL)",
)


@dataclass(frozen=True, slots=True)
class SyncMark:
    """How far the last complete sync of a scope reached."""

    newest_id: str
    """The newest task it saw: a later sync pages until it reaches this one."""
    floor: float | None
    """Creation time (Unix seconds) down to which the listed tasks are complete; None: all."""
    synced_at: float

    def covers(self, since_s: float | None) -> bool:
        """True when the tasks listed so far include every task created from ``since_s`` on."""
        return self.floor is None or (since_s is not None and since_s >= self.floor)


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What a stored answer keeps of the page it came in: headers, timing and request ID."""

    headers: dict[str, str]
    elapsed_s: float
    request_id: str
    reason: str | None


class Holdings:
    """The listed tasks and the sync mark of one :class:`TaskCache` scope."""

    def __init__(self, cache: TaskCache) -> None:
        self.cache = cache
        with self._using() as connection:
            for statement in _TABLES:
                connection.execute(statement)

    @contextmanager
    def _using(self) -> Iterator[sqlite3.Connection]:
        """The cache's connection; a file rebuilt mid-way (it was corrupt) is a CacheError."""
        try:
            with self.cache._using() as connection:
                yield connection
        except CacheError as error:
            if "interrupted" in str(error):  # Ctrl-C during a write: SQLite stops it so
                raise KeyboardInterrupt from None
            raise
        except _Rebuilt:
            raise CacheError(
                f"cache file {self.cache.path} was rebuilt while syncing", path=str(self.cache.path)
            ) from None

    def mark(self) -> SyncMark | None:
        with self._using() as connection:
            row = connection.execute(
                "SELECT newest_id, floor, synced_at FROM aitoearn_sync WHERE scope = ?",
                (self.cache.scope,),
            ).fetchone()
        if row is None or not schema.is_well_formed_task_id(str(row[0])):
            return None
        return SyncMark(str(row[0]), None if row[1] is None else float(row[1]), float(row[2]))

    def set_mark(self, mark: SyncMark) -> None:
        with self._using() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO aitoearn_sync (scope, newest_id, floor, synced_at) "
                "VALUES (?, ?, ?, ?)",
                (self.cache.scope, mark.newest_id, mark.floor, mark.synced_at),
            )

    def forget(self) -> None:
        """Drop the mark and the listed IDs (the next sync pages the whole list)."""
        with self._using() as connection:
            connection.execute("DELETE FROM aitoearn_sync WHERE scope = ?", (self.cache.scope,))
            connection.execute("DELETE FROM aitoearn_listed WHERE scope = ?", (self.cache.scope,))

    def listed_ids(self, *, since_s: float | None) -> list[str]:
        """The task IDs listed for this scope, created at or after ``since_s`` when given."""
        low = "" if since_s is None else f"{max(math.ceil(since_s), 0):08x}"
        with self._using() as connection:
            rows = connection.execute(
                "SELECT task_id FROM aitoearn_listed WHERE scope = ? AND task_id >= ?",
                (self.cache.scope, low),
            ).fetchall()
        return [row[0] for row in rows]

    def store_page(
        self,
        records: Sequence[dict[str, Any]],
        *,
        url_of: Any,
        meta: PageMeta,
        fetched_at: float,
        pending_ttl: float,
    ) -> None:
        """Store each listed task as its own answer and note it as listed, in one transaction."""
        scope = self.cache.scope
        rows: list[tuple[str, bytes, int | None]] = []
        for record in records:
            task_id = record["id"]
            terminal = canonical_state(record.get("status")) in TERMINAL_STATES
            expires_at = None if terminal else fetched_at + pending_ttl
            body = orjson.dumps(schema.success_envelope(record, request_id=meta.request_id))
            answer: Any = SyntheticAnswer(
                url_of(task_id),
                body,
                headers=meta.headers,
                elapsed_s=meta.elapsed_s,
                reason=meta.reason,
            )
            value = stored_value(answer, created_at=fetched_at, expires_at=expires_at)
            expires = None if expires_at is None else int(expires_at)
            rows.append((cache_key(scope, task_id), value, expires))
        with self._using() as connection:
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.executemany(
                    "INSERT OR REPLACE INTO responses (key, value, expires) VALUES (?, ?, ?)", rows
                )
                connection.executemany(
                    "INSERT OR IGNORE INTO aitoearn_listed (scope, task_id) VALUES (?, ?)",
                    [(scope, record["id"]) for record in records],
                )
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:  # Ctrl-C may come after the COMMIT went through
                    connection.execute("ROLLBACK")
                raise
