"""Small hand-made task records and simulated worlds for the analytics tests."""

from __future__ import annotations

from typing import Any

import pandas as pd

from aitoearn_lab import to_frame
from aitoearn_lab.simulator import World
from aitoearn_lab.simulator.world import TimestampMode, iso_ms
from tests.support import ANCHOR

STATUS = {"succeeded": "SUCCESS", "failed": "FAILURE", "running": "InProgress", "queued": "QUEUED"}


def record(
    number: int,
    model: str,
    state: str,
    *,
    submitted: float,
    started: float | None = None,
    finished: float | None = None,
    error: str | None = None,
    duration: float | None = 5,
    resolution: str | None = "720p",
    prompt: str = "a cat on a skateboard",
    status: str | None = None,
) -> dict[str, Any]:
    """A task record as the API returns it; times are seconds after ``ANCHOR``."""
    task: dict[str, Any] = {
        "id": f"{number:024x}",
        "model": model,
        "status": status or STATUS[state],
        "input": {"prompt": prompt},
        "submittedAt": iso_ms(ANCHOR + submitted),
        "startedAt": iso_ms(ANCHOR + (submitted if started is None else started)),
    }
    if duration is not None:
        task["input"]["duration"] = duration
    if resolution is not None:
        task["input"]["resolution"] = resolution
    if finished is not None:
        task["finishedAt"] = iso_ms(ANCHOR + finished)
    if state == "succeeded":
        task["videoUrl"] = f"https://cdn.example/{number}.mp4"
    if error is not None:
        task["error"] = {"message": error}
    return task


def done(
    number: int, model: str, queue: float, render: float, *, submitted: float = 0.0, **extra: Any
) -> dict[str, Any]:
    """A succeeded task with the given queue and render seconds."""
    return record(
        number,
        model,
        "succeeded",
        submitted=submitted,
        started=submitted + queue,
        finished=submitted + queue + render,
        **extra,
    )


def frame(records: list[dict[str, Any] | None]) -> pd.DataFrame:
    return to_frame(records)


def world_records(
    tasks: int = 400, seed: int = 5, *, timestamps: TimestampMode = "separate"
) -> list[dict[str, Any] | None]:
    """A simulated world as seen at its anchor: mostly finished, a recent batch in flight."""
    world = World.generate(tasks=tasks, seed=seed, anchor=ANCHOR)
    return [world.tasks[i].view(ANCHOR, timestamps) for i in world.task_ids()]


def world_frame(
    tasks: int = 400, seed: int = 5, *, timestamps: TimestampMode = "separate"
) -> pd.DataFrame:
    return to_frame(world_records(tasks, seed, timestamps=timestamps))
