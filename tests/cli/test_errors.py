"""How commands fail: through click's exceptions, with the README's exit codes, and without
changing anything process-wide (warning display, umask) on the way."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from aitoearn_lab.cli.commands import cli
from aitoearn_lab.cli.options import CommandError
from aitoearn_lab.config import REGIONS
from tests.support import ROOT
from tests.support.remote import Crafted, RemoteService

KEY = "ai_cli0123456789abcdefghij"
TASK_ID = "6a461da66fe8a12d33daabdd"


@pytest.fixture
def gateway() -> Iterator[RemoteService]:
    """A gateway in front of the API that refuses the key with a bare HTTP 403."""
    service = RemoteService()
    service.answer = lambda task_id: Crafted(status=403, body=b"Forbidden", reason="Forbidden")
    with service.running() as running:
        yield running


def env(service: RemoteService, tmp_path: Path) -> dict[str, str]:
    return {
        "AITOEARN_API_KEY": KEY,
        "AITOEARN_BASE_URL": service.base_url,
        "AITOEARN_LAB_CACHE": str(tmp_path / "cache.sqlite"),
    }


def test_a_refused_key_is_one_line_and_exit_2(gateway: RemoteService, tmp_path: Path) -> None:
    result = CliRunner(env=env(gateway, tmp_path)).invoke(cli, ["fetch", TASK_ID, "--no-progress"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: authentication failed (code 403: HTTP 403 Forbidden); check the API key in "
        "AITOEARN_API_KEY and that it belongs to this site (aitoearn.ai or .cn)"
    ]


def test_errors_leave_as_click_exceptions(gateway: RemoteService, tmp_path: Path) -> None:
    # Outside standalone mode nothing calls sys.exit: every end is one of click's exceptions.
    with pytest.raises(CommandError) as refused:
        CliRunner(env=env(gateway, tmp_path)).invoke(
            cli, ["fetch", TASK_ID, "--no-progress"], standalone_mode=False, catch_exceptions=False
        )
    assert refused.value.exit_code == 2
    table = tmp_path / "other.csv"
    table.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="not a tasks table"):
        CliRunner().invoke(
            cli, ["report", str(table)], standalone_mode=False, catch_exceptions=False
        )
    with pytest.raises(CommandError, match="--freq must be a period"):
        CliRunner().invoke(
            cli,
            ["report", str(table), "--freq", "often"],
            standalone_mode=False,
            catch_exceptions=False,
        )
    with pytest.raises(click.UsageError):
        CliRunner().invoke(cli, ["fetch"], standalone_mode=False, catch_exceptions=False)


def test_region_choices_come_from_the_config() -> None:
    def region_choices(command: click.Command) -> list[str]:
        option = next(p for p in command.params if p.name == "region")
        assert isinstance(option.type, click.Choice)
        return list(option.type.choices)

    cache_group = cli.commands["cache"]
    assert isinstance(cache_group, click.Group)
    for command in (cli.commands["fetch"], cache_group.commands["info"]):
        assert region_choices(command) == sorted(REGIONS)


def test_warnings_are_echoed_without_changing_how_the_process_shows_them(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "cache.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    runner = CliRunner(env={"AITOEARN_API_KEY": KEY, "AITOEARN_LAB_CACHE": str(broken)})
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # the suite makes warnings errors; a user's shell does not
        before = warnings.showwarning
        result = runner.invoke(cli, ["cache", "info"])
        assert warnings.showwarning is before
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert any(line.startswith("warning: cache file ") for line in lines), lines


def test_no_module_changes_process_wide_state() -> None:
    """Neither the warning display nor the umask is ever set (a library is a guest)."""
    setters = re.compile(r"warnings\.showwarning\s*=|os\.umask\(")
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "aitoearn_lab").rglob("*.py"))
        if setters.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_every_command_leaves_through_click() -> None:
    """Exit codes and errors go through click's exceptions, one path, never ``sys.exit``."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "aitoearn_lab" / "cli").rglob("*.py"))
        if re.search(r"\bsys\.exit\(", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
