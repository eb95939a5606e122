"""``python -m benchmarks [NAME ...] [--quick] [--markdown]``: run the benchmarks, print ratios."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import date

from benchmarks import analytics, cold, dashboard, flatten, memory, sync, warm
from benchmarks._common import Result

BENCHMARKS: dict[str, Callable[..., list[Result]]] = {
    "cold": cold.run_cold,
    "cpu": cold.run_cpu,
    "warm": warm.run,
    "flatten": flatten.run,
    "analytics": analytics.run,
    "memory": memory.run,
    "dashboard": dashboard.run,
    "sync": sync.run_sync,
    "incremental": sync.run_incremental,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run the performance benchmarks; each prints its figure, the baseline "
        "measured in the same run, the ratio and whether the goal is met.",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"a subset of: {', '.join(BENCHMARKS)}"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes, fewer repeats (about a minute)"
    )
    parser.add_argument(
        "--markdown", action="store_true", help="also print the results as a Markdown table"
    )
    options = parser.parse_args(argv)
    unknown = [name for name in options.names if name not in BENCHMARKS]
    if unknown:
        parser.error(
            f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}"
        )
    names = options.names or list(BENCHMARKS)

    started = time.perf_counter()
    results: list[Result] = []
    for name in BENCHMARKS:
        if name not in names:
            continue
        print(
            f"running {name}{' (quick)' if options.quick else ''} ...", file=sys.stderr, flush=True
        )
        for result in BENCHMARKS[name](quick=options.quick):
            results.append(result)
            print(describe(result), flush=True)
    print(f"{len(results)} benchmark(s) in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if options.markdown:
        print(markdown(results, quick=options.quick))
    return 0


def describe(result: Result) -> str:
    lines = [
        f"[{result.number}] {result.title}",
        f"    figure    {result.figure}",
        f"    baseline  {result.baseline}",
    ]
    if result.ratio:
        lines.append(f"    ratio     {result.ratio}")
    lines.append(f"    goal      {result.goal}  ->  {result.verdict}")
    lines += [f"    note      {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def markdown(results: list[Result], *, quick: bool) -> str:
    rows = [
        f"Results of {date.today().isoformat()}{' (--quick)' if quick else ''}:",
        "",
        "| # | benchmark | figure | baseline | ratio | goal | met? |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        cells = [
            str(result.number),
            result.title,
            result.figure,
            result.baseline,
            result.ratio or "-",
            result.goal,
            result.verdict,
        ]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
