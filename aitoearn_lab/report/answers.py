"""The report's answers: time to a usable video, like for like, overdue tasks, trend, wasted time.

Each function takes computed tables and chart fragments and returns escaped HTML, as
:mod:`aitoearn_lab.report.sections` does.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from aitoearn_lab.metrics.answers import (
    fastest_sentence,
    interval_text,
    mix_summary,
    wasted_sentence,
)
from aitoearn_lab.report import page as h


def usable_section(
    usable: pd.DataFrame,
    *,
    mixes_differ: bool,
    charts: Mapping[str, str],
    colors: Mapping[str, str],
) -> str:
    """The headline answer: which model gives a usable video fastest, ranked, with the chart.

    ``usable`` is like for like when its ``attrs`` name the ``within`` columns.
    """
    words = []
    if mixes_differ and usable.attrs.get("within"):
        words.append(
            "The models got different mixes of inputs, enough to change the answer, so this "
            "ranking compares them like for like: inside the same input resolution and duration, "
            "pooled with the same weights for every model."
        )
    elif mixes_differ:
        words.append(
            "The models got different mixes of inputs, but no input configuration has enough "
            "tasks of every model to rank them like for like: this ranking is over all inputs, "
            "so read it with the like-for-like comparison below."
        )
    words.append(fastest_sentence(usable))
    words.append(
        "Expected time = mean turnaround of successes + failures per success × mean time to "
        "failure; p50/p90 of the same wall time by simulation. A model with fewer than 5 "
        "successes is not ranked."
    )
    lead = " ".join(html.escape(sentence) for sentence in words)
    if usable.empty:
        return h.section("usable", "Which model gives a usable video fastest?", lead)
    frame = usable.reset_index()
    frame["expected_text"] = [
        h.seconds(value) + (f" ({span})" if (span := interval_text(lo, hi)) else "")
        for value, lo, hi in zip(
            frame["expected_s"], frame["expected_s_lo"], frame["expected_s_hi"], strict=True
        )
    ]
    columns = [
        h.Column(key="rank", header="#", format=h.integer),
        h.model_column(colors),
        h.Column(key="expected_text", header="expected (95% interval)", format=str),
        h.Column(key="p50_s", header="p50", format=h.seconds),
        h.Column(key="p90_s", header="p90", format=h.seconds),
        h.Column(key="success_rate", header="success rate", format=h.percent),
        h.Column(key="tasks", header="finished tasks", format=h.integer),
        h.Column(key="note", header="note", format=text, numeric=False),
    ]
    return h.section(
        "usable",
        "Which model gives a usable video fastest?",
        lead,
        h.table(frame, columns),
        h.chart(charts["usable"]),
    )


def like_for_like_section(
    overall: pd.DataFrame,
    matched: pd.DataFrame,
    notes: Sequence[str],
    charts: Mapping[str, str],
    colors: Mapping[str, str],
) -> str:
    """Each model against the baseline inside the same input configuration, and what it changes.

    The lead is :func:`~aitoearn_lab.metrics.answers.mix_summary` (what the dashboard's tab
    says too); the sentence per model (``notes``, :func:`~aitoearn_lab.mix_notes`) folds below.
    """
    if matched.empty or matched["median"].isna().all():
        return h.section("like", "Like for like", "No model has finished tasks yet.")
    lead = " ".join(html.escape(sentence) for sentence in mix_summary(overall, matched))
    folded = (
        '<details class="notes"><summary>Each model, in words</summary><ul>'
        + "".join(f"<li>{html.escape(sentence)}</li>" for sentence in notes)
        + "</ul></details>"
        if notes
        else ""
    )
    frame = matched.copy()
    frame["ratio_text"] = h.ratio_texts(frame)
    frame["comparable"] = [
        f"{h.integer(n)} / {h.integer(b)}"
        for n, b in zip(frame["tasks"], frame["baseline_tasks"], strict=True)
    ]
    columns = [
        h.model_column(colors),
        h.Column(key="median", header="median", format=h.seconds),
        h.Column(key="baseline_median", header="baseline median", format=h.seconds),
        h.Column(key="ratio_text", header="ratio (95% interval)", format=str),
        h.Column(key="comparable", header="tasks / baseline comparable", format=str),
        h.Column(key="excluded_tasks", header="excluded", format=h.integer),
        h.Column(key="strata", header="strata", format=h.integer),
        h.Column(key="p_value", header="p-value", format=h.p_value),
        h.Column(key="verdict", header="verdict", format=h.badge, numeric=False, raw_html=True),
        h.Column(key="evidence", header="evidence", format=text, numeric=False),
    ]
    return h.section(
        "like",
        "Like for like",
        lead
        + " Each model is compared with the baseline only inside the same input resolution and "
        "duration; the strata are pooled into one ratio of medians with a stratified bootstrap.",
        folded,
        h.table(frame, columns),
        h.chart(charts["like_for_like"]),
    )


def overdue_section(
    late: pd.DataFrame, charts: Mapping[str, str], colors: Mapping[str, str]
) -> str:
    """Unfinished tasks older than their model's 99th-percentile turnaround."""
    if late.empty:
        return h.section("overdue", "Probably stuck", "No unfinished task is overdue.")
    columns = [
        h.Column(key="task_id", header="task", format=text, numeric=False, nowrap=True),
        h.model_column(colors),
        h.Column(key="state", header="state", format=text, numeric=False),
        h.Column(key="age_s", header="age", format=h.seconds),
        h.Column(key="quantile_s", header="model's quantile", format=h.seconds),
        h.Column(key="times_over", header="times over", format=_times),
        h.Column(key="quantile_basis", header="quantile from", format=text, numeric=False),
    ]
    lead = html.escape(
        f"{len(late):,} unfinished task{'s are' if len(late) != 1 else ' is'} older than 99% of "
        f"{'their' if len(late) != 1 else 'its'} model's turnarounds (Kaplan-Meier, counting "
        "tasks still running): probably stuck."
    )
    return h.section(
        "overdue", "Probably stuck", lead, h.table(late, columns), h.chart(charts["overdue"])
    )


