"""Helpers for the browser tests: Debian's Chromium driven by Playwright, Voila on loopback.

Playwright never downloads a browser here: it drives ``/usr/bin/chromium`` (or whatever
``AITOEARN_LAB_CHROMIUM`` names). Where Chromium is missing, the browser tests are skipped with
a reason that says how to install it.
"""

from __future__ import annotations

import contextlib
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


# --- the dashboard, driven as a person would ------------------------------------------------------

KPI = ".lab-kpi[data-kpi='{}'] .lab-kpi-value"
ACTIVE = ".lab-active-filters .lab-active"
CHART_WIDTH = """(index) => {
    const plot = document.querySelector(`.lab-chart-${index}.js-plotly-plot`);
    if (!plot) return null;
    const svg = plot.querySelector('.main-svg');
    const box = plot.parentElement.getBoundingClientRect().width;
    return [svg ? svg.getBoundingClientRect().width : 0, box];
}"""
AXIS_TICKS = """(index) => document.querySelectorAll(
    `.lab-chart-${index} .xtick, .lab-chart-${index} .ytick`).length"""


VOILA_SHELL_WARNINGS = (
    # Webpack's module federation, while Voila 0.5 (built on JupyterLab 4.2) loads the widget
    # manager's extension (built for JupyterLab 4.6): said by the page shell before any widget
    # exists, the same for every notebook Voila serves.
    "Unsatisfied version ",
    "No satisfying version ",
)
"""Warnings of Voila's own page, not of the dashboard; every other one fails a test."""


def offline_voila_fonts(page: Any) -> None:
    """Answer Voila's template's Font Awesome request (a CDN this machine cannot reach) with an
    empty stylesheet, so a blocked network does not show up as console errors of the page."""
    page.route(
        "https://cdn.jsdelivr.net/npm/@fortawesome/**",
        lambda route: route.fulfill(status=200, content_type="text/css", body=""),
    )


class Console:
    """Every console message and page error of a page, as ``type: text`` lines."""

    def __init__(self, page: Any, *, ignore: tuple[str, ...] = ()) -> None:
        self.ignore = ignore
        self.lines: list[str] = []
        page.on("console", lambda message: self.lines.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.lines.append(f"pageerror: {error}"))

    def problems(self) -> list[str]:
        """The errors and warnings (``error``, ``warning``, page errors)."""
        return [
            line
            for line in self.lines
            if line.startswith(("error:", "warning:", "pageerror:"))
            and not any(line.split(": ", 1)[1].startswith(text) for text in self.ignore)
        ]


def active_line(page: Any) -> str:
    return str(page.inner_text(ACTIVE))


def wait_for_active_line(page: Any, text: str, timeout: float = 60_000) -> str:
    """Wait until the active-filter line holds ``text``; return the line."""
    page.wait_for_function(
        f"(text) => {{ const l = document.querySelector({ACTIVE!r}); "
        "return l && l.innerText.includes(text); }",
        arg=text,
        timeout=timeout,
    )
    return active_line(page)


def chart_fill(page: Any, index: int, timeout: float = 60_000) -> float:
    """The width of chart ``index`` over the width of its box, once it has settled."""
    page.wait_for_selector(f".lab-chart-{index} .main-svg", timeout=timeout)
    # The chart is resized once its box has its size: wait for that, not for a duration.
    with contextlib.suppress(Exception):
        page.wait_for_function(
            f"() => {{ const w = ({CHART_WIDTH})({index}); return w && w[0] >= 0.9 * w[1]; }}",
            timeout=15_000,
        )
    width, box = page.evaluate(CHART_WIDTH, index)
    return float(width) / float(box) if box else 0.0


def tab_titles(page: Any) -> list[str]:
    return [
        text.strip()
        for text in page.locator(".lab-dashboard .lm-TabBar-tabLabel").all_inner_texts()
    ]


def open_tab(page: Any, index: int) -> None:
    page.locator(".lab-dashboard .lm-TabBar-tab").nth(index).click()
    page.wait_for_selector(f".lab-chart-{index} .main-svg", timeout=90_000)


def nudge_slider(page: Any, css: str, handle: str, key: str, times: int = 1) -> None:
    """Move a range slider's ``lower`` or ``upper`` handle with the keyboard."""
    grip = page.locator(f"{css} .noUi-handle-{handle}")
    grip.focus()
    for _ in range(times):
        grip.press(key)
