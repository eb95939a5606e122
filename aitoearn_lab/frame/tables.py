"""Tables on disk: the tasks DataFrame to and from CSV, Parquet and JSON Lines.

Every CSV written here is safe to open in a spreadsheet: a text cell that begins with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return (which a spreadsheet would run as a formula) is
written with a leading apostrophe, and so is one that already begins with an apostrophe, so that
reading the file back with :func:`read_tasks` or :func:`read_csv` restores every original value.
Timestamps are ISO 8601 in UTC, lists are JSON arrays, and files are UTF-8 (with a BOM).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import numpy as np
import orjson
import pandas as pd

from aitoearn_lab.errors import ConfigurationError
from aitoearn_lab.frame.build import (
    CATEGORY_COLUMNS,
    COLUMNS,
    LATENCY_COLUMNS,
    LIST_COLUMNS,
    TIME_COLUMNS,
)
from aitoearn_lab.schema import STATES

FORMATS: Final = (".csv", ".parquet", ".jsonl")
CSV_OPTIONS: Final = {"encoding": "utf-8-sig", "lineterminator": "\r\n"}
"""UTF-8 with a byte-order mark, so spreadsheets detect it (Chinese prompts stay readable), and
CRLF line ends (RFC 4180), so a carriage return inside a cell is always quoted."""
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r", "'")
_FLOAT_COLUMNS: Final = (*LATENCY_COLUMNS, "input_duration")
_INT_COLUMNS: Final = ("n_images", "n_audios", "n_videos")
_BOOL_COLUMNS: Final = ("is_terminal", "from_cache")
_NULLABLE_BOOL_COLUMNS: Final = ("input_watermark",)
_TRUE: Final = frozenset({True, "True", "true"})
_FALSE: Final = frozenset({False, "False", "false"})


def neutralise(value: str) -> str:
    """A text cell as written to CSV: an apostrophe before anything a spreadsheet would run."""
    return "'" + value if value.startswith(_FORMULA_STARTS) or value == "" else value


def restore(value: str) -> str:
    """The inverse of :func:`neutralise`."""
    return value[1:] if value.startswith("'") else value


def format_for_csv(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every cell as CSV text: safe strings, ISO times, JSON lists."""
    out: dict[str, Any] = {}
    for name in df.columns:
        column = df[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(
            column
        ):
            out[name] = _iso(column)
        elif pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            out[name] = column.astype(object).where(column.notna(), None)
        else:
            out[name] = [_cell(value) for value in column.astype(object)]
    return pd.DataFrame(out, index=df.index)


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str], *, index: bool = False) -> Path:
    """Write any DataFrame as a spreadsheet-safe UTF-8 CSV; return the path."""
    return _atomic(
        Path(path), lambda tmp: format_for_csv(df).to_csv(tmp, index=index, **CSV_OPTIONS)
    )


