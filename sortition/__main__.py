"""``python -m sortition``: see :mod:`sortition.cli`."""

from .cli import main

raise SystemExit(main())
