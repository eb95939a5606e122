"""Written tables get the usual permissions (0666 less the umask), and the umask is not touched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aitoearn_lab import to_frame, write_tasks
from tests.support.records import record


def current_umask() -> int:
    """The umask as Linux reports it, read without setting it (which would be process-wide)."""
    status = Path("/proc/self/status")
    found = re.search(r"^Umask:\s*([0-7]+)$", status.read_text(), re.M) if status.exists() else None
    if found is None:
        pytest.skip("this system does not report the umask without setting it")
    return int(found.group(1), 8)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_a_written_table_has_the_usual_permissions(tmp_path: Path, suffix: str) -> None:
    umask = current_umask()
    tasks = to_frame([record(1, "veo3", "succeeded", submitted=0, finished=60)])
    path = write_tasks(tasks, tmp_path / f"tasks{suffix}")
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert current_umask() == umask
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
