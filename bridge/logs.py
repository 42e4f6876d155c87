"""Log lines with stable event names; JSON off a terminal; secrets always redacted.

Events are stable names (``bridge.job_accepted``); details go in ``extra=``. On a
terminal a line reads ``time level logger event key=value ...``; otherwise (a platform's
log drain) each line is one JSON object. Anything that looks like a Slack token, a bearer
token or an ``xapp-`` token is replaced by ``[redacted]`` before it is written.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

SECRET = re.compile(r"(xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|(?i:bearer)\s+[^\s'\"]+)")
STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def redact(text: str) -> str:
    """``text`` with tokens replaced."""
    return SECRET.sub("[redacted]", text)


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The fields passed with ``extra=``."""
    return {k: v for k, v in record.__dict__.items() if k not in STANDARD}


class KeyValueFormatter(logging.Formatter):
    """The message followed by the record's extra fields, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if fields := extras(record):
            line += " " + " ".join(
                f"{k}={v!r}" if " " in str(v) else f"{k}={v}" for k, v in fields.items()
            )
        return redact(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **extras(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str, ensure_ascii=False))


def setup_logging(level: int = logging.INFO, *, as_json: bool | None = None) -> None:
    """Log to stderr: JSON unless stderr is a terminal (or as ``as_json`` says)."""
    handler = logging.StreamHandler(sys.stderr)
    use_json = not sys.stderr.isatty() if as_json is None else as_json
    handler.setFormatter(
        JsonFormatter()
        if use_json
        else KeyValueFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "slack_sdk.socket_mode"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # "skipped: maximum number of running instances" is routine when a poll runs long
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
