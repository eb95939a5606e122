"""The stored form of an answer: the fast path writes what requests-cache itself would write."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import requests
from requests.structures import CaseInsensitiveDict
from requests_cache import CachedResponse

from aitoearn_lab import schema
from aitoearn_lab.cache import SERIALIZER, stored_value
from aitoearn_lab.simulator import Simulator

from .conftest import ANCHOR


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
        {name: stored.headers[name] for name in ("Content-Type", "Date") if name in stored.headers}
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
