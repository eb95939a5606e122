"""The render time spent before each failure (time wasted), by failure category and model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from aitoearn_lab.metrics.categories import categorize
from aitoearn_lab.metrics.failures import failed_tasks

WASTED_COLUMNS: Final = (
    "category",
    "model",
    "failures",
    "wasted_render_s",
    "wasted_total_s",
    "mean_render_s",
    "share_of_wasted",
)


def wasted_time(df: pd.DataFrame, *, rules: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Render time spent before each failure (time wasted), by failure category and model.

    Parameters
    ----------
    df
        The tasks DataFrame.
    rules
        Extra category -> regex rules, tried before :data:`DEFAULT_RULES`.

    Returns
    -------
    pandas.DataFrame
        One row per category and model, most wasted render time first: ``failures``,
        ``wasted_render_s`` (sum of render_s: started -> failed), ``wasted_total_s`` (sum of
        total_s: submitted -> failed, queue included), ``mean_render_s`` and
        ``share_of_wasted`` (of all wasted render time). Negative or missing times count as 0.

    Examples
    --------
    >>> wasted_time(tasks).head()  # doctest: +SKIP
    """
    failures = failed_tasks(df)
    if failures.empty:
        return pd.DataFrame({name: [] for name in WASTED_COLUMNS})
    signatures = failures["signature"].to_numpy(dtype=object)
    signature_codes, unique = pd.factorize(signatures)
    category_codes, categories = pd.factorize(
        np.asarray(categorize(list(unique), rules), dtype=object)[signature_codes]
    )
    model_codes, models = pd.factorize(
        failures["model"].astype(object).fillna("(no model)").to_numpy(dtype=object)
    )
    render = df["render_s"].loc[failures.index].to_numpy(dtype=float)
    total = df["total_s"].loc[failures.index].to_numpy(dtype=float)
    # Summed on integer cell codes with numpy: a pandas group-by on text keys costs more than
    # the rest, and a dashboard recomputes this table after every filter change.
    cell = category_codes * len(models) + model_codes
    cells, inverse = np.unique(cell, return_inverse=True)
    table = pd.DataFrame(
        {
            "category": np.asarray(categories, dtype=object)[cells // len(models)],
            "model": np.asarray(models, dtype=object)[cells % len(models)],
            "failures": np.bincount(inverse, minlength=cells.size).astype(np.int64),
            "wasted_render_s": np.bincount(
                inverse, weights=np.where(render >= 0, render, 0.0), minlength=cells.size
            ),
            "wasted_total_s": np.bincount(
                inverse, weights=np.where(total >= 0, total, 0.0), minlength=cells.size
            ),
        }
    )
    table["mean_render_s"] = table["wasted_render_s"] / table["failures"]
    whole = table["wasted_render_s"].sum()
    table["share_of_wasted"] = table["wasted_render_s"] / whole if whole > 0 else np.nan
    table = table.sort_values(
        ["wasted_render_s", "category", "model"], ascending=[False, True, True]
    )
    return table.reset_index(drop=True)[list(WASTED_COLUMNS)]
