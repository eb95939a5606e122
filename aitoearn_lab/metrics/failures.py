"""Why tasks fail: failure messages grouped into signatures, with counts, models and time span.

A signature is the message with its particulars masked, so that
``Failed to download input asset "https://…/a.jpg": HTTP 403`` and the same message for another
file and status fall together as ``Failed to download input asset "<url>": HTTP <n>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Final

import numpy as np
import pandas as pd

from aitoearn_lab.metrics.categories import categorize

NO_MESSAGE: Final = "(no error message)"
"""The signature of a failed task that came without a message."""

GROUP_COLUMNS: Final = (
    "signature",
    "category",
    "count",
    "share",
    "models",
    "first_seen",
    "last_seen",
    "example",
    "example_task_id",
)

_MAX_SIGNATURE: Final = 200
_CACHED_SIGNATURES: Final = 1 << 16

# One pass over each message: at every position the first alternative that matches wins, so the
# more specific shapes (URLs, timestamps, UUIDs, long IDs) come before plain numbers.
# Every alternative starts at a word's start, a quote, a sign, a dot or a digit: the first line
# turns away the other positions (mostly inside words) before nine alternatives are tried at
# each, which halves the time of masking a message (a first call on a large frame masks them all).
_PARTICULARS: Final = re.compile(
    r"""
    (?:(?<!\w)(?=\w)|(?=["'+.\-\d]))
    (?:
      (?P<url>\b(?:https?|s3|gs|ftp)://[^\s"'<>]+)
    | (?P<email>\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b)
    | (?P<quoted>(?<!\w)"[^"\n]{0,300}"|(?<!\w)'[^'\n]{0,300}'(?!\w))
    | (?P<time>\b\d{4}-\d{2}-\d{2}(?:[T\ ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)
    | (?P<uuid>\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)
    | (?P<hex>\b(?:0x)?(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b)
    | (?P<token>\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{16,}\b)
    | (?P<size>\b\d+x\d+\b)
    | (?P<number>(?<![A-Za-z])[-+]?\d+(?:[.,]\d+)*)
    )
    """,
    re.VERBOSE,
)
_PLACEHOLDERS: Final = {
    "url": "<url>",
    "email": "<email>",
    "time": "<time>",
    "uuid": "<id>",
    "hex": "<id>",
    "token": "<id>",
    "size": "<n>x<n>",
    "number": "<n>",
}
_FAILED_COLUMNS: Final = ("task_id", "model", "error_message", "finished_at", "submitted_at")


def error_signature(message: str | None) -> str:
    """A failure message with IDs, URLs, hex, numbers, timestamps and quoted values masked.

    Examples
    --------
    >>> error_signature('Failed to download input asset "https://a.example/u0/9f3.jpg": HTTP 403')
    'Failed to download input asset "<url>": HTTP <n>'
    >>> error_signature("Upstream generation timed out after 900 s (job 29c257118855)")
    'Upstream generation timed out after <n> s (job <id>)'
    >>> error_signature("Audio format 'ogg' is not supported; use wav or mp3")
    "Audio format '<value>' is not supported; use wav or mp3"
    """
    if message is None or not isinstance(message, str) or not message.strip():
        return NO_MESSAGE
    masked = _PARTICULARS.sub(_mask, message)
    masked = " ".join(masked.split())  # runs of whitespace as one space, none at either end
    return masked if len(masked) <= _MAX_SIGNATURE else masked[: _MAX_SIGNATURE - 1] + "…"


def failed_tasks(df: pd.DataFrame) -> pd.DataFrame:
    """The failed tasks with their signature and when each was seen to fail.

    Columns: ``task_id``, ``model``, ``error_message``, ``signature``, ``seen_at`` (finishedAt,
    or submittedAt when that is missing).
    """
    # Only the five columns needed are copied: selecting rows of the whole frame would copy every
    # column, prompts included.
    positions = np.flatnonzero((df["state"] == "failed").fillna(False).to_numpy(dtype=bool))
    failed = {name: df[name].iloc[positions] for name in _FAILED_COLUMNS}
    messages = failed["error_message"]
    unique = pd.unique(messages.dropna().to_numpy(dtype=object))
    signature_of = {message: _signature(message) for message in unique}
    signatures = [
        signature_of.get(message, NO_MESSAGE) if isinstance(message, str) else NO_MESSAGE
        for message in messages.to_numpy(dtype=object)
    ]
    return pd.DataFrame(
        {
            "task_id": failed["task_id"],
            "model": failed["model"],
            "error_message": messages,
            "signature": pd.array(signatures, dtype="str"),
            "seen_at": failed["finished_at"].fillna(failed["submitted_at"]),
        },
        index=messages.index,
    )


def error_groups(df: pd.DataFrame, *, rules: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Failure messages grouped into signatures, most common first.

    Parameters
    ----------
    df
        The tasks DataFrame. Every failed task counts, those without a message under
        ``"(no error message)"``.
    rules
        Extra category -> regular expression rules (case-insensitive), tried in order before
        :data:`~aitoearn_lab.metrics.categories.DEFAULT_RULES`; the first that the signature
        contains names its category.

    Returns
    -------
    pandas.DataFrame
        One row per signature: ``signature``, ``category`` (moderation, quota, timeout,
        invalid_input, upstream, other, or one of ``rules``), ``count``, ``share`` (of all
        failed tasks), ``models`` (sorted list of the models it hit), ``first_seen`` and
        ``last_seen`` (when such failures ended), ``example`` (one original message) and
        ``example_task_id``.

    Examples
    --------
    >>> error_groups(tasks).head()  # doctest: +SKIP
    """
    return group_failures(failed_tasks(df), rules=rules)


def group_failures(
    failures: pd.DataFrame, *, rules: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """:func:`error_groups` of the table :func:`failed_tasks` gives.

    A chart that needs both the failed tasks and their groups computes the signatures once.
    """
    if failures.empty:
        return pd.DataFrame(
            {
                "signature": pd.array([], dtype="str"),
                "category": pd.array([], dtype="str"),
                "count": np.array([], dtype=np.int64),
                "share": np.array([], dtype=float),
                "models": np.array([], dtype=object),
                "first_seen": pd.Series([], dtype="datetime64[ms, UTC]"),
                "last_seen": pd.Series([], dtype="datetime64[ms, UTC]"),
                "example": pd.array([], dtype="str"),
                "example_task_id": pd.array([], dtype="str"),
            }
        )
    # Grouped on integer codes with numpy: a pandas group-by on text columns costs tens of
    # milliseconds, and a dashboard recomputes this table after every filter change.
    codes, signatures = pd.factorize(failures["signature"].to_numpy(dtype=object), sort=True)
    n_groups = len(signatures)
    count = np.bincount(codes, minlength=n_groups)
    seen = failures["seen_at"]
    first_seen, last_seen = _extreme_rows(codes, seen, n_groups)
    example = failures["error_message"].array.take(
        _first_rows(codes, failures["error_message"].notna().to_numpy(), n_groups),
        allow_fill=True,
    )
    task_ids = failures["task_id"].array.take(
        _first_rows(codes, failures["task_id"].notna().to_numpy(), n_groups), allow_fill=True
    )
    order = np.lexsort((np.arange(n_groups), -count))  # most common first, then by signature
    ordered = np.asarray(signatures, dtype=object)[order]
    table = pd.DataFrame(
        {
            "signature": pd.array(ordered, dtype="str"),
            "category": pd.array(categorize(list(ordered), rules), dtype="str"),
            "count": count[order].astype(np.int64),
            "share": count[order] / len(failures),
            "models": _models_by_group(codes, failures["model"], n_groups)[order],
            "first_seen": seen.array.take(first_seen[order], allow_fill=True),
            "last_seen": seen.array.take(last_seen[order], allow_fill=True),
            "example": pd.Series(example.take(order)).fillna(NO_MESSAGE).astype("str").array,
            "example_task_id": task_ids.take(order),
        }
    )
    return table[list(GROUP_COLUMNS)]


def _first_rows(codes: np.ndarray, present: np.ndarray, n_groups: int) -> np.ndarray:
    """The first row of each group where ``present`` holds, -1 where none does."""
    rows = np.flatnonzero(present)
    found, first = np.unique(codes[rows], return_index=True)
    result = np.full(n_groups, -1, dtype=np.int64)
    result[found] = rows[first]
    return result


def _extreme_rows(
    codes: np.ndarray, times: pd.Series, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """The row of the earliest and of the latest time in each group (-1 where all are missing)."""
    stamps = times.to_numpy(dtype=f"datetime64[{times.dt.unit}]")
    rows = np.flatnonzero(~np.isnat(stamps))
    order = rows[np.lexsort((stamps[rows].astype(np.int64), codes[rows]))]
    bounds = np.searchsorted(codes[order], np.arange(n_groups + 1))
    earliest = np.full(n_groups, -1, dtype=np.int64)
    latest = np.full(n_groups, -1, dtype=np.int64)
    has_any = bounds[1:] > bounds[:-1]
    earliest[has_any] = order[bounds[:-1][has_any]]
    latest[has_any] = order[bounds[1:][has_any] - 1]
    return earliest, latest


def _models_by_group(codes: np.ndarray, models: pd.Series, n_groups: int) -> np.ndarray:
    """For each group the sorted names of the models it hit (missing models left out)."""
    model_codes, names = pd.factorize(models.to_numpy(dtype=object))
    present = model_codes >= 0
    pairs = np.unique(codes[present] * max(len(names), 1) + model_codes[present])
    hit: list[list[str]] = [[] for _ in range(n_groups)]
    for pair in pairs.tolist():
        group, model = divmod(pair, max(len(names), 1))
        hit[group].append(str(names[model]))
    result = np.empty(n_groups, dtype=object)
    for group, found in enumerate(hit):
        result[group] = sorted(found)
    return result


@lru_cache(maxsize=_CACHED_SIGNATURES)
def _signature(message: str) -> str:
    """:func:`error_signature`, remembered: a dashboard asks again for the same messages after
    every filter change, and masking one costs tens of microseconds."""
    return error_signature(message)


def _mask(match: re.Match[str]) -> str:
    kind = match.lastgroup or "number"
    if kind != "quoted":
        return _PLACEHOLDERS[kind]
    text = match.group()
    quote, inner = text[0], text[1:-1]
    value = "<url>" if re.match(r"(?:https?|s3|gs|ftp)://", inner) else "<value>"
    return f"{quote}{value}{quote}"
