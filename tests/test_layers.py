"""The layers import in one direction: each may import only what its allow-list names.

Imports are read from the source (function-level and type-only ones included), so a lazy import
cannot slip past. A layer is a top-level module or subpackage of ``aitoearn_lab``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import aitoearn_lab

PACKAGE = Path(aitoearn_lab.__file__).parent
PLOTTING = {"plotly"}
WIRE = {"requests", "requests_cache", "urllib3"}
FILES = {"os", "pathlib", "sqlite3", "tempfile", "io", "shutil"}

# What each layer may import from the package (itself always included).
ALLOWED: dict[str, set[str]] = {
    "_version": set(),
    "_gc": set(),
    "errors": set(),
    "schema": {"errors"},
    "config": {"errors"},
    "frame": {"errors", "schema", "_gc"},
    "client": {"errors", "schema", "config", "_gc", "_version", "frame"},
    "metrics": {"errors", "schema", "frame"},
    "charts": {"errors", "schema", "frame", "metrics"},
    "report": {"errors", "schema", "frame", "metrics", "charts", "_version"},
    "app": {"errors", "schema", "frame", "metrics", "charts", "client"},
    "simulator": {"errors", "schema"},
    "cli": {
        "errors",
        "schema",
        "config",
        "_version",
        "frame",
        "client",
        "metrics",
        "report",
        "simulator",
    },
    "__main__": {"cli"},
}
# Outside packages a layer must not import.
FORBIDDEN: dict[str, set[str]] = {
    "frame": PLOTTING | WIRE | {"ipywidgets"},
    "metrics": PLOTTING | WIRE | FILES | {"ipywidgets"},
    "charts": WIRE | FILES | {"ipywidgets"},
    "report": WIRE | {"ipywidgets"},
    "simulator": PLOTTING | {"ipywidgets", "pandas", "requests_cache"},
    "client": PLOTTING | {"ipywidgets"},
    "cli": {"ipywidgets"},
}


def _layer_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    """Every module name ``path`` imports, absolute, wherever the import statement stands."""
    found: set[str] = set()
    package = ".".join(("aitoearn_lab", *path.relative_to(PACKAGE).parent.parts))
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            if base == "aitoearn_lab":  # ``from aitoearn_lab import schema``
                found.update(f"aitoearn_lab.{alias.name}" for alias in node.names)
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_what_its_layer_allows(path: Path) -> None:
    layer = _layer_of(path)
    assert layer in ALLOWED, f"{layer} is a new layer: give it an allow-list here"
    used = _imports(path)
    inner = {name.split(".")[1] for name in used if name.startswith("aitoearn_lab.")}
    inner.discard(layer)
    assert inner <= ALLOWED[layer], f"{layer} imports {sorted(inner - ALLOWED[layer])}"
    outside = {name.split(".")[0] for name in used}
    assert not outside & FORBIDDEN.get(layer, set()), (
        f"{layer} imports {outside & FORBIDDEN[layer]}"
    )


def test_nothing_but_the_entry_point_imports_the_command_line() -> None:
    importers = {
        str(path.relative_to(PACKAGE))
        for path in MODULES
        if _layer_of(path) != "cli"
        and any(
            n == "aitoearn_lab.cli" or n.startswith("aitoearn_lab.cli.") for n in _imports(path)
        )
    }
    assert importers == {"__main__.py"}


def test_only_the_app_imports_ipywidgets() -> None:
    importers = {
        _layer_of(path)
        for path in MODULES
        if "ipywidgets" in {n.split(".")[0] for n in _imports(path)}
    }
    assert importers == {"app"}


def test_every_module_is_small_and_says_what_it_is_for() -> None:
    for path in [PACKAGE / "__init__.py", *MODULES]:
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 400, f"{path.name} has grown past 400 lines"
        assert ast.get_docstring(ast.parse(text)), f"{path.name} has no module docstring"


def test_few_modules_stay_at_the_top() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 12, top
