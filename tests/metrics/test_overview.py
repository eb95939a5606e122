"""The headline figures are the ``by=None`` row of ``summarize``, whatever the frame holds."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from aitoearn_lab.metrics import headline, summarize
from tests.support import ANCHOR
from tests.support.records import done, frame, record, world_frame

NOW = pd.Timestamp(ANCHOR + 3600, unit="s", tz="UTC")

FRAMES = {
    "empty": lambda: frame([]),
    "only failed fetches": lambda: frame([None, None]),
    "only unfinished": lambda: frame(
        [record(1, "a", "running", submitted=0, started=5), record(2, "a", "queued", submitted=9)]
    ),
    "negative and missing turnarounds": lambda: frame(
        [
            done(1, "a", queue=1, render=30),
            done(2, "a", queue=1, render=90),
            record(3, "a", "succeeded", submitted=200, started=200, finished=5),
            record(4, "a", "succeeded", submitted=10),
            record(5, "b", "failed", submitted=0, finished=40, error="x"),
            record(6, "b", "unknown", submitted=0, status="ON_HOLD"),
            None,
        ]
    ),
    "a simulated world": lambda: world_frame(300, seed=4),
}


@pytest.mark.parametrize("name", list(FRAMES))
def test_headline_is_the_summary_over_every_task(name: str) -> None:
    tasks = FRAMES[name]()
    figures = headline(tasks, now=NOW)
    row = summarize(tasks, by=None, now=NOW).iloc[0]
    assert figures.rows == len(tasks)
    assert figures.no_answer == int(tasks["state"].isna().sum())
    for key, value in figures.as_dict().items():
        if key == "rows":
            continue
        expected = float(row[key])
        assert value is not None, key
        assert (math.isnan(value) and math.isnan(expected)) or value == expected, key


def test_without_waiting_figures_the_rest_is_the_same() -> None:
    tasks = FRAMES["negative and missing turnarounds"]()
    quick, full = headline(tasks, waiting=False), headline(tasks, now=NOW)
    assert quick.total_s_km_p50 is None and quick.oldest_unfinished_age_s is None
    for key in ("tasks", "succeeded", "failed", "unfinished", "total_s_p50", "total_s_p95"):
        assert getattr(quick, key) == getattr(full, key), key
    assert full.total_s_p50 == 61.0  # the median of 31 and 91 s: the negative one left out
