"""The dashboard in Voila and JupyterLab, and the HTML report, in Chromium driven by Playwright."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support import ROOT
from tests.support.browser import (
    browser_page,
    jupyterlab_server,
    notebook_env,
    require_chromium,
    screenshot_dir,
    voila_server,
)

pytestmark = pytest.mark.browser

HEADLINE = ".lab-kpi[data-kpi='{}'] .lab-kpi-value"
CHART_DATA = """() => {
    const plot = document.querySelector('.lab-chart-0.js-plotly-plot');
    return plot && plot.data ? plot.data.map(t => [t.name, JSON.stringify(t.y ?? t.x ?? null)]) : null;
}"""


def headline(page: Any) -> dict[str, str]:
    return {
        key: page.inner_text(HEADLINE.format(key))
        for key in ("tasks", "success_rate", "p50", "p95")
    }


@pytest.mark.slow
def test_dashboard_in_voila_follows_a_filter(tmp_path: Path) -> None:
    require_chromium()
    notebook = ROOT / "notebooks" / "03_dashboard.ipynb"
    with voila_server(notebook, env=notebook_env(tmp_path)) as url, browser_page() as page:
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
        page.goto(url, wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_selector(HEADLINE.format("tasks"), timeout=180_000)
        page.wait_for_selector(".lab-chart-0 .main-svg", timeout=60_000)
        before, chart_before = headline(page), page.evaluate(CHART_DATA)
        page.evaluate(f"() => {{ window.chartBefore = JSON.stringify(({CHART_DATA})()); }}")
        assert int(before["tasks"].replace(",", "")) > 1000
        page.screenshot(path=str(screenshot_dir(tmp_path) / "dashboard.png"), full_page=False)
        assert chart_before and len(chart_before) >= 2

        models = page.locator(".lab-filter-model select option").all_inner_texts()
        assert len(models) >= 5
        page.select_option(".lab-filter-model select", models[-1])  # keep only the least used model
        tasks_value = HEADLINE.format("tasks")
        page.wait_for_function(
            f"(old) => document.querySelector({tasks_value!r}).innerText !== old",
            arg=before["tasks"],
            timeout=30_000,
        )
        try:
            page.wait_for_function(
                f"() => JSON.stringify(({CHART_DATA})()) !== window.chartBefore", timeout=60_000
            )
        except Exception:
            page.screenshot(path=str(tmp_path / "failed.png"))
            errors = [line for line in console if "error" in line.lower()]
            raise AssertionError(
                f"the chart did not follow the filter; browser errors: {errors[-5:]}"
            ) from None
        after, chart_after = headline(page), page.evaluate(CHART_DATA)
        assert int(after["tasks"].replace(",", "")) < int(before["tasks"].replace(",", ""))
        assert chart_after != chart_before
        assert all(models[-1] in (name or "") for name, _ in chart_after if name)
        page.screenshot(
            path=str(screenshot_dir(tmp_path) / "dashboard-filtered.png"), full_page=False
        )


@pytest.mark.slow
def test_dashboard_in_jupyterlab(tmp_path: Path) -> None:
    require_chromium()
    import shutil

    shutil.copy(ROOT / "notebooks" / "03_dashboard.ipynb", tmp_path / "03_dashboard.ipynb")
    with (
        jupyterlab_server(tmp_path, env=notebook_env(tmp_path), token="lab-test") as url,
        browser_page() as page,
    ):
        page.goto(f"{url}lab/tree/03_dashboard.ipynb?token=lab-test", wait_until="domcontentloaded")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        # "Run All Cells" is dropped while the notebook has no kernel yet: wait until it is idle.
        page.wait_for_selector(".jp-StatusBar-TextItem:has-text(' | Idle')", timeout=120_000)
        page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
        page.click("li.lm-Menu-item:has-text('Run All Cells')")
        try:
            page.wait_for_selector(HEADLINE.format("tasks"), timeout=180_000)
        except Exception:
            page.screenshot(path=str(tmp_path / "jupyterlab-failed.png"))
            shown = page.inner_text("body")[-1500:]
            raise AssertionError(
                f"the dashboard did not appear in JupyterLab; the page ends with: {shown}"
            ) from None
        page.wait_for_selector(".lab-chart-0 .main-svg", timeout=60_000)
        assert int(page.inner_text(HEADLINE.format("tasks")).replace(",", "")) > 1000


XSS_PROMPT = '<img src=x onerror="window.__xss=1;alert(1)"> & <script>window.__xss=2</script>'
XSS_ERROR = "<script>window.__xss=3</script> failed at <b onmouseover=alert(4)>"
HOVER_TEXTS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(plot =>
    (plot.data || []).flatMap(trace => [trace.hovertext, trace.text, trace.customdata].flat(3))
).filter(value => typeof value === 'string')"""


