"""The answers in words: the tables a chart of an answer is drawn from, and what they say.

Each ``*_answer(df)`` computes its tables once and returns them with a sentence or two, so a
dashboard tab shows the chart and its answer without computing either twice (the tables go to
the chart functions of :mod:`aitoearn_lab.charts.answers` as keyword options).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd

from aitoearn_lab.metrics.compare import compare_models
from aitoearn_lab.metrics.drift import trend
from aitoearn_lab.metrics.lateness import overdue, overdue_sentence
from aitoearn_lab.metrics.moments import format_duration
from aitoearn_lab.metrics.strata import mix_notes
from aitoearn_lab.metrics.usable import time_to_usable
from aitoearn_lab.metrics.wasted import wasted_time

WITHIN: Final = ("input_resolution", "input_duration")
"""The columns the like-for-like answers compare inside."""

CATEGORY_MOVES: Final = {
    "moderation": "change the request",
    "invalid_input": "change the request",
    "quota": "top up credits",
    "timeout": "the platform or its provider",
    "upstream": "the platform or its provider",
}
"""Whose move a failure category is, in words."""

_LISTED: Final = 3
"""How many flagged periods a sentence names before "and N more"."""


@dataclass(frozen=True)
class Answer:
    """An answer's tables (keyword options of its chart function) and its sentences."""

    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    sentences: Sequence[str] = ()


def usable_answer(df: pd.DataFrame) -> Answer:
    """:func:`~aitoearn_lab.time_to_usable` over all inputs, and which model is fastest."""
    table = time_to_usable(df)
    return Answer({"table": table}, [fastest_sentence(table)])


def fastest_sentence(usable: pd.DataFrame) -> str:
    """ "Fastest usable video: X, expected N (95% interval a–b), ..." from ``time_to_usable``."""
    ranked = usable[usable["rank"].notna()] if "rank" in usable.columns else usable.iloc[:0]
    if ranked.empty:
        return "No model has enough finished tasks to say which gives a usable video fastest."
    ranked = ranked.sort_values("rank", kind="stable")
    best = ranked.iloc[0]
    span = interval_text(best["expected_s_lo"], best["expected_s_hi"])
    return (
        f"Fastest usable video: {ranked.index[0]}, expected "
        f"{format_duration(float(best['expected_s']))}"
        f"{f' (95% interval {span})' if span else ''}, "
        "counting failed attempts resubmitted at once."
    )


def like_for_like_answer(df: pd.DataFrame, *, within: Sequence[str] = WITHIN) -> Answer:
    """:func:`~aitoearn_lab.compare_models` overall and inside the same inputs, and whether the
    input mixes change the answer (:func:`~aitoearn_lab.mix_notes`)."""
    overall = compare_models(df)
    if len(overall) < 2:
        return Answer(
            {"overall": overall, "matched": overall},
            ["Nothing to compare: fewer than two models with tasks."],
        )
    matched = compare_models(df, baseline=str(overall["baseline"].iloc[0]), within=list(within))
    notes = mix_notes(overall, matched)
    if not notes:
        notes = [
            f"The input mixes do not change the answer: compared inside the same "
            f"{' and '.join(_column_word(c) for c in within)}, every model gets the verdict it "
            "gets overall."
        ]
    return Answer({"overall": overall, "matched": matched}, notes)


def overdue_answer(df: pd.DataFrame, *, quantile: float = 0.99) -> Answer:
    """:func:`~aitoearn_lab.overdue`, and how many tasks are probably stuck."""
    late = overdue(df, quantile=quantile)
    said = overdue_sentence(late, quantile=quantile) or "No unfinished task is overdue."
    return Answer({"table": late}, [said])


def trend_answer(df: pd.DataFrame, *, freq: str = "1D") -> Answer:
    """:func:`~aitoearn_lab.trend`, and which periods were worse than the ones before."""
    changes = trend(df, freq=freq)
    if changes.empty:
        return Answer({"table": changes}, ["No tasks to show over time."])
    shifted = changes[changes["shift"].fillna(False).astype(bool)]
    if shifted.empty:
        return Answer(
            {"table": changes},
            [f"No {freq} period of any model is significantly worse than its earlier ones."],
        )
    listed = [
        f"{row.model} on {row.period_start:%Y-%m-%d %H:%M} UTC ({row.shift_reason})"
        for row in shifted.sort_values("period_start", ascending=False).head(_LISTED).itertuples()
    ]
    more = f"; and {len(shifted) - _LISTED:,} more" if len(shifted) > _LISTED else ""
    return Answer({"table": changes}, [f"Worse than before: {'; '.join(listed)}{more}."])


def wasted_answer(df: pd.DataFrame, *, rules: Mapping[str, str] | None = None) -> Answer:
    """:func:`~aitoearn_lab.wasted_time`, and the render time lost by category, in words."""
    wasted = wasted_time(df, rules=rules)
    return Answer({"table": wasted}, [wasted_sentence(wasted)])


def wasted_sentence(wasted: pd.DataFrame) -> str:
    """Failures and render time lost by category, whose move each is, most failures first."""
    if wasted.empty:
        return "No failed tasks."
    totals = wasted.groupby("category", sort=False)[["failures", "wasted_render_s"]].sum()
    totals = totals.sort_values("failures", ascending=False, kind="stable")
    said = [
        f"{category}: {int(row.failures):,} failure{'' if int(row.failures) == 1 else 's'}, "
        f"{format_duration(float(row.wasted_render_s))} of render time "
        f"({CATEGORY_MOVES.get(str(category), 'read the messages')})"
        for category, row in totals.iterrows()
    ]
    return "By category: " + "; ".join(said) + "."


def interval_text(low: Any, high: Any) -> str:
    """``"1 min 05 s–1 min 20 s"``; empty when either bound is missing."""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return ""
    return f"{format_duration(float(low))}–{format_duration(float(high))}"


def _column_word(column: str) -> str:
    return column.removeprefix("input_").replace("_", " ")
