"""The numbers behind the charts equal the straightforward pandas computations they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aitoearn_lab import summarize
from aitoearn_lab.charts.data import (
    codes_of,
    latency_mask,
    model_groups,
    model_order,
    model_table,
    state_codes,
)
from aitoearn_lab.charts.latency import _slowest
from aitoearn_lab.metrics.summary import latency_values, sorted_by_group
from aitoearn_lab.schema import STATES
from tests.support.records import done, frame, record, world_frame


@pytest.fixture(scope="module")
def world() -> pd.DataFrame:
    """A simulated world with holes: rows without a model, with a negative turnaround, fetch
    failures (no state), and the model as plain text instead of a category."""
    tasks = world_frame(1500, seed=9)
    tasks.loc[tasks.index[::7], "model"] = np.nan
    tasks.loc[tasks.index[::11], "total_s"] = -5.0
    return tasks


def with_text_models(tasks: pd.DataFrame) -> pd.DataFrame:
    return tasks.assign(model=tasks["model"].astype("str"))


@pytest.mark.parametrize("text_models", [False, True])
@pytest.mark.parametrize("include_failed", [False, True])
@pytest.mark.parametrize("metric", ["total_s", "render_s", "queue_s"])
def test_model_groups_are_latency_values_grouped_by_model(
    world: pd.DataFrame, metric: str, include_failed: bool, text_models: bool
) -> None:
    tasks = with_text_models(world) if text_models else world
    rows = latency_values(tasks, metric, include_failed=include_failed)
    expected = {
        str(model): group[metric].to_numpy(dtype=float)
        for model, group in rows.groupby("model", observed=True)
    }
    groups = model_groups(tasks, metric, include_failed=include_failed)
    assert {str(g.model): g.values.tolist() for g in groups} == {
        model: values.tolist() for model, values in expected.items()
    }
    medians = [(float(np.median(g.values)), str(g.model)) for g in groups]
    assert medians == sorted(medians)
    for group in groups:  # positions point at the rows the values came from
        assert tasks[metric].to_numpy()[group.positions].tolist() == group.values.tolist()
    mask = latency_mask(tasks, metric, include_failed=include_failed)
    assert tasks.index[mask].tolist() == rows.index.tolist()


@pytest.mark.parametrize("text_models", [False, True])
def test_model_order_is_by_pandas_median_then_name(world: pd.DataFrame, text_models: bool) -> None:
    tasks = with_text_models(world) if text_models else world
    medians = latency_values(tasks).groupby("model", observed=True)["total_s"].median()
    models = [*tasks["model"].dropna().unique(), "a model without tasks"]
    expected = sorted(models, key=lambda m: (medians.get(m, np.inf), str(m)))
    assert model_order(tasks, models) == expected


@pytest.mark.parametrize("text_models", [False, True])
def test_model_table_equals_summarize(world: pd.DataFrame, text_models: bool) -> None:
    tasks = with_text_models(world) if text_models else world
    table = model_table(tasks)
    summary = summarize(tasks, by="model")
    summary = summary[summary.index.notna()]
    summary = summary.loc[model_order(tasks, summary.index)]
    assert [str(m) for m in table.index] == [str(m) for m in summary.index]
    for column in table.columns:
        assert table[column].to_numpy().tolist() == pytest.approx(
            summary[column].to_numpy().tolist(), rel=0, abs=0, nan_ok=True
        ), column


def test_model_table_of_a_hand_made_frame() -> None:
    tasks = frame(
        [
            done(1, "alpha", queue=2, render=10),
            done(2, "alpha", queue=4, render=20),
            record(3, "alpha", "failed", submitted=0, finished=9, error="boom"),
            record(4, "beta", "running", submitted=0, started=3),
            None,
        ]
    )
    table = model_table(tasks)
    assert list(table.index) == ["alpha", "beta"]  # beta has no turnaround: last
    assert table.loc["alpha", ["succeeded", "failed", "finished"]].tolist() == [2, 1, 3]
    assert table.loc["alpha", "failure_rate"] == pytest.approx(1 / 3)
    assert table.loc["alpha", "queue_s_p50"] == 3.0
    assert table.loc["alpha", "total_s_p50"] == 18.0
    assert np.isnan(table.loc["beta", "failure_rate"])
    assert table.loc["beta", "running"] == 1


def test_codes_and_states_of_categorical_and_text_columns() -> None:
    column = pd.Series(["b", None, "a", "b"], dtype="category")
    codes, labels = codes_of(column)
    assert [labels[c] if c >= 0 else None for c in codes] == ["b", None, "a", "b"]
    codes, labels = codes_of(column.astype("str"))
    assert labels == ["a", "b"]
    assert codes.tolist() == [1, -1, 0, 1]
    tasks = pd.DataFrame({"state": pd.Series(["failed", None, "queued"], dtype="str")})
    assert state_codes(tasks).tolist() == [STATES.index("failed"), -1, STATES.index("queued")]


@pytest.mark.parametrize("n_groups", [1, 3, 1000, 1001, 5000])
def test_sorted_by_group_equals_lexsort(n_groups: int) -> None:
    rng = np.random.default_rng(n_groups)
    ids = rng.integers(0, n_groups, 20_000)
    values = np.round(rng.lognormal(3, 1, ids.size), 1)  # many ties
    counts = np.bincount(ids, minlength=n_groups)
    expected = values[np.lexsort((values, ids))]
    assert sorted_by_group(ids, values, counts).tolist() == expected.tolist()


@pytest.mark.parametrize("count", [-1, 0, 1, 3, 8, 50])
def test_slowest_keeps_ties_in_row_order_as_nlargest(count: int) -> None:
    values = np.array([5.0, 9.0, 7.0, 9.0, 1.0, 7.0, 7.0, 9.0, 3.0, 0.0])
    expected = pd.Series(values).nlargest(count).index.tolist() if count > 0 else []
    assert _slowest(values, count).tolist() == expected
    frame_expected = pd.DataFrame({"v": values}).nlargest(max(count, 0), "v").index.tolist()
    assert _slowest(values, count).tolist() == frame_expected
