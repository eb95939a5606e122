"""``aitoearn-lab sync`` driven with click's runner against a world served over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from aitoearn_lab import read_tasks
from aitoearn_lab.cli.commands import cli
from aitoearn_lab.simulator import ManualClock, World
from tests.support import ANCHOR
from tests.support.listing import ListingService


@pytest.fixture
def service(clock: ManualClock) -> Iterator[ListingService]:
    world = World.generate(tasks=1_200, seed=4, anchor=ANCHOR)
    with ListingService(world, clock, models=[]).running() as running:
        yield running


@pytest.fixture
def runner(service: ListingService, tmp_path: Path) -> CliRunner:
    return CliRunner(
        env={
            "AITOEARN_API_KEY": service.api_key,
            "AITOEARN_BASE_URL": service.base_url,
            "AITOEARN_LAB_CACHE": str(tmp_path / "cache.sqlite"),
        }
    )


def test_sync_writes_every_task_and_a_second_run_reads_one_page(
    runner: CliRunner, service: ListingService, tmp_path: Path
) -> None:
    out = tmp_path / "tasks.parquet"
    result = runner.invoke(cli, ["sync", "-o", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    expected = [view["id"] for view in service.visible()]
    assert read_tasks(out)["task_id"].tolist() == expected
    assert f"{len(expected)} tasks (full sync)" in result.stderr
    service.remote.reset()
    again = runner.invoke(cli, ["sync", "--no-progress", "--max-tasks", "10"])
    assert again.exit_code == 0, again.output
    lines = again.stdout.splitlines()
    assert len(lines) == 11 and "incremental" in again.stderr
    assert service.pages_asked() == [1]


def test_sync_since_takes_a_date_and_refuses_a_bad_one(
    runner: CliRunner, service: ListingService, tmp_path: Path
) -> None:
    out = tmp_path / "recent.csv"
    result = runner.invoke(
        cli, ["sync", "--since", "2026-07-02T06:00:00Z", "-o", str(out), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    ids = read_tasks(out)["task_id"].tolist()
    assert ids and all(int(i[:8], 16) >= ANCHOR - 6 * 3600 for i in ids)
    service.remote.reset()
    bad = runner.invoke(cli, ["sync", "--since", "yesterday-ish", "--no-progress"])
    assert bad.exit_code == 2 and "--since" in bad.stderr
    assert service.remote.seen == []  # a usage error before any request


def test_a_server_without_the_list_endpoint_exits_2_with_one_line(
    runner: CliRunner, service: ListingService
) -> None:
    service.has_list = False
    result = runner.invoke(cli, ["sync", "--no-progress"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "no task list endpoint" in lines[0] and "aitoearn-lab fetch" in lines[0]
    assert result.stdout == ""


def test_sync_checks_the_output_before_the_first_page_and_names_the_path(
    runner: CliRunner, service: ListingService, tmp_path: Path
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    given = str(a_file / "tasks.csv")
    result = runner.invoke(cli, ["sync", "-o", given, "--no-progress"])
    assert result.exit_code == 2, result.output
    assert f"cannot write the output {given}" in result.stderr
    assert service.pages_asked() == []  # refused before any page was asked
