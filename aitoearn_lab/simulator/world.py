"""A deterministic world of video tasks, and how each task looks at a given moment.

``World.generate(tasks=N, seed=S, anchor=T)`` always builds the same tasks for the same
arguments. Submissions spread over the ``span_hours`` before ``anchor`` with a daily rhythm, plus
a batch sent in the last ten minutes that is still queued or rendering at ``anchor``, and on
request tasks that arrive after it. Each task knows when it starts, when its render ends, and when
the server's poller (every 30 s) notices: that last moment is the ``finishedAt`` the API reports.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from aitoearn_lab.simulator.catalogue import ModelProfile, profiles, render_scale
from aitoearn_lab.simulator.failures import EARLY_FAMILIES, ERROR_FAMILIES
from aitoearn_lab.simulator.faults import unit_interval
from aitoearn_lab.simulator.prompts import make_prompt

POLL_INTERVAL_S = 30.0
"""The public server notices a finished task on a 30-second poll."""

RECENT_SHARE = 0.07
"""Share of tasks submitted in the ten minutes before the anchor: the ones still in flight."""

WATERMARK_SHARE = 0.6
"""Share of tasks whose input carries ``watermark`` (the seed's spec lacks it; real answers
have it on some tasks)."""

COVER_SHARE = 0.6
"""Share of successes outside a material group that get a ``coverUrl``: only some providers
send a thumbnail."""

TimestampMode = Literal["separate", "public-code"]
"""``public-code`` (the default): startedAt == submittedAt, as the platform's public code fills
both from one field, and no ``QUEUED`` status. ``separate``: startedAt is when rendering began,
and a task waiting for it is ``QUEUED``, as a server that splits the two would answer."""

_ASSET_HOST = "https://assets.aitoearn.ai/uploads"
_OUTPUT_HOST = "https://cdn.aitoearn.ai/ai/video"
_KEY_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def iso_ms(seconds: float) -> str:
    """Unix seconds as the API writes them: ``2026-07-02T12:00:00.000Z``."""
    stamp = datetime.fromtimestamp(seconds, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


@dataclass(slots=True)
class SimTask:
    """One task with its whole future: the world decides outcomes up front."""

    task_id: str
    owner: int
    model: str
    input: dict[str, Any]
    submitted_at: float
    started_at: float
    finished_at: float
    error_message: str | None
    media_id: str | None
    group_id: str | None
    submitted_iso: str = field(repr=False)
    started_iso: str = field(repr=False)
    finished_iso: str = field(repr=False)
    has_cover: bool = True

    @property
    def succeeds(self) -> bool:
        return self.error_message is None

    def view(self, now: float, timestamps: TimestampMode = "public-code") -> dict[str, Any] | None:
        """The task as ``GET`` shows it at ``now``, or None before it was submitted."""
        if now < self.submitted_at:
            return None
        public = timestamps == "public-code"
        record: dict[str, Any] = {"id": self.task_id, "model": self.model}
        if now < self.finished_at:
            queued = now < self.started_at and not public
            record["status"] = "QUEUED" if queued else "InProgress"
            record["input"] = self.input
            record["submittedAt"] = self.submitted_iso
            record["startedAt"] = self.submitted_iso if queued or public else self.started_iso
            return record
        record["status"] = "SUCCESS" if self.succeeds else "FAILURE"
        record["input"] = self.input
        record["submittedAt"] = self.submitted_iso
        record["startedAt"] = self.submitted_iso if public else self.started_iso
        if self.succeeds:
            record["videoUrl"] = f"{_OUTPUT_HOST}/{self.model}/{self.task_id}.mp4"
            if self.has_cover:
                record["coverUrl"] = f"{_OUTPUT_HOST}/{self.model}/{self.task_id}.jpg"
            if self.group_id is not None:
                record["mediaId"] = self.media_id
                record["groupId"] = self.group_id
        else:
            record["error"] = {"message": self.error_message}
        record["finishedAt"] = self.finished_iso
        return record


@dataclass(slots=True)
class World:
    """Every task of the simulated server, and the API keys that own them."""

    seed: int
    anchor: float
    api_keys: tuple[str, ...]
    tasks: dict[str, SimTask]

    @classmethod
    def generate(
        cls,
        *,
        tasks: int = 1000,
        seed: int = 0,
        anchor: float | None = None,
        span_hours: float = 48.0,
        neighbour_tasks: int | None = None,
        api_key: str | None = None,
        arrivals: int = 0,
        arrival_span_s: float = 3600.0,
    ) -> World:
        """Build the world.

        Parameters
        ----------
        tasks
            Tasks owned by the first key (the one a demo or a test uses).
        seed
            Same seed, same anchor: same tasks, IDs, inputs and outcomes.
        anchor
            Unix seconds of "now" when the world is made (defaults to the current minute).
        span_hours
            How far back submissions go.
        neighbour_tasks
            Tasks owned by a second key on the same server (default: 2% of ``tasks``, at least 3).
        api_key
            The first key, instead of a generated one (a test may want one it can recognise).
        arrivals
            More tasks of the first key, submitted during the ``arrival_span_s`` seconds after
            the anchor: they exist only once the clock reaches them, as new tasks do on a live
            server. They are drawn from a stream of their own, so the rest of the world is the
            same with or without them.
        """
        if tasks < 0:
            raise ValueError(f"tasks must be >= 0, got {tasks}")
        if arrivals < 0 or arrival_span_s <= 0:
            raise ValueError(
                f"arrivals must be >= 0 and arrival_span_s > 0, got {arrivals}, {arrival_span_s}"
            )
        if anchor is None:
            anchor = float(int(datetime.now(UTC).timestamp()) // 60 * 60)
        neighbours = max(3, tasks // 50) if neighbour_tasks is None else neighbour_tasks
        rng = random.Random(seed)
        keys = tuple("ai_" + "".join(rng.choices(_KEY_ALPHABET, k=48)) for _ in range(2))
        if api_key is not None:
            keys = (api_key, keys[1])
        builder = _TaskBuilder(rng, anchor, span_hours)
        owners = [0] * tasks + [1] * neighbours
        rng.shuffle(owners)
        times = sorted(builder.submission_time() for _ in owners)
        made = [
            builder.task(owner, submitted) for owner, submitted in zip(owners, times, strict=True)
        ]
        if arrivals:
            builder.rng = random.Random(f"arrivals:{seed}")
            later = sorted(
                round(anchor + builder.rng.uniform(1.0, arrival_span_s), 3) for _ in range(arrivals)
            )
            made.extend(builder.task(0, submitted) for submitted in later)
        return cls(seed=seed, anchor=anchor, api_keys=keys, tasks={t.task_id: t for t in made})

    def task_ids(self, owner: int = 0, *, at: float | None = None) -> list[str]:
        """IDs of one key's tasks, oldest first; with ``at``, only those submitted by then."""
        return [
            task.task_id
            for task in self.tasks.values()
            if task.owner == owner and (at is None or task.submitted_at <= at)
        ]

    def unknown_task_id(self, salt: int = 0) -> str:
        """A well-formed ID that belongs to no task (the API answers 12302)."""
        rng = random.Random(f"unknown:{self.seed}:{salt}")
        while True:
            candidate = f"{int(self.anchor) - rng.randrange(86400):08x}" + "".join(
                rng.choices("0123456789abcdef", k=16)
            )
            if candidate not in self.tasks:
                return candidate


