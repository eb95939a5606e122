"""The public surface: ``__all__`` is sorted, complete, importable, and import stays light."""

from __future__ import annotations

import subprocess
import sys

import aitoearn_lab


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert aitoearn_lab.__all__ == sorted(aitoearn_lab.__all__)
    for name in aitoearn_lab.__all__:
        assert getattr(aitoearn_lab, name) is not None, name


def test_every_public_module_member_is_exported() -> None:
    from aitoearn_lab import errors

    assert set(errors.__all__) <= set(aitoearn_lab.__all__)


def test_import_does_not_load_pandas_or_plotly() -> None:
    code = "import sys, aitoearn_lab; print(sorted(m for m in ('pandas','plotly','requests','ipywidgets') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_simulator_does_not_import_the_client() -> None:
    client_side = "'aitoearn_lab.client','aitoearn_lab.outcomes','aitoearn_lab.asking','aitoearn_lab.cache','aitoearn_lab.cache_format','aitoearn_lab.frame'"
    code = f"import sys, aitoearn_lab.simulator; print([m for m in ({client_side}) if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_only_the_dashboard_imports_ipywidgets() -> None:
    code = (
        "import importlib, pkgutil, sys, aitoearn_lab; "
        "skip = {'aitoearn_lab.dashboard', 'aitoearn_lab.__main__'}; "
        "names = [m.name for m in pkgutil.walk_packages(aitoearn_lab.__path__, 'aitoearn_lab.')]; "
        "[importlib.import_module(name) for name in names if name not in skip]; "
        "print('ipywidgets' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
