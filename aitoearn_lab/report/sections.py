"""The report page's sections: headline, answers, models, comparison, time, inputs, failures, files.

Each section takes computed tables and chart fragments and returns escaped HTML.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from aitoearn_lab.metrics.moments import format_duration
from aitoearn_lab.metrics.overview import Headline
from aitoearn_lab.report import answers as a
from aitoearn_lab.report import page as h

FILE_DESCRIPTIONS = {
    "tasks": "every task, one row each",
    "by_model": "the per-model summary, every column",
    "errors": "failure signatures",
    "compare": "each model against the fastest",
    "timeline": "activity per period",
    "time_to_usable": "expected time to a usable video per model",
    "overdue": "unfinished tasks that are probably stuck",
    "trend": "turnaround and failure rate per model and period",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Answers:
    """The computed answers the page shows (see :mod:`aitoearn_lab.report.answers`)."""

    usable: pd.DataFrame
    like_for_like: pd.DataFrame
    mix: Sequence[str]
    overdue: pd.DataFrame
    trend: pd.DataFrame
    trend_freq: str
    wasted: pd.DataFrame
    failed_billed: bool | None
    """None when no prices were given (no cost shown)."""


def body_sections(
    *,
    figures: Headline,
    summary: pd.DataFrame,
    comparison: pd.DataFrame,
    answers: Answers,
    errors: pd.DataFrame,
    timeline: pd.DataFrame,
    notes: Sequence[str],
    charts: Mapping[str, str],
    colors: Mapping[str, str],
    zero_queue: bool,
    freq: str,
    files: Mapping[str, str],
) -> str:
    """Every section of the page body, in reading order."""
    nav = (
        "<nav>"
        + "".join(
            f'<a href="#{anchor}">{html.escape(text)}</a>'
            for anchor, text in (
                ("usable", "Fastest usable video"),
                ("models", "Models"),
                ("compare", "Which is faster?"),
                ("like", "Like for like"),
                ("overdue", "Probably stuck"),
                ("trend", "Getting worse?"),
                ("time", "Over time"),
                ("inputs", "Render time by input"),
                ("failures", "Why tasks fail"),
                ("files", "Files"),
            )
        )
        + "</nav>"
    )
    return "".join(
        [
            nav,
            h.cards(headline(figures)),
            h.notes(notes),
            a.usable_section(
                answers.usable, mixes_differ=bool(answers.mix), charts=charts, colors=colors
            ),
            models_section(
                summary, charts, colors, zero_queue=zero_queue, failed_billed=answers.failed_billed
            ),
            compare_section(comparison, colors),
            a.like_for_like_section(comparison, answers.like_for_like, answers.mix, charts, colors),
            a.overdue_section(answers.overdue, charts, colors),
            a.trend_section(answers.trend, charts, answers.trend_freq),
            h.section(
                "time",
                "Over time",
                f"Per {html.escape(freq)} period (UTC): what was submitted, what finished, how "
                "much was in flight, and how long tasks took.",
                h.chart(charts["activity"]),
                _details("Table: activity per period", timeline_table(timeline)),
            ),
            h.section(
                "inputs",
                "Render time by input",
                "Longer and sharper videos take longer to render. “not set” means the task left "
                "the choice to the model's default; the menu shows one model at a time.",
                h.chart(charts["render_heatmap"]),
            ),
            failures_section(errors, charts, colors, wasted=a.wasted_parts(answers.wasted, charts)),
            files_section(files),
        ]
    )


def headline(figures: Headline) -> list[h.Card]:
    """The figures a reader wants first: volume, success, turnaround, what is still running."""
    low, high = figures.failure_rate_lo, figures.failure_rate_hi
    interval = f"95% interval {h.percent(low)} – {h.percent(high)}" if pd.notna(low) else ""
    km, oldest = figures.total_s_km_p50, figures.oldest_unfinished_age_s
    return [
        h.Card("tasks", h.integer(figures.tasks), f"{h.integer(figures.finished)} finished"),
        h.Card(
            "success rate",
            h.percent(figures.success_rate),
            f"{h.integer(figures.succeeded)} succeeded, {h.integer(figures.failed)} failed",
        ),
        h.Card("failure rate", h.percent(figures.failure_rate), interval),
        h.Card(
            "median turnaround",
            h.seconds(figures.total_s_p50),
            f"counting unfinished: {h.seconds(km)}" if pd.notna(km) else "",
        ),
        h.Card("95th percentile", h.seconds(figures.total_s_p95), "of succeeded tasks"),
        h.Card(
            "unfinished",
            h.integer(figures.unfinished),
            f"oldest waiting {h.seconds(oldest)}" if pd.notna(oldest) else "",
        ),
    ]


def models_section(
    summary: pd.DataFrame,
    charts: Mapping[str, str],
    colors: Mapping[str, str],
    *,
    zero_queue: bool,
    failed_billed: bool | None = None,
) -> str:
    frame = summary.reset_index()
    frame = frame.sort_values(["total_s_p50", "model"], na_position="last", kind="stable")
    frame["interval"] = [
        f"{h.percent(lo)} – {h.percent(hi)}" if pd.notna(lo) else "–"
        for lo, hi in zip(frame["failure_rate_lo"], frame["failure_rate_hi"], strict=True)
    ]
    columns = [
        h.model_column(colors),
        h.Column(key="tasks", header="tasks", format=h.integer),
        h.Column(key="failed", header="failed", format=h.integer),
        h.Column(key="unfinished", header="unfinished", format=h.integer),
        h.Column(key="failure_rate", header="failure rate", format=h.percent),
        h.Column(key="interval", header="95% interval", format=str),
        h.Column(key="total_s_p50", header="turnaround p50", format=h.seconds),
        h.Column(key="total_s_km_p50", header="p50 incl. unfinished", format=h.seconds),
        h.Column(key="total_s_p95", header="p95", format=h.seconds),
    ]
    if not zero_queue:
        columns.append(h.Column(key="queue_s_p50", header="queue p50", format=h.seconds))
    columns += [
        h.Column(key="render_s_p50", header="render p50", format=h.seconds),
        h.Column(key="render_s_per_video_s_p50", header="render s per video s", format=_number),
    ]
    lead = (
        "Latency figures are over succeeded tasks (the time to a usable video). "
        "“p50 incl. unfinished” is the Kaplan-Meier median: a task still running counts as at "
        "least as slow as its age, so a model whose slow tasks are still out does not look fast."
    )
    if failed_billed is not None and "cost_per_usable" in frame.columns:
        columns += [
            h.Column(key="cost_per_usable", header="cost per usable video", format=_number),
            h.Column(key="unpriced_tasks", header="tasks without a price", format=h.integer),
        ]
        lead += " " + html.escape(a.cost_line(failed_billed=failed_billed))
    return h.section(
        "models",
        "Models",
        lead,
        h.table(frame, columns),
        h.chart(charts["latency"]),
        h.chart(charts["ecdf"]),
        h.chart(charts["queue_render"]),
        h.chart(charts["states"]),
        h.chart(charts["failure_rates"]),
    )


def compare_section(comparison: pd.DataFrame, colors: Mapping[str, str]) -> str:
    if comparison.empty:
        return h.section("compare", "Which model is faster?", "No model has finished tasks yet.")
    baseline = str(comparison["baseline"].iloc[0])
    frame = comparison.copy()
    is_baseline = frame["verdict"] == "baseline"
    frame["difference_text"] = [
        "–" if base else _signed(d) + (f" ({_signed(lo)} to {_signed(hi)})" if pd.notna(lo) else "")
        for base, d, lo, hi in zip(
            is_baseline,
            frame["difference"],
            frame["difference_lo"],
            frame["difference_hi"],
            strict=True,
        )
    ]
    frame["ratio_text"] = h.ratio_texts(frame)
    columns = [
        h.model_column(colors),
        h.Column(key="tasks", header="tasks", format=h.integer),
        h.Column(key="median", header="median turnaround", format=h.seconds),
        h.Column(key="difference_text", header="difference (95% interval)", format=str),
        h.Column(key="ratio_text", header="ratio (95% interval)", format=str),
        h.Column(key="p_value", header="p-value", format=h.p_value),
        h.Column(
            key="verdict",
            header="verdict",
            format=h.badge,
            numeric=False,
            raw_html=True,
            nowrap=True,
        ),
        h.Column(key="evidence", header="evidence", format=a.text, numeric=False),
    ]
    lead = (
        f"Each model's median turnaround against the fastest, {html.escape(baseline)}. "
        "Intervals come from the bootstrap; the p-value from the Mann-Whitney rank test. "
        "A model is called slower or faster only when both agree (interval excludes zero, "
        "p &lt; 0.05)."
    )
    return h.section("compare", "Which model is faster?", lead, h.table(frame, columns))


def failures_section(
    errors: pd.DataFrame, charts: Mapping[str, str], colors: Mapping[str, str], *, wasted: str = ""
) -> str:
    if errors.empty:
        return h.section("failures", "Why tasks fail", "No task failed.")
    frame = errors.reset_index(drop=True)
    frame["rank"] = range(1, len(frame) + 1)
    columns = [
        h.Column(key="rank", header="#", format=h.integer),
        h.Column(key="signature", header="signature", format=str, numeric=False),
        h.Column(key="category", header="category", format=a.text, numeric=False),
        h.Column(key="count", header="failures", format=h.integer),
        h.Column(key="share", header="share", format=h.percent),
        h.Column(
            key="models",
            header="models",
            format=lambda ms: _model_list(ms, colors),
            numeric=False,
            raw_html=True,
        ),
        h.Column(key="first_seen", header="first (UTC)", format=h.moment),
        h.Column(key="last_seen", header="last (UTC)", format=h.moment),
        h.Column(
            key="example",
            header="example message",
            format=lambda m: _shorten(m, 220),
            numeric=False,
        ),
    ]
    lead = (
        "Failure messages grouped into signatures: IDs, URLs, numbers and quoted values are "
        "masked so that one cause is counted once."
    )
    return h.section(
        "failures",
        "Why tasks fail",
        lead,
        h.chart(charts["errors"]),
        h.table(frame, columns),
        wasted,
    )


def timeline_table(timeline: pd.DataFrame) -> str:
    columns = [
        h.Column(
            key="period_start",
            header="period start (UTC)",
            format=h.moment,
            numeric=False,
            raw_html=False,
            nowrap=True,
        ),
        h.Column(key="submitted", header="submitted", format=h.integer),
        h.Column(key="failed", header="failed", format=h.integer),
        h.Column(key="failure_rate", header="failure rate", format=h.percent),
        h.Column(key="total_s_p50", header="median turnaround", format=h.seconds),
        h.Column(key="in_flight", header="in flight at end", format=h.integer),
    ]
    return h.table(timeline, columns)


def files_section(files: Mapping[str, str]) -> str:
    if not files:
        return ""
    items = "".join(
        f'<li><a href="{html.escape(path, quote=True)}">{html.escape(path)}</a>: '
        f"{html.escape(FILE_DESCRIPTIONS.get(name, ''))}</li>"
        for name, path in files.items()
    )
    lead = (
        "Written beside this page: UTF-8 CSV, ISO 8601 times in UTC, lists as JSON arrays, "
        "safe to open in a spreadsheet (a cell that could run as a formula starts with an "
        "apostrophe)."
    )
    return h.section("files", "Files", lead, f"<ul>{items}</ul>")


def _details(summary: str, content: str) -> str:
    return f"<details><summary>{html.escape(summary)}</summary>{content}</details>"


def _model_list(models: Any, colors: Mapping[str, str]) -> str:
    names = list(models) if isinstance(models, list | tuple) else []
    items = ", ".join(
        f'<span class="nowrap">{h.swatch(colors.get(str(name)), name)}</span>' for name in names
    )
    return f'<span class="models">{items}</span>'


def _shorten(text: Any, limit: int) -> str:
    value = "" if text is None else " ".join(str(text).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _signed(seconds: Any) -> str:
    if seconds is None or pd.isna(seconds):
        return "–"
    value = float(seconds)
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return sign + format_duration(abs(value))


def _number(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.1f}"
