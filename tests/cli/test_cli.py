"""The command line, driven with click's runner and as a real process, against the simulator."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import click
import pytest
import requests
from click.testing import CliRunner

from aitoearn_lab import read_tasks
from aitoearn_lab.cli.commands import cli
from aitoearn_lab.simulator import FaultPlan, Simulator
from tests.support import ROOT
from tests.support.processes import cli_command, running


@pytest.fixture
def runner(sim: Simulator, tmp_path: Path) -> CliRunner:
    return CliRunner(
        env={
            "AITOEARN_API_KEY": sim.api_key,
            "AITOEARN_BASE_URL": sim.base_url,
            "AITOEARN_LAB_CACHE": str(tmp_path / "cache.sqlite"),
        }
    )


def test_fetch_ids_to_a_file(runner: CliRunner, sim: Simulator, tmp_path: Path) -> None:
    out = tmp_path / "tasks.parquet"
    result = runner.invoke(cli, ["fetch", *sim.task_ids[:5], "-o", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert read_tasks(out)["task_id"].tolist() == sim.task_ids[:5]
    assert "5 IDs: 5 tasks" in result.stderr


def test_fetch_reads_an_ids_file_or_a_csv_or_stdin(
    runner: CliRunner, sim: Simulator, tmp_path: Path
) -> None:
    plain = tmp_path / "ids.txt"
    plain.write_text("\n".join(sim.task_ids[:3]) + "\n\n  \n")
    table = tmp_path / "ids.csv"
    table.write_text(
        "name,taskId\n" + "".join(f"x{i},{t}\n" for i, t in enumerate(sim.task_ids[3:6]))
    )
    for source, expected in ((plain, sim.task_ids[:3]), (table, sim.task_ids[3:6])):
        out = tmp_path / f"{source.stem}.jsonl"
        result = runner.invoke(
            cli, ["fetch", "--ids-file", str(source), "-o", str(out), "--no-progress"]
        )
        assert result.exit_code == 0, result.output
        assert read_tasks(out)["task_id"].tolist() == expected
    assert read_tasks(tmp_path / "ids.jsonl")["user_name"].tolist() == ["x0", "x1", "x2"]
    result = runner.invoke(
        cli, ["fetch", "--ids-file", "-", "--no-progress"], input="\n".join(sim.task_ids[:2])
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].lstrip("\ufeff").startswith("task_id,model,status,state")
    assert len(lines) == 3


def test_exit_code_0_when_every_id_is_settled(
    runner: CliRunner, sim: Simulator, tmp_path: Path
) -> None:
    ids = [sim.task_ids[0], sim.world.unknown_task_id(), "not-hex", "bad/id"]
    result = runner.invoke(cli, ["fetch", *ids, "-o", str(tmp_path / "t.csv"), "--no-progress"])
    assert result.exit_code == 0, result.output


def test_exit_code_1_when_some_ids_could_not_be_fetched(
    runner: CliRunner, sim: Simulator, tmp_path: Path
) -> None:
    sim.faults = FaultPlan(permanent=0.3, seed=4)
    out = tmp_path / "t.csv"
    args = ["fetch", *sim.task_ids[:20], "-o", str(out), "--no-progress", "--timeout", "2"]
    result = runner.invoke(cli, args, env={"AITOEARN_LAB_CACHE": "off"})
    assert result.exit_code == 1
    assert "no definitive answer" in result.stderr
    assert len(read_tasks(out)) == 20  # the table is written all the same


def test_exit_code_2_with_one_line_for_usage_and_auth_errors(
    runner: CliRunner, sim: Simulator, tmp_path: Path
) -> None:
    refused = runner.invoke(
        cli, ["fetch", sim.task_ids[0], "--no-progress"], env={"AITOEARN_API_KEY": "ai_" + "W" * 48}
    )
    assert refused.exit_code == 2
    assert refused.stderr.strip().count("\n") == 0 and "authentication failed" in refused.stderr
    assert "Traceback" not in refused.output
    no_key = runner.invoke(cli, ["fetch", sim.task_ids[0]], env={"AITOEARN_API_KEY": ""})
    assert no_key.exit_code == 2 and "AITOEARN_API_KEY" in no_key.stderr
    assert runner.invoke(cli, ["fetch"]).exit_code == 2
    wrong_suffix = runner.invoke(cli, ["fetch", sim.task_ids[0], "-o", str(tmp_path / "t.xlsx")])
    assert wrong_suffix.exit_code == 2 and ".parquet" in wrong_suffix.stderr
    assert sim.request_log == [] or all(e.owner is None for e in sim.request_log)


def test_cache_commands(runner: CliRunner, sim: Simulator, tmp_path: Path) -> None:
    runner.invoke(cli, ["fetch", *sim.task_ids[:7], "-o", str(tmp_path / "t.csv"), "--no-progress"])
    info = runner.invoke(cli, ["cache", "info"])
    assert info.exit_code == 0 and "answers for this key and site: 7" in info.output
    cleared = runner.invoke(cli, ["cache", "clear"])
    assert "removed 7" in cleared.output


def test_demo_runs_the_whole_job(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["demo", "-o", str(tmp_path), "--tasks", "300", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    tasks = read_tasks(tmp_path / "tasks.csv")
    assert len(tasks) == 300
    assert "second fetch" in result.output and "finished tasks from the cache" in result.output
    assert "seedance" in result.output


def test_simulate_runs_in_the_foreground_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    ids_file = tmp_path / "ids.txt"
    command = cli_command("simulate", "--tasks", "25", "--ids-file", str(ids_file))
    with running(command) as process:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        base_url = re.search(r"base URL: (\S+)", lines[0]).group(1)  # type: ignore[union-attr]
        api_key = re.search(r"API key:\s+(\S+)", lines[1]).group(1)  # type: ignore[union-attr]
        assert str(ids_file) in lines[2]
        ids = ids_file.read_text().split()
        assert len(ids) == 25
        with requests.get(
            f"{base_url}/api/ai/video/generations/{ids[0]}",
            headers={"X-Api-Key": api_key},
            timeout=30,
        ) as answer:
            assert answer.json()["code"] == 0
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)  # a failure here still stops it (running)
    assert process.returncode == 0, err
    assert "stopped" in err


def test_simulate_started_with_ctrl_c_ignored_says_so_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    """Started in the background Ctrl-C is ignored, and stays so; ``kill`` stops it cleanly."""
    ids_file = tmp_path / "ids.txt"
    command = cli_command("simulate", "--tasks", "3", "--ids-file", str(ids_file), ctrl_c="ignored")
    with running(command) as process:
        assert process.stderr is not None
        serving = process.stderr.readline()
        assert f"Ctrl-C is ignored (started in the background); stop with: kill {process.pid}" in (
            serving
        )
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "simulator stopped" in err and "Traceback" not in err
    assert out.startswith("base URL:")


def test_python_dash_m_and_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aitoearn_lab", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert re.search(r"\d+\.\d+\.\d+", done.stdout)


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{prefix}{name} "))
    return found


@pytest.mark.parametrize(("name", "command"), _commands(cli))
def test_every_command_has_help_and_is_in_the_readme(name: str, command: click.Command) -> None:
    assert command.help and len(command.help) > 20, name
    readme = (ROOT / "README.md").read_text("utf-8")
    assert f"aitoearn-lab {name}" in readme, f"README does not show 'aitoearn-lab {name}'"
    assert CliRunner().invoke(cli, [*name.split(), "--help"]).exit_code == 0


def test_fetch_reads_a_json_lines_log_and_keeps_a_csv_s_own_columns(
    runner: CliRunner, sim: Simulator, tmp_path: Path
) -> None:
    a, b, c = sim.task_ids[:3]
    log = tmp_path / "submitted.jsonl"
    log.write_text(
        f'{{"id": "{a}", "status": "SUBMITTED"}}\n{{"taskId": "{b}"}}\n'
        f'{{"code": 0, "message": "Success", "data": {{"id": "{c}"}}}}\n'
        '{"code": 12300, "message": "Invalid model", "data": {}}\n'
    )
    out = tmp_path / "tasks.csv"
    result = runner.invoke(cli, ["fetch", "--ids-file", str(log), "-o", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert read_tasks(out)["task_id"].tolist() == [a, b, c]
    assert "note: 1 line(s) of the IDs file carry no task ID" in result.stderr

    table = tmp_path / "ids.csv"
    table.write_text(f"customer,task_id,model\nacme,{b},mine\nbeta,{a},\nzeta,{b},other\n")
    result = runner.invoke(
        cli, ["fetch", "--ids-file", str(table), "-o", str(out), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert "note: 1 task ID(s) appear more than once with different metadata" in result.stderr
    tasks = read_tasks(out)
    assert tasks["task_id"].tolist() == [b, a]
    assert tasks["user_customer"].tolist() == ["acme", "beta"]
    assert tasks["user_model"].fillna("").tolist() == ["mine", ""]
    assert tasks["model"].notna().all()  # the server's model, not the user's column

    bad = tmp_path / "bad.jsonl"
    bad.write_text(f'{{"id": "{a}"}}\nnot json\n')
    result = runner.invoke(cli, ["fetch", "--ids-file", str(bad), "--no-progress"])
    assert result.exit_code == 2 and "line 2 is not JSON" in result.stderr


def test_an_unwritable_output_fails_before_any_request_and_names_the_path(
    runner: CliRunner, sim: Simulator, tmp_path: Path
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    for given in ("/proc/x.csv", str(a_file / "tasks.csv")):
        before = len(sim.request_log)
        result = runner.invoke(cli, ["fetch", *sim.task_ids[:3], "-o", given, "--no-progress"])
        assert result.exit_code == 2, result.output
        assert f"cannot write the output {given}" in result.stderr
        assert ".x.csv." not in result.stderr and ".tasks.csv." not in result.stderr
        assert len(sim.request_log) == before  # checked before the first request


def test_the_summary_line_counts_each_outcome_with_correct_plurals(
    runner: CliRunner, sim: Simulator, tmp_path: Path
) -> None:
    one = runner.invoke(
        cli, ["fetch", sim.task_ids[0], "-o", str(tmp_path / "one.csv"), "--no-progress"]
    )
    assert one.exit_code == 0, one.output
    assert "wrote 1 row to" in one.stderr
    assert "1 ID: 1 task, 0 no such task, 0 malformed IDs, 0 failures" in one.stderr
    ids = [sim.task_ids[1], sim.task_ids[2], sim.world.unknown_task_id(), "not-hex", "bad/id"]
    mixed = runner.invoke(cli, ["fetch", *ids, "-o", str(tmp_path / "t.csv"), "--no-progress"])
    assert mixed.exit_code == 0, mixed.output
    assert "wrote 5 rows to" in mixed.stderr
    assert "5 IDs: 2 tasks, 1 no such task, 2 malformed IDs, 0 failures" in mixed.stderr
    sim.faults = FaultPlan(permanent=1.0, seed=1)
    failing = runner.invoke(
        cli,
        ["fetch", sim.task_ids[5], "-o", str(tmp_path / "f.csv"), "--no-progress"],
        env={"AITOEARN_LAB_CACHE": "off"},
    )
    assert failing.exit_code == 1
    assert "1 ID: 0 tasks, 0 no such task, 0 malformed IDs, 1 failure" in failing.stderr
    assert "1 ID got no definitive answer" in failing.stderr


def test_cache_info_and_clear_name_the_site_and_scope_and_list_what_the_file_holds(
    runner: CliRunner, sim: Simulator, tmp_path: Path
) -> None:
    cache_file = tmp_path / "other.sqlite"
    fetched = runner.invoke(
        cli,
        ["fetch", *sim.task_ids[:3], "-o", str(tmp_path / "t.csv"), "--no-progress"],
        env={"AITOEARN_LAB_CACHE": str(cache_file)},
    )
    assert fetched.exit_code == 0, fetched.output
    # Looked at without the --base-url of the fetch: 0 answers, but it says where it looked
    # and which sites the file does hold.
    elsewhere = runner.invoke(
        cli, ["cache", "info", "--cache", str(cache_file)], env={"AITOEARN_BASE_URL": ""}
    )
    assert elsewhere.exit_code == 0, elsewhere.output
    assert "site https://aitoearn.ai" in elsewhere.output
    assert "answers for this key and site: 0" in elsewhere.output
    assert f"{sim.base_url}  3 answers" in elsewhere.output
    assert sim.api_key not in elsewhere.output
    here = runner.invoke(cli, ["cache", "info", "--cache", str(cache_file)])
    assert f"site {sim.base_url}" in here.output and "scope " in here.output
    assert "answers for this key and site: 3" in here.output
    assert "<- this key and site" in here.output
    cleared = runner.invoke(cli, ["cache", "clear", "--cache", str(cache_file)])
    assert cleared.exit_code == 0, cleared.output
    assert f"removed 3 answers for site {sim.base_url}" in cleared.output
    after = runner.invoke(cli, ["cache", "info", "--cache", str(cache_file)])
    assert "answers for this key and site: 0" in after.output
    assert "holds no answers" in after.output


def test_report_prints_the_same_data_notes_as_the_demo(
    runner: CliRunner, sim: Simulator, tmp_path: Path
) -> None:
    from aitoearn_lab.report.document import Report

    tasks_file = tmp_path / "t.csv"
    ids = [*sim.task_ids[:40], sim.world.unknown_task_id(), "not-hex"]
    runner.invoke(cli, ["fetch", *ids, "-o", str(tasks_file), "--no-progress"])
    result = runner.invoke(cli, ["report", str(tasks_file), "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    notes = Report(read_tasks(tasks_file)).notes
    assert notes  # a no-such-task and a malformed ID always earn a note
    printed = [
        line[len("note: ") :] for line in result.stdout.splitlines() if line.startswith("note: ")
    ]
    assert len(printed) == len(notes)


def test_cache_info_without_a_key_still_lists_the_sites(
    runner: CliRunner, sim: Simulator, tmp_path: Path
) -> None:
    runner.invoke(cli, ["fetch", *sim.task_ids[:2], "-o", str(tmp_path / "t.csv"), "--no-progress"])
    info = runner.invoke(cli, ["cache", "info"], env={"AITOEARN_API_KEY": ""})
    assert info.exit_code == 0, info.output
    assert "AITOEARN_API_KEY is not set" in info.output
    assert "answers for this key and site: 0" in info.output
    assert f"{sim.base_url}  2 answers" in info.output
