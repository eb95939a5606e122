"""Failure messages grouped into signatures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aitoearn_lab import error_groups
from aitoearn_lab.metrics.categories import categorize
from aitoearn_lab.metrics.failures import GROUP_COLUMNS, NO_MESSAGE, error_signature, failed_tasks
from tests.support import ANCHOR
from tests.support.records import frame, record, world_frame


@pytest.mark.parametrize(
    ("message", "signature"),
    [
        (
            'Failed to download input asset "https://assets.example/u0/9f3ab.jpg": HTTP 403',
            'Failed to download input asset "<url>": HTTP <n>',
        ),
        (
            "Upstream generation timed out after 900 s (job 29c257118855)",
            "Upstream generation timed out after <n> s (job <id>)",
        ),
        (
            "The request failed (code: InputTextSensitiveContentDetected). "
            "Request id: 02179f99ddc25be02eac732933186945",
            "The request failed (code: InputTextSensitiveContentDetected). Request id: <id>",
        ),
        ("Audio format 'ogg' is not supported", "Audio format '<value>' is not supported"),
        ("Input image is too small: 218x163 px", "Input image is too small: <n>x<n> px"),
        (
            "Reference video duration 15.5s exceeds 15s",
            "Reference video duration <n>s exceeds <n>s",
        ),
        ("relay-3.aitoearn.internal returned 502", "relay-<n>.aitoearn.internal returned <n>"),
        (
            "task 550e8400-e29b-41d4-a716-446655440000 at 2026-07-02T12:00:00Z",
            "task <id> at <time>",
        ),
        ("write to ops@example.com", "write to <email>"),
        ("user's file doesn't exist", "user's file doesn't exist"),
        ("  spaces\tand\nlines  ", "spaces and lines"),
        # Particulars that begin right after another one, or inside a word: the positions the
        # pattern skips quickly must never hide a match.
        ("at 2026-07-02T12:00:00Z.ops@example.com", "at <time><email>"),
        ("code -12.5.a@b.co", "code <n><email>"),
        ("v2 x-1 sent 640x480+3", "v2 x-<n> sent <n>x<n><n>"),
        ("id=abc123def456ghi789xyz", "id=<id>"),
        ("", NO_MESSAGE),
        (None, NO_MESSAGE),
    ],
)
def test_error_signature_masks_particulars(message: str | None, signature: str) -> None:
    assert error_signature(message) == signature


def test_error_groups_worked_by_hand() -> None:
    def failed(number: int, model: str, message: str | None, finished: float) -> dict[str, object]:
        return record(number, model, "failed", submitted=0, finished=finished, error=message)

    tasks = frame(
        [
            failed(
                1, "beta", 'Failed to download input asset "https://a.example/x.jpg": HTTP 403', 60
            ),
            failed(
                2, "alpha", 'Failed to download input asset "https://a.example/y.png": HTTP 404', 30
            ),
            failed(3, "alpha", "Upstream generation timed out after 900 s (job 29c257118855)", 900),
            failed(4, "alpha", "Upstream generation timed out after 600 s (job 0a1b2c3d4e5f)", 600),
            failed(5, "gamma", "Audio format 'ogg' is not supported", 5),
            failed(6, "gamma", None, 7),
            record(7, "alpha", "succeeded", submitted=0, started=1, finished=50),
        ]
    )
    groups = error_groups(tasks)
    assert list(groups.columns) == list(GROUP_COLUMNS)
    assert groups["signature"].tolist() == [
        'Failed to download input asset "<url>": HTTP <n>',
        "Upstream generation timed out after <n> s (job <id>)",
        NO_MESSAGE,
        "Audio format '<value>' is not supported",
    ]
    assert groups["count"].tolist() == [2, 2, 1, 1]
    assert groups["share"].tolist() == pytest.approx([2 / 6, 2 / 6, 1 / 6, 1 / 6])
    assert groups["models"].tolist() == [["alpha", "beta"], ["alpha"], ["gamma"], ["gamma"]]
    download = groups.iloc[0]
    assert download["first_seen"] == pd.Timestamp(ANCHOR + 30, unit="s", tz="UTC")
    assert download["last_seen"] == pd.Timestamp(ANCHOR + 60, unit="s", tz="UTC")
    assert download["example"].startswith('Failed to download input asset "https://a.example/')
    assert download["example_task_id"] == f"{1:024x}"
    assert groups.iloc[2]["example"] == NO_MESSAGE


def test_a_simulated_world_collapses_into_a_few_signatures() -> None:
    tasks = world_frame(3000, seed=4)
    messages = tasks["error_message"].dropna()
    groups = error_groups(tasks)
    assert messages.nunique() > 150  # most messages differ by an ID, URL or number
    assert len(groups) <= 16  # eleven families, three moderation codes, two review texts
    assert groups["count"].sum() == (tasks["state"] == "failed").sum()
    assert groups["share"].sum() == pytest.approx(1.0)
    assert not groups["signature"].str.contains(r"[0-9a-f]{12}", regex=True).any()


def test_no_failures_gives_an_empty_table_with_the_columns() -> None:
    tasks = frame([record(1, "alpha", "succeeded", submitted=0, started=1, finished=2)])
    groups = error_groups(tasks)
    assert groups.empty
    assert list(groups.columns) == list(GROUP_COLUMNS)


def pandas_error_groups(df: pd.DataFrame) -> pd.DataFrame:
    """The table by pandas group-bys, as error_groups computed it before counting with numpy."""
    failures = failed_tasks(df)
    grouped = failures.groupby("signature", sort=True)
    table = grouped.agg(
        count=("task_id", "size"),
        first_seen=("seen_at", "min"),
        last_seen=("seen_at", "max"),
        example=("error_message", "first"),
        example_task_id=("task_id", "first"),
    )
    pairs = failures.groupby(["signature", "model"], observed=True).size().reset_index()
    models = {
        signature: sorted(str(name) for name in names)
        for signature, names in pairs.groupby("signature")["model"].agg(list).items()
    }
    table["models"] = [models.get(signature, []) for signature in table.index]
    table["share"] = table["count"] / len(failures)
    table = table.reset_index().sort_values(["count", "signature"], ascending=[False, True])
    table["example"] = table["example"].fillna(NO_MESSAGE).astype("str")
    table["category"] = pd.array(categorize(table["signature"].tolist()), dtype="str")
    return table[list(GROUP_COLUMNS)].reset_index(drop=True)


def test_error_groups_equal_the_pandas_group_by() -> None:
    tasks = world_frame(3000, seed=7)
    failed = tasks.index[(tasks["state"] == "failed").fillna(False)]
    tasks.loc[failed[::5], "model"] = np.nan
    tasks.loc[failed[::7], "error_message"] = np.nan
    tasks.loc[failed[1::7], "error_message"] = "   "
    tasks.loc[failed[::9], "finished_at"] = pd.NaT
    pd.testing.assert_frame_equal(error_groups(tasks), pandas_error_groups(tasks))
    again = error_groups(tasks)  # signatures remembered from the first call: the same table
    pd.testing.assert_frame_equal(again, pandas_error_groups(tasks))
