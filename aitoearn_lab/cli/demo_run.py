"""The demo: the whole job against the embedded simulator, no network and no API key needed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from aitoearn_lab.cli.fetching import summary_line
from aitoearn_lab.client.api import Client
from aitoearn_lab.report.document import Report, console_summary
from aitoearn_lab.simulator import Simulator


def run_demo(
    out_dir: Path,
    *,
    tasks: int = 2000,
    seed: int = 7,
    speed: float = 30.0,
    progress: bool = True,
    echo: Callable[[str], object] = print,
) -> pd.DataFrame:
    """Start the simulator, fetch every task twice through the cached client, write the report.

    The second fetch shows the cache policy at work: finished tasks come from the cache, only
    unfinished ones are asked again (and some of those have finished in the meantime). The
    report (``report.html`` and its CSV tables, see :func:`aitoearn_lab.write_report`) goes into
    ``out_dir``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    cache_file = out_dir / "demo-cache.sqlite"
    for stale in out_dir.glob("demo-cache.sqlite*"):
        stale.unlink()  # each demo world is new; a fresh cache keeps the story honest
    with Simulator(tasks=tasks, seed=seed, speed=speed) as sim:
        echo(f"simulator: {len(sim.task_ids)} tasks at {sim.base_url} (its clock runs {speed:g}x)")
        with Client(api_key=sim.api_key, base_url=sim.base_url, cache=cache_file) as client:
            first = client.fetch(sim.task_ids, progress=progress)
            echo("first fetch:  " + summary_line(first, client.last_fetch))
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
    report = Report(tasks_df, title="AiToEarn video tasks (simulated demo)")
    paths = report.write(out_dir)
    echo(f"\nwrote {', '.join(path.name for path in paths.values())} to {out_dir}")
    echo("\n" + console_summary(report.summary))
    for note in report.notes:
        echo(f"note: {note}")
    echo(f"\nreport: {paths['html']}")
    return tasks_df
