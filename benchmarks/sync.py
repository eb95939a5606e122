"""Benchmarks 8 and 9: ``sync`` of a whole account against ``fetch`` by ID, and an incremental sync.

The simulator runs in a child process (``python -m aitoearn_lab simulate``) with 150 ms of
latency on every request, as in benchmark 1. Fetching 100,000 tasks by ID at that latency would
take about a quarter of an hour, so ``fetch`` is measured on a sample of IDs and the two are
compared in tasks per second, with the same latency and workers.

The incremental sync starts from the cache state a sync would have left 1,000 tasks ago: the
newest 1,000 tasks are taken out of the cache and the sync mark is set on the task below them.
The client cannot tell that state from a real one; it is what a sync would have written.
"""

from __future__ import annotations

import functools
from typing import Any

from benchmarks._common import Result, SimulatorProcess, scratch_dir, seconds, timed

LATENCY_S = 0.15
WORKERS = 16
GOAL_VS_FETCH = 30.0
NEW_TASKS = 1_000


@functools.cache
def measure(quick: bool) -> dict[str, Any]:
    """Every figure of benchmarks 8 and 9, from one simulator (measured once per run)."""
    import aitoearn_lab.frame.build  # noqa: F401  (imports are a one-off cost, not a per-task one)
    from aitoearn_lab import Client

    tasks = 20_000 if quick else 100_000
    sample = 600 if quick else 2_000
    figures: dict[str, Any] = {"tasks": tasks, "sample": sample}
    folder = scratch_dir()
    with SimulatorProcess(tasks=tasks, faults=f"latency={LATENCY_S}") as sim:
        options = {"api_key": sim.api_key, "base_url": sim.base_url, "workers": WORKERS}
        with Client(cache=folder / "fetch.sqlite", **options) as client:
            frame, figures["fetch"] = timed(
                lambda: client.fetch(sim.task_ids[:sample], progress=False)
            )
            if client.last_fetch.failed or len(frame) != sample:
                raise RuntimeError(f"fetch incomplete: {client.last_fetch.describe()}")
        cache = folder / "sync.sqlite"
        with Client(cache=cache, **options) as client:
            frame, figures["sync"] = timed(lambda: client.sync(progress=False))
            figures["synced"] = len(frame)
            figures["sync_stats"] = client.last_sync
            if client.last_sync.failed:
                raise RuntimeError(f"sync incomplete: {client.last_sync.describe()}")
            newest = frame["task_id"].tolist()
            # Held before the next sync and not on the two pages it reads: asked again by ID.
            unfinished = frame.loc[~frame["is_terminal"], "task_id"]
            figures["held_unfinished"] = int((~unfinished.isin(newest[: 2 * 1_000])).sum())
            _rewind(client, newest, NEW_TASKS)
        # pending_ttl=0: every held unfinished task is asked again, the most a sync can ask.
        with Client(cache=cache, pending_ttl=0, **options) as client:
            frame, figures["incremental"] = timed(lambda: client.sync(progress=False))
            stats = client.last_sync
            figures["incremental_stats"] = stats
            figures["incremental_rows"] = len(frame)
    return figures


def _rewind(client: Any, newest_first: list[str], count: int) -> None:
    """Leave the cache as a sync would have left it before the newest ``count`` tasks came."""
    from aitoearn_lab.client.cache_format import cache_key
    from aitoearn_lab.client.holdings import Holdings

    holdings = Holdings(client._cache)
    mark = holdings.mark()
    assert mark is not None, "the first sync left no mark"
    gone = newest_first[:count]
    scope = client._cache.scope
    with client._cache._using() as connection:
        connection.executemany(
            "DELETE FROM responses WHERE key = ?", [(cache_key(scope, i),) for i in gone]
        )
        connection.executemany(
            "DELETE FROM aitoearn_listed WHERE scope = ? AND task_id = ?",
            [(scope, i) for i in gone],
        )
    holdings.set_mark(type(mark)(newest_first[count], mark.floor, mark.synced_at))


def run_sync(*, quick: bool) -> list[Result]:
    goal = f">= {GOAL_VS_FETCH:g}x fetch's tasks/s"
    figures = measure(quick)
    tasks, sample = figures["synced"], figures["sample"]
    sync_rate = tasks / figures["sync"].wall_s
    fetch_rate = sample / figures["fetch"].wall_s
    result = Result(
        8,
        "sync",
        f"Sync of {tasks:,} tasks, {LATENCY_S * 1000:.0f} ms latency, {WORKERS} workers, cache on",
        figure=f"{sync_rate:,.0f} tasks/s ({tasks:,} in {seconds(figures['sync'].wall_s)})",
        baseline=(
            f"fetch by ID {fetch_rate:.1f} tasks/s, measured on {sample:,} IDs (all {tasks:,} "
            f"by ID would take about {seconds(tasks / fetch_rate)})"
        ),
        ratio=f"{sync_rate / fetch_rate:.1f}x fetch",
        goal=goal,
        met=sync_rate >= GOAL_VS_FETCH * fetch_rate,
    )
    result.notes.append(figures["sync_stats"].describe())
    return [result]


def run_incremental(*, quick: bool) -> list[Result]:
    title = f"Incremental sync after {NEW_TASKS:,} new tasks"
    goal = "<= 2 list pages + 1 request per held unfinished task"
    figures = measure(quick)
    stats = figures["incremental_stats"]
    held = figures["held_unfinished"]
    result = Result(
        9,
        "incremental",
        f"{title} ({figures['incremental_rows']:,} tasks held in all)",
        figure=(
            f"{stats.list_pages} list page(s) + {stats.by_id_requests} by-ID request(s) in "
            f"{seconds(figures['incremental'].wall_s)}"
        ),
        baseline=f"{held} held unfinished task(s) off those pages",
        ratio=f"{stats.list_pages + stats.by_id_requests} requests for 2 + {held} allowed",
        goal=goal,
        met=stats.list_pages <= 2 and stats.by_id_requests <= held,
    )
    result.notes.append(stats.describe())
    return [result]
