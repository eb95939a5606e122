"""The ipywidgets dashboard: the only part of the package that imports ipywidgets."""

from __future__ import annotations

from aitoearn_lab.app.board import Dashboard, dashboard

__all__ = ["Dashboard", "dashboard"]
