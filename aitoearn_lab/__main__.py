"""``python -m aitoearn_lab``: the same as the ``aitoearn-lab`` command."""

from aitoearn_lab.cli.commands import main

main()
