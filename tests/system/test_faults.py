"""Faults survived: 5,000 IDs through a third of faulty first answers, and faults that never end.

Every kind of fault the network and a proxy in front of the API produce is served by the
simulator: 5xx pages, 429 with ``Retry-After``, dropped connections, timeouts, and 200 answers
whose body is empty, HTML or cut in half. Which request gets which fault is a pure function of
the task ID and the attempt, so the tests know exactly what was injected.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from aitoearn_lab import Client, read_tasks
from aitoearn_lab.cli.commands import cli
from aitoearn_lab.client.cache import TaskCache
from aitoearn_lab.config import key_scope
from aitoearn_lab.simulator import FaultPlan, ManualClock, Simulator
from aitoearn_lab.simulator.faults import FAULT_KINDS
from tests.support import ANCHOR, RecordingSleep, sqlite_file

MATRIX = FaultPlan(
    server_error=0.10,
    rate_limit=0.07,
    drop=0.06,
    timeout=0.03,
    malformed=0.07,
    retry_after=3.0,
    timeout_delay=2.0,  # well past the client's timeout below, so each one is a timeout
    first_only=True,
    seed=17,
)
"""A third of first answers faulty (0.33), every kind represented; retries are answered."""


def injected(plan: FaultPlan, task_ids: list[str]) -> Counter[str]:
    """The faults the plan serves to the first request for each ID."""
    return Counter(str(plan.choose(task_id, 0)) for task_id in task_ids)


@pytest.fixture(scope="module")
def world_of_5000() -> Simulator:
    """One world for the module (building 5,000 tasks takes a moment); each test resets it."""
    return Simulator(tasks=5000, seed=23, clock=ManualClock(ANCHOR))


@pytest.mark.slow
def test_five_thousand_ids_through_a_third_of_faulty_first_answers(
    world_of_5000: Simulator, tmp_path: Path
) -> None:
    cache_file = tmp_path / "tasks.sqlite"
    sleeps = RecordingSleep()
    with world_of_5000 as sim:
        sim.reset_log()
        sim.faults = MATRIX
        ids = sim.task_ids
        assert len(ids) == 5000
        plan = injected(MATRIX, ids)
        faulty = sum(n for kind, n in plan.items() if kind != "None")
        assert 1500 <= faulty <= 1800  # about a third
        assert all(plan[kind] >= 100 for kind in FAULT_KINDS), plan

        with Client(
            api_key=sim.api_key,
            base_url=sim.base_url,
            cache=cache_file,
            clock=sim.clock.now,
            sleep=sleeps,
            workers=32,
            timeout=0.8,  # a healthy answer on a busy machine still comes well within it
        ) as client:
            tasks = client.fetch(ids, progress=False)
            stats = client.last_fetch

        # Every ID ends as a real task, in the order given, equal to what the server holds.
        assert tasks["task_id"].tolist() == ids
        assert tasks["fetch_error"].isna().all()
        assert (tasks["api_code"] == 0).all()
        truth = {t: sim.world.tasks[t].view(sim.clock.now()) for t in ids}
        assert tasks["status"].astype(str).tolist() == [truth[t]["status"] for t in ids]
        assert tasks["model"].astype(str).tolist() == [truth[t]["model"] for t in ids]
        assert tasks["anomalies"].isna().all()

        # Every fault was served as planned, and each cost exactly one more request.
        served = Counter(entry.outcome for entry in sim.request_log)
        for kind in ("server_error", "rate_limit", "drop", "malformed"):
            assert served[kind] == plan[kind], kind
        assert stats.requests >= len(ids) + faulty
        assert stats.retries >= faulty
        assert sleeps.calls.count(3.0) == plan["rate_limit"]  # Retry-After honoured each time
        assert stats.complete and stats.failed == 0

        # No faulty answer was stored: the file holds one entry per ID, each the true record.
        stored = TaskCache(cache_file, scope=key_scope(sim.api_key, sim.base_url)).lookup(ids)
        assert set(stored) == set(ids)
        assert all(stored[t].record == truth[t] for t in ids)
        with sqlite_file(cache_file) as connection:
            assert connection.execute("SELECT COUNT(*) FROM responses").fetchone() == (5000,)

        # A second run with --pending-ttl 0 asks nothing for the finished tasks.
        # A request the client gave up on (a timeout) is logged when the server ends it: wait
        # until every attempt the client made is in the log, so none is taken for a later one.
        deadline = time.monotonic() + 30
        while len(sim.request_log) < stats.requests:
            assert time.monotonic() < deadline, (len(sim.request_log), stats.requests)
            time.sleep(0.005)  # polling the server's progress, not waiting out a duration
        assert len(sim.request_log) == stats.requests
        sim.reset_log()
        runner = CliRunner(
            env={
                "AITOEARN_API_KEY": sim.api_key,
                "AITOEARN_BASE_URL": sim.base_url,
                "AITOEARN_LAB_CACHE": str(cache_file),
            }
        )
        ids_file = tmp_path / "ids.txt"
        sim.write_task_ids(ids_file)
        again = runner.invoke(
            cli,
            ["fetch", "--ids-file", str(ids_file), "--pending-ttl", "0", "--no-progress"],
            catch_exceptions=False,
        )
        assert again.exit_code == 0, again.stderr
        unfinished = set(tasks.loc[~tasks["is_terminal"], "task_id"])
        assert 50 < len(unfinished) < 1000
        assert set(sim.request_counts()) == unfinished
        assert f"{len(ids) - len(unfinished):,} from cache" in again.stderr


def test_permanent_faults_end_as_rows_and_exit_code_1(
    world_of_5000: Simulator, tmp_path: Path
) -> None:
    plan = FaultPlan(server_error=0.1, rate_limit=0.05, retry_after=0, permanent=0.01, seed=41)
    with world_of_5000 as sim:
        sim.faults = plan
        sim.reset_log()
        ids = sim.task_ids[:1500]
        permanent = {t for t in ids if all(plan.choose(t, n) == "server_error" for n in range(30))}
        never = {t for t in ids if all(plan.choose(t, n) is not None for n in range(3))}
        out = tmp_path / "tasks.csv"
        runner = CliRunner(env={"AITOEARN_API_KEY": sim.api_key, "AITOEARN_BASE_URL": sim.base_url})
        result = runner.invoke(
            cli,
            ["fetch", *ids, "--no-cache", "--max-retries", "2", "--workers", "32", "-o", str(out)],
            catch_exceptions=False,
        )
    assert result.exit_code == 1
    assert (
        f"{len(never)} ID{'' if len(never) == 1 else 's'} got no definitive answer" in result.stderr
    )
    tasks = read_tasks(out)
    assert tasks["task_id"].tolist() == ids  # every ID has its row, failed or not
    failed = tasks[tasks["fetch_error"].notna()]
    assert set(failed["task_id"]) == never and permanent <= never and len(permanent) >= 5
    assert failed["fetch_error"].str.contains("after 3 attempt").all()
    assert failed["api_code"].isna().all() and failed["model"].isna().all()
    answered = tasks[tasks["fetch_error"].isna()]
    assert (answered["api_code"] == 0).all() and len(answered) == len(ids) - len(never)
    assert pd.api.types.is_string_dtype(tasks["fetch_error"])
