"""A stand-in for the platform's list and models endpoints, over a simulator world.

Serves what the public code serves (``GET /api/ai/video/generations?page=&pageSize=``: the
caller's tasks, newest first; ``GET /api/ai/models/video/generation``; an envelope of code 404
for any other route) from a :class:`~aitoearn_lab.simulator.World` seen at a hand-moved clock,
on real loopback HTTP through :class:`~tests.support.remote.RemoteService`. A test can add tasks
to the world, move the clock, turn the list endpoint off, or run code between two pages.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs

from aitoearn_lab import schema
from aitoearn_lab.simulator import ManualClock, World
from tests.support.remote import Crafted, RemoteService, envelope

LIST_PATH = "/api/ai/video/generations"
MODELS_ROUTE = "models/video/generation"


class ListingService:
    """The list, task and models routes of one world, for its first key (owner 0)."""

    def __init__(self, world: World, clock: ManualClock, *, models: list[dict[str, Any]]) -> None:
        self.world = world
        self.clock = clock
        self.models = models
        self.has_list = True
        self.refuse_with: int | None = None
        """An HTTP status (a gateway's 403, say) for every list request, without an envelope."""
        self.failing_pages: set[int] = set()
        """Pages answered with an HTTP 503 from a proxy, every time."""
        self.between_pages: Callable[[int], None] | None = None
        """Called with each page number before the page is answered (arrivals mid-sync)."""
        self.remote = RemoteService()
        self.remote.answer_request = self._answer

    @property
    def api_key(self) -> str:
        return self.world.api_keys[0]

    @property
    def base_url(self) -> str:
        return self.remote.base_url

    def pages_asked(self) -> list[int]:
        return [int(parse_qs(s.raw_path.split("?", 1)[1])["page"][0]) for s in self._list_seen()]

    def ids_asked(self) -> list[str]:
        return [
            s.raw_path[len(schema.TASK_PATH) :]
            for s in self.remote.seen
            if "?" not in s.raw_path and s.raw_path.startswith(schema.TASK_PATH)
        ]

    def keys_sent_for_models(self) -> list[str | None]:
        return [s.api_key for s in self.remote.seen if MODELS_ROUTE in s.raw_path]

    def _list_seen(self) -> list[Any]:
        return [s for s in self.remote.seen if s.raw_path.startswith(LIST_PATH + "?")]

    def visible(self, owner: int = 0) -> list[dict[str, Any]]:
        """The owner's tasks as the list shows them now, newest first."""
        now = self.clock.now()
        tasks = sorted(
            (t for t in self.world.tasks.values() if t.owner == owner),
            key=lambda t: (t.submitted_at, t.task_id),
            reverse=True,
        )
        views = (t.view(now, "public-code") for t in tasks)
        return [v for v in views if v is not None]

    @contextmanager
    def running(self) -> Iterator[ListingService]:
        with self.remote.running():
            yield self

    def _answer(self, raw_path: str, api_key: str | None) -> Crafted:
        if raw_path.startswith(LIST_PATH + "?") and self.has_list:
            return self._page(parse_qs(raw_path.split("?", 1)[1]), api_key)
        if raw_path.startswith("/api/ai/" + MODELS_ROUTE):
            return Crafted(body=envelope(self.models, message="Success"))
        if not raw_path.startswith(schema.TASK_PATH) or "?" in raw_path:
            return Crafted(body=_no_route(raw_path))
        if api_key != self.api_key:
            return Crafted(body=envelope({}, code=401, message="Unauthorized"))
        task = self.world.tasks.get(raw_path[len(schema.TASK_PATH) :])
        view = task.view(self.clock.now(), "public-code") if task is not None else None
        if view is None:
            return Crafted(body=envelope({}, code=12302, message="Invalid AI task ID"))
        return Crafted(body=envelope(view, message="Success"))

    def _page(self, query: dict[str, list[str]], api_key: str | None) -> Crafted:
        if api_key != self.api_key:
            return Crafted(body=envelope({}, code=401, message="Unauthorized"))
        page, size = int(query["page"][0]), int(query["pageSize"][0])
        if self.refuse_with is not None:
            return Crafted(
                status=self.refuse_with, body=b"Forbidden", headers={"Content-Type": "text/plain"}
            )
        if page in self.failing_pages:
            return Crafted(
                status=503, body=b"<html>503</html>", headers={"Content-Type": "text/html"}
            )
        if self.between_pages is not None:
            self.between_pages(page)
        views = self.visible()
        data = {
            "page": page,
            "pageSize": size,
            "totalPages": math.ceil(len(views) / size),
            "total": len(views),
            "list": views[(page - 1) * size : page * size],
        }
        return Crafted(body=envelope(data, message="Success"))


def _no_route(path: str) -> dict[str, Any]:
    return {
        "code": 404,
        "message": f"Cannot GET {path[:100]}",
        "data": {},
        "timestamp": 0,
        "requestId": "a1b2c3d4e5f6g7h8i9j0k",
    }


def arrivals(world: World, *, count: int, after: float, seed: int, hours: float = 1.0) -> list[str]:
    """Add exactly ``count`` tasks of the first key, submitted in the ``hours`` after ``after``.

    Returns their IDs; every one is visible once the clock reaches ``after + hours * 3600``.
    """
    later = World.generate(
        tasks=count * 3,
        seed=seed,
        anchor=after + hours * 3600,
        span_hours=hours,
        neighbour_tasks=0,
        api_key=world.api_keys[0],
    )
    fresh = [
        task
        for task in later.tasks.values()
        if after < task.submitted_at <= after + hours * 3600 and task.task_id not in world.tasks
    ]
    assert len(fresh) >= count, "not enough arrivals in the window"
    for task in fresh[:count]:
        world.tasks[task.task_id] = task
    return [task.task_id for task in fresh[:count]]
