"""The list and models endpoints: a key's tasks page by page, and the models offered now."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, Final

from aitoearn_lab.simulator.catalogue import model_table
from aitoearn_lab.simulator.world import SimTask, TimestampMode

LIST_PATH: Final = "/api/ai/video/generations"
MODELS_PATH: Final = "/api/ai/models/video/generation"
DEFAULT_PAGE_SIZE: Final = 10
MAX_PAGE_SIZE: Final = 1000


class PageRequestError(ValueError):
    """``page`` or ``pageSize`` is not what the server accepts (it answers 10002)."""


def _whole_number(
    query: Mapping[str, list[str]], name: str, *, default: int, low: int, high: int
) -> int:
    values = query.get(name)
    if not values or values[-1] == "":
        return default
    raw = values[-1].strip()
    # The server's DTO converts with Number() and checks it is an integer in range.
    try:
        number = float(raw)
    except ValueError:
        raise PageRequestError(f"{name} must be a number, got {raw[:40]!r}") from None
    if not number.is_integer() or not low <= number <= high:
        raise PageRequestError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
    return int(number)


def page_request(query: Mapping[str, list[str]]) -> tuple[int, int]:
    """``(page, pageSize)`` from a parsed query string, or :class:`PageRequestError`."""
    page = _whole_number(query, "page", default=1, low=1, high=2**31 - 1)
    page_size = _whole_number(
        query, "pageSize", default=DEFAULT_PAGE_SIZE, low=1, high=MAX_PAGE_SIZE
    )
    return page, page_size


class TaskIndex:
    """Each key's tasks ordered by creation time, so a page is a slice, not a sort per request."""

    def __init__(self, tasks: Iterable[SimTask]) -> None:
        self._tasks: dict[int, list[SimTask]] = {}
        for task in sorted(tasks, key=lambda t: (t.submitted_at, t.task_id)):
            self._tasks.setdefault(task.owner, []).append(task)
        self._times = {owner: [t.submitted_at for t in ts] for owner, ts in self._tasks.items()}

    def page(
        self, owner: int, *, page: int, page_size: int, now: float, timestamps: TimestampMode
    ) -> dict[str, Any]:
        """One page of ``owner``'s tasks that exist at ``now``, newest first."""
        tasks = self._tasks.get(owner, [])
        total = bisect.bisect_right(self._times.get(owner, []), now)
        newest = total - (page - 1) * page_size  # exclusive end of this page in creation order
        chosen = tasks[max(newest - page_size, 0) : max(newest, 0)]
        views = (task.view(now, timestamps) for task in reversed(chosen))
        return {
            "page": page,
            "pageSize": page_size,
            "totalPages": math.ceil(total / page_size),
            "total": total,
            "list": [view for view in views if view is not None],
        }


def _number(value: Any) -> Any:
    """The shipped table keeps some numbers as strings; the server's config has them as numbers."""
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    if isinstance(value, dict):
        return {key: _number(item) for key, item in value.items()}
    return value


@cache
def models_answer() -> list[dict[str, Any]]:
    """The models endpoint's ``data``: the shipped model table in the public code's shape."""
    answer = []
    for entry in model_table():
        defaults = entry.get("defaults") or {}
        answer.append(
            {
                "name": entry["name"],
                "description": entry.get("description", entry["name"]),
                "tags": list(entry.get("tags") or []),
                "channel": entry.get("channel", "relay"),
                "modes": list(entry["modes"]),
                "resolutions": list(entry["resolutions"]),
                "durations": [int(d) for d in entry["durations"]],
                "maxInputImages": int(entry.get("maxInputImages") or 0),
                "inputConstraints": _number(entry.get("inputConstraints") or {}),
                "aspectRatios": list(entry.get("aspectRatios") or []),
                # A default the config leaves out is left out of the answer too (no nulls).
                "defaults": {
                    name: _number(defaults[name]) if name == "duration" else defaults[name]
                    for name in ("resolution", "aspectRatio", "duration")
                    if defaults.get(name) is not None
                },
            }
        )
    return answer
