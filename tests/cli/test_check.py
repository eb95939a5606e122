"""aitoearn-lab check: one line per group, exit 0 within the limits, 1 on a breach, 2 for misuse."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from aitoearn_lab import write_tasks
from aitoearn_lab.cli.commands import cli
from tests.metrics.test_usable import flip_frame
from tests.support import ANCHOR


@pytest.fixture
def tasks_file(tmp_path: Path) -> Path:
    """reliable: 10 × 60 s, no failure. flaky: 10 × 40 s and 10 failures at 30 s (time to a
    usable video 40 + 30 = 70 s, failure rate 50%, p95 40 s)."""
    tasks = flip_frame()
    tasks["fetched_at"] = pd.Timestamp(ANCHOR + 3600, unit="s", tz="UTC")
    return write_tasks(tasks, tmp_path / "tasks.parquet")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


def test_within_every_limit_exits_0(tasks_file: Path) -> None:
    code, out, err = run(str(tasks_file), "--max-p95", "90s", "--max-failure-rate", "60%")
    assert code == 0, out + err
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("flaky: 20 tasks, p95 40 s (limit 1 min 30 s)")
    assert "failure rate 50.0% (limit 60.0%)" in lines[0]
    assert "time to usable 1 min 10 s" in lines[0]
    assert all(line.endswith("-> ok") for line in lines)
    assert "all 2 groups within the limits" in err


def test_a_breach_exits_1_and_names_the_group(tasks_file: Path) -> None:
    code, out, err = run(
        str(tasks_file), "--max-failure-rate", "0.05", "--max-time-to-usable", "65s"
    )
    assert code == 1
    flaky = next(line for line in out.splitlines() if line.startswith("flaky"))
    assert flaky.endswith("-> BREACH failure rate, time to usable")
    reliable = next(line for line in out.splitlines() if line.startswith("reliable"))
    assert reliable.endswith("-> ok")  # 0% failed, 60 s to a usable video
    assert "1 of 2 groups breach a limit: flaky (failure rate, time to usable)" in err


def test_json_output(tasks_file: Path) -> None:
    code, out, _ = run(str(tasks_file), "--max-p95", "50s", "--json")
    assert code == 1  # reliable's p95 is 60 s
    answer = json.loads(out)
    assert answer["limits"] == {"p95": 50.0}
    groups = {group["group"]: group for group in answer["groups"]}
    assert groups["reliable"]["breaches"] == ["p95"]
    assert groups["flaky"]["failure rate"] == 0.5
    assert groups["flaky"]["time to usable"] == pytest.approx(70.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-p95", "soon"], "'soon' is not a duration"),
        (["--max-failure-rate", "5"], "not between 0% and 100%"),
        (["--max-failure-rate", "lots"], "is not a rate"),
        (["--since", "-1h"], "is not a duration"),
    ],
)
def test_bad_usage_exits_2(tasks_file: Path, args: list[str], message: str) -> None:
    code, _, err = run(str(tasks_file), *args)
    assert code == 2
    assert message in err


def test_a_missing_file_or_column_exits_2(tasks_file: Path, tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path / "nope.parquet"))
    assert code == 2 and "no such tasks file" in err
    code, _, err = run(str(tasks_file), "--by", "colour")
    assert code == 2 and "no 'colour' column" in err


def test_since_keeps_recent_tasks_only(tasks_file: Path) -> None:
    # Every task was submitted at ANCHOR and fetched an hour later.
    code, out, err = run(str(tasks_file), "--since", "10m", "--max-p95", "1s")
    assert code == 0 and out == ""
    assert "no tasks to check" in err
    code, out, _ = run(str(tasks_file), "--since", "2h", "--max-p95", "1s")
    assert code == 1 and len(out.splitlines()) == 2


def test_the_command_runs_as_a_process(tasks_file: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "aitoearn_lab", "check", str(tasks_file), "--max-p95", "10m"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "reliable: 10 tasks" in done.stdout


def test_a_price_table_is_read_from_csv(tmp_path: Path) -> None:
    from aitoearn_lab import summarize
    from aitoearn_lab.cli.pricing import read_prices
    from aitoearn_lab.errors import ConfigurationError

    path = tmp_path / "prices.csv"
    path.write_text("model,input_resolution,price\nreliable,,2\nflaky,,1\nflaky,720p,1.5\n")
    summary = summarize(flip_frame(), prices=read_prices(path))
    # flaky: 20 billed 720p tasks (failures too) × 1.5 over 10 usable = 3; reliable 10 × 2 / 10.
    assert summary.loc["flaky", "cost_per_usable"] == 3.0
    assert summary.loc["reliable", "cost_per_usable"] == 2.0
    (tmp_path / "bad.csv").write_text("model,cost\nflaky,1\n")
    with pytest.raises(ConfigurationError, match="missing price"):
        read_prices(tmp_path / "bad.csv")
