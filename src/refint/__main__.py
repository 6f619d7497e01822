"""``python -m refint`` is the ``refint`` command."""

from refint.cli.main import main

main()
