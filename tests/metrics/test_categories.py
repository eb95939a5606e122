"""Failure categories from ordered rules, and the render time wasted on failures."""

from __future__ import annotations

import random

import pytest

from aitoearn_lab import error_groups, wasted_time
from aitoearn_lab.metrics.categories import categorize
from aitoearn_lab.simulator.failures import ERROR_FAMILIES
from tests.support.records import done, frame, record

EXPECTED = {
    "moderation": "moderation",
    "review": "moderation",
    "download": "invalid_input",
    "image_size": "invalid_input",
    "input_video": "invalid_input",
    "audio": "invalid_input",
    "quota": "quota",
    "timeout": "timeout",
    "relay": "upstream",
    "internal": "upstream",
    "upstream_rate": "upstream",
}


def test_every_simulated_failure_family_gets_its_category() -> None:
    assert set(EXPECTED) == set(ERROR_FAMILIES)
    rng = random.Random(3)
    task_input = {"image": "https://assets.example/u/a.jpg"}
    for family, maker in ERROR_FAMILIES.items():
        messages = [maker(rng, task_input) for _ in range(20)]
        assert set(categorize(messages)) == {EXPECTED[family]}, (family, messages[0])


def test_messages_of_each_category() -> None:
    messages = {
        "Your prompt was flagged by content moderation": "moderation",
        "Insufficient balance to start this generation": "quota",
        "Monthly quota exhausted": "quota",
        "Render deadline exceeded": "timeout",
        "Unsupported image format 'heic'": "invalid_input",
        "Upstream provider returned 503": "upstream",
        "Something odd happened": "other",
        None: "other",
    }
    assert categorize(list(messages)) == list(messages.values())


def test_user_rules_come_first_and_a_bad_pattern_is_named() -> None:
    assert categorize(["Upstream generation timed out after 900 s"], {"slow_gpu": "900 s"}) == [
        "slow_gpu"
    ]
    assert categorize(["GPU out of memory"], {"oom": "out of memory"}) == ["oom"]
    with pytest.raises(ValueError, match=r"rules\['broken'\] must be a regular expression"):
        categorize(["x"], {"broken": "("})


def failed(number: int, model: str, message: str, started: float, finished: float) -> dict:
    return record(
        number, model, "failed", submitted=0, started=started, finished=finished, error=message
    )


def test_error_groups_carry_the_category_and_wasted_time_adds_up() -> None:
    tasks = frame(
        [
            failed(
                1, "alpha", "Upstream generation timed out after 900 s (job 29c257118855)", 10, 910
            ),
            failed(
                2, "alpha", "Upstream generation timed out after 600 s (job 0a1b2c3d4e5f)", 20, 620
            ),
            failed(3, "beta", "Insufficient credits: this generation needs 90 credits", 5, 6),
            failed(4, "beta", "Generated video was blocked by content moderation", 30, 150),
            failed(5, "alpha", "Generated video was blocked by content moderation", 0, 40),
            done(6, "alpha", queue=1, render=50),
        ]
    )
    groups = error_groups(tasks).set_index("signature")
    assert groups.loc["Upstream generation timed out after <n> s (job <id>)", "category"] == (
        "timeout"
    )
    assert groups.loc["Generated video was blocked by content moderation", "category"] == (
        "moderation"
    )
    mine = error_groups(tasks, rules={"billing": "credits"}).set_index("signature")
    assert mine["category"].str.contains("billing").sum() == 1

    wasted = wasted_time(tasks)
    # timeout/alpha: 900 + 600 render seconds (started -> failed), 910 + 620 in all.
    first = wasted.iloc[0]
    assert (first["category"], first["model"], first["failures"]) == ("timeout", "alpha", 2)
    assert first["wasted_render_s"] == 1500.0
    assert first["wasted_total_s"] == 1530.0
    assert first["mean_render_s"] == 750.0
    by_pair = wasted.set_index(["category", "model"])["wasted_render_s"]
    assert by_pair[("moderation", "beta")] == 120.0
    assert by_pair[("moderation", "alpha")] == 40.0
    assert by_pair[("quota", "beta")] == 1.0
    assert wasted["share_of_wasted"].sum() == pytest.approx(1.0)
    assert wasted["share_of_wasted"].iloc[0] == pytest.approx(1500 / 1661)


def test_no_failures_no_waste() -> None:
    assert wasted_time(frame([done(1, "alpha", queue=1, render=5)])).empty