def hostile_tasks() -> Any:
    from aitoearn_lab.frame.build import FetchInfo, build_frame
    from aitoearn_lab.simulator import World

    world = World.generate(tasks=400, seed=5, anchor=1782993600.0)
    records = [world.tasks[t].view(1782993600.0) for t in world.task_ids()]
    failed = next(r for r in records if r and r["status"] == "FAILURE")
    failed["input"] = {**failed["input"], "prompt": XSS_PROMPT}
    failed["error"] = {"message": XSS_ERROR}
    slow = next(r for r in records if r and r["status"] == "SUCCESS")
    slow["input"] = {**slow["input"], "prompt": XSS_PROMPT}
    slow["finishedAt"] = "2026-07-02T11:59:59.000Z"  # among the slowest: its hover text is drawn
    fetched = FetchInfo(
        task_ids=[r["id"] for r in records],  # type: ignore[index]
        api_codes=[0] * len(records),
        fetch_errors=[None] * len(records),
        fetched_at=[1782993600.0] * len(records),  # fetched at the world's "now"
        from_cache=[False] * len(records),
    )
    return build_frame(records, fetched)  # type: ignore[arg-type]


@pytest.mark.slow
def test_report_opens_offline_with_every_chart_and_runs_nothing_from_tasks(tmp_path: Path) -> None:
    require_chromium()
    from aitoearn_lab import Report

    report = Report(hostile_tasks())
    html_file = report.write(tmp_path / "report")["html"]
    # Every chart the page holds (an empty section says so in words; the trend is drawn twice).
    expected_charts = html_file.read_text("utf-8").count("Plotly.newPlot(")
    with browser_page(width=1300, height=1000) as page:
        asked: list[str] = []
        dialogs: list[str] = []

        def block_network(route: Any) -> None:
            asked.append(route.request.url)
            route.abort()

        page.route("http://**/*", block_network)
        page.route("https://**/*", block_network)
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(html_file.as_uri(), wait_until="load")
        page.wait_for_function(
            f"() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= {expected_charts}",
            timeout=60_000,
        )
        rendered = page.evaluate("() => document.querySelectorAll('.js-plotly-plot').length")
        hover_texts = page.evaluate(HOVER_TEXTS)
        handlers = page.evaluate(
            "() => document.querySelectorAll('[onerror], [onmouseover], body img').length"
        )
        text = page.inner_text("body")
        hostile = page.evaluate("() => window.__xss")
        page.screenshot(path=str(screenshot_dir(tmp_path) / "report.png"), full_page=False)
    assert rendered == expected_charts >= 6
    assert asked == [], f"the report asked the network for {asked[:3]}"
    assert dialogs == [] and hostile is None
    assert handlers == 0, "no element from task text reached the page"
    assert "<script>window.__xss=3</script>" in text, "the error message shows as text"
    assert any("&lt;img src=x onerror=" in hover for hover in hover_texts), (
        "the prompt is in the hover text, escaped"
    )
    assert not any("<img" in hover or "<script" in hover for hover in hover_texts)
