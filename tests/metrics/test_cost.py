"""Cost per usable video from a price table (summarize prices=)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from aitoearn_lab import summarize
from tests.support.records import done, frame, record


def priced_frame() -> pd.DataFrame:
    """A: 4 successes at 720p, 2 successes and 2 failures at 1080p, 1 running at 1080p.
    B: 3 successes (720p, 5 s). C: 1 success, no price."""
    rows, n = [], 0
    for resolution, count in (("720p", 4), ("1080p", 2)):
        for _ in range(count):
            rows.append(done(n, "A", queue=0, render=60, resolution=resolution))
            n += 1
    for _ in range(2):
        rows.append(record(n, "A", "failed", submitted=0, finished=30, resolution="1080p"))
        n += 1
    rows.append(record(n, "A", "running", submitted=0, resolution="1080p"))
    rows += [done(100 + i, "B", queue=0, render=40) for i in range(3)]
    rows.append(done(200, "C", queue=0, render=40))
    return frame(rows)


PRICES = pd.DataFrame(
    {
        "model": ["A", "A", "B", "B"],
        "input_resolution": [None, "1080p", None, None],
        "input_duration": [None, None, None, 5],
        "price": [1.0, 3.0, 2.0, 2.5],
    }
)


def test_cost_per_usable_video_bills_failures_by_default() -> None:
    summary = summarize(priced_frame(), prices=PRICES)
    # A: 4 × 1 (720p) + 2 × 3 (1080p successes) + 2 × 3 (1080p failures) = 16 over 6 usable;
    # the running task is not billed yet.
    assert summary.loc["A", "billed_tasks"] == 8
    assert summary.loc["A", "cost"] == 16.0
    assert summary.loc["A", "cost_per_usable"] == pytest.approx(16 / 6)
    # B: the model + duration row (5 s) is more specific than the model row: 3 × 2.5.
    assert summary.loc["B", "cost"] == 7.5
    assert summary.loc["B", "cost_per_usable"] == 2.5
    # C has no price: counted as unpriced, and its cost is unknown rather than zero.
    assert summary.loc["C", "unpriced_tasks"] == 1
    assert math.isnan(summary.loc["C", "cost_per_usable"])
    assert any("failed tasks billed" in note for note in summary.attrs["notes"])


def test_failed_tasks_not_billed_when_asked() -> None:
    summary = summarize(priced_frame(), prices=PRICES, failed_billed=False)
    assert summary.loc["A", "cost"] == 10.0  # 4 × 1 + 2 × 3
    assert summary.loc["A", "cost_per_usable"] == pytest.approx(10 / 6)
    assert any("failed tasks not billed" in note for note in summary.attrs["notes"])


def test_nothing_usable_costs_infinitely_much() -> None:
    tasks = frame([record(1, "A", "failed", submitted=0, finished=9) for _ in range(1)])
    summary = summarize(tasks, prices=pd.DataFrame({"model": ["A"], "price": [4]}))
    assert math.isinf(summary.loc["A", "cost_per_usable"])


def test_without_prices_nothing_changes_and_a_bad_table_is_named() -> None:
    assert "cost_per_usable" not in summarize(priced_frame()).columns
    with pytest.raises(ValueError, match="prices must have columns 'model' and 'price'"):
        summarize(priced_frame(), prices=pd.DataFrame({"model": ["A"], "cost": [1]}))
    with pytest.raises(TypeError, match=r"prices must be a pandas DataFrame.*pandas.read_csv"):
        summarize(priced_frame(), prices="prices.csv")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"prices\['price'\] must be numbers"):
        summarize(priced_frame(), prices=pd.DataFrame({"model": ["A"], "price": ["cheap"]}))
