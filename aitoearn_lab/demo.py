"""The demo: the whole job against the embedded simulator, no network and no API key needed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from aitoearn_lab.client import Client
from aitoearn_lab.simulator import Simulator
from aitoearn_lab.tables import write_tasks


def run_demo(
    out_dir: Path,
    *,
    tasks: int = 2000,
    seed: int = 7,
    speed: float = 30.0,
    progress: bool = True,
    echo: Callable[[str], object] = print,
) -> pd.DataFrame:
    """Start the simulator, fetch every task twice through the cached client, write the results.

    The second fetch shows the cache policy at work: finished tasks come from the cache, only
    unfinished ones are asked again (and some of those have finished in the meantime).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    cache_file = out_dir / "demo-cache.sqlite"
    for stale in out_dir.glob("demo-cache.sqlite*"):
        stale.unlink()  # each demo world is new; a fresh cache keeps the story honest
    with Simulator(tasks=tasks, seed=seed, speed=speed) as sim:
        echo(f"simulator: {len(sim.task_ids)} tasks at {sim.base_url} (its clock runs {speed:g}x)")
        with Client(api_key=sim.api_key, base_url=sim.base_url, cache=cache_file) as client:
            first = client.fetch(sim.task_ids, progress=progress)
            echo("first fetch:  " + client.last_fetch.describe())
        # pending_ttl=0: ask again for every unfinished task, however recent its answer.
        with Client(
            api_key=sim.api_key, base_url=sim.base_url, cache=cache_file, pending_ttl=0
        ) as client:
            tasks_df = client.fetch(sim.task_ids, progress=False)
            second = client.last_fetch
        newly_done = int((~first["is_terminal"] & tasks_df["is_terminal"]).sum())
        echo(
            f"second fetch: {second.cache_hits} finished tasks from the cache, {second.fetched} "
            f"unfinished asked again ({newly_done} finished meanwhile), {second.elapsed_s:.2f} s"
        )
    path = write_tasks(tasks_df, out_dir / "tasks.csv")
    echo(f"\nwrote {path}")
    echo("\n" + per_model_table(tasks_df).to_string())
    return tasks_df


def per_model_table(tasks: pd.DataFrame) -> pd.DataFrame:
    """A compact per-model table for a terminal: counts, success rate, median turnaround."""
    grouped = tasks.groupby("model", observed=True)
    table = pd.DataFrame(
        {
            "tasks": grouped.size(),
            "succeeded": grouped["state"].apply(lambda s: int((s == "succeeded").sum())),
            "failed": grouped["state"].apply(lambda s: int((s == "failed").sum())),
            "unfinished": grouped["is_terminal"].apply(lambda s: int((~s).sum())),
        }
    )
    finished = table["succeeded"] + table["failed"]
    table["success_%"] = (100 * table["succeeded"] / finished.where(finished > 0)).round(1)
    done = tasks[tasks["state"] == "succeeded"].groupby("model", observed=True)["total_s"]
    table["p50_total_s"] = done.median().round(1)
    table["p90_total_s"] = done.quantile(0.9).round(1)
    return table.sort_values("tasks", ascending=False)
