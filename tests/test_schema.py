"""The contract helpers: task ID rules, envelope parsing, record validation."""

from __future__ import annotations

import pytest

from aitoearn_lab.errors import ResponseValidationError
from aitoearn_lab.schema import (
    MalformedBodyError,
    is_well_formed_task_id,
    parse_envelope,
    task_id_problem,
    validate_task,
)


@pytest.mark.parametrize(
    ("task_id", "reason"),
    [("", "empty"), ("a b", "whitespace"), ("a/b", "'/'"), ("a?b", "'?'"), ("a#b", "'#'"),
     ("a\x00b", "U+0000"), ("a\u200bb", "U+200B"), ("x" * 257, "257 characters")],
)  # fmt: skip
def test_ids_that_cannot_be_task_ids(task_id: str, reason: str) -> None:
    problem = task_id_problem(task_id)
    assert problem is not None and reason in problem


def test_ids_left_to_the_server() -> None:
    for task_id in ("6a461da66fe8a12d33daabdd", "not-hex-but-harmless", "中文", "%2F"):
        assert task_id_problem(task_id) is None
    assert is_well_formed_task_id("6A461DA66FE8A12D33DAABDD")
    assert not is_well_formed_task_id("6a461da66fe8a12d33daabd")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>502</html>",
        b'{"code": 0, "data": {',
        b"[1,2]",
        b'{"message": "x"}',
        b'{"code": "0"}',
    ],
)
def test_malformed_bodies(body: bytes) -> None:
    with pytest.raises(MalformedBodyError):
        parse_envelope(body)


def test_validate_task_names_the_field() -> None:
    good = {"id": "a" * 24, "model": "m", "status": "SUCCESS", "input": {"prompt": "p"},
            "submittedAt": "2026-07-02T12:00:00Z", "startedAt": "2026-07-02T12:00:00Z"}  # fmt: skip
    assert validate_task(good, task_id="a" * 24) is good
    # Only what is not a task at all fails; every other gap is the frame's to name.
    for loose in ({**good, "model": None}, {**good, "status": 3}, {**good, "input": []},
                  {**good, "input": {}}, {"id": "a" * 24}):  # fmt: skip
        assert validate_task(loose, task_id="a" * 24) is loose
    cases = [
        (None, "expected an object"),
        ([good], "'data' is list"),
        ({**good, "id": None}, "no task 'id'"),
        ({**good, "id": 7}, "'id' is int"),
        ({**good, "id": "b" * 24}, "not the one asked for"),
    ]
    for data, words in cases:
        with pytest.raises(ResponseValidationError, match=words):
            validate_task(data, task_id="a" * 24)
