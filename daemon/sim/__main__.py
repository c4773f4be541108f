"""`python -m daemon.sim --host 127.0.0.1 --port 7499 [--profiles FILE.json] [--instant]`."""

from daemon.sim.cli import main

raise SystemExit(main())
