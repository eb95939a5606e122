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
from aitoearn_lab.metrics.strata import mix_changes, verdict_words
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
"""How many models or periods a sentence names before "and N more"."""


@dataclass(frozen=True)
class Answer:
    """An answer's tables (keyword options of its chart function) and its sentences."""

    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    sentences: Sequence[str] = ()


def usable_answer(df: pd.DataFrame) -> Answer:
    """:func:`~aitoearn_lab.time_to_usable` over all inputs, and which model is fastest.

    Over all inputs: ranking like for like costs a bootstrap per model and input configuration
    (about 0.25 s at 50,000 tasks), too slow for every filter change, so the sentence points to
    the like-for-like comparison, which says whether the mixes change the answer.
    """
    table = time_to_usable(df)
    said = [fastest_sentence(table)]
    if table["rank"].notna().sum() > 1:
        said.append(
            "This ranking is over all inputs; the Like for like tab says whether the models' "
            "different mixes of inputs change the answer."
        )
    return Answer({"table": table}, said)


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
        return Answer({"overall": overall, "matched": overall}, mix_summary(overall, overall))
    baseline = str(overall["baseline"].iloc[0])
    matched = compare_models(df, baseline=baseline, within=list(within))
    return Answer({"overall": overall, "matched": matched}, mix_summary(overall, matched))


def mix_summary(overall: pd.DataFrame, matched: pd.DataFrame) -> list[str]:
    """Whether the input mixes change the comparison's answer, in a sentence or two.

    :func:`~aitoearn_lab.mix_notes` has a sentence per model; this names the models whose
    verdict changes and gathers those whose ratio only moves, for a page or a tab.
    """
    if len(matched) < 2:
        return ["Nothing to compare: fewer than two models with tasks."]
    baseline = str(matched["baseline"].iloc[0])
    within = matched.attrs.get("within", list(WITHIN))
    inside = "the same " + " and ".join(_column_word(column) for column in within)
    changes = mix_changes(overall, matched)
    apart = [change for change in changes if not change.comparable]
    changed = [change for change in changes if change.comparable and change.verdict_changed]
    moved = [change for change in changes if change.comparable and not change.verdict_changed]
    if changed:
        listed = [
            f"{c.row.model} is {verdict_words(c.overall_verdict)} overall but "
            f"{verdict_words(c.row.verdict)} like for like ({c.row.tasks:,} against "
            f"{c.row.baseline_tasks:,} comparable tasks)"
            for c in changed
        ]
        said = [
            f"The input mixes change the answer. Compared with {baseline} inside {inside}: "
            f"{_some(listed)}. The like-for-like answer is the one to trust."
        ]
    elif apart:
        said = [
            f"Compared with {baseline} inside {inside}, every model that can be compared like "
            "for like gets the verdict it gets overall."
        ]
    else:
        said = [
            f"The input mixes do not change the answer: compared with {baseline} inside "
            f"{inside}, every model gets the verdict it gets overall."
        ]
    if moved:
        ratios = [
            f"{c.row.model} ×{c.row.ratio:.2f} instead of ×{c.overall_ratio:.2f}" for c in moved
        ]
        models = _count(len(moved), "model", "models")
        said.append(
            f"Like for like, the ratio of medians moves by more than 10% for {models} with the "
            f"same verdict: {_some(ratios, joiner=', ')}."
        )
    if apart:
        counts = [
            f"{c.row.model} ({c.row.tasks:,} against {c.row.baseline_tasks:,})" for c in apart
        ]
        said.append(
            f"Too few tasks in input configurations shared with {baseline} to compare like for "
            f"like: {_some(counts, joiner=', ')}; their overall verdicts rest on different inputs."
        )
    return said


def overdue_answer(df: pd.DataFrame, *, quantile: float = 0.99) -> Answer:
    """:func:`~aitoearn_lab.overdue`, and how many tasks are probably stuck."""
    late = overdue(df, quantile=quantile)
    said = overdue_sentence(late, quantile=quantile)
    if not said:
        waiting = int(df["state"].isin(["queued", "running"]).sum())
        said = (
            f"No unfinished task is overdue: {_count(waiting, 'task is', 'tasks are')} queued "
            f"or running, none older than {quantile:.0%} of its model's turnarounds."
            if waiting
            else "No task is queued or running."
        )
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
        f"{row.model} on {row.period_start:%Y-%m-%d %H:%M} UTC: {row.shift_reason}"
        for row in shifted.sort_values("period_start", ascending=False).itertuples()
    ]
    return Answer({"table": changes}, [f"Worse than before: {_some(listed, joiner='; ')}."])


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


def _some(items: Sequence[str], *, joiner: str = "; ") -> str:
    """The first :data:`_LISTED` items, and how many more."""
    shown = joiner.join(items[:_LISTED])
    return f"{shown}{joiner}and {len(items) - _LISTED:,} more" if len(items) > _LISTED else shown


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number:,} {singular if number == 1 else plural}"


def _column_word(column: str) -> str:
    return column.removeprefix("input_").replace("_", " ")
