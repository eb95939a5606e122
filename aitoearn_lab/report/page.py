"""Laying out the report page: headline, sections, tables, notes; every cell escaped.

Plain string building with no plotly and no template engine: :mod:`aitoearn_lab.report.document`
turns figures into ``<div>`` fragments and hands them here with the tables.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from aitoearn_lab.metrics.moments import format_duration

CSS: Final = """
.ael { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial,
  sans-serif; color: #1f2328; line-height: 1.45; max-width: 1240px; margin: 0 auto;
  padding: 24px 28px 60px; background: #fff; }
.ael h1 { font-size: 28px; margin: 0 0 4px; }
.ael h2 { font-size: 21px; margin: 44px 0 6px; padding-top: 10px; border-top: 1px solid #e4e7eb; }
.ael .sub { color: #57606a; margin: 0 0 18px; }
.ael .lead { color: #444c56; margin: 4px 0 14px; max-width: 900px; }
.ael nav { margin: 8px 0 20px; font-size: 14px; }
.ael nav a { margin-right: 14px; color: #0969da; text-decoration: none; }
.ael .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr));
  gap: 12px; margin: 18px 0 10px; }
.ael .card { border: 1px solid #e4e7eb; border-radius: 10px; padding: 12px 14px;
  background: #f8fafc; }
.ael .card .value { font-size: 23px; white-space: nowrap; font-weight: 650;
  font-variant-numeric: tabular-nums; }
.ael .card .label { font-size: 13px; color: #57606a; }
.ael .card .detail { font-size: 12px; color: #6e7781; margin-top: 2px; }
.ael .notes { border-left: 4px solid #d4a72c; background: #fff8e5; padding: 10px 16px;
  border-radius: 0 8px 8px 0; margin: 16px 0; }
.ael .notes h3 { margin: 0 0 6px; font-size: 15px; }
.ael .notes ul { margin: 0; padding-left: 20px; }
.ael .notes li { margin: 4px 0; }
.ael .chart { margin: 18px 0 8px; }
.ael .scroll { overflow-x: auto; margin: 12px 0; }
.ael table { border-collapse: collapse; font-size: 13px; width: 100%; }
.ael th { text-align: left; font-weight: 600; color: #444c56; border-bottom: 2px solid #d0d7de;
  padding: 6px 8px; vertical-align: bottom; background: #fff; }
.ael td { padding: 5px 8px; border-bottom: 1px solid #eef0f2; vertical-align: top; }
.ael tbody tr:nth-child(even) td { background: #fafbfc; }
.ael th.num { text-align: right; }
.ael td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.ael td.text { max-width: 460px; overflow-wrap: anywhere; }
.ael td.name { white-space: nowrap; }
.ael .models { font-size: 12px; line-height: 1.6; }
.ael .nowrap { white-space: nowrap; }
.ael .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
  margin-right: 6px; vertical-align: baseline; }
.ael .muted { color: #8c959f; }
.ael .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  white-space: nowrap; }
.ael .b-faster { background: #dafbe1; color: #116329; }
.ael .b-slower { background: #ffebe9; color: #a40e26; }
.ael .b-baseline { background: #ddf4ff; color: #0550ae; }
.ael .b-none { background: #eaeef2; color: #57606a; }
.ael details { margin: 10px 0; }
.ael summary { cursor: pointer; color: #0969da; }
.ael footer { margin-top: 48px; color: #8c959f; font-size: 12px; }
.ael code { font-size: 12px; background: #f3f4f6; padding: 1px 4px; border-radius: 4px; }
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Column:
    """How one table column is shown: header, a formatter, and its alignment."""

    key: str
    header: str
    format: Callable[[Any], str]
    numeric: bool = True
    raw_html: bool = False
    """The formatter returns HTML it has escaped itself (a colour swatch, a badge)."""
    nowrap: bool = False


@dataclass(frozen=True, slots=True)
class Card:
    """One headline figure."""

    label: str
    value: str
    detail: str = ""


def esc(value: object) -> str:
    """Any value as HTML text (missing values as a dash)."""
    if _missing(value):
        return '<span class="muted">–</span>'
    return html.escape(str(value), quote=True)


def integer(value: object) -> str:
    return "–" if _missing(value) else f"{int(value):,}"  # type: ignore[call-overload]


def percent(value: object) -> str:
    return "–" if _missing(value) else f"{float(value):.1%}"  # type: ignore[arg-type]


def seconds(value: object) -> str:
    return "–" if _missing(value) else format_duration(float(value))  # type: ignore[arg-type]


def ratio(value: object) -> str:
    return "–" if _missing(value) else f"×{float(value):.2f}"  # type: ignore[arg-type]


def ratio_texts(comparison: pd.DataFrame) -> list[str]:
    """A :func:`~aitoearn_lab.compare_models` table's ratios with their 95% intervals, as
    ``×1.21 (1.08–1.33)``; "–" on the baseline's row."""
    return [
        "–"
        if verdict == "baseline"
        else ratio(r) + (f" ({lo:.2f}–{hi:.2f})" if pd.notna(lo) else "")
        for verdict, r, lo, hi in zip(
            comparison["verdict"],
            comparison["ratio"],
            comparison["ratio_lo"],
            comparison["ratio_hi"],
            strict=True,
        )
    ]


def p_value(value: object) -> str:
    if _missing(value):
        return "–"
    number = float(value)  # type: ignore[arg-type]
    return "< 0.001" if number < 0.001 else f"{number:.3f}"


def moment(value: object) -> str:
    if _missing(value):
        return "–"
    stamp = pd.Timestamp(value)
    return f"{stamp:%Y-%m-%d %H:%M}"


def table(frame: pd.DataFrame, columns: Sequence[Column], *, caption: str = "") -> str:
    """An HTML table of the given columns; text escaped unless a column says it is HTML."""
    head = "".join(
        f'<th class="{"num" if c.numeric else ""}">{html.escape(c.header)}</th>' for c in columns
    )
    body = []
    for record in frame.to_dict("records"):
        cells = []
        for column in columns:
            shown = column.format(record.get(column.key))
            text = shown if column.raw_html else html.escape(shown, quote=True)
            kind = "num" if column.numeric else "name" if column.nowrap else "text"
            cells.append(f'<td class="{kind}">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption_html = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'<div class="scroll"><table>{caption_html}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def cards(items: Iterable[Card]) -> str:
    parts = [
        '<div class="card">'
        f'<div class="value">{html.escape(card.value)}</div>'
        f'<div class="label">{html.escape(card.label)}</div>'
        + (f'<div class="detail">{html.escape(card.detail)}</div>' if card.detail else "")
        + "</div>"
        for card in items
    ]
    return f'<div class="cards">{"".join(parts)}</div>'


def notes(sentences: Sequence[str]) -> str:
    if not sentences:
        return ""
    items = "".join(f"<li>{html.escape(sentence)}</li>" for sentence in sentences)
    return f'<div class="notes"><h3>Read this first</h3><ul>{items}</ul></div>'


def swatch(color: str | None, text: object) -> str:
    """A coloured dot (the model's chart colour) before an escaped name."""
    dot = f'<span class="swatch" style="background:{html.escape(color)}"></span>' if color else ""
    return dot + esc(text)


def model_column(colors: Mapping[str, str]) -> Column:
    """The ``model`` column every table opens with: the model's chart colour, then its name."""
    return Column(
        key="model",
        header="model",
        format=lambda m: swatch(colors.get(str(m)), m),
        numeric=False,
        raw_html=True,
        nowrap=True,
    )


def badge(verdict: object) -> str:
    kind = {"faster": "b-faster", "slower": "b-slower", "baseline": "b-baseline"}.get(
        str(verdict), "b-none"
    )
    return f'<span class="badge {kind}">{esc(verdict)}</span>'


def section(anchor: str, title: str, lead: str, *parts: str) -> str:
    lead_html = f'<p class="lead">{lead}</p>' if lead else ""
    return (
        f'<section id="{anchor}"><h2>{html.escape(title)}</h2>{lead_html}{"".join(parts)}</section>'
    )


def chart(fragment: str) -> str:
    return f'<div class="chart">{fragment}</div>'


def page(*, title: str, subtitle: str, plotly_js: str, body: str, footer: str) -> str:
    """The whole self-contained document: styles and plotly.js inline, nothing from the network."""
    # "</script" cannot occur inside a script element; plotly.js never contains it, but be sure.
    script = plotly_js.replace("</script", "<\\/script")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{CSS}</style>"
        f'<script type="text/javascript">window.PlotlyConfig = {{MathJaxConfig: "local"}};</script>'
        f'<script type="text/javascript">{script}</script>'
        '</head><body style="margin:0;background:#fff">'
        f'<main class="ael"><h1>{html.escape(title)}</h1><p class="sub">{subtitle}</p>'
        f"{body}<footer>{footer}</footer></main></body></html>\n"
    )


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)
