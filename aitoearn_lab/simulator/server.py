"""The HTTP side of the simulator: routing, auth, envelopes, faults and a request log.

A stdlib ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive. Two settings matter for
speed on loopback: Nagle's algorithm off (or each answer waits ~40 ms for a delayed ACK) and a
listen backlog large enough for every client worker to connect at once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from aitoearn_lab import schema
from aitoearn_lab.simulator import envelopes
from aitoearn_lab.simulator.clock import Clock
from aitoearn_lab.simulator.faults import FaultKind, FaultPlan, unit_interval
from aitoearn_lab.simulator.listing import (
    LIST_PATH,
    MODELS_PATH,
    PageRequestError,
    TaskIndex,
    models_answer,
    page_request,
)
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
    """The task ID asked for; for other routes, the path and query (never a header)."""
    owner: int | None
    outcome: str
    """``ok``, an envelope code such as ``12302``, or the fault served (``drop``, ...)."""
    route: str = "task"
    """``task``, ``list``, ``models`` or ``unknown``."""


@dataclass(frozen=True, slots=True)
class Request:
    """What the server reads from a request: method, path and the headers that matter."""

    method: str
    path: str
    api_key: str | None = None
    accept_language: str | None = None
    request_id: str | None = None


Answer = tuple[int, dict[str, str], bytes, FaultKind | None]
"""``(HTTP status, headers, body, fault served)``."""


class SimulatorApp:
    """What the server answers, independent of sockets: world + clock + faults + log."""

    def __init__(
        self,
        world: World,
        clock: Clock,
        *,
        faults: FaultPlan,
        timestamps: TimestampMode = "public-code",
        owner_only: bool = False,
    ) -> None:
        self.world = world
        self.clock = clock
        self.faults = faults
        self.timestamps: TimestampMode = timestamps
        self.owner_only = owner_only
        self.log: list[LoggedRequest] = []
        self._attempts: Counter[str] = Counter()
        self._owner_of_key = {key: index for index, key in enumerate(world.api_keys)}
        self._index = TaskIndex(world.tasks.values())
        self._lock = threading.Lock()

    def reset_log(self) -> None:
        """Forget past requests (and the per-ID attempt counts that first-only faults use)."""
        with self._lock:
            self.log.clear()
            self._attempts.clear()

    def _record(self, target: str, owner: int | None, outcome: str, route: str) -> None:
        with self._lock:
            self.log.append(LoggedRequest(self.clock.now(), target, owner, outcome, route))

    def answer(self, request: Request) -> Answer:
        """The answer to one request."""
        parts = urlsplit(request.path)
        route = parts.path
        chinese = envelopes.wants_chinese(request.accept_language)
        request_id = envelopes.request_id(request.request_id)
        owner = self._owner_of_key.get(request.api_key or "")
        # Express, under the real server, matches a route with or without a trailing slash.
        bare = route.removesuffix("/") if route != "/" else route
        if request.method == "GET" and bare == MODELS_PATH:
            kind, target = "models", bare
        elif request.method == "GET" and bare == LIST_PATH:
            kind, target = "list", _list_target(parts.query)
        elif (
            request.method == "GET"
            and route.startswith(schema.TASK_PATH)
            and "/" not in route[len(schema.TASK_PATH) :]
        ):
            kind = "task"
            target = unquote(route[len(schema.TASK_PATH) :], errors="replace")
        else:
            # The public server answers an unknown route or method with HTTP 200 and code 404.
            text = f"Cannot {request.method[:10]} {route[:200]}"
            envelope = envelopes.error(
                404, request_id=request_id, now=self.clock.now(), chinese=chinese, text=text
            )
            self._record(route[:200], owner, "404", "unknown")
            return 200, _json_headers(request_id), orjson.dumps(envelope), None

        with self._lock:
            attempt = self._attempts[target]
            self._attempts[target] += 1
        faults = self.faults
        delay = faults.delay(target, attempt)
        if delay > 0:
            time.sleep(delay)  # latency is what the simulated network does, not a test waiting
        fault = faults.choose(target, attempt) if faults.active else None
        if fault is not None and fault != "timeout":
            self._record(target, owner, fault, kind)
            status, headers, body = _faulty_answer(fault, faults, target, attempt)
            return status, headers, body, fault
        if fault == "timeout":
            time.sleep(faults.timeout_delay)
        if kind == "models":
            code, data = schema.CODE_OK, models_answer()
        elif kind == "list":
            code, data = self._list(parse_qs(parts.query, keep_blank_values=True), owner)
        else:
            code, data = self._resolve(target, owner)
        self._record(target, owner, "ok" if code == schema.CODE_OK else str(code), kind)
        if code == schema.CODE_OK:
            envelope = envelopes.success(data, request_id=request_id, chinese=chinese)
        else:
            envelope = envelopes.error(
                code, request_id=request_id, now=self.clock.now(), chinese=chinese
            )
        return 200, _json_headers(request_id), orjson.dumps(envelope), fault

    def _resolve(self, task_id: str, owner: int | None) -> tuple[int, Any]:
        # Guards run before validation on the real server: a bad key wins over a bad ID.
        if owner is None:
            return schema.CODE_UNAUTHORIZED, None
        if not schema.is_well_formed_task_id(task_id):
            return schema.CODE_VALIDATION_FAILED, None
        task = self.world.tasks.get(task_id.lower())
        # The public GET looks a task up by ID alone; a stricter server checks the owner.
        if task is None or (self.owner_only and task.owner != owner):
            return schema.CODE_INVALID_TASK_ID, None
        view = task.view(self.clock.now(), self.timestamps)
        if view is None:  # not created yet at this moment of the world
            return schema.CODE_INVALID_TASK_ID, None
        return schema.CODE_OK, view

    def _list(self, query: dict[str, list[str]], owner: int | None) -> tuple[int, Any]:
        if owner is None:
            return schema.CODE_UNAUTHORIZED, None
        try:
            page, page_size = page_request(query)
        except PageRequestError:
            return schema.CODE_VALIDATION_FAILED, None
        data = self._index.page(
            owner,
            page=page,
            page_size=page_size,
            now=self.clock.now(),
            timestamps=self.timestamps,
        )
        return schema.CODE_OK, data


_JSON = {"Content-Type": "application/json; charset=utf-8"}


def _list_target(query: str) -> str:
    """The list request as the log keeps it: only the paging parameters, whatever else came."""
    values = parse_qs(query, keep_blank_values=True)
    kept = "&".join(
        f"{name}={values[name][-1][:20]}" for name in ("page", "pageSize") if name in values
    )
    return f"{LIST_PATH}?{kept}" if kept else LIST_PATH


def _json_headers(request_id: str) -> dict[str, str]:
    return {**_JSON, "x-request-id": request_id}


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

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:  # read a body nobody uses, so the next request on the connection parses
            self.rfile.read(min(length, 1 << 20))
            self.close_connection = length > 1 << 20
        request = Request(
            method=self.command,
            path=self.path,
            api_key=self.headers.get(schema.API_KEY_HEADER),
            accept_language=self.headers.get("Accept-Language"),
            request_id=self.headers.get(envelopes.REQUEST_ID_HEADER),
        )
        status, headers, body, fault = self.server.app.answer(request)
        if fault == "drop":
            self.close_connection = True
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

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
