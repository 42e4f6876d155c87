"""Log lines carry their extra fields and never a token."""

from __future__ import annotations

import logging

from bridge.ops.logs import KeyValueFormatter, redact


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


def test_json_lines_carry_event_and_fields_redacted() -> None:
    """Off a terminal each line is JSON: event name, extras, no token."""
    import json

    from bridge.ops.logs import JsonFormatter

    record = logging.makeLogRecord(
        {
            "name": "bridge.delivery.worker",
            "levelname": "WARNING",
            "msg": "bridge.job_failed",
            "job_id": 3,
            "reason": "token xoxb-1-2-secret refused",
        }
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["event"] == "bridge.job_failed" and entry["level"] == "warning"
    assert entry["job_id"] == 3 and entry["reason"] == "token [redacted] refused"
