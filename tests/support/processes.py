"""Command-line processes a test starts: Ctrl-C handling set explicitly, always stopped.

A child inherits the signal dispositions of whoever started the suite. Started in the
background (``cmd &`` in a script, ``nohup``, some CI runners), SIGINT is ignored, and a test
that sends Ctrl-C to the command would wait for a stop that never comes. So the command is
started through a one-line launcher that sets SIGINT to its default and then ``exec``\\ s the
command in the same process (same PID: signals sent to it reach the command itself).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Literal

# Runs in the child before the command: Python installs its Ctrl-C handler at start-up only
# when SIGINT is not ignored, and exec keeps a default or ignored disposition as it is.
_LAUNCHER = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_{}); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


def cli_command(*args: str, ctrl_c: Literal["default", "ignored"] = "default") -> list[str]:
    """``python -m aitoearn_lab ARGS``, started with Ctrl-C as said, whatever this process has."""
    launcher = _LAUNCHER.format("DFL" if ctrl_c == "default" else "IGN")
    return [sys.executable, "-c", launcher, "-m", "aitoearn_lab", *args]


@contextmanager
def running(
    command: list[str], *, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """Start ``command`` (text pipes for stdout and stderr) in its own process group.

    On the way out, whether the test passed or failed, the group is killed if still running,
    the process reaped and its pipes closed: a failing test leaves nothing running and no open
    file for a later test's garbage collection to report.
    """
    process = subprocess.Popen(
        command,
        env=None if env is None else dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group: killpg reaches it and nothing of ours
    )
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[str]) -> None:
    """Kill ``process``'s group if it is still running, reap it and close its pipes."""
    if process.poll() is None:
        with suppress(ProcessLookupError):  # it ended between the poll and the kill
            os.killpg(process.pid, signal.SIGKILL)
    # Popen's own exit: closes the pipes, then waits for the process.
    process.__exit__(None, None, None)
