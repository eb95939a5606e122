"""What a reader must know before trusting the figures, in words: gaps, oddities, unfinished work.

A chart of zeros or a median that quietly leaves out half the tasks misleads; a sentence does not.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Final

import numpy as np
import pandas as pd

from aitoearn_lab.frame.build import LATENCY_COLUMNS
from aitoearn_lab.metrics.lateness import overdue_note
from aitoearn_lab.metrics.moments import TimeLike, format_duration, reference_time, seconds_until
from aitoearn_lab.metrics.poller import poller_delay_note
from aitoearn_lab.metrics.rules import FINISHED_STATES, UNFINISHED_STATES

ZERO_QUEUE_NOTE: Final = (
    "Queue latency is exactly zero for every task (the server fills startedAt from submittedAt), "
    "so waiting and rendering cannot be told apart: render_s is the whole turnaround and queue_s "
    "carries no information."
)

_DETAIL: Final = re.compile(r"\s*\([^)]*\)|\s*'[^']*'|\s*\"[^\"]*\"")


def queue_is_uninformative(df: pd.DataFrame) -> bool:
    """True when every measured queue latency is exactly zero (startedAt copied from submittedAt).

    A server that fills both timestamps from one field makes ``queue_s`` zero for every task;
    charting it would show a column of zeros that looks like a fast queue.
    """
    queue = df["queue_s"].dropna()
    return bool(len(queue) > 0 and (queue == 0).all())


def data_notes(
    df: pd.DataFrame, *, now: TimeLike = None, models: pd.DataFrame | None = None
) -> list[str]:
    """Sentences about the data that change how its figures should be read.

    Covers: task IDs that could not be fetched, a queue latency that is zero for every task,
    unfinished tasks and the oldest one's age, unrecognised statuses, negative intervals, fields
    this version does not know (schema drift, said once), other anomalies, and frames without
    fetch times. An empty list means nothing needs saying.

    Parameters
    ----------
    df
        The tasks DataFrame.
    now
        The moment the data describes (see :func:`aitoearn_lab.summarize`).
    models
        From :meth:`aitoearn_lab.Client.models`: adds which models' finish times carry the
        30-second delay of the server's poller.

    Examples
    --------
    >>> for note in data_notes(tasks):  # doctest: +SKIP
    ...     print("-", note)
    """
    if len(df) == 0:
        return ["The table is empty: there is nothing to summarise."]
    reference = reference_time(df, now)
    fetched = df["state"].notna()
    frame = df[fetched]
    states = frame["state"].value_counts()
    notes = [
        _lost_note(df, fetched),
        ZERO_QUEUE_NOTE if queue_is_uninformative(frame) else None,
        _nothing_finished_note(frame, states),
        _unfinished_note(frame, states, reference),
        *overdue_note(df, now=reference),
        _unknown_note(frame),
        _negative_note(frame),
        _drift_note(frame),
        _other_note(frame),
        _no_fetch_times_note(df, reference),
        None if models is None else poller_delay_note(frame, models),
    ]
    return [note for note in notes if note]


def _lost_note(df: pd.DataFrame, fetched: pd.Series) -> str | None:
    lost = int((~fetched).sum())
    if not lost:
        return None
    reasons = _top(df.loc[~fetched, "fetch_error"].dropna().map(_kind), limit=3)
    because = f" ({reasons})" if reasons else ""
    return (
        f"{lost:,} of {len(df):,} task IDs could not be fetched{because}; they are left out "
        f"of every figure (see the fetch_error column)."
    )


def _nothing_finished_note(frame: pd.DataFrame, states: pd.Series) -> str | None:
    finished = sum(int(states.get(state, 0)) for state in FINISHED_STATES)
    if len(frame) and finished == 0:
        return "No task has finished yet, so there are no latency figures."
    return None


def _unfinished_note(frame: pd.DataFrame, states: pd.Series, reference: pd.Timestamp) -> str | None:
    queued, running = int(states.get("queued", 0)), int(states.get("running", 0))
    if not queued + running:
        return None
    waiting = frame["state"].isin(UNFINISHED_STATES)
    oldest = np.nanmax(seconds_until(frame.loc[waiting, "submitted_at"], reference))
    return (
        f"{_tasks(queued + running, 'is', 'are')} unfinished ({queued:,} queued, {running:,} "
        f"running); the oldest was submitted {format_duration(float(oldest))} before the "
        f"data was fetched. Plain latency figures leave them out; the Kaplan-Meier median "
        f"(total_s_km_p50) counts each unfinished task as at least as slow as its age."
    )


def _unknown_note(frame: pd.DataFrame) -> str | None:
    unknown = frame["state"] == "unknown"
    if not unknown.any():
        return None
    statuses = _top(frame.loc[unknown, "status"].astype(str), limit=3, quote=True)
    return (
        f"{_tasks(int(unknown.sum()), 'has', 'have')} a status this toolkit does not recognise "
        f"({statuses}); they are counted as unknown, neither finished nor failed."
    )


def _negative_note(frame: pd.DataFrame) -> str | None:
    negatives = {
        metric: int((frame[metric] < 0).sum()) for metric in LATENCY_COLUMNS if metric in frame
    }
    if not any(negatives.values()):
        return None
    rows = int(frame[list(negatives)].lt(0).any(axis=1).sum())
    detail = ", ".join(f"{metric} {count:,}" for metric, count in negatives.items() if count)
    return (
        f"{_tasks(rows, 'has', 'have')} a negative interval (a later timestamp before an "
        f"earlier one: {detail}); those values are left out of the latency figures."
    )


def _drift_note(frame: pd.DataFrame) -> str | None:
    drift = frame["extra"].dropna() if "extra" in frame else pd.Series(dtype="str")
    if not len(drift):
        return None
    return (
        f"{_tasks(len(drift), 'carries', 'carry')} field(s) this version does not know: "
        f"{_field_names(drift)}; kept in the extra column."
    )


def _other_note(frame: pd.DataFrame) -> str | None:
    others = _other_anomalies(frame["anomalies"].dropna())
    return f"Other anomalies (see the anomalies column): {others}." if others else None


def _no_fetch_times_note(df: pd.DataFrame, reference: pd.Timestamp) -> str | None:
    if "fetched_at" in df and df["fetched_at"].notna().any():
        return None
    return (
        f"The table has no fetch times; ages of unfinished tasks are measured to "
        f"{reference:%Y-%m-%d %H:%M} UTC."
    )


def _tasks(count: int, singular: str, plural: str) -> str:
    """``"1 task has"`` or ``"3 tasks have"``."""
    return f"1 task {singular}" if count == 1 else f"{count:,} tasks {plural}"


def _other_anomalies(anomalies: pd.Series) -> str:
    """Anomalies other than negative intervals and unknown statuses, by kind, most common first."""
    kinds: Counter[str] = Counter()
    for text, count in anomalies.value_counts().items():
        for part in str(text).split("; "):
            if part.startswith(("negative ", "unknown status")):
                continue
            kinds[_kind(part)] += count
    return "; ".join(f"{kind} ({count:,} tasks)" for kind, count in kinds.most_common(5))


def _field_names(extra: pd.Series) -> str:
    """The distinct field names in a column of ``extra`` JSON texts, most common first."""
    names: Counter[str] = Counter()
    for text, count in extra.value_counts().items():
        try:
            found = json.loads(str(text))
        except ValueError:  # a table edited by hand: say nothing wrong about it
            continue
        if isinstance(found, dict):
            names.update(dict.fromkeys(found, count))
    shown = [name for name, _ in names.most_common(8)]
    return ", ".join(shown) + (f" and {len(names) - 8} more" if len(names) > 8 else "")


def _kind(text: str) -> str:
    """An anomaly or error text without its particulars (values in quotes or parentheses)."""
    return _DETAIL.sub("", text).strip()[:80]


def _top(values: pd.Series, *, limit: int, quote: bool = False) -> str:
    counts = values.value_counts().head(limit)
    return ", ".join(
        f"{name!r} ×{count:,}" if quote else f"{name} ×{count:,}" for name, count in counts.items()
    )
