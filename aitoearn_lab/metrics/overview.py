"""The headline figures of a tasks DataFrame, by the rules of :func:`~aitoearn_lab.summarize`.

The report's cards and the dashboard's cards show these numbers; they are the ``by=None`` row of
:func:`~aitoearn_lab.metrics.summary.summarize`, computed by the same functions but only for the
few columns a headline shows, so that the dashboard can redraw them after every filter change.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from aitoearn_lab.metrics.moments import TimeLike, reference_time
from aitoearn_lab.metrics.summary import (
    Groups,
    count_figures,
    km_median,
    latency_figures,
    oldest_unfinished,
)

_COLUMNS = ("state", "submitted_at", "fetched_at", "total_s")


@dataclass(frozen=True, kw_only=True)
class Headline:
    """The figures a reader wants first; each has the meaning of the summary column it is named
    after (see :func:`~aitoearn_lab.summarize`). Rates and seconds are NaN when nothing counts."""

    rows: int
    """Every row, including those whose fetch failed (they have no state)."""
    tasks: int
    succeeded: int
    failed: int
    finished: int
    unfinished: int
    success_rate: float
    failure_rate: float
    failure_rate_lo: float
    failure_rate_hi: float
    total_s_p50: float
    total_s_p95: float
    total_s_km_p50: float | None
    """None when not asked for (``waiting=False``)."""
    oldest_unfinished_age_s: float | None
    """None when not asked for (``waiting=False``)."""

    @property
    def no_answer(self) -> int:
        """Rows whose fetch failed: no figure counts them."""
        return self.rows - self.tasks

    def as_dict(self) -> dict[str, float | int]:
        """The figures by name."""
        return asdict(self)


def headline(df: pd.DataFrame, *, now: TimeLike = None, waiting: bool = True) -> Headline:
    """The headline figures of every task in ``df``.

    Parameters
    ----------
    df
        The tasks DataFrame (or any selection of its rows).
    now
        The moment the data describes, for the age of unfinished tasks and the Kaplan-Meier
        median (default: the latest ``fetched_at`` of ``df``, as :func:`~aitoearn_lab.summarize`).
    waiting
        Also the figures about tasks still waiting (the Kaplan-Meier median, the oldest age);
        ``False`` leaves them ``None`` and saves a sort of every row, for a quick redraw.

    Returns
    -------
    Headline
        The same numbers as the columns of the same names in ``summarize(df, by=None)``.

    Examples
    --------
    >>> figures = headline(tasks)  # doctest: +SKIP
    >>> figures.success_rate, figures.total_s_p95  # doctest: +SKIP
    """
    fetched = df["state"].notna().to_numpy()
    # Only the columns read are selected: selecting rows copies every column kept.
    frame = df if fetched.all() else df.loc[fetched, [c for c in _COLUMNS if c in df.columns]]
    groups = Groups.single(frame)
    counts = count_figures(groups)
    latency = latency_figures(frame, groups, metrics=("total_s",), percentiles=(50, 95))
    figures = {**counts, **latency}
    if waiting:
        reference = reference_time(df, now)
        if "fetched_at" not in frame.columns:
            frame = frame.assign(fetched_at=pd.NaT)
        figures["total_s_km_p50"] = km_median(frame, groups, reference)
        figures["oldest_unfinished_age_s"] = oldest_unfinished(frame, groups, reference)
    names = [field.name for field in fields(Headline) if field.name != "rows"]
    values = {name: _scalar(figures[name]) if name in figures else None for name in names}
    return Headline(rows=len(df), **values)  # type: ignore[arg-type]


def _scalar(column: np.ndarray) -> float | int:
    value = column[0]
    return int(value) if np.issubdtype(column.dtype, np.integer) else float(value)
