"""The report: the tasks DataFrame -> CSV tables and one self-contained, offline ``report.html``.

>>> report = Report(tasks)              # doctest: +SKIP
>>> report.write("reports/today")  # tasks.csv, by_model.csv, ..., report.html  # doctest: +SKIP
>>> report                              # in a notebook, renders itself  # doctest: +SKIP

Facts are computed once (:mod:`aitoearn_lab.metrics`), drawn (:mod:`aitoearn_lab.charts`) and
laid out (:mod:`aitoearn_lab.report.page`). plotly.js is embedded inline once, so the page
opens offline and loads nothing from the network.
"""

from __future__ import annotations

import html
import os
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Final

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from aitoearn_lab._version import __version__
from aitoearn_lab.charts.registry import CHARTS
from aitoearn_lab.charts.style import model_colors
from aitoearn_lab.frame.tables import write_csv, write_tasks
from aitoearn_lab.metrics.answers import WITHIN
from aitoearn_lab.metrics.compare import compare_models
from aitoearn_lab.metrics.drift import trend
from aitoearn_lab.metrics.failures import error_groups
from aitoearn_lab.metrics.lateness import overdue
from aitoearn_lab.metrics.moments import TimeLike, format_duration, reference_time
from aitoearn_lab.metrics.notes import data_notes, queue_is_uninformative
from aitoearn_lab.metrics.overview import Headline, headline
from aitoearn_lab.metrics.periods import timeline
from aitoearn_lab.metrics.strata import mix_notes
from aitoearn_lab.metrics.summary import summarize
from aitoearn_lab.metrics.usable import time_to_usable
from aitoearn_lab.metrics.wasted import wasted_time
from aitoearn_lab.report import page
from aitoearn_lab.report.sections import Answers, body_sections

REPORT_FILES: Final = {
    "tasks": "tasks.csv",
    "by_model": "by_model.csv",
    "errors": "errors.csv",
    "compare": "compare.csv",
    "timeline": "timeline.csv",
    "time_to_usable": "time_to_usable.csv",
    "overdue": "overdue.csv",
    "trend": "trend.csv",
    "html": "report.html",
}
"""What :meth:`Report.write` writes, by name."""

DEFAULT_TITLE: Final = "AiToEarn video tasks"
_PLOTLY_CONFIG: Final = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
}


