"""The dashboard's filter controls: multiple choice lists, the date-time and duration sliders."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import pandas as pd

from aitoearn_lab.app.content import PreparedTasks

MAX_ROWS = 16
"""A choice list shows this many rows at most; up to it, every choice is in sight."""


def multi_choice(description: str, options: Sequence[str], css: str) -> widgets.SelectMultiple:
    """A list of choices, every one chosen and (up to :data:`MAX_ROWS`) every one in sight."""
    longest = max((len(str(option)) for option in options), default=8)
    control = widgets.SelectMultiple(
        options=list(options),
        value=tuple(options),
        rows=min(max(len(options), 3), MAX_ROWS),
        description=description,
        # Wide enough for the longest label (about 7 px a character) after the description.
        layout={"width": f"{min(max(longest * 7 + 110, 220), 420)}px"},
        style={"description_width": "80px"},
    )
    return control.add_class(css)


def datetime_slider(prepared: PreparedTasks) -> widgets.SelectionRangeSlider:
    """A range of submission times by the hour (UTC), from the first hour to the last."""
    hours = prepared.hours[prepared.hours != np.iinfo(np.int64).min]
    if len(hours):
        first, last = int(hours.min()), int(hours.max())
        steps = np.arange(first, last + 1, dtype=np.int64)
    else:
        steps = np.array([0], dtype=np.int64)
    # "Nov 26 14:00": the readout shows both ends whole.
    labels = pd.to_datetime(steps.astype("datetime64[h]")).strftime("%b %d %H:00")
    options = [(label, int(hour)) for label, hour in zip(labels, steps, strict=True)]
    slider = widgets.SelectionRangeSlider(
        options=options,
        index=(0, len(options) - 1),
        description="Submitted",
        layout={"width": "560px"},
        style={"description_width": "80px"},
    )
    return slider.add_class("lab-filter-date")


def duration_slider(prepared: PreparedTasks) -> widgets.FloatRangeSlider:
    """A range of input durations, from the shortest to the longest."""
    values = prepared.durations[~np.isnan(prepared.durations)]
    low, high = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
    if low == high:
        high = low + 1.0
    slider = widgets.FloatRangeSlider(
        value=(low, high),
        min=low,
        max=high,
        step=1.0,
        description="Length (s)",
        readout_format=".0f",
        layout={"width": "560px"},
        style={"description_width": "80px"},
    )
    return slider.add_class("lab-filter-duration")


def renew(control: widgets.SelectMultiple, labels: list[str]) -> None:
    """New choices for a filter: what was chosen stays chosen; if all was, all still is.

    Nothing changes when the choices are the same. Otherwise the selection is emptied first,
    then the choices and the selection are sent together: the browser never holds a selected
    index that its list of choices lacks (the "Cannot set properties of undefined" error).
    """
    if list(control.options) == list(labels):
        return
    everything = set(control.value) == set(control.options)
    chosen = set(control.value)
    control.value = ()
    with control.hold_sync():
        control.options = labels
        control.value = tuple(label for label in labels if everything or label in chosen)
        control.rows = min(max(len(labels), 3), MAX_ROWS)
