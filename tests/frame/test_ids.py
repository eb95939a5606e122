"""Where task IDs come from: lines, a CSV with the user's own columns, a JSON Lines log, a frame."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from aitoearn_lab.errors import ConfigurationError
from aitoearn_lab.frame.ids import ids_from_frame, read_ids

A, B, C = "6a461da66fe8a12d33daabdd", "6a461dc16fe8a12d33daabe0", "6a461e0a6fe8a12d33daabe3"


def lines(text: str) -> io.StringIO:
    return io.StringIO(text)


def test_plain_lines_give_unique_ids_in_order() -> None:
    source = read_ids(lines(f"{B}\n\n  {A}  \n{B}\r\n"))
    assert source.task_ids == [B, A]
    assert source.metadata is None and source.notes == []


def test_a_json_lines_log_of_submit_answers_in_every_shape() -> None:
    log = "\n".join(
        [
            f'{{"id": "{A}", "status": "SUBMITTED"}}',
            f'{{"taskId": " {B} "}}',
            "",
            f'{{"code": 0, "message": "Success", "data": {{"id": "{C}"}}, "requestId": "r"}}',
            '{"code": 12300, "message": "Invalid model", "data": {}}',  # a refused submit
            f'{{"data": {{"taskId": "{B}"}}}}',
            f'{{"id": "{A}"}}',
        ]
    )
    source = read_ids(lines(log))
    assert source.task_ids == [A, B, C]
    assert source.metadata is None
    assert source.notes == [
        "1 line(s) of the IDs file carry no task ID (a refused submit, or another kind of line) "
        "and were skipped"
    ]


def test_a_line_that_is_not_json_is_named() -> None:
    with pytest.raises(ConfigurationError, match=r"line 3 is not JSON: 'oops'"):
        read_ids(lines(f'{{"id": "{A}"}}\n\noops\n'))


def test_a_csv_keeps_the_other_columns_as_user_metadata() -> None:
    text = f"customer,taskId,,status\nacme, {A} ,x,\nbeta,{B},y,paid\n,,z,\nacme,{C}\n"
    source = read_ids(lines(text))
    assert source.task_ids == [A, B, C]
    meta = source.metadata
    assert meta is not None
    # Prefixed, so a user's "status" column cannot collide with the tasks table's own.
    assert list(meta.columns) == ["user_customer", "user_column3", "user_status"]
    assert meta.loc[B].tolist() == ["beta", "y", "paid"]
    assert meta.loc[A, "user_customer"] == "acme" and pd.isna(meta.loc[A, "user_status"])
    assert pd.isna(meta.loc[C, "user_column3"])  # a short row: the missing cells are empty


def test_a_repeated_id_keeps_its_first_row_and_says_so_when_they_differ() -> None:
    same = read_ids(lines(f"taskId,customer\n{A},acme\n{A},acme\n"))
    assert same.notes == [] and same.metadata is not None and len(same.metadata) == 1
    differ = read_ids(lines(f"taskId,customer\n{A},acme\n{B},beta\n{A},other\n{B},beta\n"))
    assert differ.task_ids == [A, B]
    assert differ.metadata is not None
    assert differ.metadata["user_customer"].tolist() == ["acme", "beta"]
    assert differ.notes == [
        "1 task ID(s) appear more than once with different metadata; the first row of each is kept"
    ]


def test_a_csv_without_an_id_column_is_named() -> None:
    with pytest.raises(ConfigurationError, match=r"no taskId, task_id, id column.*name, when"):
        read_ids(lines("name,when\nx,y\n"))


def test_a_frame_of_ids_with_metadata_joins_onto_the_tasks() -> None:
    ids = pd.DataFrame({"task_id": [B, A, None, B], "batch": [2, 1, 9, 3], "model": ["m"] * 4})
    source = ids_from_frame(ids)
    assert source.task_ids == [B, A]
    assert len(source.notes) == 1  # B twice, batch 2 then 3
    tasks = pd.DataFrame({"task_id": [A, B, C], "model": ["x", "y", "z"]})
    joined = source.join(tasks)
    assert joined["model"].tolist() == ["x", "y", "z"]  # ours untouched
    assert joined["user_model"].tolist()[:2] == ["m", "m"]
    assert joined["user_batch"].tolist()[:2] == [1, 2] and pd.isna(joined["user_batch"][2])
    with pytest.raises(ConfigurationError, match="no taskId, task_id, id column"):
        ids_from_frame(pd.DataFrame({"ID": [A]}))
