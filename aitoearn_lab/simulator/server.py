"""The HTTP side of the simulator: routing, auth, envelopes, faults and a request log.

A stdlib ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive. Two settings matter for
speed on loopback: Nagle's algorithm off (or each answer waits ~40 ms for a delayed ACK) and a
listen backlog large enough for every client worker to connect at once.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson

from aitoearn_lab import schema
from aitoearn_lab.simulator.clock import Clock
from aitoearn_lab.simulator.faults import FaultKind, FaultPlan, unit_interval
from aitoearn_lab.simulator.world import TimestampMode, World

_PROXY_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_PROXY_REASONS = {
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One request as the server saw it. The API key is never kept, only whose it was."""

    at: float
    task_id: str
    owner: int | None
    outcome: str
    """``ok``, an envelope code such as ``12302``, or the fault served (``drop``, ...)."""


class SimulatorApp:
    """What the server answers, independent of sockets: world + clock + faults + log."""

    def __init__(
        self, world: World, clock: Clock, *, faults: FaultPlan, timestamps: TimestampMode
    ) -> None:
        self.world = world
        self.clock = clock
        self.faults = faults
        self.timestamps: TimestampMode = timestamps
        self.log: list[LoggedRequest] = []
        self._attempts: Counter[str] = Counter()
        self._owner_of_key = {key: index for index, key in enumerate(world.api_keys)}
        self._lock = threading.Lock()

    def reset_log(self) -> None:
        """Forget past requests (and the per-ID attempt counts that first-only faults use)."""
        with self._lock:
            self.log.clear()
            self._attempts.clear()

    def _record(self, task_id: str, owner: int | None, outcome: str) -> None:
        with self._lock:
            self.log.append(LoggedRequest(self.clock.now(), task_id, owner, outcome))

    def answer(
        self, path: str, api_key: str | None
    ) -> tuple[int, dict[str, str], bytes, FaultKind | None]:
        """``(HTTP status, headers, body, fault)`` for a GET of ``path``."""
        route = urlsplit(path).path
        if not route.startswith(schema.TASK_PATH) or "/" in route[len(schema.TASK_PATH) :]:
            body = orjson.dumps(
                {
                    "code": 404,
                    "message": f"Cannot GET {route[:200]}",
                    "data": {},
                    "timestamp": int(time.time() * 1000),
                    "requestId": secrets.token_hex(12),
                }
            )
            self._record(route[:200], None, "404")
            return 404, _JSON, body, None
        task_id = unquote(route[len(schema.TASK_PATH) :], errors="replace")
        with self._lock:
            attempt = self._attempts[task_id]
            self._attempts[task_id] += 1
        faults = self.faults
        delay = faults.delay(task_id, attempt)
        if delay > 0:
            time.sleep(delay)  # latency is what the simulated network does, not a test waiting
        fault = faults.choose(task_id, attempt) if faults.active else None
        owner = self._owner_of_key.get(api_key or "")
        if fault is not None and fault != "timeout":
            self._record(task_id, owner, fault)
            status, headers, body = _faulty_answer(fault, faults, task_id, attempt)
            return status, headers, body, fault
        if fault == "timeout":
            time.sleep(faults.timeout_delay)
        code, data = self._resolve(task_id, owner)
        self._record(task_id, owner, "ok" if code == schema.CODE_OK else str(code))
        request_id = secrets.token_hex(12)
        if code == schema.CODE_OK:
            envelope = schema.success_envelope(data, request_id=request_id)
        else:
            envelope = schema.error_envelope(
                code, request_id=request_id, timestamp_ms=int(self.clock.now() * 1000)
            )
        return 200, _JSON, orjson.dumps(envelope), fault

    def _resolve(self, task_id: str, owner: int | None) -> tuple[int, Any]:
        # Guards run before validation on the real server: a bad key wins over a bad ID.
        if owner is None:
            return schema.CODE_UNAUTHORIZED, None
        if not schema.is_well_formed_task_id(task_id):
            return schema.CODE_VALIDATION_FAILED, None
        task = self.world.tasks.get(task_id.lower())
        if task is None or task.owner != owner:
            return schema.CODE_INVALID_TASK_ID, None
        view = task.view(self.clock.now(), self.timestamps)
        if view is None:
            return schema.CODE_INVALID_TASK_ID, None
        return schema.CODE_OK, view


_JSON = {"Content-Type": "application/json; charset=utf-8"}


def _faulty_answer(
    fault: FaultKind, faults: FaultPlan, task_id: str, attempt: int
) -> tuple[int, dict[str, str], bytes]:
    variant = int(unit_interval(faults.seed, "variant", task_id, attempt) * 3)
    if fault == "server_error":
        status = (502, 503, 504)[variant]
        page = _PROXY_PAGE.format(status=status, reason=_PROXY_REASONS[status])
        return status, {"Content-Type": "text/html"}, page.encode()
    if fault == "rate_limit":
        retry_after = f"{faults.retry_after:g}"
        return 429, {"Content-Type": "text/plain", "Retry-After": retry_after}, b"Too Many Requests"
    if fault == "malformed":
        if variant == 0:
            return (
                200,
                {"Content-Type": "text/html"},
                b"<html><body>Service restarting</body></html>",
            )
        if variant == 1:
            return 200, _JSON, b""
        truncated = orjson.dumps(
            {"code": 0, "message": "请求成功", "data": {"id": task_id, "model": "x"}}
        )
        return 200, _JSON, truncated[: len(truncated) // 2]
    return 0, {}, b""  # "drop": the handler closes the connection without answering


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "nginx"
    sys_version = ""
    server: SimulatorHTTPServer

    def do_GET(self) -> None:
        status, headers, body, fault = self.server.app.answer(
            self.path, self.headers.get(schema.API_KEY_HEADER)
        )
        if fault == "drop":
            self.close_connection = True
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the simulator keeps its own log, without keys."""


class SimulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], app: SimulatorApp) -> None:
        self.app = app
        self.open_connections = 0
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:  # counted before the thread starts: no gap to miss
            self.open_connections += 1
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self.open_connections -= 1

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer is normal here; do not print a traceback."""
