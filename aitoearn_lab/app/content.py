"""What the dashboard shows, made without widgets: filter arrays, HTML, refreshed rows merged."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from aitoearn_lab.app.tables import TABLE_COLUMNS as TABLE_COLUMNS  # re-exported
from aitoearn_lab.app.tables import errors_html as errors_html  # re-exported
from aitoearn_lab.app.tables import tasks_html as tasks_html  # re-exported
from aitoearn_lab.charts.style import seconds_text
from aitoearn_lab.frame.build import CATEGORY_COLUMNS
from aitoearn_lab.metrics.overview import Headline, headline
from aitoearn_lab.schema import STATES

NO_ANSWER: Final = "no answer"
"""The state filter's name for rows whose fetch failed (they have no state)."""
UNSPECIFIED: Final = "unspecified"
_VIEW_COLUMNS: Final = (
    "task_id",
    "model",
    "state",
    "submitted_at",
    "started_at",
    "finished_at",
    "fetched_at",
    "queue_s",
    "render_s",
    "total_s",
    "error_message",
    "input_prompt",
    "input_duration",
    "input_resolution",
)
"""The columns the charts, their answers, the headline and the tables read (``fetched_at``: the
moment an unfinished task's age is measured to). Selecting rows copies every column kept, and
the others (URLs, IDs, input lists) would cost more than the arithmetic of all charts."""
STYLE: Final = """
<style>
.lab-dashboard { max-width: 100%; box-sizing: border-box; }
.lab-dashboard .lab-chart { width: 100%; flex: 1 1 auto; min-width: 0; }
.lab-dashboard .lab-filter-date .widget-readout { min-width: 230px; max-width: none; }
.lab-headline { display: flex; gap: 12px; flex-wrap: wrap; margin: 6px 0 10px 0; }
.lab-kpi { border: 1px solid #e3e6ea; border-radius: 8px; padding: 8px 14px; min-width: 130px;
           background: #fafbfc; font-family: system-ui, sans-serif; }
.lab-kpi-value { font-size: 22px; font-weight: 600; color: #1f2933; }
.lab-kpi-label { font-size: 12px; color: #616e7c; }
.lab-active { font: 13px system-ui, sans-serif; color: #1f2933; background: #f3f6fa;
              border-left: 3px solid #4e79a7; padding: 5px 10px; margin: 4px 0; }
.lab-active b { font-weight: 600; }
.lab-table { width: 100%; max-width: 100%; }
.lab-scroll { max-width: 100%; max-height: 520px; overflow: auto; border: 1px solid #e3e6ea;
              border-radius: 4px; }
.lab-table table { border-collapse: collapse; font: 12px system-ui, sans-serif; width: 100%; }
.lab-table th, .lab-table td { border-bottom: 1px solid #e3e6ea; padding: 3px 8px;
           text-align: left; vertical-align: top; white-space: nowrap; }
.lab-table th { background: #f3f4f6; position: sticky; top: 0; }
.lab-table td.lab-text { white-space: normal; overflow-wrap: anywhere; min-width: 220px;
           max-width: 480px; }
.lab-table td[title] { cursor: help; text-decoration: underline dotted #9aa5b1; }
.lab-table .lab-nowrap { white-space: nowrap; }
.lab-dashboard .jupyter-widget-tab > .lm-TabBar .lm-TabBar-tab { flex: 0 1 auto; }
.lab-dashboard .jupyter-widget-tab > .lm-TabBar > .lm-TabBar-content { flex-wrap: wrap; }
.lab-answer { font: 14px system-ui, sans-serif; color: #1f2933; background: #f7f9fb;
              border: 1px solid #e3e6ea; border-radius: 6px; padding: 8px 12px; margin: 6px 0 2px;
              max-width: 980px; line-height: 1.45; }
.lab-answer p { margin: 0 0 4px 0; }
.lab-answer p:last-child { margin-bottom: 0; }
.lab-note, .lab-empty { font: 12px system-ui, sans-serif; color: #616e7c; margin: 4px 0; }
.lab-empty { font-size: 14px; color: #3e4c59; }
</style>
"""


@dataclass
class PreparedTasks:
    """The columns filters work on, as plain arrays made once."""

    model_codes: np.ndarray
    models: list[str]
    state_codes: np.ndarray
    states: list[str]
    hours: np.ndarray
    """Submission time in whole hours since 1970 (the date-time filter's unit); missing: min."""
    resolution_codes: np.ndarray
    resolutions: list[str]
    durations: np.ndarray
    view: pd.DataFrame

    @classmethod
    def of(cls, tasks: pd.DataFrame) -> PreparedTasks:
        model_codes, models = _codes(tasks["model"].astype(object))
        states_raw = tasks["state"].astype(object).where(tasks["state"].notna(), NO_ANSWER)
        state_codes, states = _codes(states_raw, order=[*STATES, NO_ANSWER])
        resolution = tasks["input_resolution"].astype(object)
        resolution = resolution.where(resolution.isna(), resolution.astype(str).str.lower()).fillna(
            UNSPECIFIED
        )
        resolution_codes, resolutions = _codes(resolution)
        stamps = tasks["submitted_at"].to_numpy(dtype="datetime64[ms]")
        hours = stamps.astype("datetime64[h]").astype(np.int64)
        hours[np.isnat(stamps)] = np.iinfo(np.int64).min
        durations = tasks["input_duration"].to_numpy(dtype=float)
        view = tasks[[name for name in _VIEW_COLUMNS if name in tasks.columns]]
        return cls(
            model_codes,
            models,
            state_codes,
            states,
            hours,
            resolution_codes,
            resolutions,
            durations,
            view,
        )


