"""Verdicts in words that never contradict their interval or p-value, and the minimum sample.

A comparison says "faster" or "slower" only when the bootstrap interval of the difference
excludes zero *and* the rank test's p-value is below ``alpha``. Below :data:`MIN_TASKS` values on
either side there is no interval and no p-value at all (a two-value bootstrap gives a narrow,
decisive-looking interval that means nothing), only "too few tasks". ``evidence`` says in words
why the verdict is what it is, so a reader who sees an interval that excludes zero beside
"no clear difference" is told that the rank test did not agree.
"""

from __future__ import annotations

import math
from typing import Any, Final

MIN_TASKS: Final = 5
"""Fewer values than this on either side and a comparison gets the verdict "too few tasks"."""

TOO_FEW: Final = "too few tasks"
INTERVAL_FIELDS: Final = ("difference_lo", "difference_hi", "ratio_lo", "ratio_hi", "p_value")


def settle(record: dict[str, Any], *, baseline: bool, alpha: float) -> None:
    """Fill ``verdict`` and ``evidence`` of one comparison row, blanking figures that mislead.

    ``record`` holds ``tasks``, ``baseline_tasks``, ``p_value``, ``difference_lo`` and
    ``difference_hi``; it is changed in place.
    """
    if baseline:  # zero and one by definition: no interval, no test
        for name in INTERVAL_FIELDS:
            record[name] = math.nan
        record["verdict"] = "baseline"
        record["evidence"] = "the baseline every other row is compared with"
        return
    tasks, base_tasks = int(record["tasks"]), int(record["baseline_tasks"])
    if tasks < MIN_TASKS or base_tasks < MIN_TASKS:
        for name in INTERVAL_FIELDS:
            record[name] = math.nan
        record["verdict"] = TOO_FEW
        record["evidence"] = (
            f"{tasks} against {base_tasks} tasks; at least {MIN_TASKS} on each side are needed "
            f"before an interval or a p-value means anything"
        )
        return
    p_value, low, high = record["p_value"], record["difference_lo"], record["difference_hi"]
    excludes_zero = high < 0 or low > 0
    significant = p_value < alpha  # NaN (every value tied) is no evidence either way
    shown_p = "p not defined (every value tied)" if math.isnan(p_value) else f"p = {p_value:.3g}"
    if significant and excludes_zero:
        record["verdict"] = "faster" if high < 0 else "slower"
        record["evidence"] = f"the interval excludes 0 and {shown_p} < {alpha:g}"
    elif excludes_zero:
        record["verdict"] = "no clear difference"
        record["evidence"] = (
            f"the interval excludes 0 but the rank test does not agree ({shown_p} ≥ {alpha:g}): "
            f"not enough to call either way"
        )
    elif significant:
        record["verdict"] = "no clear difference"
        record["evidence"] = (
            f"{shown_p} < {alpha:g} but the interval of the difference includes 0: "
            f"not enough to call either way"
        )
    else:
        record["verdict"] = "no clear difference"
        record["evidence"] = f"the interval includes 0 and {shown_p} ≥ {alpha:g}"
