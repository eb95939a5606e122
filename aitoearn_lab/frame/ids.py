"""Where task IDs come from: a list, a file of lines, a CSV with the user's own columns, a JSON log.

A CSV's other columns are the user's metadata (a customer, a campaign, a prompt variant): they
are kept, prefixed with ``user_`` so they can never collide with the tasks table's own columns,
and joined onto the fetched rows. A JSON Lines file is read as a log of submit answers: each line
a ``{"id": ...}``, a ``{"taskId": ...}`` or a whole envelope ``{"code": 0, "data": {"id": ...}}``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard

import orjson
import pandas as pd

from aitoearn_lab.errors import ConfigurationError

ID_COLUMNS: Final = ("taskId", "task_id", "id")
"""Names an ID column may have, in order of preference (also the keys of a JSON log line)."""

USER_PREFIX: Final = "user_"
"""Put before each of the user's own column names in the tasks table."""


@dataclass(frozen=True, slots=True)
class IdSource:
    """Task IDs in first-seen order, with the user's metadata for them, if any."""

    task_ids: list[str]
    metadata: pd.DataFrame | None = None
    """One row per unique task ID (the index), columns ``user_*``; None when there is none."""
    notes: list[str] = field(default_factory=list)
    """What was dropped or chosen, in words (duplicates with other metadata, lines without ID)."""

    def join(self, tasks: pd.DataFrame) -> pd.DataFrame:
        """``tasks`` with the metadata columns added after its own, matched on ``task_id``."""
        if self.metadata is None:
            return tasks
        matched = self.metadata.reindex(tasks["task_id"].astype(object).str.strip())
        joined = tasks.copy()
        for name in matched.columns:
            joined[name] = matched[name].to_numpy()
        return joined


def read_ids(lines: Iterable[str]) -> IdSource:
    """Task IDs from the lines of a file: one per line, a CSV with an ID column, or JSON Lines.

    Raises
    ------
    ConfigurationError
        A CSV without an ID column, or a JSON Lines file with a line that is not JSON; the
        message names the columns found or the line.
    """
    rows = [line.rstrip("\r\n") for line in lines]
    filled = [line for line in rows if line.strip()]
    if not filled:
        return IdSource([])
    if filled[0].lstrip().startswith("{"):
        return _json_lines(rows)
    if "," in filled[0]:
        return _csv(filled)
    return IdSource(list(dict.fromkeys(line.strip() for line in filled)))


def is_frame(ids: object) -> TypeGuard[pd.DataFrame]:
    """True for a DataFrame of IDs (and maybe metadata), as opposed to an iterable of IDs."""
    return isinstance(ids, pd.DataFrame)


def ids_from_frame(frame: pd.DataFrame) -> IdSource:
    """Task IDs from a DataFrame with a ``taskId``, ``task_id`` or ``id`` column; the other
    columns become ``user_*`` metadata.

    Raises
    ------
    ConfigurationError
        No ID column; the message names the columns found.
    """
    column = next((name for name in ID_COLUMNS if name in frame.columns), None)
    if column is None:
        found = ", ".join(str(name) for name in list(frame.columns)[:10])
        raise ConfigurationError(
            f"ids frame has no {', '.join(ID_COLUMNS)} column (columns: {found})"
        )
    ids = frame[column]
    keep = ids.notna() & (ids.astype(str).str.strip() != "")
    others = frame.loc[keep, [name for name in frame.columns if name != column]]
    others = others.rename(columns=lambda name: f"{USER_PREFIX}{name}")
    return _with_metadata(ids[keep].astype(str).str.strip().tolist(), others.reset_index(drop=True))


def _csv(filled: list[str]) -> IdSource:
    names = [name.strip() for name in next(csv.reader([filled[0]]))]
    column = next((name for name in ID_COLUMNS if name in names), None)
    if column is None:
        raise ConfigurationError(
            f"the IDs file looks like a CSV but has no {', '.join(ID_COLUMNS)} column "
            f"(columns: {', '.join(names[:10])})"
        )
    at = names.index(column)
    # A blank header still names a column of the user's: call it by its position.
    user = [
        (index, f"{USER_PREFIX}{name or f'column{index + 1}'}")
        for index, name in enumerate(names)
        if index != at
    ]
    ids: list[str] = []
    values: dict[str, list[str | None]] = {name: [] for _, name in user}
    for cells in csv.reader(filled[1:]):
        task_id = cells[at].strip() if at < len(cells) else ""
        if not task_id:
            continue
        ids.append(task_id)
        for index, name in user:
            cell = cells[index] if index < len(cells) else ""
            values[name].append(cell if cell != "" else None)
    metadata = pd.DataFrame({name: pd.array(cells, dtype="str") for name, cells in values.items()})
    return _with_metadata(ids, metadata)


def _with_metadata(ids: list[str], metadata: pd.DataFrame) -> IdSource:
    """Unique IDs, first seen first; a repeated ID whose metadata differs keeps the first."""
    if metadata.columns.empty:
        return IdSource(list(dict.fromkeys(ids)))
    metadata.index = pd.Index(ids, dtype=object, name="task_id")
    repeated = metadata.index.duplicated(keep="first")
    notes = []
    if repeated.any():
        # Rows of one ID that differ in any cell (NA equal to NA): more than one distinct row.
        distinct = metadata.astype(object).where(metadata.notna(), None).map(repr)
        variants = distinct.reset_index().drop_duplicates().groupby("task_id").size()
        clashing = int((variants > 1).sum())
        if clashing:
            notes.append(
                f"{clashing} task ID(s) appear more than once with different metadata; "
                f"the first row of each is kept"
            )
    return IdSource(list(dict.fromkeys(ids)), metadata[~repeated], notes)


def _json_lines(rows: list[str]) -> IdSource:
    ids: list[str] = []
    without = 0
    for number, line in enumerate(rows, start=1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise ConfigurationError(
                f"the IDs file looks like JSON Lines but line {number} is not JSON: {line[:60]!r}"
            ) from None
        task_id = _id_in(value)
        if task_id is None:
            without += 1
        else:
            ids.append(task_id)
    notes = []
    if without:
        notes.append(
            f"{without} line(s) of the IDs file carry no task ID (a refused submit, or another "
            f"kind of line) and were skipped"
        )
    return IdSource(list(dict.fromkeys(ids)), None, notes)


def _id_in(value: Any) -> str | None:
    """The task ID of one log line: the object itself, or the ``data`` of an envelope."""
    if not isinstance(value, dict):
        return None
    if value.get("code", 0) != 0:
        return None  # a refused submit made no task
    if isinstance(value.get("data"), dict):  # an envelope, or a log line wrapping one
        value = value["data"]
    for key in ID_COLUMNS:
        found = value.get(key)
        if isinstance(found, str) and found.strip():
            return found.strip()
    return None
