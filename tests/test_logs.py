"""Log lines carry their extra fields and never a token."""

from __future__ import annotations

import logging

from bridge.logs import KeyValueFormatter, redact


def test_redact_tokens() -> None:
    """Slack bot/user/app tokens and bearer headers are replaced."""
    line = "xoxb-123-456-abc xoxp-9-9 xapp-1-A-2 Authorization: Bearer s3cr3t.token ok"
    assert redact(line) == "[redacted] [redacted] [redacted] Authorization: [redacted] ok"


def test_formatter_appends_extras_and_redacts() -> None:
    """Extras become key=value; a token inside an extra is redacted too."""
    record = logging.makeLogRecord(
        {
            "name": "bridge.test",
            "levelname": "INFO",
            "msg": "bridge.event",
            "job_id": 7,
            "error": "bad header Bearer abc",
        }
    )
    line = KeyValueFormatter("%(levelname)s %(message)s").format(record)
    assert line == "INFO bridge.event job_id=7 error='bad header [redacted]'"
