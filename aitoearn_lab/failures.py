"""Why tasks fail: failure messages grouped into signatures, with counts, models and time span.

A signature is the message with its particulars masked, so that
``Failed to download input asset "https://…/a.jpg": HTTP 403`` and the same message for another
file and status fall together as ``Failed to download input asset "<url>": HTTP <n>``.
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np
import pandas as pd

NO_MESSAGE: Final = "(no error message)"
"""The signature of a failed task that came without a message."""

GROUP_COLUMNS: Final = (
    "signature",
    "count",
    "share",
    "models",
    "first_seen",
    "last_seen",
    "example",
    "example_task_id",
)

_MAX_SIGNATURE: Final = 200

# One pass over each message: at every position the first alternative that matches wins, so the
# more specific shapes (URLs, timestamps, UUIDs, long IDs) come before plain numbers.
_PARTICULARS: Final = re.compile(
    r"""
    (?P<url>\b(?:https?|s3|gs|ftp)://[^\s"'<>]+)
    | (?P<email>\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b)
    | (?P<quoted>(?<!\w)"[^"\n]{0,300}"|(?<!\w)'[^'\n]{0,300}'(?!\w))
    | (?P<time>\b\d{4}-\d{2}-\d{2}(?:[T\ ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)
    | (?P<uuid>\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)
    | (?P<hex>\b(?:0x)?(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b)
    | (?P<token>\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{16,}\b)
    | (?P<size>\b\d+x\d+\b)
    | (?P<number>(?<![A-Za-z])[-+]?\d+(?:[.,]\d+)*)
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
_SPACES: Final = re.compile(r"\s+")


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
    masked = _SPACES.sub(" ", masked).strip()
    return masked if len(masked) <= _MAX_SIGNATURE else masked[: _MAX_SIGNATURE - 1] + "…"


def failed_tasks(df: pd.DataFrame) -> pd.DataFrame:
    """The failed tasks with their signature and when each was seen to fail.

    Columns: ``task_id``, ``model``, ``error_message``, ``signature``, ``seen_at`` (finishedAt,
    or submittedAt when that is missing).
    """
    failed = df.loc[(df["state"] == "failed").fillna(False).to_numpy(dtype=bool)]
    messages = failed["error_message"]
    unique = pd.unique(messages.dropna().to_numpy(dtype=object))
    signature_of = {message: error_signature(message) for message in unique}
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
        index=failed.index,
    )


def error_groups(df: pd.DataFrame) -> pd.DataFrame:
    """Failure messages grouped into signatures, most common first.

    Parameters
    ----------
    df
        The tasks DataFrame. Every failed task counts, those without a message under
        ``"(no error message)"``.

    Returns
    -------
    pandas.DataFrame
        One row per signature: ``signature``, ``count``, ``share`` (of all failed tasks),
        ``models`` (sorted list of the models it hit), ``first_seen`` and ``last_seen`` (when
        such failures ended), ``example`` (one original message) and ``example_task_id``.

    Examples
    --------
    >>> error_groups(tasks).head()  # doctest: +SKIP
    """
    failures = failed_tasks(df)
    if failures.empty:
        return pd.DataFrame(
            {
                "signature": pd.array([], dtype="str"),
                "count": np.array([], dtype=np.int64),
                "share": np.array([], dtype=float),
                "models": np.array([], dtype=object),
                "first_seen": pd.Series([], dtype="datetime64[ms, UTC]"),
                "last_seen": pd.Series([], dtype="datetime64[ms, UTC]"),
                "example": pd.array([], dtype="str"),
                "example_task_id": pd.array([], dtype="str"),
            }
        )
    grouped = failures.groupby("signature", sort=True)
    table = grouped.agg(
        count=("task_id", "size"),
        first_seen=("seen_at", "min"),
        last_seen=("seen_at", "max"),
        example=("error_message", "first"),
        example_task_id=("task_id", "first"),
    )
    pairs = failures.groupby(["signature", "model"], observed=True).size()
    models = {
        signature: sorted(str(name) for name in names)
        for signature, names in (
            pairs.reset_index().groupby("signature")["model"].agg(list).items()
        )
    }
    table["models"] = [models.get(signature, []) for signature in table.index]
    table["share"] = table["count"] / len(failures)
    table = table.reset_index().sort_values(["count", "signature"], ascending=[False, True])
    table["example"] = table["example"].fillna(NO_MESSAGE).astype("str")
    return table[list(GROUP_COLUMNS)].reset_index(drop=True)


def _mask(match: re.Match[str]) -> str:
    kind = match.lastgroup or "number"
    if kind != "quoted":
        return _PLACEHOLDERS[kind]
    text = match.group()
    quote, inner = text[0], text[1:-1]
    value = "<url>" if re.match(r"(?:https?|s3|gs|ftp)://", inner) else "<value>"
    return f"{quote}{value}{quote}"
