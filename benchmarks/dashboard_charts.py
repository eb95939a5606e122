"""Dashboard chart recomputation on 100,000 tasks: each chart, every chart, one filter change.

Run from the repository root with ``python -m benchmarks.dashboard_charts`` (or
``python benchmarks/dashboard_charts.py``). Every figure is the best of ``--repeat`` runs, since
other work on the machine only ever makes a run slower. Goals (issue 4 and issue 6, benchmark 7):
a filter change on 100,000 tasks recomputes every chart in under 300 ms, and redraws the visible
tab in well under a second. This is a measurement, not a test: correctness lives in ``tests/``.
"""

from __future__ import annotations

import argparse
import gc
import time
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd

ANCHOR = 1.78e9
GOAL_ALL_CHARTS_S = 0.300


def best_of(run: Callable[[], Any], repeat: int, setup: Callable[[], Any] | None = None) -> float:
    """The fastest of ``repeat`` runs, in seconds; ``setup`` runs untimed before each."""
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def world_tasks(tasks: int, seed: int) -> pd.DataFrame:
    """A simulated world of ``tasks`` tasks seen five minutes after its anchor."""
    from aitoearn_lab import to_frame
    from aitoearn_lab.simulator import World

    world = World.generate(tasks=tasks, seed=seed, anchor=ANCHOR)
    return to_frame([task.view(world.anchor + 300) for task in world.tasks.values()])


def chart_functions() -> list[tuple[str, Callable[[pd.DataFrame], Any]]]:
    from aitoearn_lab import error_groups, summarize
    from aitoearn_lab.charts.registry import CHARTS
    from aitoearn_lab.metrics.overview import headline

    return [
        *((chart.function.__name__, chart.function) for chart in CHARTS),
        ("summarize", summarize),
        ("headline", headline),
        ("error_groups", error_groups),
    ]


def clear_memos() -> None:
    """Empty every ``functools`` memo of the package's analysis and chart modules."""
    import importlib
    import pkgutil

    for layer in ("aitoearn_lab.metrics", "aitoearn_lab.charts"):
        package = importlib.import_module(layer)
        for info in pkgutil.iter_modules(package.__path__, layer + "."):
            for value in list(vars(importlib.import_module(info.name)).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def line(name: str, seconds: float, note: str = "") -> None:
    print(f"  {name:<44} {seconds * 1000:8.1f} ms  {note}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args(argv)

    start = time.perf_counter()
    tasks = world_tasks(options.tasks, options.seed)
    failed = int((tasks["state"] == "failed").sum())
    print(
        f"{len(tasks):,} tasks ({failed:,} failed, "
        f"{tasks['error_message'].nunique():,} distinct messages) "
        f"built in {time.perf_counter() - start:.1f} s; best of {options.repeat}"
    )

    # A fresh filtered copy each time, as the dashboard hands the charts: a chart must not get
    # faster by seeing the very same frame object twice. The package's memos are emptied before
    # each run too, so no function is timed on what an earlier run of it remembered.
    models = sorted(tasks["model"].dropna().unique())
    subset = tasks[(tasks["model"] != models[0]).fillna(True).to_numpy(dtype=bool)]
    print(
        f"\nChart functions on the frame without {models[0]!r} ({len(subset):,} rows), memos cold:"
    )
    frames: list[pd.DataFrame] = []

    def fresh() -> None:
        frames.append(subset.copy())
        clear_memos()

    for name, function in chart_functions():
        seconds = best_of(
            lambda function=function: function(frames[-1]), options.repeat, setup=fresh
        )
        line(name, seconds)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # widgets outside a kernel have no comm to talk to
        dashboard_figures(tasks, models, options.repeat)


def dashboard_figures(tasks: pd.DataFrame, models: list[str], repeat: int) -> None:
    from aitoearn_lab import dashboard
    from aitoearn_lab.charts.registry import DASHBOARD_CHARTS

    start = time.perf_counter()
    app = dashboard(tasks)
    built = time.perf_counter() - start
    app.update(all_charts=True)  # every FigureWidget exists from here on, as after a tour of tabs
    print(
        f"\nDashboard ({len(tasks):,} tasks; built in {built * 1000:.0f} ms; memos kept from "
        "one change to the next, as in a session):"
    )

    every = tuple(app.model_filter.options)
    changes = [tuple(m for m in every if m != dropped) for dropped in models] or [every]
    turn = iter(range(10**9))

    def next_filter() -> None:
        # Drop a different model each time (the visible tab redraws here, untimed).
        app.model_filter.value = changes[next(turn) % len(changes)]

    line(
        "update(all_charts=True) after a filter change",
        all_charts := best_of(lambda: app.update(all_charts=True), repeat, setup=next_filter),
        f"goal < {GOAL_ALL_CHARTS_S * 1000:.0f} ms: "
        f"{'met' if all_charts < GOAL_ALL_CHARTS_S else 'NOT met'}",
    )

    for index, chart in enumerate(DASHBOARD_CHARTS):
        app.tabs.selected_index = index

        def change() -> None:
            app.model_filter.value = changes[next(turn) % len(changes)]

        line(f"filter change, {chart.title!r} tab visible", best_of(change, repeat))
    app.tabs.selected_index = 0

    selected = app.filtered
    from aitoearn_lab.app.content import errors_html, headline_html, tasks_html
    from aitoearn_lab.app.figures import replace_figure

    print("\nParts of every filter change:")
    line("selection mask", best_of(app.selection_mask, repeat))
    line("headline", best_of(lambda: headline_html(selected, len(tasks)), repeat))
    line("error table", best_of(lambda: errors_html(selected), repeat))
    line("task table", best_of(lambda: tasks_html(selected, app.table_rows), repeat))
    for index, chart in enumerate(DASHBOARD_CHARTS):
        figure = chart.draw(selected)
        widget = app.figures[index]
        line(
            f"{chart.title!r}: figure into its widget",
            best_of(lambda widget=widget, figure=figure: replace_figure(widget, figure), repeat),
        )


if __name__ == "__main__":
    main()
