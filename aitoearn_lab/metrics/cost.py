"""Cost per usable video from a price table the user supplies (the API carries no prices).

A price table has a ``model`` column and a ``price`` per task in any unit (credits, dollars),
and optionally ``input_resolution`` and/or ``input_duration``. A task takes the price of the most
specific row that matches it: model + resolution + duration, then model + resolution or model +
duration, then model alone (a row whose optional columns are empty). By default failed tasks are
billed too (``failed_billed=True``), as most providers charge for a generation that was attempted;
unfinished tasks are not billed yet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

PRICE_KEYS: Final = ("input_resolution", "input_duration")
"""The optional columns of a price table, besides ``model``."""

COST_COLUMNS: Final = ("billed_tasks", "unpriced_tasks", "cost", "cost_per_usable")


def task_prices(df: pd.DataFrame, prices: pd.DataFrame) -> np.ndarray:
    """The price of each task of ``df`` from ``prices`` (NaN where no row matches).

    Raises a ValueError naming the missing column or the bad price, and a TypeError for a path
    (metrics do no I/O: read the CSV first, ``pandas.read_csv("prices.csv")``).
    """
    if not isinstance(prices, pd.DataFrame):
        raise TypeError(
            f"prices must be a pandas DataFrame with 'model' and 'price' columns; got "
            f"{type(prices).__name__} (for a CSV file, pass pandas.read_csv(path))"
        )
    missing = [name for name in ("model", "price") if name not in prices.columns]
    if missing:
        raise ValueError(
            f"prices must have columns 'model' and 'price' (optionally {', '.join(PRICE_KEYS)}); "
            f"missing {', '.join(map(repr, missing))}; got columns {list(prices.columns)}"
        )
    price = pd.to_numeric(prices["price"], errors="coerce")
    if price.isna().any() or (price < 0).any():
        bad = prices["price"][price.isna() | (price < 0)].iloc[0]
        raise ValueError(f"prices['price'] must be numbers of at least 0; got {bad!r}")
    keys = [name for name in PRICE_KEYS if name in prices.columns]
    result = np.full(len(df), np.nan)
    model = df["model"].astype(object).to_numpy()
    specificity = prices[keys].notna().sum(axis=1).to_numpy() if keys else np.zeros(len(prices))
    # Least specific first, so a more specific row overwrites the general price.
    for position in np.argsort(specificity, kind="stable"):
        row = prices.iloc[position]
        match = model == row["model"]
        for key in keys:
            if pd.notna(row[key]):
                match &= _equal(df[key], row[key])
        result[match] = float(price.iloc[position])
    return result


def add_cost(
    summary: pd.DataFrame,
    frame: pd.DataFrame,
    keys: Sequence[str],
    prices: pd.DataFrame,
    *,
    failed_billed: bool = True,
) -> pd.DataFrame:
    """``summary`` with :data:`COST_COLUMNS` added, grouped by ``keys`` as it is.

    ``cost`` is the price of every billed task; ``cost_per_usable`` = cost / succeeded tasks
    (infinite when something was billed and nothing succeeded; NaN when no billed task had a
    price); ``unpriced_tasks`` counts billed tasks no price row matched (left out of the cost, so
    the figure is a lower bound then).
    """
    billed_states = ["succeeded", "failed"] if failed_billed else ["succeeded"]
    billed = frame["state"].isin(billed_states).to_numpy(dtype=bool)
    price = task_prices(frame, prices)
    table = pd.DataFrame(
        {
            **{key: frame[key].to_numpy() for key in keys},
            "billed_tasks": billed.astype(np.int64),
            "unpriced_tasks": (billed & np.isnan(price)).astype(np.int64),
            "cost": np.where(billed & ~np.isnan(price), price, 0.0),
        }
    )
    sums = table.groupby(list(keys), observed=True, dropna=False, sort=True).sum()
    result = summary.join(sums.reindex(summary.index).fillna(0))
    for name in ("billed_tasks", "unpriced_tasks"):
        result[name] = result[name].astype(np.int64)
    usable = result["succeeded"].to_numpy(dtype=float)
    cost = result["cost"].to_numpy(dtype=float)
    priced = (result["billed_tasks"] > result["unpriced_tasks"]).to_numpy(dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_usable = np.where(usable > 0, cost / usable, np.where(cost > 0, math.inf, np.nan))
    # No billed task had a price: the cost is unknown, not zero.
    result["cost_per_usable"] = np.where(priced, per_usable, np.nan)
    result.attrs = dict(summary.attrs)
    result.attrs["failed_billed"] = failed_billed
    billing = "failed tasks billed" if failed_billed else "failed tasks not billed"
    result.attrs["notes"] = [
        *summary.attrs.get("notes", []),
        f"Costs come from the price table you gave ({billing}; unfinished tasks not yet): "
        f"cost_per_usable = price of every billed task / succeeded tasks.",
    ]
    return result


def _equal(column: pd.Series, value: object) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(column):
        try:
            return (column.to_numpy(dtype=float) == float(value)).astype(bool)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return np.zeros(len(column), dtype=bool)
    return (column.astype(object).astype(str).to_numpy() == str(value)).astype(bool)
