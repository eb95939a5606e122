"""The dashboard's headline, the report's headline and ``summarize`` give the same numbers."""

from __future__ import annotations

import html
import math
import re

import numpy as np
import pandas as pd
import pytest

from aitoearn_lab import Report, dashboard, summarize
from aitoearn_lab.charts.registry import CHARTS, DASHBOARD_CHARTS
from aitoearn_lab.charts.style import seconds_text
from aitoearn_lab.metrics.overview import Headline
from aitoearn_lab.report import page
from tests.metrics.test_usable import flip_frame
from tests.support import ANCHOR
from tests.support.records import done, frame, record

SEEN_AT = pd.Timestamp(ANCHOR + 900, unit="s", tz="UTC")


@pytest.fixture(scope="module")
def awkward() -> pd.DataFrame:
    """Every kind of row a headline can get wrong, in two models."""
    records = [
        *(done(n, "alpha", queue=2, render=20 + 7 * n) for n in range(1, 9)),
        *(done(n, "beta", queue=5, render=60 + 11 * n) for n in range(9, 14)),
        # negative intervals: finished before submitted (succeeded, so they would weigh in p50/p95)
        record(20, "alpha", "succeeded", submitted=500, started=500, finished=20),
        record(21, "beta", "succeeded", submitted=800, started=800, finished=10),
        record(22, "beta", "succeeded", submitted=700, started=700, finished=30),
        # succeeded without a finish time: no turnaround at all (NaN)
        record(23, "alpha", "succeeded", submitted=10),
        record(24, "alpha", "failed", submitted=0, finished=30, error="boom"),
        record(25, "beta", "failed", submitted=0, finished=90, error="quota"),
        record(26, "alpha", "running", submitted=100, started=130),
        record(27, "beta", "queued", submitted=300),
        record(28, "beta", "unknown", submitted=50, status="PAUSED_BY_OPS"),
        None,  # a fetch that failed: no state
        None,
    ]
    tasks = frame(records)
    tasks["fetched_at"] = SEEN_AT
    return tasks


def overall(tasks: pd.DataFrame) -> pd.Series:
    return summarize(tasks, by=None, now=SEEN_AT).iloc[0]


def same(left: object, right: object) -> bool:
    if left is None or right is None:
        return False
    a, b = float(left), float(right)  # type: ignore[arg-type]
    return (math.isnan(a) and math.isnan(b)) or a == b


def compared(figures: Headline, expected: pd.Series) -> dict[str, tuple[object, object]]:
    """The figures that differ from the summary's columns of the same name."""
    return {
        name: (value, expected[name])
        for name, value in figures.as_dict().items()
        if name != "rows" and value is not None and not same(value, expected[name])
    }


def test_the_frame_is_awkward_enough(awkward: pd.DataFrame) -> None:
    row = overall(awkward)
    assert row["negative_intervals"] >= 3 and row["unknown"] == 1 and row["unfinished"] == 2
    assert awkward["state"].isna().sum() == 2
    # Keeping the negative intervals (as the dashboard once did) gives another p50 and p95.
    kept = awkward.loc[awkward["state"] == "succeeded", "total_s"].dropna()
    assert not same(np.percentile(kept, 50), row["total_s_p50"])
    assert not same(np.percentile(kept, 95), row["total_s_p95"])


def test_dashboard_report_and_summarize_agree(awkward: pd.DataFrame) -> None:
    expected = overall(awkward)
    board = dashboard(awkward)
    report = Report(awkward, now=SEEN_AT)
    shown = board.headline_figures
    assert shown is not None
    assert compared(shown, expected) == {}
    assert compared(report.headline, expected) == {}
    assert report.headline.total_s_km_p50 is not None  # the report asks for every figure
    assert shown.rows == report.headline.rows == len(awkward)

    cards = dict(
        re.findall(
            r"data-kpi='(\w+)'><div class='lab-kpi-value'>([^<]*)</div>", board.headline.value
        )
    )
    assert cards["tasks"] == f"{int(expected['tasks']):,}"
    assert cards["success_rate"] == f"{100 * expected['success_rate']:.1f}%"
    assert cards["p50"] == seconds_text(expected["total_s_p50"])
    assert cards["p95"] == seconds_text(expected["total_s_p95"])
    assert cards["unfinished"] == f"{int(expected['unfinished']):,}"

    html = report.html()
    values = dict(
        (label, value)
        for value, label in re.findall(
            r'<div class="value">([^<]*)</div><div class="label">([^<]*)</div>', html
        )
    )
    assert values["tasks"] == page.integer(expected["tasks"])
    assert values["success rate"] == page.percent(expected["success_rate"])
    assert values["failure rate"] == page.percent(expected["failure_rate"])
    assert values["median turnaround"] == page.seconds(expected["total_s_p50"])
    assert values["95th percentile"] == page.seconds(expected["total_s_p95"])
    assert values["unfinished"] == page.integer(expected["unfinished"])


def test_a_filtered_dashboard_agrees_with_summarize_of_its_selection(
    awkward: pd.DataFrame,
) -> None:
    board = dashboard(awkward)
    board.model_filter.value = ("beta",)
    selected = board.filtered
    assert set(selected["model"].dropna()) == {"beta"}
    assert board.headline_figures is not None
    assert compared(board.headline_figures, overall(selected)) == {}


def test_one_registry_serves_the_report_and_the_dashboard(awkward: pd.DataFrame) -> None:
    report = Report(awkward, now=SEEN_AT)
    assert list(report.figures()) == [chart.key for chart in CHARTS]
    board = dashboard(awkward)
    assert [board.tabs.get_title(i) for i in range(len(DASHBOARD_CHARTS))] == [
        chart.title for chart in DASHBOARD_CHARTS
    ]
    assert len({chart.key for chart in CHARTS}) == len(CHARTS)


def test_the_dashboard_says_the_answers_in_the_reports_words() -> None:
    tasks = flip_frame()
    tasks["fetched_at"] = SEEN_AT
    board = dashboard(tasks)
    page_text = html.unescape(Report(tasks, now=SEEN_AT).html())
    titles = [chart.title for chart in DASHBOARD_CHARTS]
    for title, sentence in (
        ("Time to a usable video", "Fastest usable video: reliable"),
        ("Like for like", "The input mixes do not change the answer"),
        ("Wasted time", "By category: upstream: 10 failures"),
    ):
        board.figure(title)
        said = html.unescape(re.sub(r"<[^>]+>", " ", board.answers[titles.index(title)].value))
        first = said.strip().split(". ")[0]
        assert first.startswith(sentence), title
        assert first in page_text, title  # the same sentence, word for word, in the report
