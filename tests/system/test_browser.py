"""The dashboard in Voila and JupyterLab, and the HTML report, in Chromium driven by Playwright."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support import ROOT
from tests.support.browser import (
    AXIS_TICKS,
    KPI,
    VOILA_SHELL_WARNINGS,
    Console,
    active_line,
    browser_page,
    chart_fill,
    jupyterlab_server,
    notebook_env,
    nudge_slider,
    offline_voila_fonts,
    open_tab,
    require_chromium,
    screenshot_dir,
    tab_titles,
    voila_server,
    wait_for_active_line,
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


def exercise_dashboard(page: Any, console: Console, shots: Path, name: str) -> None:
    """Every filter changed, every tab opened, the small and empty states and a resize: the
    charts fill their boxes, the active-filter line follows and the console stays clean."""
    from aitoearn_lab.charts.registry import DASHBOARD_CHARTS

    page.wait_for_selector(KPI.format("tasks"), timeout=180_000)
    assert chart_fill(page, 0) >= 0.9, "the first chart fills its box at 1440 px"
    line = active_line(page)
    assert "no filters on" in line
    assert int(page.inner_text(KPI.format("tasks")).replace(",", "")) > 1000
    page.screenshot(path=str(shots / f"{name}.png"), full_page=False)
    titles = tab_titles(page)
    assert titles == [chart.title for chart in DASHBOARD_CHARTS]
    for index in range(1, len(titles)):
        open_tab(page, index)
        assert chart_fill(page, index) >= 0.9, titles[index]
        chart = DASHBOARD_CHARTS[index]
        if chart.answer is not None:  # the answer in words sits above its chart
            said = page.locator(f".lab-answer-{index} .lab-answer")
            assert said.inner_text().strip(), titles[index]
            said.evaluate("element => element.scrollIntoView({block: 'start'})")  # its chart below
            page.screenshot(path=str(shots / f"{name}-{chart.key}.png"), full_page=False)
    open_tab(page, 0)
    assert page.inner_text(".lab-answer-0 .lab-answer").startswith("Fastest usable video")

    models = page.locator(".lab-filter-model select option").all_inner_texts()
    assert len(models) >= 5
    assert page.locator(".lab-filter-model select").get_attribute("size") == str(len(models))
    page.select_option(".lab-filter-model select", models[:3])
    line = wait_for_active_line(page, "Model: " + ", ".join(models[:3]))
    page.select_option(".lab-filter-state select", ["succeeded", "failed"])
    line = wait_for_active_line(page, "State: succeeded, failed")
    resolutions = page.locator(".lab-filter-resolution select option").all_inner_texts()
    page.select_option(".lab-filter-resolution select", resolutions[:1])
    line = wait_for_active_line(page, f"Resolution: {resolutions[0]}")
    nudge_slider(page, ".lab-filter-date", "upper", "ArrowLeft", times=3)
    first, last = page.inner_text(".lab-filter-date .widget-readout").split("-")
    line = wait_for_active_line(page, f"Submitted: {first.strip()} – {last.strip()} UTC")
    nudge_slider(page, ".lab-filter-duration", "lower", "ArrowRight", times=2)
    line = wait_for_active_line(
        page, f"Length: {page.inner_text('.lab-filter-duration .widget-readout')} s"
    )
    assert "Model: " in line and "State: " in line and "Resolution: " in line
    page.screenshot(path=str(shots / f"{name}-filtered.png"), full_page=False)
    for index in range(1, len(titles)):
        open_tab(page, index)
    open_tab(page, 0)

    page.locator(".lab-dashboard button:has-text('Reset filters')").click()
    line = wait_for_active_line(page, "no filters on")
    page.select_option(".lab-filter-state select", ["failed"])  # no turnaround to draw
    line = wait_for_active_line(page, "State: failed")
    page.wait_for_selector(".lab-chart-0 :text('No model has a usable video yet')", timeout=60_000)
    assert page.evaluate(AXIS_TICKS, 0) == 0, "a chart with nothing to draw shows no axis"
    page.locator(".lab-chart-0").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"{name}-small.png"), full_page=False)

    page.select_option(".lab-filter-model select", [])  # nothing selected at all
    line = wait_for_active_line(page, "Model: none")
    assert "Showing 0 of" in line
    for index in range(len(titles)):
        open_tab(page, index)
        plot = f".lab-chart-{index}"
        said = (
            "Nothing to show",
            "No task",
            "No finished",
            "No unfinished",
            "No failed",
            "No model",
        )
        page.wait_for_selector(", ".join(f"{plot} :text('{words}')" for words in said))
        assert page.evaluate(AXIS_TICKS, index) == 0, titles[index]
    assert "No tasks match the filters" in page.inner_text(".lab-dashboard")
    open_tab(page, 0)
    page.locator(".lab-headline").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"{name}-empty.png"), full_page=False)

    page.locator(".lab-dashboard button:has-text('Reset filters')").click()
    wait_for_active_line(page, "no filters on")
    cut = page.evaluate(
        "() => Array.from(document.querySelectorAll('.lab-dashboard button'))"
        ".filter(b => b.scrollWidth > b.clientWidth + 1).map(b => b.innerText)"
    )
    assert cut == [], f"button labels cut off: {cut}"
    refresh = page.locator(".lab-dashboard button:has-text('Refresh unfinished')")
    if refresh.count():  # new choices may come with the answers: the lists are renewed
        refresh.click()
        page.wait_for_selector(".lab-status :text('Asked again')", timeout=120_000)
    page.set_viewport_size({"width": 1000, "height": 900})
    page.wait_for_function(
        "() => { const p = document.querySelector('.lab-chart-0.js-plotly-plot');"
        " return p && p.parentElement.getBoundingClientRect().width < 1000; }",
        timeout=30_000,
    )
    assert chart_fill(page, 0) >= 0.9, "the chart follows its box down to 1000 px"
    assert console.problems() == [], console.problems()


def quiet_jupyterlab(page: Any) -> None:
    """Answer JupyterLab's news question and fold its file browser: the notebook gets the room."""
    asked = page.locator(
        ".jp-Notification-Toast button:has-text('No'), .Toastify button:text-is('No')"
    )
    if asked.count():
        asked.first.click()
    browser_tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if browser_tab.count():
        browser_tab.first.click()


