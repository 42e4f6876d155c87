"""``python -m bridge``: see ``bridge.cli``."""

from bridge.cli import main

raise SystemExit(main())
