"""Cuts a connection whose answer has not begun by its deadline, even while headers trickle in.

``timeout`` bounds each socket read, and :func:`aitoearn_lab.client.wire.exchange` checks the
deadline between reads of the body. A read that is still waiting (a status line or headers sent
a byte at a time) can only be ended from another thread: the sessions this package makes
(:func:`aitoearn_lab.client.session.new_session`) use connections that, while they wait for the
head of an answer, are watched by one daemon thread, which shuts the socket down once the
deadline of the request (in real seconds) has passed. The read then ends at once, as a dropped
connection that ``exchange`` reports as the deadline. A session of the caller's own has its
body held to the deadline, its head to ``timeout`` per read.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_request = threading.local()  # .until: the monotonic time by which this thread's answer is due


@contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """While inside, a watched connection of this thread is cut ``seconds`` from now; yields
    the monotonic time of the cut."""
    until = time.monotonic() + seconds
    _request.until = until
    try:
        yield until
    finally:
        _request.until = None


class _Watchdog:
    """One daemon thread for every watched socket: a heap of deadlines, earliest first."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int]] = []
        self._live: dict[int, socket.socket] = {}
        self._tokens = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, sock: socket.socket, until: float) -> int:
        token = next(self._tokens)
        with self._changed:
            self._live[token] = sock
            heapq.heappush(self._due, (until, token))
            if len(self._due) > 64 and len(self._due) > 2 * len(self._live):
                # Released entries are dropped lazily; rebuild before they pile up.
                self._due = [entry for entry in self._due if entry[1] in self._live]
                heapq.heapify(self._due)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="aitoearn-deadline", daemon=True
                )
                self._thread.start()
            elif self._due[0][1] == token:
                self._changed.notify()
        return token

    def release(self, token: int) -> None:
        with self._changed:
            self._live.pop(token, None)

    def _run(self) -> None:
        with self._changed:
            while True:
                while self._due and self._due[0][1] not in self._live:
                    heapq.heappop(self._due)
                if not self._due:
                    self._changed.wait()
                    continue
                until, token = self._due[0]
                left = until - time.monotonic()
                if left > 0:
                    self._changed.wait(left)
                    continue
                heapq.heappop(self._due)
                _cut(self._live.pop(token))


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)  # wakes the waiting read; the owner closes the socket


WATCHDOG = _Watchdog()


class _Watched:
    """Mixed into urllib3's connections: the wait for the head of an answer is watched."""

    sock: socket.socket | None

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        until = getattr(_request, "until", None)
        if until is None or self.sock is None:
            return super().getresponse(*args, **kwargs)  # type: ignore[misc]
        token = WATCHDOG.watch(self.sock, until)
        try:
            return super().getresponse(*args, **kwargs)  # type: ignore[misc]
        finally:
            WATCHDOG.release(token)


class WatchedHTTPConnection(_Watched, HTTPConnection):
    """An HTTP connection whose wait for an answer's head is held to the request's deadline."""


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    """An HTTPS connection whose wait for an answer's head is held to the request's deadline."""


class WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection
