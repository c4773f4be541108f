"""``python -m daemon`` is the ``switchboard`` command."""

from daemon.cli import main

raise SystemExit(main())
