"""Write the sample data set in ``data/``: task records as the simulator answers them.

``python -m aitoearn_lab.simulator.sample data/sample_tasks.jsonl`` (``make sample-data``) writes
one task record per line, plus the IDs beside it. The same arguments give the same file, and a
test checks that the committed file still matches the simulator.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

from aitoearn_lab.simulator.world import World

SAMPLE_TASKS = 300
SAMPLE_SEED = 7
SAMPLE_ANCHOR = 1782993600.0  # 2026-07-02T12:00:00Z, the date in the spec's examples


def sample_records() -> list[dict[str, object]]:
    """The sample tasks as ``GET`` shows them at the anchor (some still running)."""
    world = World.generate(tasks=SAMPLE_TASKS, seed=SAMPLE_SEED, anchor=SAMPLE_ANCHOR)
    views = (world.tasks[task_id].view(SAMPLE_ANCHOR) for task_id in world.task_ids())
    return [view for view in views if view is not None]


def write_sample(path: Path) -> Path:
    records = sample_records()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    ids = path.with_name(path.stem.replace("_tasks", "") + "_task_ids.txt")
    ids.write_text("".join(f"{record['id']}\n" for record in records), encoding="utf-8")
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "data/sample_tasks.jsonl")
    print(write_sample(target))
