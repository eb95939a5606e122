"""The models the server offers (``GET /api/ai/models/video/generation``) as a small DataFrame."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import requests

from aitoearn_lab import schema
from aitoearn_lab.client.classify import (
    NETWORK_ERRORS,
    REQUEST_ID_HEADER,
    AnswerTooLarge,
    describe_network_error,
)
from aitoearn_lab.client.retry import backoff_delay
from aitoearn_lab.client.wire import exchange, new_request_id
from aitoearn_lab.config import FetchSettings
from aitoearn_lab.errors import APIError, ResponseValidationError, TransportError

if TYPE_CHECKING:
    import pandas as pd

MODELS_PATH: Final = "/api/ai/models/video/generation"

MODEL_COLUMNS: Final = (
    "name",
    "channel",
    "modes",
    "resolutions",
    "durations",
    "aspect_ratios",
    "default_resolution",
    "default_aspect_ratio",
    "default_duration",
    "description",
)


def ask_models(
    session: requests.Session,
    base_url: str,
    *,
    settings: FetchSettings,
    sleep: Callable[[float], object] | None,
) -> pd.DataFrame:
    """Ask for the models offered (no key needed, none is sent) and tabulate them."""
    url = f"{base_url}{MODELS_PATH}"
    problem = ""
    for attempt in range(settings.max_retries + 1):
        try:
            # The endpoint is public: no key is sent, only a request ID.
            reply = exchange(
                session,
                url,
                headers={REQUEST_ID_HEADER: new_request_id()},
                timeout=settings.timeout,
                deadline=settings.deadline,
                max_body=settings.max_body,
                clock=time.time,
            )
        except AnswerTooLarge as error:
            raise TransportError(f"the models list refused: {error}") from None
        except NETWORK_ERRORS as error:
            problem = describe_network_error(error)
        else:
            if reply.status == 200:
                try:
                    envelope = schema.parse_envelope(reply.body)
                except schema.MalformedBodyError as error:
                    problem = str(error)
                else:
                    if envelope["code"] == schema.CODE_OK:
                        return models_frame(envelope.get("data"))
                    if envelope["code"] not in schema.TRANSIENT_CODES:
                        raise APIError(
                            f"the models list: {envelope.get('message')}", code=envelope["code"]
                        )
                    problem = f"code {envelope['code']}"
            elif reply.status == 429 or reply.status >= 500:
                problem = f"HTTP {reply.status}"
            else:
                raise TransportError(
                    f"the models list: HTTP {reply.status}", http_status=reply.status
                )
        if attempt < settings.max_retries:
            delay = backoff_delay(attempt, base=settings.backoff_base, cap=settings.backoff_max)
            (sleep or time.sleep)(delay)
    raise TransportError(f"the models list: no usable answer ({problem})")


def models_frame(data: Any) -> pd.DataFrame:
    """The ``data`` of the models answer (a list of entries) as one row per model.

    Lenient: a list under ``list``, ``models`` or ``items`` is read too; unknown fields are
    ignored; a missing field is empty.
    """
    import pandas as pd

    if isinstance(data, dict):
        data = next((data[k] for k in ("list", "models", "items") if k in data), None)
    if not isinstance(data, list):
        raise ResponseValidationError(
            f"the models answer's data is {type(data).__name__}, expected a list"
        )
    rows = []
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        found = entry.get("defaults")
        defaults: dict[str, Any] = found if isinstance(found, dict) else {}
        rows.append(
            {
                "name": entry["name"],
                "channel": entry.get("channel") if isinstance(entry.get("channel"), str) else None,
                "modes": _strings(entry.get("modes")),
                "resolutions": _strings(entry.get("resolutions")),
                "durations": [
                    d for d in entry.get("durations") or [] if isinstance(d, int | float)
                ],
                "aspect_ratios": _strings(entry.get("aspectRatios")),
                "default_resolution": defaults.get("resolution"),
                "default_aspect_ratio": defaults.get("aspectRatio"),
                "default_duration": defaults.get("duration"),
                "description": entry.get("description"),
            }
        )
    return pd.DataFrame(rows, columns=list(MODEL_COLUMNS))


def _strings(values: Any) -> list[str]:
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []
