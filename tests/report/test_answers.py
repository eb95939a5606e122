"""The report's answers: fastest usable video, like for like, overdue, trend, wasted time, cost."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from aitoearn_lab import Report, compare_models, mix_notes, time_to_usable, write_report
from aitoearn_lab.cli.commands import cli
from aitoearn_lab.frame.tables import read_csv, write_tasks
from aitoearn_lab.metrics.answers import WITHIN
from aitoearn_lab.metrics.moments import format_duration
from tests.metrics.test_cost import PRICES, priced_frame
from tests.metrics.test_drift import slow_day_frame
from tests.metrics.test_lateness import at, stuck_frame
from tests.metrics.test_usable import flip_frame, simpson_frame
from tests.support import ANCHOR
from tests.support.records import done, frame, record

LEAD = "enough to change the answer, so this ranking compares them like for like"


def section(page: str, anchor: str) -> str:
    """The text of one section of the page, tags removed (entities kept)."""
    return re.sub(r"<[^>]+>", " ", raw_section(page, anchor))


def raw_section(page: str, anchor: str) -> str:
    start = page.index(f'<section id="{anchor}">')
    return page[start : page.index("</section>", start)]


def test_the_headline_names_the_model_that_failures_make_fastest() -> None:
    tasks = flip_frame()
    page = Report(tasks, now=ANCHOR + 100).html()
    usable = section(page, "usable")
    # reliable: 60 s; flaky: 40 s + (0.5 / 0.5) × 30 s = 70 s, although its successes are faster.
    assert time_to_usable(tasks).index[0] == "reliable"
    assert (
        f"Fastest usable video: reliable, expected {format_duration(60.0)} (95% interval "
        f"{format_duration(60.0)}–{format_duration(60.0)}), counting failed attempts resubmitted "
        "at once."
    ) in usable
    assert LEAD not in page  # one input configuration: nothing to adjust for
    assert mix_notes(compare_models(tasks), compare_models(tasks, within=list(WITHIN))) == []
    assert (
        "The input mixes do not change the answer: compared with flaky inside the same "
        "resolution and duration, every model gets the verdict it gets overall."
    ) in section(page, "like")
    assert "flaky" in usable and format_duration(70.0) in usable  # the ranking's second row


def test_a_simpson_pair_leads_with_the_like_for_like_answer() -> None:
    tasks = simpson_frame()
    report = Report(tasks, now=ANCHOR + 200)
    page = report.html()
    usable = section(page, "usable")
    notes = mix_notes(compare_models(tasks), compare_models(tasks, within=list(WITHIN)))
    assert notes and report.mix == notes
    assert LEAD in usable
    # Overall B is faster (51.7 s against 88.3 s); like for like A is (65 s against 75 s).
    assert time_to_usable(tasks).index[0] == "B"
    assert report.usable.index[0] == "A"
    assert f"Fastest usable video: A, expected {format_duration(65.0)}" in usable
    like = section(page, "like")
    # The lead is the dashboard tab's summary; each model's sentence folds below it.
    assert (
        html.escape(
            "The input mixes change the answer. Compared with B inside the same resolution and "
            "duration: A is slower than the baseline overall but faster than the baseline like for "
            "like (30 against 30 comparable tasks)."
        )
        in like
    )
    for sentence in notes:
        assert html.escape(sentence) in like
    assert "like for like" in like and "faster" in like


def test_the_overdue_table_lists_the_stuck_task() -> None:
    report = Report(stuck_frame(), now=at(3100))
    overdue = section(report.html(), "overdue")
    stuck = f"{20:024x}"
    assert report.overdue["task_id"].tolist()[0] == stuck
    assert stuck in overdue
    assert f"{22:024x}" not in overdue  # model B has nothing finished: not judged
    assert format_duration(3100.0) in overdue  # its age
    assert f"{3100 / 79:.1f}×" in overdue  # times over the longest turnaround, 79 s
    quiet = section(Report(flip_frame(), now=ANCHOR + 100).html(), "overdue")
    assert "No unfinished task is overdue." in quiet


def test_the_trend_section_names_the_slow_day_only() -> None:
    report = Report(slow_day_frame(), now=ANCHOR + 3 * 86400)
    page = report.html()
    trend = section(page, "trend")
    assert report.trend["shift"].tolist() == [False, False, True]
    assert "median turnaround 304 s against 64 s before" in trend
    third = pd.Timestamp(ANCHOR, unit="s", tz="UTC").floor("1D") + pd.Timedelta(days=2)
    assert f"{third:%Y-%m-%d %H:%M}" in trend
    rows = raw_section(page, "trend").split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == 1  # only the flagged period is listed
    quiet = section(Report(flip_frame(), now=ANCHOR + 100).html(), "trend")
    assert "No period is worse than the ones before." in quiet


def test_failures_say_whose_move_each_category_is() -> None:
    rows = [done(i, "A", queue=0, render=60) for i in range(5)]
    rows += [
        record(
            10, "A", "failed", submitted=0, started=0, finished=40, error="Flagged by moderation"
        ),
        record(
            11, "A", "failed", submitted=0, started=0, finished=20, error="Flagged by moderation"
        ),
        record(
            12, "A", "failed", submitted=0, started=5, finished=15, error="Insufficient credits"
        ),
    ]
    page = Report(frame(rows), now=ANCHOR + 100).html()
    failures = section(page, "failures")
    moves = [
        f"moderation: 2 failures, {format_duration(60.0)} of render time (change the request)",
        f"quota: 1 failure, {format_duration(10.0)} of render time (top up credits)",
    ]
    for words in moves:
        assert words in failures
    assert "Render time wasted on failed tasks" in page  # the chart
    assert re.search(r"<td[^>]*>moderation</td>", page)  # the signatures' category column


def test_cost_says_whether_failed_tasks_are_billed() -> None:
    tasks = priced_frame()
    billed = section(Report(tasks, now=ANCHOR + 100, prices=PRICES).html(), "models")
    assert "failed tasks billed." in billed and "cost per usable video" in billed
    # A: 4 × 1 at 720p + (2 successes + 2 failures) × 3 at 1080p = 16 for 6 usable videos.
    assert "2.7" in billed
    free = section(
        Report(tasks, now=ANCHOR + 100, prices=PRICES, failed_billed=False).html(), "models"
    )
    assert "failed tasks not billed." in free
    # A without its failures: 4 × 1 + 2 × 3 = 10 for 6 usable videos.
    assert "1.7" in free
    plain = section(Report(tasks, now=ANCHOR + 100).html(), "models")
    assert "cost per usable video" not in plain and "billed" not in plain


def test_the_new_tables_are_written(tmp_path: Path) -> None:
    written = write_report(stuck_frame(), tmp_path, now=at(3100))
    usable = read_csv(written["time_to_usable"])
    assert usable["model"].tolist()[0] == "A" and usable["tasks"].tolist()[0] == 20
    late = pd.read_csv(written["overdue"], dtype={"task_id": str})
    assert late["task_id"].tolist() == [f"{20:024x}", f"{21:024x}"]
    assert set(read_csv(written["trend"])["model"]) == {"A", "B"}
    page = written["html"].read_text("utf-8")
    for name in ("time_to_usable.csv", "overdue.csv", "trend.csv"):
        assert f'href="{name}"' in page


def test_cli_report_prices_adds_the_cost_column(tmp_path: Path) -> None:
    source = write_tasks(priced_frame(), tmp_path / "tasks.csv")
    prices = tmp_path / "prices.csv"
    PRICES.to_csv(prices, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["report", str(source), "-o", str(out), "--prices", str(prices)]
    )
    assert result.exit_code == 0, result.output
    by_model = read_csv(out / "by_model.csv").set_index("model")
    assert by_model.loc["A", "cost_per_usable"] == 16 / 6
    assert by_model.loc["C", "unpriced_tasks"] == 1
    assert "failed tasks billed." in (out / "report.html").read_text("utf-8")


def test_cli_report_bad_prices_is_one_line(tmp_path: Path) -> None:
    source = write_tasks(priced_frame(), tmp_path / "tasks.csv")
    (tmp_path / "prices.csv").write_text("model,cost\nA,1\n", "utf-8")
    for name in ("prices.csv", "missing.csv"):
        result = CliRunner().invoke(
            cli,
            ["report", str(source), "-o", str(tmp_path / "out"), "--prices", str(tmp_path / name)],
        )
        assert result.exit_code == 2
        assert result.output.startswith("error: ") and "price" in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "report.html").exists()
