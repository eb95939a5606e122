"""Benchmarks 1 and 2: a cold fetch at 150 ms of server latency, its speed and its CPU cost.

The simulator runs in a child process (``python -m aitoearn_lab simulate``), so the CPU counted
here (``time.process_time``: every thread of this process) is the client's alone.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from benchmarks._common import Result, SimulatorProcess, Timing, scratch_dir, seconds, timed

LATENCY_S = 0.15
WORKERS = 16
GOAL_VS_BOUND = 0.9
GOAL_VS_SEQUENTIAL = 12.0
GOAL_CPU_VS_PLAIN = 2.0


@functools.cache
def measure(quick: bool) -> dict[str, Any]:
    """Every figure of benchmarks 1 and 2, from one simulator (measured once per run)."""
    import aitoearn_lab.frame.build  # noqa: F401  (imports are a one-off cost, not a per-task one)
    from aitoearn_lab import Client

    n = 600 if quick else 2_000
    sequential_n = 40 if quick else 200
    figures: dict[str, Any] = {"n": n, "sequential_n": sequential_n}
    with SimulatorProcess(tasks=n + 100, faults=f"latency={LATENCY_S}") as sim:
        ids = sim.task_ids[:n]
        urls = [f"{sim.base_url}/api/ai/video/generations/{task_id}" for task_id in ids]
        headers = {"X-Api-Key": sim.api_key}
        folder = scratch_dir()

        with Client(
            api_key=sim.api_key, base_url=sim.base_url, cache=folder / "c.sqlite", workers=WORKERS
        ) as client:
            frame, figures["ours"] = timed(lambda: client.fetch(ids, progress=False))
            if client.last_fetch.failed or len(frame) != n:
                raise RuntimeError(f"cold fetch incomplete: {client.last_fetch.describe()}")
            _, figures["ours_warm"] = timed(lambda: client.fetch(ids, progress=False))
            figures["warm_hits"] = client.last_fetch.cache_hits

        _, figures["plain"] = timed(lambda: _threaded(requests.Session(), urls, headers))
        if not quick:
            import requests_cache

            session = requests_cache.CachedSession(str(folder / "rc.sqlite"), backend="sqlite")
            _, figures["requests_cache"] = timed(lambda: _threaded(session, urls, headers))
            session.close()
        _, figures["sequential"] = timed(lambda: _sequential(urls[:sequential_n], headers))
    return figures


def _careful(session: requests.Session, *, pool: int) -> requests.Session:
    """A session as a user who cared about speed would set it up, as Client sets up its own.

    ``trust_env`` off (or every request first looks up proxy settings in the environment) and
    a connection pool as large as the number of threads that share it.
    """
    session.trust_env = False
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _threaded(session: requests.Session, urls: list[str], headers: dict[str, str]) -> list[Any]:
    """A careful hand-written version: one session, a pool as large as the threads."""
    _careful(session, pool=WORKERS)
    with session, ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(lambda url: session.get(url, headers=headers).json()["data"], urls))


def _sequential(urls: list[str], headers: dict[str, str]) -> list[Any]:
    """One request after the other, on one careful session (kept-alive connection, no proxies)."""
    with _careful(requests.Session(), pool=1) as session:
        return [session.get(url, headers=headers).json()["data"] for url in urls]


def run_cold(*, quick: bool) -> list[Result]:
    figures = measure(quick)
    n, sequential_n = figures["n"], figures["sequential_n"]
    ours: Timing = figures["ours"]
    rate = n / ours.wall_s
    bound = WORKERS / LATENCY_S
    sequential_rate = sequential_n / figures["sequential"].wall_s
    result = Result(
        1,
        "cold",
        f"Cold fetch: {n:,} IDs, {LATENCY_S * 1000:.0f} ms server latency, {WORKERS} workers, cache on",
        figure=f"{rate:.1f} tasks/s ({n:,} in {seconds(ours.wall_s)})",
        baseline=(
            f"bound {bound:.1f} tasks/s (workers / latency); sequential requests.Session "
            f"{sequential_rate:.2f} tasks/s ({sequential_n} IDs)"
        ),
        ratio=f"{rate / bound:.2f}x the bound; {rate / sequential_rate:.1f}x sequential",
        goal=f">= {GOAL_VS_BOUND:g}x the bound, >= {GOAL_VS_SEQUENTIAL:g}x sequential",
        met=rate >= GOAL_VS_BOUND * bound and rate >= GOAL_VS_SEQUENTIAL * sequential_rate,
    )
    plain_rate = n / figures["plain"].wall_s
    result.notes.append(
        f"a threaded requests.Session ({WORKERS} threads, pool of {WORKERS}, trust_env off): "
        f"{plain_rate:.1f} tasks/s"
    )
    return [result]


def run_cpu(*, quick: bool) -> list[Result]:
    figures = measure(quick)
    n = figures["n"]

    def per_task(timing: Timing) -> float:
        return timing.cpu_s / n * 1000.0

    cold, warm, plain = (per_task(figures[name]) for name in ("ours", "ours_warm", "plain"))
    result = Result(
        2,
        "cpu",
        f"Client CPU per task at {LATENCY_S * 1000:.0f} ms latency ({n:,} tasks, {WORKERS} threads)",
        figure=f"cold {cold:.2f} ms",
        baseline=(
            f"plain requests.Session {plain:.2f} ms (threaded, pool of {WORKERS}, trust_env off)"
        ),
        ratio=f"cold {cold / plain:.2f}x plain",
        goal=f"cold <= {GOAL_CPU_VS_PLAIN:g}x plain",
        met=cold <= GOAL_CPU_VS_PLAIN * plain,
    )
    result.notes += [
        "cold includes parsing, validation, the cache write and the DataFrame; the plain "
        "session only parses the JSON",
        # Cache hits against network requests is no comparison: the warm figure stands alone.
        f"warm (not compared): {warm:.3f} ms per task, {figures['warm_hits']:,} of {n:,} from "
        "the cache, no request sent",
    ]
    if "requests_cache" in figures:
        result.notes.append(
            f"a requests-cache CachedSession, same threads, pool and trust_env off: "
            f"{per_task(figures['requests_cache']):.2f} ms per task"
        )
    return [result]
