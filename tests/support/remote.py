"""A stand-in for the remote AiToEarn service that answers with crafted bytes.

The simulator is faithful and therefore well behaved; the tests also need a peer that is not:
one that answers with a record missing its fields, echoes the caller's key back, redirects
elsewhere, or sends a status line of its own invention. This is a fake of the network peer
only; the client under test talks to it over real loopback HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import orjson

from aitoearn_lab import schema


@dataclass(frozen=True, slots=True)
class Crafted:
    """One answer: HTTP status, headers and body (a dict is sent as JSON).

    ``pieces``, when given, makes the body: each piece is sent as one chunk of a chunked body
    (no ``Content-Length`` unless ``headers`` has one), until the client hangs up. ``hold``
    keeps the connection open after the answer until the client closes it.
    """

    status: int = 200
    body: bytes | dict[str, Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    pieces: Callable[[], Iterable[bytes]] | None = None
    hold: bool = False

    def payload(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else orjson.dumps(self.body)


def envelope(data: object, *, code: int = 0, message: str = "请求成功") -> dict[str, Any]:
    """A success envelope around ``data`` (whatever it is), as the API wraps a task."""
    return {"code": code, "message": message, "data": data, "requestId": "req-0001"}


@dataclass(frozen=True, slots=True)
class Seen:
    """A request as it arrived: the raw path, and the key header (to check where it went)."""

    raw_path: str
    api_key: str | None
    request_id: str | None = None


class RemoteService:
    """Answers ``GET`` with what :attr:`answer` returns for the task ID in the path.

    Every request is recorded in :attr:`seen` with its raw path, so a test can check that the
    client never asked for anything outside the task route.
    """

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.answer: Callable[[str], Crafted] = lambda task_id: Crafted(
            body=envelope({}, code=schema.CODE_INVALID_TASK_ID, message="无效的 AI 任务 ID")
        )
        self.answer_request: Callable[[str, str | None], Crafted] | None = None
        """When set, answers every request from its raw path and key header instead."""
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.hangups = threading.Semaphore(0)
        """Released each time a client closes a connection the server was sending on or holding."""

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def task_ids_asked(self) -> list[str]:
        """The task IDs of every request on the task route, decoded as the server reads them."""
        return [
            unquote(s.raw_path[len(schema.TASK_PATH) :])
            for s in self.seen
            if s.raw_path.startswith(schema.TASK_PATH)
        ]

    def off_route(self) -> list[str]:
        """Raw paths of requests that were not for one task on the task route."""
        return [
            s.raw_path
            for s in self.seen
            if not s.raw_path.startswith(schema.TASK_PATH)
            or "/" in s.raw_path[len(schema.TASK_PATH) :]
            or "?" in s.raw_path
        ]

    def reset(self) -> None:
        with self._lock:
            self.seen.clear()

    @contextmanager
    def running(self) -> Iterator[RemoteService]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # or each answer waits for a delayed ACK

            def do_GET(self) -> None:
                with service._lock:
                    service.seen.append(
                        Seen(
                            self.path,
                            self.headers.get(schema.API_KEY_HEADER),
                            self.headers.get("X-Request-Id"),
                        )
                    )
                task_id = unquote(self.path[len(schema.TASK_PATH) :], errors="replace")
                if service.answer_request is not None:
                    crafted = service.answer_request(
                        self.path, self.headers.get(schema.API_KEY_HEADER)
                    )
                else:
                    crafted = service.answer(task_id)
                self.send_response(crafted.status, crafted.reason)
                for name, value in crafted.headers.items():
                    self.send_header(name, value)
                if "Content-Type" not in crafted.headers:
                    self.send_header("Content-Type", "application/json")
                self.connection.settimeout(30)  # a client that never hangs up frees us anyway
                try:
                    if crafted.pieces is None:
                        payload = crafted.payload()
                        self.send_header("Content-Length", str(len(payload)))
                        self.end_headers()
                        self.wfile.write(payload)
                    else:
                        self._send_pieces(crafted)
                    if crafted.hold and not self.rfile.read(1):
                        service.hangups.release()
                except OSError:  # the client hung up mid-answer
                    self.close_connection = True
                    service.hangups.release()

            def _send_pieces(self, crafted: Crafted) -> None:
                assert crafted.pieces is not None
                chunked = "Content-Length" not in crafted.headers
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for piece in crafted.pieces():
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                    self.wfile.flush()
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.daemon = True
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
            self._server = None