class Report:
    """Every figure, table and note about a tasks DataFrame, with several ways out.

    Parameters
    ----------
    df
        The tasks DataFrame (from :meth:`aitoearn_lab.Client.fetch` or
        :func:`aitoearn_lab.read_tasks`).
    title
        The page title.
    freq
        Period of the activity timeline (``"15min"``, ``"1h"``, ``"1D"`` ...).
    now
        The moment the data describes (default: its latest ``fetched_at``).
    models
        From :meth:`aitoearn_lab.Client.models`, to say which models' finish times carry the
        delay of the server's 30-second poller.
    prices
        A price table (``model``, optionally ``input_resolution``/``input_duration``, and
        ``price`` per task): adds the cost per usable video (see :func:`~aitoearn_lab.summarize`).
        The API carries no prices; without a table the report shows no cost.
    failed_billed
        Whether the platform bills failed tasks too (the cost line says which was assumed).
    trend_freq
        Period of the trend section (``"1D"`` compares each day with the days before).

    Examples
    --------
    >>> Report(tasks).write("out")  # doctest: +SKIP
    {'tasks': PosixPath('out/tasks.csv'), ..., 'html': PosixPath('out/report.html')}
    """

    def __init__(
        self,
        df: pd.DataFrame,
        *,
        title: str = DEFAULT_TITLE,
        freq: str = "1h",
        now: TimeLike = None,
        models: pd.DataFrame | None = None,
        prices: pd.DataFrame | None = None,
        failed_billed: bool = True,
        trend_freq: str = "1D",
    ) -> None:
        self.df = df
        self.models = models
        self.title = title
        self.freq = freq
        self.now = reference_time(df, now)
        self.prices = prices
        self.failed_billed = failed_billed
        self.trend_freq = trend_freq

    # --- facts ------------------------------------------------------------------------------

    @cached_property
    def summary(self) -> pd.DataFrame:
        """:func:`~aitoearn_lab.summarize` by model."""
        return summarize(
            self.df,
            by="model",
            now=self.now,
            prices=self.prices,
            failed_billed=self.failed_billed,
        )

    @cached_property
    def overall(self) -> pd.Series:
        """:func:`~aitoearn_lab.summarize` over every task, as one row."""
        return summarize(self.df, by=None, now=self.now).iloc[0]

    @cached_property
    def headline(self) -> Headline:
        """:func:`~aitoearn_lab.metrics.overview.headline`: the figures of the page's cards."""
        return headline(self.df, now=self.now)

    @cached_property
    def errors(self) -> pd.DataFrame:
        """:func:`~aitoearn_lab.error_groups`."""
        return error_groups(self.df)

    @cached_property
    def comparison(self) -> pd.DataFrame:
        """:func:`~aitoearn_lab.compare_models` on turnaround."""
        return compare_models(self.df, metric="total_s")

    @cached_property
    def comparison_like_for_like(self) -> pd.DataFrame:
        """:func:`~aitoearn_lab.compare_models` inside the same input resolution and duration."""
        baseline = str(self.comparison["baseline"].iloc[0]) if len(self.comparison) else None
        return compare_models(self.df, metric="total_s", baseline=baseline, within=list(WITHIN))

    @cached_property
    def mix(self) -> list[str]:
        """:func:`~aitoearn_lab.mix_notes`: empty when the input mixes do not change the answer."""
        return mix_notes(self.comparison, self.comparison_like_for_like)

    @cached_property
    def usable(self) -> pd.DataFrame:
        """:func:`~aitoearn_lab.time_to_usable`; like for like when the mixes change the answer."""
        if self.mix:
            matched = time_to_usable(self.df, within=list(WITHIN))
            if matched["rank"].notna().any():
                return matched
            # No input configuration every model finished in: the overall ranking, said so.
        return time_to_usable(self.df)

    @cached_property
    def overdue(self) -> pd.DataFrame:
        """:func:`~aitoearn_lab.overdue`: unfinished tasks that are probably stuck."""
        return overdue(self.df, now=self.now)

    @cached_property
    def trend(self) -> pd.DataFrame:
        """:func:`~aitoearn_lab.trend` per model at the report's ``trend_freq``."""
        return trend(self.df, freq=self.trend_freq)

    @cached_property
    def wasted(self) -> pd.DataFrame:
        """:func:`~aitoearn_lab.wasted_time`: render time spent before failures."""
        return wasted_time(self.df)

    @cached_property
    def timeline(self) -> pd.DataFrame:
        """:func:`~aitoearn_lab.timeline` at the report's ``freq``."""
        return timeline(self.df, freq=self.freq)

    @cached_property
    def notes(self) -> list[str]:
        """:func:`~aitoearn_lab.data_notes`: what to know before reading the figures."""
        return data_notes(self.df, now=self.now, models=self.models)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables the CSV files hold, by the names of :data:`REPORT_FILES`."""
        return {
            "tasks": self.df,
            "by_model": self.summary.reset_index(),
            "errors": self.errors,
            "compare": self.comparison,
            "timeline": self.timeline,
            "time_to_usable": self.usable.reset_index(),
            "overdue": self.overdue,
            "trend": self.trend,
        }

    def figures(self) -> dict[str, go.Figure]:
        """Every chart of the report, by name, in page order."""
        options = {"summary": self.summary, "freq": self.freq}
        # The charts of the answers are drawn from the tables the page shows, not computed again.
        extra: dict[str, dict[str, object]] = {
            "usable": {"table": self.usable, "within": self.usable.attrs.get("within")},
            "like_for_like": {
                "overall": self.comparison,
                "matched": self.comparison_like_for_like,
            },
            "overdue": {"table": self.overdue},
            "trend": {"freq": self.trend_freq, "table": self.trend},
            "wasted": {"table": self.wasted},
        }
        return {
            chart.key: chart.draw(self.df, **{**options, **extra.get(chart.key, {})})
            for chart in CHARTS
        }

    # --- exports ------------------------------------------------------------------------------

    def html(self, *, files: dict[str, str] | None = None) -> str:
        """The report as one self-contained HTML document (plotly.js inline, no network).

        Parameters
        ----------
        files
            Name -> relative path of files written beside the page, to link to them.
        """
        fragments = {
            name: pio.to_html(
                figure,
                full_html=False,
                include_plotlyjs=False,
                div_id=f"chart-{name}",
                config=_PLOTLY_CONFIG,
                default_width="100%",
            )
            for name, figure in self.figures().items()
        }
        body = body_sections(
            figures=self.headline,
            summary=self.summary,
            comparison=self.comparison,
            answers=self._answers(),
            errors=self.errors,
            timeline=self.timeline,
            notes=self.notes,
            charts=fragments,
            colors=model_colors(self.df),
            zero_queue=queue_is_uninformative(self.df[self.df["state"].notna()]),
            freq=self.freq,
            files=files or {},
        )
        generated = datetime.now(UTC)
        footer = (
            f"Made with aitoearn-lab {html.escape(__version__)} on "
            f"{generated:%Y-%m-%d %H:%M} UTC from {len(self.df):,} rows. Latency figures cover "
            "succeeded tasks; rates carry Wilson 95% intervals; comparisons use bootstrap "
            "intervals and the Mann-Whitney rank test."
        )
        return page.page(
            title=self.title,
            subtitle=self._subtitle(),
            plotly_js=get_plotlyjs(),
            body=body,
            footer=footer,
        )

    def write_html(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`html` to ``path``; return it."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html(), encoding="utf-8")
        return path

    def write(self, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
        """Write every CSV of :data:`REPORT_FILES` and ``report.html`` into ``out_dir``.

        CSVs are UTF-8, spreadsheet-safe (see :mod:`aitoearn_lab.frame.tables`), with ISO 8601 times
        and lists as JSON arrays; :func:`aitoearn_lab.frame.tables.read_csv` reads them back.
        """
        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        for name, frame in self.tables().items():
            path = folder / REPORT_FILES[name]
            written[name] = write_tasks(frame, path) if name == "tasks" else write_csv(frame, path)
        links = {name: path.name for name, path in written.items()}
        html_path = folder / REPORT_FILES["html"]
        html_path.write_text(self.html(files=links), encoding="utf-8")
        written["html"] = html_path
        return written

    def _repr_html_(self) -> str:
        # An iframe keeps the page's styles and scripts from touching the notebook around it.
        document = html.escape(self.html(), quote=True)
        return (
            f'<iframe srcdoc="{document}" style="width:100%;height:900px;border:1px solid #ddd" '
            'sandbox="allow-scripts"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<Report {self.title!r}: {len(self.df):,} tasks, {len(self.summary)} models>"

    def _answers(self) -> Answers:
        return Answers(
            usable=self.usable,
            like_for_like=self.comparison_like_for_like,
            mix=self.mix,
            overdue=self.overdue,
            trend=self.trend,
            trend_freq=self.trend_freq,
            wasted=self.wasted,
            failed_billed=self.failed_billed if self.prices is not None else None,
        )

    def _subtitle(self) -> str:
        df = self.df
        first, last = df["submitted_at"].min(), df["submitted_at"].max()
        span = (
            f"submitted {page.moment(first)} – {page.moment(last)} UTC"
            if pd.notna(first)
            else "no submission times"
        )
        return html.escape(f"{len(df):,} tasks · {span} · data as of {page.moment(self.now)} UTC")


def write_report(
    df: pd.DataFrame,
    out_dir: str | os.PathLike[str],
    *,
    title: str = DEFAULT_TITLE,
    freq: str = "1h",
    now: TimeLike = None,
    prices: pd.DataFrame | None = None,
    failed_billed: bool = True,
) -> dict[str, Path]:
    """Write the whole report for a tasks DataFrame into ``out_dir``.

    Writes ``tasks.csv``, ``by_model.csv``, ``errors.csv``, ``compare.csv``, ``timeline.csv``,
    ``time_to_usable.csv``, ``overdue.csv``, ``trend.csv`` and a self-contained ``report.html``
    (see :class:`Report`; ``prices`` and ``failed_billed`` as there).

    Returns
    -------
    dict
        Name -> path of each file written (the names of :data:`REPORT_FILES`).

    Examples
    --------
    >>> paths = write_report(tasks, "reports")  # doctest: +SKIP
    >>> paths["html"]  # doctest: +SKIP
    PosixPath('reports/report.html')
    """
    return Report(
        df, title=title, freq=freq, now=now, prices=prices, failed_billed=failed_billed
    ).write(out_dir)


def console_summary(summary: pd.DataFrame) -> str:
    """A per-model summary (from :func:`~aitoearn_lab.summarize`) narrow enough for a terminal."""
    table = pd.DataFrame(
        {
            "tasks": summary["tasks"],
            "failed": summary["failed"],
            "unfinished": summary["unfinished"],
            "fail %": (100 * summary["failure_rate"]).round(1),
            "p50": summary["total_s_p50"].map(format_duration),
            "p95": summary["total_s_p95"].map(format_duration),
            "p50 (KM)": summary["total_s_km_p50"].map(format_duration),
        },
        index=summary.index,
    )
    return table.sort_values("tasks", ascending=False).to_string()
