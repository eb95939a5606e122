"""Benchmark 3: a warm reload of 100,000 finished tasks, against two ways of reading the cache."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson

from benchmarks._common import (
    LATER,
    Result,
    Timing,
    best_of,
    fill_cache,
    interleaved,
    load_records,
    records_file,
    scratch_dir,
    seconds,
    timed,
)

GOAL_VS_SESSION = 20.0
GOAL_VS_RAW = 2.0
# No server listens here: a request that slipped past the cache would fail loudly.
BASE_URL = "http://127.0.0.1:9"
API_KEY = "ai_" + "b" * 48


def raw_read(path: str) -> list[dict[str, Any]]:
    """The floor: every stored body straight from SQLite, parsed, its task record taken."""
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT value FROM responses").fetchall()
    finally:
        connection.close()
    return [orjson.loads(value)["_decoded_content"]["data"] for (value,) in rows]


def session_read(path: str, task_ids: list[str]) -> list[dict[str, Any]]:
    """What a requests-cache user writes: one cached GET per task through a CachedSession."""
    import requests_cache

    from aitoearn_lab.client.api import Client
    from aitoearn_lab.client.cache import SERIALIZER, key_function
    from aitoearn_lab.config import key_scope

    url_of = Client(api_key=API_KEY, base_url=BASE_URL, cache=False).task_url
    session = requests_cache.CachedSession(
        path,
        backend="sqlite",
        serializer=SERIALIZER,
        key_fn=key_function(key_scope(API_KEY, BASE_URL)),
    )
    records = []
    try:
        for task_id in task_ids:
            answer = session.get(url_of(task_id), headers={"X-Api-Key": API_KEY})
            if not answer.from_cache:
                raise RuntimeError(f"{task_id} was not in the cache")
            records.append(answer.json()["data"])
    finally:
        session.close()
    return records


def _filled_cache(n: int) -> tuple[Path, list[str], Timing]:
    """A cache file holding ``n`` finished tasks, stored by the package's own cache code."""
    records = load_records(records_file(n, seed=8, at=LATER))
    path = scratch_dir() / "tasks.sqlite"
    _, filled = timed(lambda: fill_cache(path, api_key=API_KEY, base_url=BASE_URL, records=records))
    return path, [record["id"] for record in records], filled


def _frame_build_time(path: Path, repeat: int) -> Timing:
    from aitoearn_lab import to_frame

    records = raw_read(str(path))
    _, build = best_of(lambda: to_frame(records), repeat)
    return build


def run(*, quick: bool) -> list[Result]:
    from aitoearn_lab import Client, to_frame

    n = 20_000 if quick else 100_000
    sample = 500 if quick else 3_000
    repeat = 2 if quick else 4
    path, task_ids, filled = _filled_cache(n)

    def ours() -> Any:
        with Client(api_key=API_KEY, base_url=BASE_URL, cache=path) as client:
            frame = client.fetch(task_ids, progress=False)
            if client.last_fetch.cache_hits != n:
                raise RuntimeError(f"only {client.last_fetch.cache_hits} of {n} from the cache")
        return frame

    to_frame(raw_read(str(path))[:200])  # imports and warm-up, for every contender
    timings = interleaved({"ours": ours, "raw": lambda: to_frame(raw_read(str(path)))}, repeat)
    ours_time, raw_time = timings["ours"], timings["raw"]
    build_time = _frame_build_time(path, repeat)
    _, sample_time = timed(lambda: session_read(str(path), task_ids[:sample]))
    # Everything here runs on one thread: CPU time is the cost, and on a shared machine it is
    # far steadier than wall time, which is shown beside it.
    session_total = sample_time.cpu_s / sample * n + build_time.cpu_s
    vs_session = session_total / ours_time.cpu_s
    vs_raw = ours_time.cpu_s / raw_time.cpu_s
    result = Result(
        3,
        "warm",
        f"Warm reload: {n:,} finished tasks from the cache to a DataFrame",
        figure=f"{seconds(ours_time.cpu_s)} CPU (Client.fetch)",
        baseline=(
            f"CachedSession one by one {seconds(session_total)}; "
            f"raw SQLite + orjson + to_frame {seconds(raw_time.cpu_s)}"
        ),
        ratio=f"{vs_session:.1f}x faster than CachedSession; {vs_raw:.2f}x the raw read",
        goal=f">= {GOAL_VS_SESSION:g}x faster than CachedSession, <= {GOAL_VS_RAW:g}x the raw read",
        met=vs_session >= GOAL_VS_SESSION and vs_raw <= GOAL_VS_RAW,
    )
    result.notes += [
        f"CachedSession: {sample:,} reads took {seconds(sample_time.cpu_s)} CPU "
        f"({sample_time.cpu_s / sample * 1e3:.2f} ms each), scaled to {n:,}, "
        f"plus to_frame of them ({seconds(build_time.cpu_s)})",
        f"wall: ours {seconds(ours_time.wall_s)}, raw read {seconds(raw_time.wall_s)}, "
        f"CachedSession sample {seconds(sample_time.wall_s)}; best of {repeat}, taken in turns; "
        f"the cache was filled in {seconds(filled.wall_s)}",
    ]
    return [result]