def _codes(values: pd.Series, order: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Integer codes and their labels; labels by frequency (most common first) unless ``order``."""
    filled = values.fillna(UNSPECIFIED).astype(str)
    counts = filled.value_counts()
    labels = [label for label in order if label in counts.index] if order else list(counts.index)
    codes = pd.Categorical(filled, categories=labels).codes.astype(np.int64)  # hashed, not mapped
    return codes, labels


def chosen_mask(codes: np.ndarray, labels: list[str], chosen: Sequence[str]) -> np.ndarray:
    """Which rows have one of the ``chosen`` labels (a code of -1, no label, never has)."""
    wanted = np.zeros(len(labels) + 1, dtype=bool)
    for label in chosen:
        if label in labels:
            wanted[labels.index(label)] = True
    result: np.ndarray = wanted[codes]
    return result


def headline_html(selected: pd.DataFrame, total: int, *, figures: Headline | None = None) -> str:
    """The headline figures of the selection (:func:`~aitoearn_lab.metrics.overview.headline`,
    or ``figures`` when already computed), as cards."""
    if figures is None:
        figures = headline(selected, waiting=False)
    finished = figures.finished
    of = f"tasks (of {total:,})"
    if figures.no_answer:
        of = f"tasks (of {total:,}; {figures.no_answer:,} without an answer)"
    cards = [
        ("tasks", f"{figures.tasks:,}", of),
        ("success_rate", _percent(figures.success_rate), f"success rate ({finished:,} finished)"),
        ("p50", _seconds(figures.total_s_p50), "p50 turnaround"),
        ("p95", _seconds(figures.total_s_p95), "p95 turnaround"),
        ("unfinished", f"{figures.unfinished:,}", "queued or running"),
    ]
    shown = "".join(
        f"<div class='lab-kpi' data-kpi='{key}'>"
        f"<div class='lab-kpi-value'>{html.escape(value)}</div>"
        f"<div class='lab-kpi-label'>{html.escape(text)}</div></div>"
        for key, value, text in cards
    )
    return f"<div class='lab-headline'>{shown}</div>"


def _percent(rate: float) -> str:
    return "–" if np.isnan(rate) else f"{100 * rate:.1f}%"


def _seconds(value: float) -> str:
    return "–" if np.isnan(value) else seconds_text(value)


def merge_refreshed(old: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    """``old`` with the rows of ``fresh`` in place of those with the same task ID, order kept."""
    kept = old[~old["task_id"].isin(fresh["task_id"])]
    combined = pd.concat([kept, fresh], ignore_index=True)
    position = {task_id: index for index, task_id in enumerate(old["task_id"])}
    order = np.argsort(combined["task_id"].map(position).to_numpy(dtype=float), kind="stable")
    combined = combined.iloc[order].reset_index(drop=True)
    for name in CATEGORY_COLUMNS:  # concat of differing categories falls back to plain values
        combined[name] = combined[name].astype(old[name].dtype if name == "state" else "category")
    return combined


def answer_html(sentences: Sequence[str]) -> str:
    """A chart's answer in words, one paragraph per sentence (nothing when there is none)."""
    if not sentences:
        return ""
    said = "".join(f"<p>{html.escape(sentence)}</p>" for sentence in sentences)
    return f"<div class='lab-answer'>{said}</div>"


def active_filters_html(parts: Sequence[tuple[str, str]], shown: int, total: int) -> str:
    """The line that says which filters are on: ``Showing 120 of 1,500 tasks · Model: veo``.

    ``parts`` are (filter name, what it keeps) for the filters that leave something out.
    """
    count = f"Showing {shown:,} of {total:,} tasks"
    if not parts:
        return f"<div class='lab-active'>{count} · no filters on</div>"
    listed = " · ".join(f"<b>{html.escape(name)}</b>: {html.escape(text)}" for name, text in parts)
    return f"<div class='lab-active'>{count} · {listed}</div>"


def chosen_text(chosen: Sequence[str], options: Sequence[str], *, limit: int = 3) -> str:
    """What a choice list keeps, in a few words: ``none``, ``a, b`` or ``a, b, c and 4 more``."""
    if not chosen:
        return "none"
    kept = [label for label in options if label in set(chosen)]
    if len(kept) <= limit:
        return ", ".join(kept)
    return f"{', '.join(kept[:limit])} and {len(kept) - limit} more"
