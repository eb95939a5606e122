"""A price table from a CSV file, for commands that show a cost per usable video.

The metrics layer does no I/O: it takes the table as a DataFrame
(:func:`aitoearn_lab.summarize` ``prices=``); this reads one from a file first.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from aitoearn_lab.errors import ConfigurationError


def read_prices(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read ``model,[input_resolution,][input_duration,]price`` rows from a CSV file.

    Empty optional cells mean "any". Raises :class:`~aitoearn_lab.errors.ConfigurationError`
    (one line on the command line, exit 2) when the file is missing or lacks a column.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigurationError(f"no such price table: {path}")
    table = pd.read_csv(path, dtype={"model": str, "input_resolution": str}, encoding="utf-8-sig")
    table.columns = [str(name).strip() for name in table.columns]
    missing = [name for name in ("model", "price") if name not in table.columns]
    if missing:
        raise ConfigurationError(
            f"{path} must have columns model and price (optionally input_resolution, "
            f"input_duration); missing {', '.join(missing)}"
        )
    return table
