"""The Report object: one self-contained HTML page and its CSV files."""

from __future__ import annotations

from aitoearn_lab.report.document import Report, console_summary, write_report

__all__ = ["Report", "console_summary", "write_report"]
