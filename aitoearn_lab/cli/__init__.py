"""The command line: ``aitoearn-lab fetch | report | demo | simulate | cache``.

Nothing in the package imports it.
"""

from __future__ import annotations

from aitoearn_lab.cli.commands import cli, main

__all__ = ["cli", "main"]
