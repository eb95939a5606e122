"""The stored form of an answer: the fast path writes what requests-cache itself would write."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import requests
from requests.structures import CaseInsensitiveDict
from requests_cache import CachedResponse

from aitoearn_lab import schema
from aitoearn_lab.client.cache import SERIALIZER, stored_value
from aitoearn_lab.simulator import Simulator
from tests.support import ANCHOR


def _answer(sim: Simulator, task_id: str) -> requests.Response:
    with requests.Session() as session:
        response = session.get(
            f"{sim.base_url}{schema.TASK_PATH}{task_id}",
            headers={schema.API_KEY_HEADER: sim.api_key},
        )
    assert response.status_code == 200
    return response


def _the_slow_way(response: requests.Response, expires_at: float | None) -> dict[str, Any]:
    """What requests-cache's own machinery stores, with request headers and extra headers cut."""
    from datetime import UTC, datetime

    expires = None if expires_at is None else datetime.fromtimestamp(expires_at, UTC)
    stored = CachedResponse.from_response(response, expires=expires)
    stored.created_at = datetime.fromtimestamp(ANCHOR, UTC)
    stored.request.headers = CaseInsensitiveDict()
    stored.headers = CaseInsensitiveDict(
        {
            name: stored.headers[name]
            for name in ("Content-Type", "Date", "X-Request-Id")
            if name in stored.headers
        }
    )
    document: dict[str, Any] = orjson.loads(SERIALIZER.dumps(stored))
    return document


@pytest.mark.parametrize("expires_at", [None, ANCHOR + 60.0])
def test_stored_value_matches_the_requests_cache_serializer(
    sim: Simulator, expires_at: float | None
) -> None:
    response = _answer(sim, sim.task_ids[0])
    fast = orjson.loads(stored_value(response, created_at=ANCHOR, expires_at=expires_at))
    assert fast == _the_slow_way(response, expires_at)
    assert sim.api_key.encode() not in stored_value(
        response, created_at=ANCHOR, expires_at=expires_at
    )


def test_stored_value_is_read_back_by_requests_cache(sim: Simulator) -> None:
    response = _answer(sim, sim.task_ids[1])
    restored = SERIALIZER.loads(stored_value(response, created_at=ANCHOR, expires_at=None))
    assert restored.status_code == 200
    assert restored.json() == response.json()
    assert restored.url == response.url
    assert restored.created_at.timestamp() == ANCHOR


@pytest.mark.parametrize("content_type", ["text/plain; charset=utf-8", "application/octet-stream"])
def test_a_body_not_labelled_json_is_stored_as_requests_cache_would(
    sim: Simulator, content_type: str
) -> None:
    response = _answer(sim, sim.task_ids[2])
    response.headers["Content-Type"] = content_type
    value = stored_value(response, created_at=ANCHOR, expires_at=None)
    assert orjson.loads(value) == _the_slow_way(response, None)
    assert SERIALIZER.loads(value).content == response.content


def test_stored_times_are_read_in_bulk_or_one_by_one_alike() -> None:
    import math

    from aitoearn_lab.client.cache_format import unix_seconds

    usual = ["2026-07-02T12:00:00+00:00", "2026-07-02T12:00:00.250000+00:00"]
    assert unix_seconds(usual) == [ANCHOR, ANCHOR + 0.25]
    odd = [*usual, "2026-07-02T20:00:00+08:00", "2026-07-02T12:00:00", "junk", None]
    seconds = unix_seconds(odd)
    assert seconds[:4] == [ANCHOR, ANCHOR + 0.25, ANCHOR, ANCHOR]  # no offset: UTC
    assert math.isnan(seconds[4]) and math.isnan(seconds[5])


def test_an_entry_with_an_unreadable_time_is_a_cache_miss(tmp_path: Any) -> None:
    from aitoearn_lab.client.cache import TaskCache, cache_key

    cache = TaskCache(tmp_path / "c.sqlite", scope="s")
    body = {"code": 0, "data": {"id": "a" * 24, "status": "SUCCESS", "input": {"prompt": "p"}}}
    good = orjson.dumps({"created_at": "2026-07-02T12:00:00+00:00", "_decoded_content": body})
    bad = orjson.dumps({"created_at": 17, "_decoded_content": body})
    with cache._using() as connection:
        connection.executemany(
            "INSERT INTO responses (key, value) VALUES (?, ?)",
            [(cache_key("s", "a" * 24), good), (cache_key("s", "b" * 24), bad)],
        )
    found = cache.lookup(["a" * 24, "b" * 24])
    cache.close()
    assert list(found) == ["a" * 24]
    assert found["a" * 24].fetched_at == ANCHOR and found["a" * 24].terminal


def test_a_scan_of_the_scope_finds_what_keyed_lookups_find(tmp_path: Any) -> None:
    from aitoearn_lab.client.cache import TaskCache, cache_key

    cache = TaskCache(tmp_path / "c.sqlite", scope="mine")
    ids = [f"{i:024x}" for i in range(2500)]

    def value(task_id: str) -> bytes:
        body = {"code": 0, "data": {"id": task_id, "status": "SUCCESS"}}
        return orjson.dumps({"created_at": "2026-07-02T12:00:00+00:00", "_decoded_content": body})

    with cache._using() as connection:
        for scope in ("mine", "other", "minf"):  # neighbours on both sides of the key range
            connection.executemany(
                "INSERT INTO responses (key, value) VALUES (?, ?)",
                [(cache_key(scope, task_id), value(task_id)) for task_id in ids],
            )
    asked = [*ids[:2400], "f" * 24]  # most of the scope: read by one range scan
    scanned = cache.lookup(asked)
    keyed = cache.lookup(asked[:600])  # a few: read by key
    cache.close()
    assert set(scanned) == set(ids[:2400])
    assert {task_id: scanned[task_id] for task_id in keyed} == keyed
    assert set(keyed) == set(ids[:600])
