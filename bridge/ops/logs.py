"""Log lines with stable event names; JSON off a terminal; secrets always redacted.

Events are stable names (``bridge.job_accepted``); details go in ``extra=``. On a
terminal a line reads ``time level logger event key=value ...``; otherwise (a platform's
log drain) each line is one JSON object. Anything that looks like a Slack token, a bearer
token or an ``xapp-`` token is replaced by ``[redacted]`` before it is written.

The bridge's own events are logged at INFO; the libraries under it (alembic, Bolt,
slack_sdk, waitress, httpx, APScheduler, ...) only from ``BRIDGE_LOG_LEVEL`` up (WARNING by
default), in the same format, so a routine command prints what matters. Bolt's messages
that would carry a request body are rewritten without it, a library's report of a failure
the bridge reports itself is dropped, and waitress's "Task queue depth" (requests waiting
for a thread during a burst, which the bridge's fast acknowledgements absorb) is DEBUG
(:class:`Hygiene`). Every line goes to stderr.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

SECRET = re.compile(r"(xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|(?i:bearer)\s+[^\s'\"]+)")
STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Bolt reads SLACK_BOT_TOKEN from the environment itself and warns that it is unused when
# an app passes its own client, which the bridge must (the client carries SLACK_API_URL).
BOLT_CLIENT_WARNING = "As you gave `client` as well, `token` will be unused."
# Bolt messages that end in a copy of the request: (start of the message, stable event).
BOLT_WITH_BODY = (
    ("Invalid request signature detected", "bridge.request_refused"),
    ("Unhandled request", "bridge.unhandled_request"),
    ("A global middleware", "bridge.unhandled_request"),
)
# A library's words for a failure the bridge reports in its own line (check, /healthz,
# the job's last error): (logger prefix, start of the message).
REPORTED_BY_THE_BRIDGE = (("slack_sdk", "Failed to send a request to Slack API server"),)
QUEUE_DEPTH = ("waitress.queue", "Task queue depth")  # demoted to DEBUG


def redact(text: str) -> str:
    """``text`` with tokens replaced."""
    return SECRET.sub("[redacted]", text)


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The fields passed with ``extra=``."""
    return {k: v for k, v in record.__dict__.items() if k not in STANDARD}


class Hygiene(logging.Filter):
    """Drops Bolt's misleading token warning and libraries' duplicates of the bridge's own
    failure lines; strips request bodies from Bolt's messages; demotes waitress's queue
    depth to DEBUG (shown only from ``threshold`` DEBUG)."""

    def __init__(self, threshold: int = logging.WARNING) -> None:
        super().__init__()
        self.threshold = threshold

    def filter(self, record: logging.LogRecord) -> bool:
        """False to drop the record; rewrites it in place when it would carry a body."""
        if not isinstance(record.msg, str):
            return True
        if record.msg == BOLT_CLIENT_WARNING:
            return False
        if record.name.startswith(QUEUE_DEPTH[0]) and record.msg.startswith(QUEUE_DEPTH[1]):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return self.threshold <= logging.DEBUG
        for logger, start in REPORTED_BY_THE_BRIDGE:
            if record.name.startswith(logger) and record.msg.startswith(start):
                return False
        for start, event in BOLT_WITH_BODY:
            if record.msg.startswith(start):
                record.msg, record.args = event, None
                record.bolt_message = start
                break
        return True


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


def setup_logging(
    level: str = "WARNING",
    *,
    as_json: bool | None = None,
    stream: TextIO | None = None,
    path: Path | None = None,
) -> None:
    """Log to ``path``, else to ``stream`` (stderr): JSON unless it is a terminal.

    ``level`` (``BRIDGE_LOG_LEVEL``) is the threshold for the libraries; the bridge's own
    events are logged from INFO (from DEBUG when ``level`` is DEBUG).
    """
    handler: logging.Handler
    if path is not None:
        handler = logging.FileHandler(path, encoding="utf-8")
        use_json = bool(as_json)
    else:
        out = stream or sys.stderr
        handler = logging.StreamHandler(out)
        use_json = not out.isatty() if as_json is None else as_json
    handler.setFormatter(
        JsonFormatter()
        if use_json
        else KeyValueFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    threshold = logging.getLevelNamesMapping()[level.upper()]
    handler.addFilter(Hygiene(threshold))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(threshold)
    logging.getLogger("bridge").setLevel(min(threshold, logging.INFO))
    logging.getLogger("bridge.bolt").setLevel(threshold)  # Bolt's own chatter
    # "skipped: maximum number of running instances" is routine when a poll runs long
    logging.getLogger("apscheduler").setLevel(max(threshold, logging.ERROR))
