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
    """What a careful requests-cache user writes: one cached GET per task through a CachedSession.

    ``trust_env`` is off, as :class:`aitoearn_lab.Client` has it: with it on, every GET (even one
    answered from the cache) first looks for proxy settings in the environment.
    """
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
    session.trust_env = False
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


def run(*, quick: bool) -> list[Result]:
    from aitoearn_lab import Client, to_frame

    n = 20_000 if quick else 100_000
    # Every CachedSession read costs about the same however many there are (one keyed SQLite
    # lookup and one deserialisation each, about 0.5 ms of CPU); reading all 100,000 that way
    # four times over would take minutes, so a fifth (a quarter in --quick) is read, with the
    # same repeats as the package, and multiplied up; the output says so.
    sample = 5_000 if quick else 20_000
    repeat = 2 if quick else 4
    path, task_ids, filled = _filled_cache(n)

    def ours() -> Any:
        with Client(api_key=API_KEY, base_url=BASE_URL, cache=path) as client:
            frame = client.fetch(task_ids, progress=False)
            if client.last_fetch.cache_hits != n:
                raise RuntimeError(f"only {client.last_fetch.cache_hits} of {n} from the cache")
        return frame

    def session() -> Any:
        return to_frame(session_read(str(path), task_ids[:sample]))

    # Imports and first calls, for every contender alike.
    to_frame(raw_read(str(path))[:200])
    to_frame(session_read(str(path), task_ids[:200]))
    timings = interleaved(
        {"ours": ours, "raw": lambda: to_frame(raw_read(str(path))), "session": session}, repeat
    )
    ours_time, raw_time, sample_time = timings["ours"], timings["raw"], timings["session"]
    # Everything here runs on one thread: CPU time is the cost, and on a shared machine it is
    # far steadier than wall time, which is shown beside it.
    scale = n / sample
    session_total = sample_time.cpu_s * scale
    vs_session = session_total / ours_time.cpu_s
    vs_raw = ours_time.cpu_s / raw_time.cpu_s
    scaled = f" (scaled from {sample:,} reads)" if scale != 1 else ""
    result = Result(
        3,
        "warm",
        f"Warm reload: {n:,} finished tasks from the cache to a DataFrame",
        figure=f"{seconds(ours_time.cpu_s)} CPU (Client.fetch)",
        baseline=(
            f"CachedSession one by one + to_frame {seconds(session_total)}{scaled}; "
            f"raw SQLite + orjson + to_frame {seconds(raw_time.cpu_s)}"
        ),
        ratio=f"{vs_session:.1f}x faster than CachedSession; {vs_raw:.2f}x the raw read",
        goal=f">= {GOAL_VS_SESSION:g}x faster than CachedSession, <= {GOAL_VS_RAW:g}x the raw read",
        met=vs_session >= GOAL_VS_SESSION and vs_raw <= GOAL_VS_RAW,
    )
    if scale != 1:
        result.notes.append(
            f"CachedSession: {sample:,} reads and their to_frame took {seconds(sample_time.cpu_s)} "
            f"CPU ({sample_time.cpu_s / sample * 1e6:.0f} µs per task), multiplied by "
            f"{scale:g} for {n:,}: each read is one keyed lookup, so the cost is per read"
        )
    result.notes += [
        "CachedSession with trust_env off (as Client has it), the same SERIALIZER and keys",
        f"wall: ours {seconds(ours_time.wall_s)}, raw read {seconds(raw_time.wall_s)}, "
        f"CachedSession {seconds(sample_time.wall_s)} for {sample:,}; best of {repeat} for "
        f"every contender, taken in turns; the cache was filled in {seconds(filled.wall_s)}",
    ]
    return [result]
