"""Task records -> the tasks DataFrame: one row per task, inputs flattened, latencies computed.

Fields come from :mod:`aitoearn_lab.frame.arrays` as Arrow arrays (one C pass over well-formed
records), and each column is made from them without a Python loop per row: strings stay in Arrow
(pandas' ``str`` dtype), timestamps are parsed by Arrow, categories are found once per distinct
value. That is several times faster and leaner than ``pd.json_normalize`` followed by the same
parsing. Every oddity a record can carry (an unknown status, a wrong type, a missing field that
matters, a timestamp that does not parse, an interval that runs backwards) keeps its row and is
named in the ``anomalies`` column; fields this version does not know are kept in ``extra``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from aitoearn_lab._gc import collector_paused
from aitoearn_lab.frame.arrays import (
    INPUT_LIST_FIELDS,
    MEMORY_POOL,
    TOPICS,
    Fields,
    Flag,
    extract,
)
from aitoearn_lab.schema import STATES, TERMINAL_STATES, canonical_state

COLUMNS: Final = (
    "task_id",
    "model",
    "status",
    "state",
    "is_terminal",
    "submitted_at",
    "started_at",
    "finished_at",
    "queue_s",
    "render_s",
    "total_s",
    "video_url",
    "cover_url",
    "media_id",
    "group_id",
    "error_message",
    "input_prompt",
    "input_duration",
    "input_aspect_ratio",
    "input_resolution",
    "input_group_id",
    "input_image",
    "input_images",
    "input_audios",
    "input_video_url",
    "input_videos",
    "input_watermark",
    "n_images",
    "n_audios",
    "n_videos",
    "api_code",
    "fetch_error",
    "request_id",
    "fetched_at",
    "from_cache",
    "anomalies",
    "extra",
)
"""Every column of the tasks DataFrame, in order."""

LIST_COLUMNS: Final = ("input_image", "input_images", "input_audios", "input_videos")
TIME_COLUMNS: Final = ("submitted_at", "started_at", "finished_at", "fetched_at")
CATEGORY_COLUMNS: Final = ("model", "status", "state", "input_aspect_ratio", "input_resolution")
LATENCY_COLUMNS: Final = ("queue_s", "render_s", "total_s")

_EARLIEST: Final = np.datetime64("2000-01-01", "ms")
_LATEST: Final = np.datetime64("2100-01-01", "ms")
_STATE_DTYPE: Final = pd.CategoricalDtype(list(STATES))
_TERMINAL_CODES: Final = [STATES.index(state) for state in sorted(TERMINAL_STATES)]
_ARROW_TIME: Final = pa.timestamp("ms", tz="UTC")
_TOPIC_RANK: Final = {topic: rank for rank, topic in enumerate(TOPICS)}
_STR_DTYPE: Final = pd.StringDtype("pyarrow", na_value=np.nan)  # what dtype="str" means


@dataclass(frozen=True, slots=True)
class FetchInfo:
    """How each row was obtained; ``fetch`` passes it, ``to_frame`` fills neutral values."""

    task_ids: Sequence[str | None]
    api_codes: Sequence[int | None]
    fetch_errors: Sequence[str | None]
    fetched_at: Sequence[float]
    from_cache: Sequence[bool]
    request_ids: Sequence[str | None] = ()  # the server's request ID of each answer, if known


def to_frame(records: Iterable[dict[str, Any] | None]) -> pd.DataFrame:
    """Build the tasks DataFrame from task records (the ``data`` objects of the API's answers).

    Parameters
    ----------
    records
        Task records as the API returns them. ``None`` stands for a task whose fetch failed.

    Returns
    -------
    pandas.DataFrame
        One row per record, with the columns in :data:`COLUMNS`. Timestamps are tz-aware UTC;
        ``queue_s`` = started - submitted, ``render_s`` = finished - started, ``total_s`` =
        finished - submitted (float seconds, NaN while an end is missing); ``model``, ``status``
        and ``state`` are categorical; list inputs stay lists; ``anomalies`` names anything odd.

    Examples
    --------
    >>> record = {"id": "6a461da66fe8a12d33daabdd", "model": "grok-imagine-video",
    ...           "status": "SUCCESS", "input": {"prompt": "a cat", "duration": 5},
    ...           "submittedAt": "2026-07-02T12:00:00.000Z",
    ...           "startedAt": "2026-07-02T12:00:10.000Z",
    ...           "finishedAt": "2026-07-02T12:01:00.000Z"}
    >>> to_frame([record])[["state", "queue_s", "render_s", "total_s"]]
           state  queue_s  render_s  total_s
    0  succeeded     10.0      50.0     60.0
    """
    return build_frame(list(records))


def build_frame(
    records: list[dict[str, Any] | None], info: FetchInfo | None = None
) -> pd.DataFrame:
    """:func:`to_frame` with how each row was fetched (task ID asked, code, error, time, cache)."""
    with collector_paused():
        return _build(records, info)


def _build(records: list[dict[str, Any] | None], info: FetchInfo | None) -> pd.DataFrame:
    anomalies: dict[int, list[tuple[int, str]]] = {}

    def flag(topic: str, row: int, text: str) -> None:
        anomalies.setdefault(row, []).append((_TOPIC_RANK[topic], text))

    fields = extract(records, flag)
    text = fields.strings
    task_ids = text["id"]
    if info is not None:
        asked = pa.array(info.task_ids, type=pa.large_string(), memory_pool=MEMORY_POOL)
        task_ids = pc.if_else(asked.is_null(), task_ids, asked, memory_pool=MEMORY_POOL)
    status = _categorical(text["status"])
    state_array = _states(status, fields.present, flag)
    times = _time_columns(text, state_array, flag)
    _flag_gaps(fields, state_array, anomalies, flag)
    for name in LATENCY_COLUMNS:
        for negative in np.flatnonzero(times[name] < 0):
            flag("negative", int(negative), f"negative {name} ({times[name][negative]:.3f} s)")
    columns: dict[str, Any] = {
        "task_id": _str(task_ids),
        "model": _categorical(text["model"]),
        "status": status,
        "state": state_array,
        "is_terminal": np.isin(state_array.codes, _TERMINAL_CODES),
        **times,
        "video_url": _str(text["videoUrl"]),
        "cover_url": _str(text["coverUrl"]),
        "media_id": _str(text["mediaId"]),
        "group_id": _str(text["groupId"]),
        "error_message": _str(text["error.message"]),
        **_input_columns(fields),
        **_fetch_columns(info, fields.present),
        "anomalies": _notes(anomalies, len(records)),
        "extra": _str(fields.extra),
    }
    return pd.DataFrame(columns, columns=list(COLUMNS))


def _flag_gaps(
    fields: Fields, state_array: pd.Categorical, anomalies: dict[int, Any], flag: Flag
) -> None:
    """Name the gaps a real server may not leave.

    model, submittedAt and input.prompt are set when a task is created (public code) and
    required by the spec: missing, they are a fault. startedAt is a moment of its own in the
    spec, absent while a task waits (the public code happens to set it at creation): missing on
    an unfinished task it is legal; once the task ended, a fault.
    """
    finished_rows = np.isin(state_array.codes, _TERMINAL_CODES)
    for label, gaps in (
        ("model", fields.present),
        ("submittedAt", fields.present),
        ("startedAt", finished_rows),
        ("input.prompt", fields.present),
    ):
        _flag_missing(fields.strings[label], gaps, label, anomalies, flag)


def _time_columns(text: dict[str, Any], state_array: pd.Categorical, flag: Flag) -> dict[str, Any]:
    """The three timestamps and the three intervals between them."""
    submitted = _timestamps(text["submittedAt"], "submittedAt", flag)
    started = _timestamps(text["startedAt"], "startedAt", flag)
    finished = _timestamps(text["finishedAt"], "finishedAt", flag)
    # A queued task has not started: the API fills startedAt with the submission time until then.
    queued = np.asarray(state_array == "queued")
    if queued.any():
        started = started.where(~queued)
    return {
        "submitted_at": submitted,
        "started_at": started,
        "finished_at": finished,
        "queue_s": _seconds(started, submitted),
        "render_s": _seconds(finished, started),
        "total_s": _seconds(finished, submitted),
    }


def _input_columns(fields: Fields) -> dict[str, Any]:
    """The task's inputs, flattened; list inputs stay lists, with their counts."""
    text = fields.strings
    image, images, audios, videos = (fields.lists[name] for name in INPUT_LIST_FIELDS)
    lengths = fields.list_lengths
    video_url = text["input.videoUrl"]
    n_videos = np.maximum(lengths["videos"], 0).astype(np.int32)
    n_videos[(lengths["videos"] < 0) & np.asarray(video_url.is_valid())] = 1  # one, named alone
    n_images = np.maximum(lengths["image"], 0) + np.maximum(lengths["images"], 0)
    return {
        "input_prompt": _str(text["input.prompt"]),
        "input_duration": fields.duration,
        "input_aspect_ratio": _categorical(text["input.aspectRatio"]),
        "input_resolution": _categorical(text["input.resolution"]),
        "input_group_id": _str(text["input.groupId"]),
        "input_image": image,
        "input_images": images,
        "input_audios": audios,
        "input_video_url": _str(video_url),
        "input_videos": videos,
        "input_watermark": pd.BooleanDtype().__from_arrow__(fields.watermark),
        "n_images": n_images.astype(np.int32),
        "n_audios": np.maximum(lengths["audios"], 0).astype(np.int32),
        "n_videos": n_videos,
    }


def _fetch_columns(info: FetchInfo | None, present: np.ndarray) -> dict[str, Any]:
    """How each answer came: its API code, why none came, request ID, when, from the cache."""
    n = len(present)
    if info is None:  # records given directly: nothing was fetched
        nothing = pd.array(pa.nulls(n, pa.large_string()), dtype="str")
        return {
            "api_code": pd.arrays.IntegerArray(np.zeros(n, np.int64), ~present),
            "fetch_error": nothing,
            "request_id": nothing.copy(),
            "fetched_at": pd.Series(pd.NaT, index=range(n), dtype="datetime64[ms, UTC]").array,
            "from_cache": np.zeros(n, dtype=bool),
        }
    codes = pa.array(info.api_codes, type=pa.int64())
    return {
        "api_code": pd.arrays.IntegerArray(
            pc.fill_null(codes, 0).to_numpy(), np.asarray(codes.is_null())
        ),
        "fetch_error": _str(
            pa.array(info.fetch_errors, type=pa.large_string(), memory_pool=MEMORY_POOL)
        ),
        "request_id": _str(
            pa.array(
                info.request_ids or [None] * n, type=pa.large_string(), memory_pool=MEMORY_POOL
            )
        ),
        "fetched_at": pd.to_datetime(
            np.asarray(info.fetched_at, dtype=float) * 1000.0, unit="ms", utc=True
        ).astype("datetime64[ms, UTC]"),
        "from_cache": np.asarray(info.from_cache, dtype=bool),
    }


def _notes(anomalies: dict[int, list[tuple[int, str]]], n: int) -> Any:
    """Each row's anomaly notes, ordered by topic, as one string (missing where none)."""
    notes: list[str | None] = [None] * n
    for index, found in anomalies.items():
        found.sort(key=itemgetter(0))  # stable: notes on one topic keep their order
        notes[index] = "; ".join(text for _, text in found)
    return _str(pa.array(notes, type=pa.large_string(), memory_pool=MEMORY_POOL))


def _str(values: pa.Array | pa.ChunkedArray) -> Any:
    """An Arrow string array as pandas' ``str`` dtype, without a copy or a check per value."""
    return _STR_DTYPE.__from_arrow__(values)


def _categorical(values: pa.Array) -> pd.Categorical:
    """Categories in sorted order, as ``pd.Categorical`` of the same strings gives them.

    Arrow finds the distinct values in one pass; only those few are sorted in Python.
    """
    encoded = pc.dictionary_encode(values, memory_pool=MEMORY_POOL)
    distinct = encoded.dictionary.to_pylist()
    order = sorted(range(len(distinct)), key=distinct.__getitem__)
    rank = np.empty(len(distinct) + 1, dtype=np.int32)
    rank[order] = np.arange(len(distinct), dtype=np.int32)
    rank[-1] = -1  # a missing value (index -1 below) stays missing
    indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    categories = pd.Index([distinct[i] for i in order], dtype="str")
    return pd.Categorical.from_codes(rank[indices], categories=categories, validate=False)


def _states(status: pd.Categorical, present: np.ndarray, flag: Flag) -> pd.Categorical:
    """Raw statuses -> canonical states, deciding once per distinct status."""
    unknown = _STATE_DTYPE.categories.get_loc("unknown")
    # One entry per distinct status, then "unknown" last, where a missing status (code -1) lands.
    state_of_code = np.array(
        [_STATE_DTYPE.categories.get_loc(canonical_state(value)) for value in status.categories]
        + [unknown],
        dtype=np.int8,
    )
    codes = state_of_code[status.codes]
    codes[~present] = -1  # no record, no state
    for index in np.flatnonzero(codes == unknown):
        raw = status[index]
        text = f"unknown status {str(None if pd.isna(raw) else raw)[:40]!r}"
        flag("unknown status", int(index), text)
    return pd.Categorical.from_codes(codes, dtype=_STATE_DTYPE)


def _flag_missing(
    values: pa.Array,
    rows: np.ndarray,
    label: str,
    anomalies: dict[int, list[tuple[int, str]]],
    flag: Flag,
) -> None:
    """Flag ``rows`` where ``label`` has no value, unless a wrong type was already named."""
    rank = _TOPIC_RANK[label]
    for index in np.flatnonzero(rows & np.asarray(values.is_null())).tolist():
        if all(found != rank for found, _ in anomalies.get(index, ())):
            flag(label, index, f"{label} is missing")


def _timestamps(values: pa.Array, label: str, flag: Flag) -> pd.Series:
    """ISO 8601 strings -> UTC timestamps (ms); NaT and an anomaly for what does not parse."""
    try:
        # Arrow's parser takes the API's form (and offsets) in one C pass; anything it refuses
        # (more than milliseconds, no offset, junk) goes to pandas, which is lenient and slower.
        parsed = pc.cast(values, _ARROW_TIME, memory_pool=MEMORY_POOL).to_pandas()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        parsed = pd.to_datetime(
            pd.Series(values.to_pylist(), dtype=object), utc=True, format="ISO8601", errors="coerce"
        )
        if not isinstance(parsed.dtype, pd.DatetimeTZDtype):  # every value missing
            parsed = pd.Series(pd.NaT, index=range(len(values)), dtype="datetime64[ms, UTC]")
        parsed = parsed.astype("datetime64[ms, UTC]")
        missing = parsed.isna().to_numpy() & np.asarray(values.is_valid())
        for index in np.flatnonzero(missing):
            text = f"{label} {values[index].as_py()[:40]!r} is not an ISO 8601 time"
            flag(label, int(index), text)
    stamps = parsed.to_numpy(dtype="datetime64[ms]")
    absurd = (stamps < _EARLIEST) | (stamps > _LATEST)  # NaT compares False
    for index in np.flatnonzero(absurd):
        flag(label, int(index), f"{label} {values[index].as_py()!r} is implausible")
    return parsed


def _seconds(end: pd.Series, start: pd.Series) -> np.ndarray:
    """``end - start`` in float seconds; NaN where either is missing."""
    delta = end.to_numpy(dtype="datetime64[ms]") - start.to_numpy(dtype="datetime64[ms]")
    seconds = delta.astype("float64") / 1000.0
    seconds[np.isnat(delta)] = np.nan
    return seconds
