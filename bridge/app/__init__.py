"""The application: ``build`` (``bridge.app.wiring``) makes a ``Bridge``
(``bridge.app.bridge``), what one process runs."""

from bridge.app.bridge import POLL_JOB, Bridge
from bridge.app.wiring import SHORTCUT, build

__all__ = ["POLL_JOB", "SHORTCUT", "Bridge", "build"]