def read_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv`: text restored, numbers parsed, empty cells NA."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=CSV_OPTIONS["encoding"])
    out: dict[str, Any] = {}
    for name in raw.columns:
        texts = raw[name].tolist()
        values = [None if text == "" else restore(text) for text in texts]
        numeric = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
        all_numbers = all(
            v is None or (t[:1] != "'" and not pd.isna(n))
            for v, t, n in zip(values, texts, numeric, strict=True)
        )
        out[name] = (
            numeric
            if all_numbers and any(v is not None for v in values)
            else pd.array(values, dtype="str")
        )
    return pd.DataFrame(out)


def write_tasks(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write the tasks DataFrame as ``.csv``, ``.parquet`` or ``.jsonl`` (by the suffix).

    Returns
    -------
    pathlib.Path
        Where it was written. The file is replaced only once complete.
    """
    path = Path(path)
    kind = output_kind(path)
    if kind == ".csv":
        return write_csv(df, path)
    if kind == ".parquet":
        return _atomic(path, lambda tmp: df.to_parquet(tmp, index=False))
    return _atomic(path, lambda tmp: _write_jsonl(df, tmp))


def read_tasks(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a tasks file written by :func:`write_tasks` back into the tasks DataFrame.

    Column types are restored (UTC timestamps, categories, lists), so a round trip gives back
    the original values.
    """
    path = Path(path)
    kind = output_kind(path)
    if not path.exists():
        raise FileNotFoundError(f"no such tasks file: {path}")
    if kind == ".parquet":
        frame = pd.read_parquet(path)
        for name in LIST_COLUMNS:
            if name in frame:
                frame[name] = _object(
                    [None if _missing(v) else [str(x) for x in v] for v in frame[name]]
                )
        return _typed(frame, parse_lists=False)
    if kind == ".jsonl":
        with path.open("rb") as handle:
            rows = [orjson.loads(line) for line in handle if line.strip()]
        frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else list(COLUMNS))
        return _typed(frame, parse_lists=False)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=CSV_OPTIONS["encoding"])
    frame = pd.DataFrame(
        {name: [None if t == "" else restore(t) for t in raw[name]] for name in raw.columns}
    )
    return _typed(frame, parse_lists=True)


def output_kind(path: Path) -> str:
    """The format of a tasks file from its suffix, or a clear error naming the allowed ones."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ConfigurationError(
            f"output must end in one of {', '.join(FORMATS)}, got {path.name!r}"
        )
    return suffix


def _typed(frame: pd.DataFrame, *, parse_lists: bool) -> pd.DataFrame:
    """Raw values (text, JSON) -> the dtypes of the tasks DataFrame, column by column."""
    out: dict[str, Any] = {}
    for name in frame.columns:
        values = frame[name]
        if name in TIME_COLUMNS:
            out[name] = pd.to_datetime(values, utc=True, format="ISO8601").astype(
                "datetime64[ms, UTC]"
            )
        elif name in _FLOAT_COLUMNS:
            out[name] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif name in _INT_COLUMNS:
            out[name] = pd.to_numeric(values).fillna(0).astype("int32")
        elif name == "api_code":
            out[name] = pd.array(pd.to_numeric(values), dtype="Int64")
        elif name in _BOOL_COLUMNS:
            out[name] = np.array(
                [v is True or v == "True" or v == "true" for v in values], dtype=bool
            )
        elif name in _NULLABLE_BOOL_COLUMNS:  # true, false, or not said
            said = [_is_in(v, _TRUE) or (False if _is_in(v, _FALSE) else None) for v in values]
            out[name] = pd.array(said, dtype="boolean")
        elif name in LIST_COLUMNS:
            if parse_lists:
                out[name] = _object([None if _missing(v) else orjson.loads(v) for v in values])
            else:
                out[name] = _object(list(values))
        elif name == "state":
            out[name] = pd.Categorical(values, dtype=pd.CategoricalDtype(list(STATES)))
        elif name in CATEGORY_COLUMNS:
            out[name] = pd.Categorical([None if _missing(v) else str(v) for v in values])
        else:
            out[name] = pd.array([None if _missing(v) else str(v) for v in values], dtype="str")
    return pd.DataFrame(out, columns=list(frame.columns))


def _is_in(value: Any, texts: frozenset[Any]) -> bool:
    return isinstance(value, bool | str | np.bool_) and value in texts


def _cell(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, list | tuple | np.ndarray):
        return orjson.dumps([str(item) for item in value]).decode()
    return neutralise(str(value))


def _iso(column: pd.Series) -> list[str | None]:
    values = column.dt.tz_convert("UTC") if isinstance(column.dtype, pd.DatetimeTZDtype) else column
    stamps = values.to_numpy(dtype="datetime64[ms]")
    texts = np.datetime_as_string(stamps, unit="ms")
    return [None if text == "NaT" else text + "Z" for text in texts]


def _write_jsonl(df: pd.DataFrame, path: Path) -> None:
    formatted: dict[str, list[Any]] = {}
    for name in df.columns:
        column = df[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            formatted[name] = _iso(column)
        else:
            formatted[name] = [None if _missing(v) else _plain(v) for v in column.astype(object)]
    names = list(df.columns)
    with path.open("wb") as handle:
        for row in zip(*(formatted[name] for name in names), strict=True):
            handle.write(orjson.dumps(dict(zip(names, row, strict=True))) + b"\n")


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, list | np.ndarray):
        return False
    return isinstance(value, float) and np.isnan(value)


def _object(values: list[Any]) -> np.ndarray:
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def _atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Write to a temporary file beside ``path``, then rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _new_file_beside(path)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _new_file_beside(path: Path) -> str:
    """A new empty file beside ``path`` with the usual permissions (0666 less the umask, as the
    system applies it): mkstemp's 0600 would carry over to the finished file."""
    for _ in range(100):
        name = str(path.parent / f".{path.name}.{secrets.token_hex(4)}")
        try:
            os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return name
    raise FileExistsError(f"no free temporary name beside {path}")
