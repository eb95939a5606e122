"""The public surface: one list of names, nothing shadowed, and ``import aitoearn_lab`` stays light."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import aitoearn_lab

# What the README documents each public name to be.
CLASSES = {"Client", "Dashboard", "FetchStats", "Report"}
CONSTANTS = {"COLUMNS", "__version__"}
FUNCTIONS = {
    "compare_models",
    "dashboard",
    "data_notes",
    "error_groups",
    "mix_notes",
    "model_colors",
    "overdue",
    "read_tasks",
    "summarize",
    "time_to_usable",
    "timeline",
    "to_frame",
    "trend",
    "wasted_time",
    "write_report",
    "write_tasks",
}


def _kind(value: object) -> str:
    if inspect.isclass(value):
        return "exception" if issubclass(value, BaseException) else "class"
    if inspect.isfunction(value):
        return "function"
    if inspect.ismodule(value):
        return "module"
    return "constant"


def _expected_kind(name: str) -> str:
    if name in CLASSES:
        return "class"
    if name in FUNCTIONS:
        return "function"
    if name in CONSTANTS:
        return "constant"
    return "exception"


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert aitoearn_lab.__all__ == sorted(aitoearn_lab.__all__)
    for name in aitoearn_lab.__all__:
        assert getattr(aitoearn_lab, name) is not None, name


def test_no_public_name_is_shadowed_by_a_submodule() -> None:
    """Importing every submodule first must not turn a documented function into a module."""
    code = (
        "import importlib, inspect, pkgutil, aitoearn_lab as lab\n"
        "for m in pkgutil.walk_packages(lab.__path__, 'aitoearn_lab.'):\n"
        "    if m.name != 'aitoearn_lab.__main__':\n"
        "        importlib.import_module(m.name)\n"
        "print({n: type(getattr(lab, n)).__name__ for n in lab.__all__})"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    kinds = ast.literal_eval(done.stdout.strip())
    assert "module" not in kinds.values(), kinds
    assert kinds["dashboard"] == "function"
    for name in aitoearn_lab.__all__:
        assert _kind(getattr(aitoearn_lab, name)) == _expected_kind(name), name


def test_no_exported_name_is_also_a_submodule_of_its_package() -> None:
    packages = [aitoearn_lab.__name__] + [
        m.name for m in pkgutil.walk_packages(aitoearn_lab.__path__, "aitoearn_lab.") if m.ispkg
    ]
    for name in packages:
        package = importlib.import_module(name)
        submodules = {m.name for m in pkgutil.iter_modules(package.__path__)}
        clashes = set(getattr(package, "__all__", ())) & submodules
        assert not clashes, f"{name} exports {sorted(clashes)}, also the names of its modules"


def test_the_lazy_table_the_type_imports_and_all_agree() -> None:
    home = aitoearn_lab._HOME
    assert set(aitoearn_lab.__all__) == {*home, "__version__"}
    tree = ast.parse(Path(aitoearn_lab.__file__).read_text(encoding="utf-8"))
    typed: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module
                for alias in stmt.names:
                    typed[alias.name] = stmt.module.removeprefix("aitoearn_lab.")
    assert typed == home
    for name, layer in home.items():
        exported = importlib.import_module(f"aitoearn_lab.{layer}")
        assert getattr(exported, name) is getattr(aitoearn_lab, name), name
        assert name in getattr(exported, "__all__", [name]), f"{layer} does not export {name}"


def test_every_public_module_member_is_exported() -> None:
    from aitoearn_lab import errors

    assert set(errors.__all__) <= set(aitoearn_lab.__all__)


def test_import_does_not_load_pandas_or_plotly() -> None:
    code = "import sys, aitoearn_lab; print(sorted(m for m in ('pandas','plotly','requests','ipywidgets') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_simulator_loads_nothing_of_the_client_side() -> None:
    code = (
        "import sys, aitoearn_lab.simulator; "
        "print(sorted(m for m in sys.modules if m.startswith('aitoearn_lab.') "
        "and m.split('.')[1] not in ('simulator', 'schema', 'errors', '_version')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
