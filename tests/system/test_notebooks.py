"""Every notebook runs top to bottom in a real kernel, with no network and no API key."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.support import ROOT
from tests.support.browser import notebook_env

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_four_notebooks_exist() -> None:
    names = [path.name for path in NOTEBOOKS]
    for expected in ("01_quickstart", "02_compare_models", "03_dashboard", "04_failures"):
        assert any(name.startswith(expected) for name in names), expected


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in notebook_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    for key in [k for k in os.environ if k.startswith("AITOEARN_") and k != "AITOEARN_LAB_CACHE"]:
        monkeypatch.delenv(key)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    ]
    errors = [output for output in outputs if output.get("output_type") == "error"]
    assert not errors, errors[0].get("evalue") if errors else ""
    assert outputs, "the notebook printed nothing"
    stories = [cell for cell in notebook.cells if cell.cell_type == "markdown"]
    assert len(stories) >= 3, "each notebook tells its story in markdown"
    assert any("AITOEARN_API_KEY" in cell.source for cell in stories), (
        "shows how to use the real API"
    )