class _TaskBuilder:
    """Draws tasks one by one from a single random stream, so the world is reproducible."""

    def __init__(self, rng: random.Random, anchor: float, span_hours: float) -> None:
        self.rng = rng
        self.anchor = anchor
        self.span_s = span_hours * 3600.0
        self.models = profiles()
        self.cum_popularity = list(itertools.accumulate(m.popularity for m in self.models))
        self.process_hex = f"{rng.getrandbits(40):010x}"
        self.counter = itertools.count(rng.randrange(1 << 23))
        self.poll_phase = rng.uniform(0, POLL_INTERVAL_S)
        self.groups = [f"{rng.getrandbits(96):024x}" for _ in range(5)]

    def submission_time(self) -> float:
        rng = self.rng
        if rng.random() < RECENT_SHARE:
            return round(self.anchor - rng.uniform(1.0, 600.0), 3)
        while True:  # a daily rhythm by rejection sampling: busy afternoons (UTC), quiet nights
            t = self.anchor - 900.0 - rng.uniform(0.0, self.span_s)
            if rng.random() * 1.6 < _load(t):
                return round(t, 3)

    def task(self, owner: int, submitted: float) -> SimTask:
        rng = self.rng
        profile = self.models[
            bisect.bisect(self.cum_popularity, rng.random() * self.cum_popularity[-1])
        ]
        task_id = f"{int(submitted):08x}{self.process_hex}{next(self.counter) % (1 << 24):06x}"
        task_input = self._input(profile, owner)
        # Drawn from the ID, not the stream: worlds made before these fields existed stay the same.
        if unit_interval("watermark", task_id) < WATERMARK_SHARE:
            task_input["watermark"] = unit_interval("watermark-on", task_id) < 0.3
        duration = task_input.get("duration", profile.default_duration)
        resolution = task_input.get("resolution", profile.default_resolution)

        queue_s = rng.lognormvariate(
            math.log(profile.queue_median_s * _load(submitted)), profile.queue_sigma
        )
        if rng.random() < 0.02:  # a backlog now and then: the long tail users complain about
            queue_s *= rng.uniform(5.0, 20.0)
        render_s = rng.lognormvariate(
            math.log(profile.render_median_s * render_scale(duration, resolution)),
            profile.render_sigma,
        )
        n_inputs = sum(len(v) for v in task_input.values() if isinstance(v, list))
        error_message = None
        if rng.random() < profile.failure_rate * (1.0 + 0.05 * n_inputs):
            names, weights = zip(*profile.error_mix, strict=True)
            family = rng.choices(names, weights)[0]
            error_message = ERROR_FAMILIES[family](rng, task_input)
            render_s *= (
                rng.uniform(0.02, 0.15) if family in EARLY_FAMILIES else rng.uniform(0.4, 1.3)
            )

        started = round(submitted + queue_s, 3)
        ended = started + render_s
        ticks = math.ceil((ended - self.poll_phase) / POLL_INTERVAL_S)
        finished = round(max(ticks * POLL_INTERVAL_S + self.poll_phase, started + 1.0), 3)
        group_id = task_input.get("groupId")
        media_id = None
        if group_id is not None:
            media_id = f"{int(finished):08x}{rng.getrandbits(64):016x}"
        return SimTask(
            task_id=task_id,
            owner=owner,
            model=profile.name,
            input=task_input,
            submitted_at=submitted,
            started_at=started,
            finished_at=finished,
            error_message=error_message,
            media_id=media_id,
            group_id=group_id,
            submitted_iso=iso_ms(submitted),
            started_iso=iso_ms(started),
            finished_iso=iso_ms(finished),
            has_cover=group_id is not None or unit_interval("cover", task_id) < COVER_SHARE,
        )

    def _asset(self, owner: int, ext: str) -> str:
        return f"{_ASSET_HOST}/u{owner}/{self.rng.getrandbits(64):016x}.{ext}"

    def _input(self, profile: ModelProfile, owner: int) -> dict[str, Any]:
        rng = self.rng
        mode = rng.choices(
            profile.modes, [4.0 if m == "text2video" else 2.0 for m in profile.modes]
        )[0]
        task_input: dict[str, Any] = {"prompt": make_prompt(rng)}
        if mode == "image2video":
            image = self._asset(owner, rng.choice(["jpg", "png", "webp"]))
            task_input["image"] = image if rng.random() < 0.85 else [image]
        elif mode == "flf2video":
            task_input["image"] = [self._asset(owner, "jpg"), self._asset(owner, "jpg")]
        elif mode == "multi-image2video":
            count = rng.randint(2, max(2, min(profile.max_images, 4)))
            task_input["images"] = [self._asset(owner, "png") for _ in range(count)]
        elif mode == "multi-ref":
            task_input["images"] = [self._asset(owner, "jpg") for _ in range(rng.randint(1, 3))]
            if rng.random() < 0.4:
                task_input["audios"] = [
                    self._asset(owner, rng.choice(["mp3", "wav"])) for _ in range(rng.randint(1, 2))
                ]
            if rng.random() < 0.3:
                task_input["videos"] = [self._asset(owner, "mp4") for _ in range(rng.randint(1, 2))]
                task_input["videoUrl"] = task_input["videos"][0]
        elif mode == "video2video":
            task_input["videos"] = [self._asset(owner, rng.choice(["mp4", "mov"]))]
            task_input["videoUrl"] = task_input["videos"][0]
        if rng.random() < 0.9:
            preferred = profile.default_duration
            task_input["duration"] = (
                preferred if rng.random() < 0.4 else rng.choice(profile.durations)
            )
        if rng.random() < (0.9 if profile.default_resolution else 0.5):
            task_input["resolution"] = rng.choice(profile.resolutions)
        if rng.random() < 0.85:
            task_input["aspectRatio"] = rng.choice(profile.aspect_ratios)
        if rng.random() < 0.2:
            task_input["groupId"] = rng.choice(self.groups)
        return task_input


def _load(unix_seconds: float) -> float:
    """Relative server load by hour of day (UTC): 0.5 at night, 1.5 mid-afternoon."""
    hour = (unix_seconds % 86400.0) / 3600.0
    return 1.0 + 0.5 * math.sin(2.0 * math.pi * (hour - 8.0) / 24.0)
