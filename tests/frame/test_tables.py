"""Tables on disk: round trips through CSV, Parquet and JSONL, and spreadsheet-safe CSV."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from aitoearn_lab import ConfigurationError, read_tasks, to_frame, write_tasks
from aitoearn_lab.frame.tables import neutralise, read_csv, restore, write_csv
from aitoearn_lab.simulator import World
from tests.support import ANCHOR

DANGEROUS = [
    '=HYPERLINK("http://x")',
    "+1+1",
    "-2",
    "@SUM(A1)",
    "\tTAB",
    "\rCR",
    "'quoted",
    "",
    "plain",
]


def tasks_frame() -> pd.DataFrame:
    world = World.generate(tasks=150, seed=12, anchor=ANCHOR)
    records: list[dict[str, Any] | None] = [world.tasks[t].view(ANCHOR) for t in world.task_ids()]
    records[0]["input"] = {**records[0]["input"], "prompt": DANGEROUS[0]}  # type: ignore[index]
    records[1]["input"] = {**records[1]["input"], "prompt": '=1+1, "quoted", 中文\nsecond line'}  # type: ignore[index]
    records[2]["input"] = {**records[2]["input"], "watermark": True}  # type: ignore[index]
    records[3]["input"] = {**records[3]["input"], "watermark": False, "seed": 7}  # type: ignore[index]
    records[4] = {**records[4], "priority": "=high", "region": None}  # type: ignore[dict-item]
    records.append(None)
    return to_frame(records)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_round_trip_gives_back_the_original_values(tmp_path: Path, suffix: str) -> None:
    original = tasks_frame()
    path = write_tasks(original, tmp_path / f"tasks{suffix}")
    again = read_tasks(path)
    pd.testing.assert_frame_equal(again, original, check_categorical=False)
    assert again["input_watermark"].head(4).tolist()[2:] == [True, False]
    assert again["extra"][4] == '{"priority":"=high","region":null}'
    assert again["input_image"].map(lambda v: v is None or isinstance(v, list)).all()


def test_csv_cells_cannot_run_as_formulas(tmp_path: Path) -> None:
    frame = pd.DataFrame({"text": DANGEROUS, "number": range(len(DANGEROUS))})
    path = write_csv(frame, tmp_path / "t.csv")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        cells = [row[0] for row in csv.reader(handle)][1:]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert read_csv(path)["text"].tolist() == DANGEROUS
    assert read_csv(path)["number"].tolist() == list(range(len(DANGEROUS)))


def test_neutralise_is_reversible() -> None:
    for value in [*DANGEROUS, "''", "'=", "a'b"]:
        assert restore(neutralise(value)) == value


def test_timestamps_are_iso_and_lists_are_json(tmp_path: Path) -> None:
    path = write_tasks(tasks_frame(), tmp_path / "t.csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["submitted_at"].endswith("Z") and "T" in rows[0]["submitted_at"]
    with_list = next(r for r in rows if r["input_images"])
    assert with_list["input_images"].startswith('["https://')


def test_unknown_suffix_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"\.csv, \.parquet, \.jsonl"):
        write_tasks(tasks_frame(), tmp_path / "tasks.xlsx")


def test_a_failed_write_leaves_no_half_file(tmp_path: Path) -> None:
    target = tmp_path / "tasks.parquet"
    bad = pd.DataFrame({"x": [object()]})
    import pyarrow as pa

    with pytest.raises(pa.ArrowException, match="object"):
        write_tasks(bad, target)
    assert list(tmp_path.iterdir()) == []
