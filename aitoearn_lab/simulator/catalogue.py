"""The simulated models: the public model table plus how each one behaves (latency, failures).

The names, modes, resolutions, durations and aspect ratios come from the platform's public model
table (``video_models.json``). The behaviour (queue and render medians and tails, failure rates,
error mix) is invented but plausible, and differs by model so comparisons have something to find.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

_MODEL_TABLE = "video_models.json"


@dataclass(frozen=True, slots=True)
class ModelProfile:
    """One model: what it accepts and how it behaves on the simulated server."""

    name: str
    modes: tuple[str, ...]
    resolutions: tuple[str, ...]
    durations: tuple[int, ...]
    aspect_ratios: tuple[str, ...]
    max_images: int
    default_duration: int
    default_resolution: str | None
    default_aspect_ratio: str | None
    popularity: float
    queue_median_s: float
    queue_sigma: float
    render_median_s: float
    """Median render seconds for a 5-second 720p video; scaled by duration and resolution."""
    render_sigma: float
    failure_rate: float
    error_mix: tuple[tuple[str, float], ...]


# name: (popularity, queue median, queue sigma, render median, render sigma, failure rate, errors)
_BEHAVIOUR: dict[str, tuple[float, float, float, float, float, float, dict[str, float]]] = {
    "seedance-2-fast-beta": (
        14,
        18,
        0.7,
        55,
        0.35,
        0.045,
        {"moderation": 3, "download": 2, "timeout": 1, "relay": 1, "internal": 1},
    ),
    "seedance-2-beta": (
        12,
        40,
        0.8,
        140,
        0.40,
        0.060,
        {"moderation": 3, "download": 2, "timeout": 2, "relay": 1, "input_video": 1},
    ),
    "seedance-2-beta-1080p": (
        6,
        70,
        0.9,
        260,
        0.45,
        0.085,
        {"moderation": 2, "timeout": 4, "download": 1, "internal": 2},
    ),
    "happyhorse-1.1": (
        9,
        9,
        0.6,
        95,
        0.50,
        0.100,
        {"image_size": 3, "download": 2, "internal": 3, "quota": 1},
    ),
    "doubao-seedance-2-0-260128": (
        13,
        30,
        0.7,
        170,
        0.35,
        0.050,
        {"moderation": 4, "download": 2, "audio": 1, "timeout": 1},
    ),
    "doubao-seedance-2-0-fast-260128": (
        15,
        14,
        0.6,
        75,
        0.30,
        0.035,
        {"moderation": 4, "download": 1, "relay": 1},
    ),
    "grok-imagine-video": (
        11,
        6,
        1.1,
        38,
        0.55,
        0.120,
        {"review": 4, "upstream_rate": 3, "internal": 1, "download": 1},
    ),
    "grok-video-3-10s": (
        6,
        8,
        1.0,
        65,
        0.45,
        0.090,
        {"review": 3, "upstream_rate": 2, "timeout": 1},
    ),
    "grok-imagine-video-1.5-preview": (
        4,
        25,
        1.2,
        52,
        0.60,
        0.150,
        {"review": 3, "internal": 3, "image_size": 2, "upstream_rate": 2},
    ),
    "grok-imagine-video-1.5": (
        10,
        11,
        0.9,
        47,
        0.45,
        0.070,
        {"review": 3, "image_size": 2, "upstream_rate": 1},
    ),
}
_GENERIC_BEHAVIOUR = (5, 20, 0.8, 90, 0.45, 0.08, {"internal": 2, "timeout": 1, "moderation": 1})


def _as_int(value: Any, fallback: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return fallback


@cache
def model_table() -> list[dict[str, Any]]:
    """The public model table shipped with the package."""
    text = resources.files("aitoearn_lab.simulator").joinpath(_MODEL_TABLE).read_text("utf-8")
    models: list[dict[str, Any]] = json.loads(text)["models"]
    return models


@cache
def profiles() -> tuple[ModelProfile, ...]:
    """Every simulated model, in the order of the public table."""
    result = []
    for entry in model_table():
        behaviour = _BEHAVIOUR.get(entry["name"], _GENERIC_BEHAVIOUR)
        popularity, q_med, q_sigma, r_med, r_sigma, failure_rate, errors = behaviour
        defaults = entry.get("defaults") or {}
        durations = tuple(int(d) for d in entry["durations"])
        result.append(
            ModelProfile(
                name=entry["name"],
                modes=tuple(entry["modes"]),
                resolutions=tuple(entry["resolutions"]),
                durations=durations,
                aspect_ratios=tuple(entry.get("aspectRatios") or ("16:9",)),
                max_images=int(entry.get("maxInputImages") or 1),
                default_duration=_as_int(defaults.get("duration"), durations[0]),
                default_resolution=defaults.get("resolution"),
                default_aspect_ratio=defaults.get("aspectRatio"),
                popularity=float(popularity),
                queue_median_s=float(q_med),
                queue_sigma=float(q_sigma),
                render_median_s=float(r_med),
                render_sigma=float(r_sigma),
                failure_rate=float(failure_rate),
                error_mix=tuple(errors.items()),
            )
        )
    return tuple(result)


RESOLUTION_FACTOR = {"480p": 0.6, "720p": 1.0, "1080p": 1.9}
"""Render time relative to 720p; keys are lower case (the table spells some ``720P``)."""


def render_scale(duration_s: float, resolution: str | None) -> float:
    """How much longer than a 5-second 720p video a render takes."""
    factor = RESOLUTION_FACTOR.get((resolution or "720p").lower(), 1.0)
    return float((duration_s / 5.0) ** 0.75 * factor)
