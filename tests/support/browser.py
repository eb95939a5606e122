"""Helpers for the browser tests: Debian's Chromium driven by Playwright, Voila on loopback.

Playwright never downloads a browser here: it drives ``/usr/bin/chromium`` (or whatever
``AITOEARN_LAB_CHROMIUM`` names). Where Chromium is missing, the browser tests are skipped with
a reason that says how to install it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Debian's Chromium, or the one ``AITOEARN_LAB_CHROMIUM`` names."""
    candidate = (
        os.environ.get("AITOEARN_LAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    )
    return candidate if Path(candidate).exists() else None


def require_chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip(
            "BROWSER TEST SKIPPED: Chromium not found. Install Debian's package "
            "(apt-get install -y chromium) or set AITOEARN_LAB_CHROMIUM; .ci/run installs it."
        )
    return path


def screenshot_dir(fallback: Path) -> Path:
    """Where screenshots go: ``AITOEARN_LAB_SCREENSHOTS`` (``make screenshots``) or ``fallback``."""
    target = Path(os.environ.get("AITOEARN_LAB_SCREENSHOTS") or fallback)
    target.mkdir(parents=True, exist_ok=True)
    return target


@contextmanager
def browser_page(width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A fresh Chromium page; the browser closes when the block ends."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def voila_server(notebook: Path, *, env: dict[str, str], timeout: float = 90.0) -> Iterator[str]:
    """Serve ``notebook`` with Voila on 127.0.0.1; yield its URL; stop it afterwards."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.open_browser=False",
        "--VoilaConfiguration.show_tracebacks=True",
    ]
    with _server(
        command, cwd=notebook.parent, env=env, port=port, probe="api", timeout=timeout
    ) as url:
        yield url


@contextmanager
def jupyterlab_server(
    folder: Path, *, env: dict[str, str], token: str, timeout: float = 90.0
) -> Iterator[str]:
    """JupyterLab on 127.0.0.1 serving ``folder``; yield its base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={folder}",
    ]
    with _server(command, cwd=folder, env=env, port=port, probe="api", timeout=timeout) as url:
        yield url


@contextmanager
def _server(
    command: list[str], *, cwd: Path, env: dict[str, str], port: int, probe: str, timeout: float
) -> Iterator[str]:
    log = Path(env.get("TMPDIR") or tempfile.gettempdir()) / f"server-{port}.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[2]} exited early: {log.read_text()[-2000:]}")
            try:
                if requests.get(url + probe, timeout=2).status_code < 500:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{command[2]} did not start in {timeout:.0f} s: {log.read_text()[-2000:]}"
                )
            time.sleep(0.25)  # polling a server that is starting, not waiting out behaviour
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def notebook_env(tmp_path: Path) -> dict[str, str]:
    """The environment for kernels: no API key, a private cache, no network beyond loopback."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AITOEARN_")}
    env.update(
        {
            "AITOEARN_LAB_CACHE": str(tmp_path / "cache.sqlite"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "NO_PROXY": "127.0.0.1,localhost",
            "TMPDIR": str(tmp_path),
            "PYTHONWARNINGS": "ignore::DeprecationWarning",
        }
    )
    return env
