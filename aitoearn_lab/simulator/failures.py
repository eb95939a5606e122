"""Realistic failure messages, in families, each varied by IDs, URLs, numbers and quoted values.

The variety is the point: a report has to group ``Failed to download image "https://…/a.jpg"``
and ``Failed to download image "https://…/b.png"`` into one signature.
"""

from __future__ import annotations

import random
from collections.abc import Callable

ErrorMaker = Callable[[random.Random, dict[str, object]], str]


def _hex(rng: random.Random, length: int) -> str:
    return f"{rng.getrandbits(4 * length):0{length}x}"


def _first_asset(task_input: dict[str, object]) -> str:
    for name in ("image", "images", "videos", "audios"):
        value = task_input.get(name)
        if isinstance(value, str):
            return value
        if isinstance(value, list) and value:
            return str(value[0])
    return "https://assets.aitoearn.ai/uploads/unknown.jpg"


def _moderation(rng: random.Random, task_input: dict[str, object]) -> str:
    request_id = "0217" + _hex(rng, 28)
    kind = rng.choice(
        [
            "InputTextSensitiveContentDetected",
            "InputImageSensitiveContentDetected",
            "OutputVideoSensitiveContentDetected",
        ]
    )
    return (
        f"The request failed because the input may contain sensitive information "
        f"(code: {kind}). Request id: {request_id}"
    )


def _download(rng: random.Random, task_input: dict[str, object]) -> str:
    status = rng.choice([403, 404, 403, 410, 500])
    return f'Failed to download input asset "{_first_asset(task_input)}": HTTP {status}'


def _timeout(rng: random.Random, task_input: dict[str, object]) -> str:
    limit = rng.choice([600, 900, 900, 1200])
    return f"Upstream generation timed out after {limit} s (job {_hex(rng, 12)})"


def _relay(rng: random.Random, task_input: dict[str, object]) -> str:
    node = rng.randint(1, 8)
    return f"relay server unavailable: upstream returned 502 from relay-{node}.aitoearn.internal"


def _internal(rng: random.Random, task_input: dict[str, object]) -> str:
    return f"Internal error: generation worker exited unexpectedly (trace {_hex(rng, 16)})"


def _quota(rng: random.Random, task_input: dict[str, object]) -> str:
    need = rng.randint(60, 400)
    have = rng.randint(0, need - 1)
    return f"Insufficient credits: this generation needs {need} credits, balance is {have}"


def _image_size(rng: random.Random, task_input: dict[str, object]) -> str:
    width, height = rng.randint(120, 299), rng.randint(120, 480)
    return (
        f"Input image is too small: {width}x{height} px, the shortest side must be at least 300 px"
    )


def _input_video(rng: random.Random, task_input: dict[str, object]) -> str:
    seconds = round(rng.uniform(15.1, 40.0), 1)
    return f"Reference video duration {seconds}s exceeds the maximum of 15s"


def _audio(rng: random.Random, task_input: dict[str, object]) -> str:
    fmt = rng.choice(["ogg", "flac", "m4a", "aac"])
    return f"Audio format '{fmt}' is not supported; use wav or mp3"


def _review(rng: random.Random, task_input: dict[str, object]) -> str:
    return rng.choice(
        [
            "Generated video was blocked by content moderation",
            "Generated video was blocked by content moderation",
            f"Video rejected by safety review (ticket #{rng.randint(100000, 999999)})",
        ]
    )


def _upstream_rate(rng: random.Random, task_input: dict[str, object]) -> str:
    wait = rng.choice([30, 60, 60, 120])
    return f"Upstream provider rate limit exceeded, retry after {wait} seconds"


ERROR_FAMILIES: dict[str, ErrorMaker] = {
    "moderation": _moderation,
    "download": _download,
    "timeout": _timeout,
    "relay": _relay,
    "internal": _internal,
    "quota": _quota,
    "image_size": _image_size,
    "input_video": _input_video,
    "audio": _audio,
    "review": _review,
    "upstream_rate": _upstream_rate,
}

EARLY_FAMILIES = frozenset(
    {"download", "image_size", "input_video", "audio", "quota", "moderation"}
)
"""Failures found while checking the input: they end a task early in its render."""
