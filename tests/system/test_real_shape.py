"""Answers in the exact shape of the platform's public code raise no anomaly and lose no value.

The bodies are the reference file's, byte for byte as JSON: a success with ``watermark`` and no
``coverUrl``, a failure, a running task, an unknown ID. They go through ``to_frame`` and through
a real fetch over loopback HTTP from a stand-in server, and through the command line; two
models' tasks in the same shape go through the answers and the dashboard.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pytest
from click.testing import CliRunner

from aitoearn_lab import Client, compare_models, dashboard, data_notes, read_tasks, to_frame
from aitoearn_lab.charts.registry import DASHBOARD_CHARTS
from aitoearn_lab.cli.commands import cli
from tests.support import DATA
from tests.support.remote import Crafted, RemoteService

REFERENCE = DATA / "real-shaped-answers.json"  # a copy of the platform reference, unchanged
SUCCESS, FAILURE, RUNNING = "6a461da66fe8a12d33daabdd", "6a461dc16fe8a12d33daabe0", "6a461e0a6fe8a12d33daabe3"  # fmt: skip
UNKNOWN = "6a461e0a6fe8a12d33daffff"
WAITING, UNSTARTED = "6a461e0a6fe8a12d33daab01", "6a461e0a6fe8a12d33daab02"


def answers() -> dict[str, Any]:
    return dict(orjson.loads(REFERENCE.read_bytes()))


def bodies() -> dict[str, dict[str, Any]]:
    """The reference answers by task ID, plus the legal gaps a spec-shaped server may leave:
    an unfinished task whose startedAt is null, and one whose startedAt is not there yet."""
    known = answers()
    by_id = {
        SUCCESS: known["get_task_success"],
        FAILURE: known["get_task_failure"],
        RUNNING: known["get_task_running"],
    }
    waiting = copy.deepcopy(known["get_task_running"])
    waiting["data"].update(id=WAITING, startedAt=None)
    unstarted = copy.deepcopy(known["get_task_running"])
    unstarted["data"]["id"] = UNSTARTED
    del unstarted["data"]["startedAt"]
    return {**by_id, WAITING: waiting, UNSTARTED: unstarted}


@pytest.fixture
def server() -> Iterator[RemoteService]:
    by_id = bodies()
    unknown = answers()["get_task_unknown"]
    service = RemoteService()
    service.answer = lambda task_id: Crafted(body=by_id.get(task_id, unknown))
    with service.running():
        yield service


def check(tasks: pd.DataFrame) -> None:
    """Every legal answer: no anomaly, no drift, the values typed and in place."""
    rows = tasks.set_index("task_id")
    legal = rows.drop(index=UNKNOWN, errors="ignore")
    assert legal["anomalies"].isna().all(), legal["anomalies"].dropna().to_dict()
    assert legal["extra"].isna().all(), legal["extra"].dropna().to_dict()
    assert legal["fetch_error"].isna().all()
    assert str(rows["input_watermark"].dtype) == "boolean"
    assert rows.loc[SUCCESS, "input_watermark"] == False  # noqa: E712  (numpy's False)
    assert rows.loc[FAILURE, "input_watermark"] == True  # noqa: E712
    assert pd.isna(rows.loc[RUNNING, "input_watermark"])  # not said
    assert rows.loc[[SUCCESS, FAILURE, RUNNING], "state"].tolist() == [
        "succeeded",
        "failed",
        "running",
    ]
    assert rows.loc[SUCCESS, "total_s"] == 107.0 and rows.loc[SUCCESS, "queue_s"] == 0.0
    assert pd.isna(rows.loc[SUCCESS, "cover_url"])  # absent on a success: legal
    assert rows.loc[SUCCESS, "video_url"].endswith("6a461da6.mp4")
    assert rows.loc[FAILURE, "error_message"] == "AI call failed: upstream returned 502"
    assert rows.loc[FAILURE, "input_image"] == ["https://cdn.example.com/in/ref.png"]
    assert rows.loc[RUNNING, "input_duration"] == 10.0
    for waiting in (WAITING, UNSTARTED):
        if waiting in rows.index:
            assert pd.isna(rows.loc[waiting, "started_at"])
            assert rows.loc[waiting, "submitted_at"] == pd.Timestamp("2026-07-02T12:01:46Z")
            assert rows.loc[waiting, "input_prompt"] == "timelapse of a city at night"
    notes = " ".join(data_notes(tasks))
    assert "anomal" not in notes and "does not know" not in notes


def test_real_shaped_records_through_to_frame() -> None:
    records = [body["data"] for body in bodies().values()]
    check(to_frame(records))
    page = answers()["list_page"]["data"]["list"]  # a list page's tasks, the same shape
    check(to_frame(page))


def test_real_shaped_answers_through_a_fetch(server: RemoteService, tmp_path: Path) -> None:
    ids = [*bodies(), UNKNOWN]
    with Client(api_key="ai_" + "k" * 40, base_url=server.base_url, cache=tmp_path / "c.sqlite") as client:  # fmt: skip
        tasks = client.fetch(ids, progress=False)
        assert tasks["task_id"].tolist() == ids
        check(tasks)
        assert tasks.set_index("task_id").loc[UNKNOWN, "api_code"] == 12302
        server.reset()
        again = client.fetch(ids, progress=False)  # finished ones from the cache: same values
    check(again)
    assert SUCCESS not in server.task_ids_asked() and FAILURE not in server.task_ids_asked()


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_real_shaped_answers_through_the_command_line(
    server: RemoteService, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"tasks{suffix}"
    result = CliRunner(
        env={"AITOEARN_API_KEY": "ai_" + "k" * 40, "AITOEARN_BASE_URL": server.base_url}
    ).invoke(cli, ["fetch", *bodies(), "--no-cache", "--no-progress", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "anomal" not in result.stderr
    check(read_tasks(out))


def real_shaped_models() -> pd.DataFrame:
    """Two models' tasks in the reference's shape, each model writing its resolution as the
    reference does: "720p" (the success's model) and "720P" (the failure's)."""
    known = answers()
    records, start = [], pd.Timestamp("2026-07-02T12:00:00Z")
    for model, seconds, resolution in (("seedance-2-fast-beta", 60, "720p"), ("grok", 90, "720P")):
        for i in range(12):
            body = copy.deepcopy(known["get_task_failure" if i == 0 else "get_task_success"])
            task = body["data"]
            at = start + pd.Timedelta(minutes=3 * i)
            task.update(
                id=f"{len(records):024x}",
                model=model,
                submittedAt=f"{at:%Y-%m-%dT%H:%M:%S.000Z}",
                startedAt=f"{at:%Y-%m-%dT%H:%M:%S.000Z}",
                finishedAt=f"{at + pd.Timedelta(seconds=seconds + i):%Y-%m-%dT%H:%M:%S.000Z}",
            )
            task["input"].update(resolution=resolution, duration=5)
            records.append(task)
    tasks = to_frame(records)
    tasks["fetched_at"] = start + pd.Timedelta(hours=1)
    return tasks


def test_the_answers_compare_real_shaped_models_like_for_like() -> None:
    tasks = real_shaped_models()
    assert tasks["anomalies"].isna().all()
    board = dashboard(tasks)
    titles = [chart.title for chart in DASHBOARD_CHARTS]
    board.figure("Like for like")
    said = board.answers[titles.index("Like for like")].value
    # 720p and 720P are one resolution: grok's 11 successes meet the baseline's 11.
    assert "The input mixes do not change the answer" in said
    matched = compare_models(tasks, within=["input_resolution", "input_duration"])
    grok = matched.set_index("model").loc["grok"]
    assert (grok["tasks"], grok["baseline_tasks"], grok["strata"]) == (11, 11, 1)
    assert grok["verdict"] == "slower"
    for chart in DASHBOARD_CHARTS:
        board.figure(chart.title)  # every tab draws on the real shape
        if chart.answer is not None:
            assert board.answers[titles.index(chart.title)].value, chart.title