def trend_section(changes: pd.DataFrame, charts: Mapping[str, str], freq: str) -> str:
    """Turnaround and failure rate per period, and the periods worse than the ones before."""
    shifted = changes[changes["shift"].fillna(False).astype(bool)] if len(changes) else changes
    lead = html.escape(
        f"Per {freq} period (UTC) and model. A period is flagged when it is worse than the "
        "model's earlier periods together: failure rate by a one-sided two-proportion z-test, "
        "turnaround by the Mann-Whitney rank test (only when it got slower)."
    )
    if changes.empty:
        return h.section("trend", "Is it getting worse?", "No tasks to show over time yet.")
    if shifted.empty:
        listing = '<p class="lead">No period is worse than the ones before.</p>'
    else:
        columns = [
            h.Column(key="period_start", header="period (UTC)", format=h.moment, numeric=False),
            h.Column(key="model", header="model", format=text, numeric=False, nowrap=True),
            h.Column(key="tasks", header="tasks", format=h.integer),
            h.Column(key="failure_rate", header="failure rate", format=h.percent),
            h.Column(key="total_s_p50", header="turnaround p50", format=h.seconds),
            h.Column(key="shift_reason", header="why", format=text, numeric=False),
        ]
        listing = h.table(shifted, columns)
    return h.section(
        "trend",
        "Is it getting worse?",
        lead,
        listing,
        h.chart(charts["trend"]),
    )


def wasted_parts(wasted: pd.DataFrame, charts: Mapping[str, str]) -> str:
    """Failures by category in words (whose move it is), the wasted-time table and chart."""
    if wasted.empty:
        return ""
    columns = [
        h.Column(key="category", header="category", format=text, numeric=False),
        h.Column(key="model", header="model", format=text, numeric=False, nowrap=True),
        h.Column(key="failures", header="failures", format=h.integer),
        h.Column(key="wasted_render_s", header="render time wasted", format=h.seconds),
        h.Column(key="wasted_total_s", header="wall time wasted", format=h.seconds),
        h.Column(key="mean_render_s", header="mean render before failing", format=h.seconds),
        h.Column(key="share_of_wasted", header="share", format=h.percent),
    ]
    return (
        '<p class="lead">'
        + html.escape(wasted_sentence(wasted))
        + "</p>"
        + h.chart(charts["wasted"])
        + h.table(wasted, columns)
    )


def cost_line(*, failed_billed: bool) -> str:
    """What the cost figures count, said beside them."""
    if failed_billed:
        return (
            "Cost per usable video = the price of every billed task / usable videos; "
            "failed tasks billed."
        )
    return (
        "Cost per usable video = the price of every succeeded task / usable videos; "
        "failed tasks not billed."
    )


def text(value: Any) -> str:
    return "–" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _times(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.1f}×"
