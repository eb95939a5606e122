"""A faithful local AiToEarn server, for the demo, the tests, the notebooks and the benchmarks.

>>> from aitoearn_lab.simulator import Simulator
>>> with Simulator(tasks=200, seed=1) as sim:  # doctest: +SKIP
...     sim.base_url, sim.api_key, len(sim.task_ids)

It serves ``GET /api/ai/video/generations/{taskId}`` as the platform's public code does: HTTP 200
JSON envelopes with English messages (Chinese for ``Accept-Language: zh-CN``) and a request ID,
401 for a missing or unknown key, 10002 for a malformed ID, 12302 for an unknown one (or one not
created yet), any valid key reading any task unless ``owner_only``; ``submittedAt == startedAt``
and the statuses ``InProgress``, ``SUCCESS``, ``FAILURE`` unless ``timestamps="separate"``. Also
the list (``GET /api/ai/video/generations?page=&pageSize=``, the key's own tasks, newest first)
and the models endpoint (``GET /api/ai/models/video/generation``, no key); any other route or
method is HTTP 200 with code 404. Tasks move through their lifecycle against a clock; faults
(5xx, 429 with Retry-After, drops, timeouts, malformed bodies, latency) on demand.

It shares the API contract (``aitoearn_lab.schema``) with the client, and nothing else.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from types import TracebackType

from aitoearn_lab.simulator.clock import Clock, ManualClock, ScaledClock
from aitoearn_lab.simulator.faults import FaultPlan
from aitoearn_lab.simulator.server import LoggedRequest, SimulatorApp, SimulatorHTTPServer
from aitoearn_lab.simulator.world import SimTask, TimestampMode, World

__all__ = [
    "FaultPlan",
    "LoggedRequest",
    "ManualClock",
    "ScaledClock",
    "SimTask",
    "Simulator",
    "World",
]


class Simulator:
    """A running simulated server on 127.0.0.1; use it as a context manager.

    Parameters
    ----------
    tasks, seed
        Size and seed of the world (see :meth:`World.generate`).
    clock
        The world's clock. Default: real time from the world's anchor, ``speed`` times faster.
        Tests pass a :class:`ManualClock` and move it by hand.
    speed
        How much faster than real time the default clock runs (a demo uses 10 or 60).
    faults
        A :class:`FaultPlan` or its text form (``"5xx=0.1,429=0.05"``); changeable while running.
    timestamps
        ``"public-code"`` (the default: startedAt equals submittedAt, as the platform's public
        code fills them, and no task shows ``QUEUED``) or ``"separate"`` (a server that splits
        them: startedAt is when rendering began, and a task waiting for it is ``QUEUED``).
    owner_only
        Refuse (12302) a task owned by another key, as a stricter server might. The public GET
        looks a task up by ID alone, so by default any valid key reads any task. The list is
        always the caller's own tasks.
    arrivals
        Tasks of the main key submitted in the hour after the anchor (see
        :meth:`World.generate`): they appear, by ID and at the top of the list, as the clock
        reaches them.
    port
        0 picks a free port.
    world
        A ready world, instead of generating one.
    api_key
        The main key, instead of one drawn from the seed.
    """

    def __init__(
        self,
        *,
        tasks: int = 1000,
        seed: int = 0,
        clock: Clock | None = None,
        speed: float = 1.0,
        faults: FaultPlan | str | None = None,
        timestamps: TimestampMode = "public-code",
        owner_only: bool = False,
        arrivals: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        world: World | None = None,
        api_key: str | None = None,
    ) -> None:
        if timestamps not in ("separate", "public-code"):
            raise ValueError(f"timestamps must be 'separate' or 'public-code', got {timestamps!r}")
        anchor = clock.now() if clock is not None else None
        self.world = world or World.generate(
            tasks=tasks, seed=seed, anchor=anchor, api_key=api_key, arrivals=arrivals
        )
        self.clock: Clock = clock or ScaledClock(self.world.anchor, speed=speed)
        plan = faults if isinstance(faults, FaultPlan) else FaultPlan.parse(faults)
        self.app = SimulatorApp(
            self.world, self.clock, faults=plan, timestamps=timestamps, owner_only=owner_only
        )
        self._address = (host, port)
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life -----------------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind and serve in a background thread; return self."""
        if self._server is None:
            self._server = SimulatorHTTPServer(self._address, self.app)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="aitoearn-simulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the ``simulate`` command)."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(timeout=0.5)
        finally:
            self.stop()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what a client needs -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() or use 'with'")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_key(self) -> str:
        """The key that owns the world's main tasks."""
        return self.world.api_keys[0]

    @property
    def other_api_key(self) -> str:
        """A second valid key, owning a few tasks of its own: for list and owner-only tests."""
        return self.world.api_keys[1]

    @property
    def task_ids(self) -> list[str]:
        """IDs of the main key's tasks, oldest first (arrivals included, whether due or not)."""
        return self.world.task_ids(0)

    def write_task_ids(self, path: str | Path) -> Path:
        """Write the IDs of the main key's tasks that exist now, one per line; return the path."""
        path = Path(path)
        ids = self.world.task_ids(0, at=self.clock.now())
        path.write_text("\n".join(ids) + "\n", encoding="utf-8")
        return path

    # --- faults, reads and the log -----------------------------------------------------------

    @property
    def faults(self) -> FaultPlan:
        return self.app.faults

    @faults.setter
    def faults(self, plan: FaultPlan | str | None) -> None:
        self.app.faults = plan if isinstance(plan, FaultPlan) else FaultPlan.parse(plan)

    @property
    def owner_only(self) -> bool:
        """Whether a key is refused another key's task; changeable while running."""
        return self.app.owner_only

    @owner_only.setter
    def owner_only(self, value: bool) -> None:
        self.app.owner_only = value

    @property
    def request_log(self) -> list[LoggedRequest]:
        """Every request served so far, in arrival order (a copy)."""
        with self.app._lock:
            return list(self.app.log)

    def request_counts(self) -> Counter[str]:
        """How many times each task ID was asked for (by-ID requests only)."""
        return Counter(entry.task_id for entry in self.request_log if entry.route == "task")

    def reset_log(self) -> None:
        """Forget the requests served so far."""
        self.app.reset_log()

    @property
    def open_connections(self) -> int:
        """Client connections the server is handling now (0 once every client has gone)."""
        return self._server.open_connections if self._server is not None else 0

    def __repr__(self) -> str:
        where = self.base_url if self._server is not None else "stopped"
        return f"<Simulator {len(self.world.tasks)} tasks, seed={self.world.seed}, {where}>"
