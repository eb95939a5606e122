"""The dashboard's filter controls: multiple choice lists, the date and the duration sliders."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import pandas as pd

from aitoearn_lab.app.content import PreparedTasks


def multi_choice(description: str, options: Sequence[str], css: str) -> widgets.SelectMultiple:
    """A list of choices, every one chosen."""
    control = widgets.SelectMultiple(
        options=list(options),
        value=tuple(options),
        rows=min(max(len(options), 3), 8),
        description=description,
        layout={"width": "300px" if description == "Model" else "220px"},
        style={"description_width": "70px"},
    )
    return control.add_class(css)


def date_slider(prepared: PreparedTasks) -> widgets.SelectionRangeSlider:
    """A range of submission days, from the first to the last."""
    days = np.unique(prepared.days[prepared.days != np.iinfo(np.int64).min])
    if len(days) == 0:
        days = np.array([0])
    # Short labels ("Nov 26") keep the slider's readout whole.
    labels = pd.to_datetime(days.astype("datetime64[D]")).strftime("%b %d")
    options = [(label, int(day)) for label, day in zip(labels, days, strict=True)]
    slider = widgets.SelectionRangeSlider(
        options=options,
        index=(0, len(options) - 1),
        description="Submitted",
        layout={"width": "420px"},
        style={"description_width": "70px"},
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
        description="Duration s",
        readout_format=".0f",
        layout={"width": "420px"},
        style={"description_width": "70px"},
    )
    return slider.add_class("lab-filter-duration")


def renew(control: widgets.SelectMultiple, labels: list[str]) -> None:
    """New choices for a filter: what was chosen stays chosen; if all was, all still is."""
    everything = set(control.value) == set(control.options)
    chosen = set(control.value)
    control.options = labels
    control.value = tuple(label for label in labels if everything or label in chosen)
