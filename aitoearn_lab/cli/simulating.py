"""``aitoearn-lab demo`` and ``simulate``: the commands that run the embedded simulator."""

from __future__ import annotations

import time
from pathlib import Path

import click

from aitoearn_lab.cli.options import (
    friendly_errors,
    how_to_stop,
    output_folder_option,
    sigterm_as_interrupt,
)
from aitoearn_lab.config import ENV_API_KEY


@click.command()
@output_folder_option("Folder for the results.")
@click.option(
    "--tasks",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Tasks in the simulated world.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the simulated world.")
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="How much faster than real time simulated tasks run.",
)
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@friendly_errors
def demo(out_dir: Path, tasks: int, seed: int, speed: float, no_progress: bool) -> None:
    """Run the whole job against the embedded simulator (no network, no API key)."""
    from aitoearn_lab.cli.demo_run import run_demo

    run_demo(
        out_dir, tasks=tasks, seed=seed, speed=speed, progress=not no_progress, echo=click.echo
    )


@click.command()
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=0,
    show_default=True,
    help="0 picks a free port.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--tasks", type=click.IntRange(min=0), default=1000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="How much faster than real time tasks run.",
)
@click.option(
    "--faults",
    default="",
    metavar="SPEC",
    help='e.g. "5xx=0.1,429=0.05,drop=0.02,malformed=0.02,timeout=0.01,latency=0.15,first-only".',
)
@click.option(
    "--timestamps",
    type=click.Choice(["public-code", "separate"]),
    default="public-code",
    show_default=True,
    help="separate: startedAt is when rendering began and waiting tasks are QUEUED.",
)
@click.option(
    "--arrivals",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Tasks created during the first simulated hour, for list syncs to find.",
)
@click.option(
    "--owner-only",
    is_flag=True,
    help="Refuse a task of another key (12302), as a stricter server might.",
)
@click.option(
    "--ids-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("simulator-task-ids.txt"),
    show_default=True,
    help="Where to write the task IDs.",
)
@friendly_errors
def simulate(
    port: int,
    host: str,
    tasks: int,
    seed: int,
    speed: float,
    faults: str,
    timestamps: str,
    arrivals: int,
    owner_only: bool,
    ids_file: Path,
) -> None:
    """Run the simulated AiToEarn server in the foreground until Ctrl-C."""
    from aitoearn_lab.simulator import FaultPlan, Simulator

    try:
        plan = FaultPlan.parse(faults)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--faults") from None
    sim = Simulator(
        tasks=tasks,
        seed=seed,
        speed=speed,
        faults=plan,
        timestamps="separate" if timestamps == "separate" else "public-code",
        owner_only=owner_only,
        arrivals=arrivals,
        host=host,
        port=port,
    )
    with sigterm_as_interrupt():
        sim.start()
        try:
            sim.write_task_ids(ids_file)
            click.echo(f"base URL: {sim.base_url}")
            click.echo(
                f"API key:  {sim.api_key}   (a simulator key; export {ENV_API_KEY}=... to use it)"
            )
            click.echo(f"task IDs: {ids_file} ({len(sim.task_ids)} tasks)")
            click.echo(f"serving; {how_to_stop()}", err=True)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (kill, a job scheduler, a container stop)
            click.echo("simulator stopped", err=True)
        finally:
            sim.stop()
