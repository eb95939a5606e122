"""The dashboard served by Voila and the HTML report, in Debian's Chromium driven by Playwright."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .browser_support import (
    ROOT,
    browser_page,
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
        page.screenshot(path=str(screenshot_dir(tmp_path) / "dashboard.png"), full_page=False)
