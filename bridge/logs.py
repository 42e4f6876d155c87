"""Log lines: ``time level event key=value ...`` with secrets redacted.

Events are stable names (``bridge.job_accepted``); details go in ``extra=`` and are
printed as ``key=value``. Anything that looks like a Slack token, a bearer token or an
``xapp-`` token is replaced by ``[redacted]`` before it is written.
"""

from __future__ import annotations

import logging
import re
import sys

SECRET = re.compile(r"(xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|(?i:bearer)\s+[^\s'\"]+)")
STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def redact(text: str) -> str:
    """``text`` with tokens replaced."""
    return SECRET.sub("[redacted]", text)


class KeyValueFormatter(logging.Formatter):
    """The message followed by the record's extra fields, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {k: v for k, v in record.__dict__.items() if k not in STANDARD}
        if extras:
            line += " " + " ".join(
                f"{k}={v!r}" if " " in str(v) else f"{k}={v}" for k, v in extras.items()
            )
        return redact(line)


def setup_logging(level: int = logging.INFO) -> None:
    """Log to stderr through the redacting formatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
