"""The dashboard's tables as HTML people read: human durations, links, full text on hover."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from aitoearn_lab.metrics.failures import error_groups
from aitoearn_lab.metrics.moments import format_duration

TABLE_COLUMNS: Final = (
    "task_id",
    "model",
    "state",
    "submitted_at",
    "total_s",
    "input_resolution",
    "input_duration",
    "video_url",
    "cover_url",
    "error_message",
    "input_prompt",
)
"""The task table's columns, in order (headers from :data:`HEADERS`)."""
HEADERS: Final = {
    "task_id": "task ID",
    "model": "model",
    "state": "state",
    "submitted_at": "submitted (UTC)",
    "total_s": "turnaround",
    "input_resolution": "resolution",
    "input_duration": "length",
    "video_url": "video",
    "cover_url": "cover",
    "error_message": "error",
    "input_prompt": "prompt",
}
LINK_COLUMNS: Final = ("video_url", "cover_url")
"""Read from the whole tasks table for the rows shown: the filter's view leaves them out."""
_SHORT: Final = 90
_SAFE_SCHEMES: Final = ("https://", "http://")


def tasks_html(selected: pd.DataFrame, rows: int, *, source: pd.DataFrame | None = None) -> str:
    """The newest ``rows`` tasks of the selection, as a table that scrolls inside its box.

    Durations read ``2 min 03 s``; a resolution is shown as the model gave it; video and cover
    URLs are links (escaped; only http and https); a long error message or prompt is cut, in
    full on hover. ``source`` (the whole tasks table, same index) supplies the URL columns
    when ``selected`` lacks them.
    """
    if selected.empty:
        return "<p class='lab-empty'>No tasks match the filters.</p>"
    # Sorting one column and picking the rows shown costs far less than sorting the whole frame;
    # the order is that of ``selected.sort_values("submitted_at", ...)``, ties included.
    submitted = selected["submitted_at"].reset_index(drop=True)
    newest = submitted.sort_values(ascending=False, na_position="last").index[:rows]
    table = selected.iloc[newest]
    columns: dict[str, Sequence[Any]] = {}
    for name in TABLE_COLUMNS:
        if name in table.columns:
            columns[name] = table[name].astype(object).tolist()
        elif source is not None and name in source.columns:
            columns[name] = source.loc[table.index, name].astype(object).tolist()
        else:
            columns[name] = [None] * len(table)
    cells: dict[str, Callable[[Any], str]] = {
        "submitted_at": _time_cell,
        "total_s": _duration_cell,
        "input_duration": _duration_cell,
        "video_url": lambda value: _link_cell(value, "video"),
        "cover_url": lambda value: _link_cell(value, "cover"),
        "error_message": _long_cell,
        "input_prompt": _long_cell,
    }
    head = "".join(f"<th>{HEADERS[name]}</th>" for name in TABLE_COLUMNS)
    body = "".join(
        "<tr>"
        + "".join(cells.get(name, _plain_cell)(columns[name][row]) for name in TABLE_COLUMNS)
        + "</tr>"
        for row in range(len(table))
    )
    shown = f"<p class='lab-note'>Showing {len(table):,} of {len(selected):,}.</p>"
    return (
        f"{shown}<div class='lab-scroll'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def errors_html(selected: pd.DataFrame, top: int = 12) -> str:
    """The ``top`` error signatures of the selection, as a table; the full message on hover."""
    groups = error_groups(selected).head(top)
    if groups.empty:
        return "<p class='lab-empty'>No failed tasks in this selection.</p>"
    head = "".join(
        f"<th>{name}</th>"
        for name in ("count", "share", "category", "signature", "models", "last seen")
    )
    examples = groups["example"] if "example" in groups else groups["signature"]
    body = "".join(
        "<tr>"
        f"<td class='lab-nowrap'>{count:,}</td><td class='lab-nowrap'>{100 * share:.1f}%</td>"
        f"<td class='lab-nowrap'>{html.escape(str(category))}</td>"
        f"{_long_cell(signature, full=example)}"
        f"<td class='lab-text'>{html.escape(', '.join(map(str, models)))}</td>"
        f"{_time_cell(seen)}"
        "</tr>"
        for count, share, category, signature, models, seen, example in zip(
            groups["count"],
            groups["share"],
            groups["category"],
            groups["signature"],
            groups["models"],
            groups["last_seen"],
            examples,
            strict=True,
        )
    )
    return (
        f"<div class='lab-scroll'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and bool(np.isnan(value))


def _plain_cell(value: Any) -> str:
    return "<td></td>" if _missing(value) else f"<td>{html.escape(str(value))}</td>"


def _time_cell(value: Any) -> str:
    if _missing(value):
        return "<td></td>"
    return f"<td class='lab-nowrap'>{pd.Timestamp(value).strftime('%Y-%m-%d %H:%M:%S')}</td>"


def _duration_cell(value: Any) -> str:
    if _missing(value):
        return "<td></td>"
    return f"<td class='lab-nowrap'>{html.escape(format_duration(float(value)))}</td>"


def _link_cell(value: Any, text: str) -> str:
    if _missing(value) or not str(value).strip():
        return "<td></td>"
    url = str(value).strip()
    if not url.lower().startswith(_SAFE_SCHEMES):  # a javascript: URL is shown, never linked
        return f"<td title='{html.escape(url)}'>{html.escape(url[:40])}</td>"
    return (
        f"<td><a href='{html.escape(url)}' target='_blank' rel='noopener noreferrer' "
        f"title='{html.escape(url)}'>{text}</a></td>"
    )


def _long_cell(value: Any, *, full: Any = None) -> str:
    """Text cut to a line or two; the whole of it (or ``full``) on hover."""
    if _missing(value):
        return "<td></td>"
    text = " ".join(str(value).split())
    whole = " ".join(str(full if not _missing(full) else value).split())
    short = text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"
    if short == whole:
        return f"<td class='lab-text'>{html.escape(text)}</td>"
    return f"<td class='lab-text' title='{html.escape(whole)}'>{html.escape(short)}</td>"
