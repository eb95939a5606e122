"""Where a command's table goes: checked before the first request, written, counted in words."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from aitoearn_lab.cli.options import CommandError
from aitoearn_lab.errors import ConfigurationError


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 task``, ``2 tasks``, ``0 tasks``: a count with its noun in the right number."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {nouns or noun + 's'}"


def check_writable(output: Path) -> None:
    """Raise :class:`ConfigurationError` naming ``output`` when its folder cannot take a file.

    The check writes and removes a temporary file in the folder the table will go to (after
    creating it, as writing would), so a read-only place fails before the first request.
    """
    folder = output.parent if str(output.parent) else Path(".")
    try:
        if output.is_dir():
            raise IsADirectoryError(21, "it is a folder")
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=f".{output.name}.", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as error:  # one line, as for every other bad option: "error: ..."
        raise ConfigurationError(
            f"cannot write the output {output}: {error.strerror or error}"
        ) from None


def write_output(tasks: Any, output: Path | None) -> None:
    """Write ``tasks`` to ``output`` (by its suffix), or as CSV to standard output."""
    from aitoearn_lab.frame.tables import format_for_csv, write_tasks

    if output is None:
        format_for_csv(tasks).to_csv(sys.stdout, index=False, lineterminator="\r\n")
        return
    try:
        write_tasks(tasks, output)
    except OSError as error:  # name the user's path, not the temporary file beside it
        raise CommandError(f"cannot write {output}: {error.strerror or error}") from None
    click.echo(f"wrote {plural(len(tasks), 'row')} to {output}", err=True)


def echo_anomalies(tasks: Any) -> None:
    """One line on standard error when rows carry anomalies."""
    odd = int(tasks["anomalies"].notna().sum())
    if odd:
        click.echo(f"{plural(odd, 'row')} with anomalies; see the anomalies column", err=True)
