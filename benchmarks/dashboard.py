"""Benchmark 7: a filter change on 100,000 tasks recomputes every chart in under 300 ms.

Measured on the dashboard itself (``aitoearn_lab.app.board``): the model filter changes (which
recomputes the selection, the headline, the tables and the chart on screen), then every other
chart is drawn for the new selection (``board.figure(title)`` for each tab). The memos of the
analysis code (``error_groups`` remembers each message's masked form) are timed both ways: kept
from the change before, as in a session with the dashboard, and cleared before each change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks._common import Result, best_of, clear_memos, load_records, records_file, seconds

GOAL_S = 0.300
TITLE = "Dashboard: a filter change on 100,000 tasks recomputes every chart"


def run(*, quick: bool) -> list[Result]:
    from aitoearn_lab import to_frame

    frame = to_frame(load_records(records_file(100_000, seed=9)))
    models = list(frame["model"].cat.categories)
    subsets = [tuple(models[: len(models) // 2]), tuple(models[len(models) // 2 :])]
    change, drawn, how = _through_dashboard(frame, subsets)
    change()  # imports, first draws
    repeat = 3 if quick else 5
    _, timing = best_of(change, repeat)
    _, cold = best_of(change, repeat, setup=clear_memos)
    result = Result(
        7,
        "dashboard",
        TITLE,
        figure=(
            f"{seconds(timing.cpu_s)} CPU for {drawn} charts (wall {seconds(timing.wall_s)}); "
            f"memos cleared first: {seconds(cold.cpu_s)}"
        ),
        baseline="-",
        ratio=f"{timing.cpu_s / GOAL_S:.2f}x the budget ({cold.cpu_s / GOAL_S:.2f}x memos cleared)",
        goal=f"< {GOAL_S * 1000:.0f} ms",
        met=timing.cpu_s < GOAL_S,  # one thread: CPU time, steadier than wall on a shared machine
    )
    result.notes += [
        how,
        f"the verdict is on the first figure: memos kept from the previous change, as in a "
        f"session with the dashboard; best of {repeat} changes both ways",
    ]
    return [result]


def _through_dashboard(
    frame: Any, subsets: list[tuple[str, ...]]
) -> tuple[Callable[[], None], int, str]:
    from aitoearn_lab.app.board import dashboard
    from aitoearn_lab.charts.registry import DASHBOARD_CHARTS

    board = dashboard(frame)
    turn = [0]

    def change() -> None:
        turn[0] += 1
        board.model_filter.value = subsets[turn[0] % 2]  # selection, headline, tables, one chart
        for chart in DASHBOARD_CHARTS:
            board.figure(chart.title)  # every chart not yet drawn for this selection

    how = (
        "aitoearn_lab.app.board: the model filter flips between two halves of the models; "
        "the change redraws the headline, the tables and the chart on screen, then every other "
        f"tab's chart is drawn ({len(DASHBOARD_CHARTS)} charts); best of several changes"
    )
    return change, len(DASHBOARD_CHARTS), how
