"""Charts that fill their box: a tiny front-end helper that resizes plots when their box changes.

A plotly ``FigureWidget`` is drawn once, at whatever width its element has then (often none: a
tab that has just opened, a cell not yet on screen), and plotly.js follows only the window's
resizes. This widget, shown once inside the dashboard, watches every chart of the dashboard
(elements with the class :data:`CHART_CLASS`) and, when the box holding one changes size (the
tab opens, the window or the JupyterLab panel is resized), asks that chart to fit it again
through the handler plotly.js installs for ``responsive`` plots.
"""

from __future__ import annotations

from typing import Final

import anywidget

CHART_CLASS: Final = "lab-chart"
"""The class the dashboard gives each of its ``FigureWidget``s."""

CHART_CONFIG: Final = {
    "responsive": True,
    "displaylogo": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
}
"""The plotly.js config of every chart: ``responsive`` installs the handler resized through."""

_ESM = """
function fit(plot) {
  // Installed by plotly.js for responsive plots; it skips a plot that is hidden.
  if (typeof plot._responsiveChartHandler === "function") plot._responsiveChartHandler();
}

function watch(root) {
  const seen = new WeakSet();
  const widths = new WeakMap();
  const boxes = new ResizeObserver((entries) => {
    for (const entry of entries) {
      // Only a new width matters: a box also grows and shrinks with its chart's height while
      // the chart is redrawn, and a resize in the middle of a redraw would disturb it.
      const width = Math.round(entry.contentRect.width);
      if (!width || widths.get(entry.target) === width) continue;
      widths.set(entry.target, width);
      entry.target.querySelectorAll(".js-plotly-plot.%(chart)s").forEach(fit);
    }
  });
  const look = () => {
    root.querySelectorAll(".js-plotly-plot.%(chart)s").forEach((plot) => {
      const box = plot.parentElement;
      if (box && !seen.has(box)) {
        seen.add(box);
        boxes.observe(box);
      }
    });
  };
  const added = new MutationObserver(look);
  added.observe(root, { childList: true, subtree: true, attributes: true,
                        attributeFilter: ["class"] });
  look();
  return () => { added.disconnect(); boxes.disconnect(); };
}

export default {
  render({ el }) {
    el.style.display = "none";
    let stop = null;
    let tries = 0;
    const start = () => {
      const root = el.closest(".%(board)s");
      if (root) { stop = watch(root); return; }
      if (tries++ < 600) requestAnimationFrame(start);  // not yet in the page
    };
    start();
    return () => { if (stop) stop(); };
  },
};
"""

BOARD_CLASS: Final = "lab-dashboard"
"""The class of the dashboard's outer box: the helper watches the charts inside it."""


class ChartFitter(anywidget.AnyWidget):
    """Invisible: keeps the dashboard's charts as wide as their boxes (see the module text)."""

    _esm = _ESM % {"chart": CHART_CLASS, "board": BOARD_CLASS}
