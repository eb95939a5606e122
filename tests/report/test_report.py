"""The report: files, CSVs that read back, a self-contained and escaped report.html, the CLI."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import orjson
import pandas as pd
import pytest
from click.testing import CliRunner

import aitoearn_lab
from aitoearn_lab import Report, write_report, write_tasks
from aitoearn_lab.cli.commands import cli
from aitoearn_lab.frame.tables import read_csv, read_tasks
from aitoearn_lab.metrics.notes import ZERO_QUEUE_NOTE
from aitoearn_lab.report.document import REPORT_FILES
from tests.support import ANCHOR, ROOT
from tests.support.records import done, frame, record, world_records

EVIL_PROMPT = "<img src=x onerror=alert(1)>"
EVIL_MODEL = "<b>evil</b>"
EVIL_ERROR = '<script>alert("pwned")</script>'


@pytest.fixture(scope="module")
def tasks() -> pd.DataFrame:
    """A simulated world plus hostile text: the slowest task's prompt, a model's name, an
    error message, and a formula-looking prompt for the spreadsheet."""
    rows = world_records(400, seed=5)
    rows.append(done(9001, "seedance-2-fast-beta", queue=5, render=20_000, prompt=EVIL_PROMPT))
    rows.append(done(9002, EVIL_MODEL, queue=3, render=70, prompt='=HYPERLINK("x")'))
    rows.append(done(9003, EVIL_MODEL, queue=3, render=80))
    rows.append(record(9004, EVIL_MODEL, "failed", submitted=-600, finished=-500, error=EVIL_ERROR))
    return frame(rows)


@pytest.fixture(scope="module")
def written(tasks: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_report(tasks, tmp_path_factory.mktemp("report"), now=ANCHOR)


def test_every_file_is_written(written: dict[str, Path]) -> None:
    assert set(written) == set(REPORT_FILES)
    for name, path in written.items():
        assert path.name == REPORT_FILES[name]
        assert path.stat().st_size > 0


def test_csvs_read_back_equal(tasks: pd.DataFrame, written: dict[str, Path]) -> None:
    report = Report(tasks, now=ANCHOR)
    by_model = read_csv(written["by_model"])
    expected = report.summary.reset_index()
    assert by_model["model"].tolist() == [str(m) for m in expected["model"]]
    pd.testing.assert_frame_equal(
        by_model.drop(columns="model"),
        expected.drop(columns="model"),
        check_dtype=False,
    )
    errors = read_csv(written["errors"])
    assert errors["signature"].tolist() == report.errors["signature"].tolist()
    assert errors["count"].tolist() == report.errors["count"].tolist()
    assert [orjson.loads(cell) for cell in errors["models"]] == report.errors["models"].tolist()
    first_seen = pd.to_datetime(errors["first_seen"], utc=True, format="ISO8601")
    assert first_seen.tolist() == report.errors["first_seen"].tolist()
    compare = read_csv(written["compare"])
    pd.testing.assert_frame_equal(compare, report.comparison, check_dtype=False)
    periods = read_csv(written["timeline"])
    assert periods["period_start"].iloc[0].endswith("Z")  # ISO 8601, UTC
    assert periods["submitted"].tolist() == report.timeline["submitted"].tolist()
    back = read_tasks(written["tasks"])
    assert back["task_id"].tolist() == tasks["task_id"].tolist()
    assert back["input_prompt"].tolist() == tasks["input_prompt"].tolist()
    assert back["total_s"].equals(tasks["total_s"])


def test_csv_cells_cannot_run_as_formulas(written: dict[str, Path]) -> None:
    raw = written["tasks"].read_text("utf-8")
    assert "'=HYPERLINK" in raw
    assert ",=HYPERLINK" not in raw


def test_report_html_is_self_contained(written: dict[str, Path]) -> None:
    page = written["html"].read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?(https?:)?//", page, re.IGNORECASE)
    assert not re.search(r"@import", page)
    assert page.count("Plotly.newPlot(") == 13  # every chart once
    assert len(re.findall(r"\* plotly\.js v\d", page)) == 1  # the library inline, once
    for anchor in (
        "usable",
        "models",
        "compare",
        "like",
        "overdue",
        "trend",
        "time",
        "inputs",
        "failures",
        "files",
    ):
        assert f'id="{anchor}"' in page
    assert "Read this first" in page
    assert 'href="by_model.csv"' in page


def test_report_html_escapes_text_from_tasks(written: dict[str, Path]) -> None:
    page = written["html"].read_text("utf-8")
    assert EVIL_PROMPT not in page
    assert EVIL_MODEL not in page
    assert "<script>alert" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the prompt, shown as text on hover
    assert html.escape(EVIL_MODEL) in page  # the model, in the tables
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in page  # an example message


def test_zero_queue_is_said_in_the_report(tmp_path: Path) -> None:
    public = frame(world_records(300, seed=2, timestamps="public-code"))
    page = Report(public, now=ANCHOR).html()
    assert html.escape(ZERO_QUEUE_NOTE) in page
    assert "queue p50" not in page  # no column of zeros in the table


def test_report_object_exports(tasks: pd.DataFrame, tmp_path: Path) -> None:
    report = Report(tasks, title="Night shift", now=ANCHOR)
    assert set(report.tables()) == set(REPORT_FILES) - {"html"}
    assert list(report.figures()) == [
        "usable",
        "like_for_like",
        "latency",
        "ecdf",
        "queue_render",
        "states",
        "failure_rates",
        "activity",
        "render_heatmap",
        "trend",
        "overdue",
        "errors",
        "wasted",
    ]
    assert "<title>Night shift</title>" in report.html()
    inline = report._repr_html_()
    assert inline.startswith("<iframe srcdoc=")
    assert "<script" not in inline  # the page is inside the attribute, escaped
    path = report.write_html(tmp_path / "only.html")
    assert path.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert repr(report) == f"<Report 'Night shift': {len(tasks)} tasks, 11 models>"


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_cli_report_reads_what_fetch_writes(
    tasks: pd.DataFrame, tmp_path: Path, suffix: str
) -> None:
    source = write_tasks(tasks, tmp_path / f"tasks{suffix}")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["report", str(source), "-o", str(out), "--freq", "30min"])
    assert result.exit_code == 0, result.output
    assert f"report: {out / 'report.html'}" in result.output
    assert "seedance-2-fast-beta" in result.output  # the per-model summary
    for name in REPORT_FILES.values():
        assert (out / name).exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["missing.csv"], "error: no such tasks file: missing.csv"),
        (["tasks.txt"], "error: output must end in one of .csv, .parquet, .jsonl"),
        (["tasks.csv", "--freq", "often"], "error: --freq must be a period"),
        (["other.csv"], "error: other.csv is not a tasks table written by fetch"),
    ],
)
def test_cli_report_usage_errors_are_one_line(
    tasks: pd.DataFrame,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    write_tasks(tasks.head(20), tmp_path / "tasks.csv")
    (tmp_path / "tasks.txt").write_text("x", "utf-8")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n", "utf-8")
    result = CliRunner().invoke(cli, ["report", *arguments, "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert result.output.startswith(message)
    assert "Traceback" not in result.output
    assert not (tmp_path / "out" / "report.html").exists()


def test_cli_report_reads_raw_task_records(tmp_path: Path) -> None:
    sample = ROOT / "data" / "sample_tasks.jsonl"
    result = CliRunner().invoke(cli, ["report", str(sample), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    by_model = read_csv(tmp_path / "by_model.csv")
    assert by_model["tasks"].sum() == len(sample.read_text("utf-8").splitlines())


def test_cli_report_has_help() -> None:
    result = CliRunner().invoke(cli, ["report", "--help"])
    assert result.exit_code == 0
    assert "Write report.html and CSV tables" in result.output
    assert "--freq" in result.output


def test_demo_writes_the_whole_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["demo", "-o", str(tmp_path), "--tasks", "150", "--speed", "60", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert f"report: {tmp_path / 'report.html'}" in result.output
    assert "p50 (KM)" in result.output
    for name in REPORT_FILES.values():
        assert (tmp_path / name).exists()


def test_public_names_are_exported_sorted_and_lazy() -> None:
    for name in ("summarize", "error_groups", "compare_models", "timeline", "write_report"):
        assert name in aitoearn_lab.__all__
        assert callable(getattr(aitoearn_lab, name))
    assert aitoearn_lab.Report is Report
    for name in aitoearn_lab.__all__:
        assert getattr(aitoearn_lab, name) is not None
    probe = "import sys, aitoearn_lab; print('plotly' in sys.modules, 'pandas' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("rows", "words", "charts"),
    [
        ([None], "1 of 1 task IDs could not be fetched", 7),
        ([], "The table is empty", 7),
        # A submitted task is a period of the trend: its chart is drawn.
        ([record(1, "solo", "queued", submitted=0)], "No task has finished yet", 8),
    ],
)
def test_a_page_even_without_finished_tasks(
    rows: list[dict[str, object] | None], words: str, charts: int
) -> None:
    page = Report(frame(rows), now=ANCHOR + 60).html()
    assert words in page
    # Nothing failed, finished or overdue: words instead of those charts.
    assert page.count("Plotly.newPlot(") == charts
    assert "No task failed." in page
    assert "No unfinished task is overdue." in page
    assert "Fastest usable video:" not in page
    assert "No model has enough finished tasks" in page