@pytest.mark.slow
def test_dashboard_in_voila(tmp_path: Path) -> None:
    require_chromium()
    notebook = ROOT / "notebooks" / "03_dashboard.ipynb"
    with voila_server(notebook, env=notebook_env(tmp_path)) as url, browser_page(1440) as page:
        console = Console(page, ignore=VOILA_SHELL_WARNINGS)
        offline_voila_fonts(page)
        page.goto(url, wait_until="domcontentloaded", timeout=120_000)
        try:
            exercise_dashboard(page, console, screenshot_dir(tmp_path), "dashboard-voila")
        except Exception:
            page.screenshot(path=str(tmp_path / "voila-failed.png"))
            raise


@pytest.mark.slow
def test_dashboard_in_jupyterlab(tmp_path: Path) -> None:
    require_chromium()
    import shutil

    shutil.copy(ROOT / "notebooks" / "03_dashboard.ipynb", tmp_path / "03_dashboard.ipynb")
    with (
        jupyterlab_server(tmp_path, env=notebook_env(tmp_path), token="lab-test") as url,
        browser_page(1440) as page,
    ):
        console = Console(page)
        page.goto(f"{url}lab/tree/03_dashboard.ipynb?token=lab-test", wait_until="domcontentloaded")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        # "Run All Cells" is dropped while the notebook has no kernel yet: wait until it is idle.
        page.wait_for_selector(".jp-StatusBar-TextItem:has-text(' | Idle')", timeout=120_000)
        page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
        page.click("li.lm-Menu-item:has-text('Run All Cells')")
        try:
            page.wait_for_selector(KPI.format("tasks"), timeout=180_000)
            quiet_jupyterlab(page)
            page.locator(".lab-dashboard").scroll_into_view_if_needed()
            exercise_dashboard(page, console, screenshot_dir(tmp_path), "dashboard-jupyterlab")
        except Exception:
            page.screenshot(path=str(tmp_path / "jupyterlab-failed.png"))
            shown = page.inner_text("body")[-1500:]
            raise AssertionError(
                f"the dashboard in JupyterLab failed; the page ends with: {shown}"
            ) from None


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
    with browser_page(width=1440, height=1000) as page:
        console = Console(page)
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
        widths = page.evaluate(
            "() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(p =>"
            " [p.querySelector('.main-svg').getBoundingClientRect().width,"
            "  p.parentElement.getBoundingClientRect().width])"
        )
    assert console.problems() == [], console.problems()
    assert all(width >= 0.9 * box for width, box in widths), widths
    assert rendered == expected_charts >= 6
    assert asked == [], f"the report asked the network for {asked[:3]}"
    assert dialogs == [] and hostile is None
    assert handlers == 0, "no element from task text reached the page"
    assert "<script>window.__xss=3</script>" in text, "the error message shows as text"
    assert any("&lt;img src=x onerror=" in hover for hover in hover_texts), (
        "the prompt is in the hover text, escaped"
    )
    assert not any("<img" in hover or "<script" in hover for hover in hover_texts)
