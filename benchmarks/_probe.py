"""``python -m benchmarks._probe NAME ARGS...``: one measurement in a fresh process.

Prints one JSON line. ``to_frame PATH`` and ``json_normalize PATH`` give the peak memory, wall
and CPU time of building a frame; ``memory PATH...`` gives the bytes per task of both frames,
built from the records of every file given (files of different worlds).
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks._common import load_records, rss_peak


def peak(name: str, path: str) -> dict[str, Any]:
    from aitoearn_lab import to_frame
    from benchmarks.flatten import json_normalize_baseline

    function = {"to_frame": to_frame, "json_normalize": json_normalize_baseline}[name]
    records = load_records(Path(path))
    function(records[:200])  # imports and warm-up
    gc.collect()
    with rss_peak() as measured:
        wall, cpu = time.perf_counter(), time.process_time()
        result = function(records)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    del result
    return {"peak": measured["peak"], "wall": wall, "cpu": cpu, "method": measured["method"]}


def memory(*paths: str) -> dict[str, Any]:
    from aitoearn_lab import to_frame
    from aitoearn_lab.frame.build import LIST_COLUMNS
    from benchmarks.flatten import json_normalize_baseline
    from benchmarks.memory import frame_bytes

    records = load_records(*(Path(path) for path in paths))
    ours = to_frame(records)
    out: dict[str, Any] = {"rows": len(ours)}
    out["ours"] = frame_bytes(ours, list_columns=LIST_COLUMNS, prompt_column="input_prompt")
    del ours
    baseline = json_normalize_baseline(records)
    lists = [
        name for name in baseline.columns if name.startswith("input.") and name != "input.prompt"
    ]
    out["baseline"] = frame_bytes(baseline, list_columns=lists, prompt_column="input.prompt")
    return out


if __name__ == "__main__":
    probe, *arguments = sys.argv[1:]
    answer = memory(*arguments) if probe == "memory" else peak(probe, *arguments)
    print(json.dumps(answer))
