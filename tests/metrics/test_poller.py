"""The poller note: which models' finish times carry the server poller's 30-second delay."""

from __future__ import annotations

import json

import pandas as pd

from aitoearn_lab import data_notes, to_frame
from aitoearn_lab.metrics.poller import poller_delay_note
from tests.support import DATA

REAL = json.loads((DATA / "real-shaped-answers.json").read_text("utf-8"))
TASKS = to_frame(REAL["list_page"]["data"]["list"])
MODELS = pd.DataFrame(
    {
        "name": ["seedance-2-fast-beta", "grok-imagine-video", "happyhorse-1.1"],
        "channel": ["Relay", "volcengine", None],
    }
)


def test_polled_and_provider_timed_models_are_named_apart() -> None:
    note = poller_delay_note(TASKS, MODELS)
    assert note is not None
    polled, timed = note.split(". Finish times of ")
    assert "seedance-2-fast-beta (relay)" in polled and "30 s" in polled
    assert "grok-imagine-video (volcengine)" in note and "grok" not in polled
    assert "provider's own completion time" in timed
    assert "1 model(s) of the data are not in the models list" in note  # happyhorse: no channel
    assert note in data_notes(TASKS, models=MODELS)


def test_no_note_without_a_matching_model() -> None:
    others = pd.DataFrame({"name": ["something-else"], "channel": ["relay"]})
    assert poller_delay_note(TASKS, others) is None
    assert not [n for n in data_notes(TASKS, models=others) if "poller" in n]
