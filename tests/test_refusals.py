"""Whatever a person types or Slack is made to carry, the answer is a clear refusal or an
HTTP 400: never a 500, never a job retried for nothing. End to end, signed requests."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender, message_shortcut_form
from bridge_standins.stack import NEWS, SIGNING_SECRET, TEAM, LocalStack, start_stack

from bridge.delivery.outbox import JobState
from bridge.delivery.when import When, WhenError, resolve
from tests.e2e import find_job, job_state

ALICE = "U0ALICE01"
BOB = "U0BOB0001"
FORM = "application/x-www-form-urlencoded"
NOW = datetime(2026, 11, 25, 8, 0)


@pytest.fixture
def stack(tmp_path: Path, database_url: str) -> Iterator[LocalStack]:
    running = start_stack(tmp_path, database_url=database_url)
    yield running
    running.stop()


@pytest.fixture
def slack(stack: LocalStack) -> Iterator[SlackSender]:
    with SlackSender(stack.events_url, SIGNING_SECRET) as sender:
        yield sender


def command(stack: LocalStack, slack: SlackSender, text: str) -> str:
    """``/crosspost <text>`` as Bob; the ephemeral answer Slack shows him at once."""
    response = slack.command(
        text, channel_id=NEWS, user_id=BOB, response_url=stack.slack.response_url("r")
    )
    assert response.status_code == 200
    return str(response.json()["text"])


@pytest.mark.parametrize(
    ("when", "says"),
    [
        ("0001-01-01 00:00", "0001-01-01 00:00 is in the past: say a time to come"),
        ("2020-01-01 09:00", "2020-01-01 09:00 is in the past"),
        ("9999-12-31 23:59", "9999-12-31 23:59 is more than a year ahead"),
        ("in 9999d", "in 9999d is more than a year ahead: schedule at most 365 days ahead"),
        ("in 366 days", "is more than a year ahead"),
    ],
)
def test_schedules_out_of_range_are_refused_at_once(
    stack: LocalStack, slack: SlackSender, when: str, says: str
) -> None:
    """Long past, far ahead, or beyond what a date can hold: refused in the command's
    answer, and nothing is stored to fail or retry later."""
    answer = command(stack, slack, f"schedule {when} hello")
    assert answer.startswith("Sorry, ") and says in answer
    assert find_job(stack, ":cmd:") is None


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
@pytest.mark.parametrize(
    ("day", "says"), [(date(1, 1, 1), "in the past"), (date(9999, 12, 31), "a year ahead")]
)
def test_dates_at_the_ends_of_the_calendar_are_refused_in_any_zone(
    zone: str, day: date, says: str
) -> None:
    """Year 1 or 9999 in a zone 14 hours off UTC: a WhenError, never OverflowError."""
    when = When(f"{day} 00:00", day=day, at=time(0, 0) if day.year == 1 else time(23, 59))
    with pytest.raises(WhenError, match=says):
        resolve(when, NOW, ZoneInfo(zone))


def test_a_time_gone_by_a_minute_posts_now_one_long_gone_is_refused() -> None:
    """Within the few minutes' grace the post goes at once; beyond, it is refused."""
    paris = ZoneInfo("Europe/Paris")
    just = When("today 8:58", day="today", at=time(8, 58))  # 07:58 UTC
    assert resolve(just, NOW, paris) == NOW
    with pytest.raises(WhenError, match="in the past"):
        resolve(When("today 8:30", day="today", at=time(8, 30)), NOW, paris)


@pytest.mark.parametrize(
    ("number", "says"),
    [
        ("99999999999999999999999", "Sorry, there is no scheduled post #99999999999999999999999"),
        ("9223372036854775808", "Sorry, there is no scheduled post #9223372036854775808"),
        ("2147483648", "Sorry, there is no scheduled post #2147483648"),
        ("2147483647", "No post #2147483647 of yours is waiting"),
        ("²", "Sorry, say which scheduled post to cancel"),
    ],
)
def test_cancel_with_a_huge_number_is_answered(
    stack: LocalStack, slack: SlackSender, number: str, says: str
) -> None:
    """Numbers past what the store holds, or digits that are not ASCII: an answer, not 500."""
    assert says in command(stack, slack, f"cancel {number}")


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [150, 5000])
def test_a_shortcut_payload_nested_deep_is_refused_with_400(
    stack: LocalStack, slack: SlackSender, caplog: pytest.LogCaptureFixture, depth: int
) -> None:
    """A shortcut's payload nested 150 or 5,000 levels: HTTP 400 and one log line."""
    caplog.set_level(logging.INFO)
    form = message_shortcut_form(
        team_id=TEAM, channel=NEWS, user=BOB, message={"ts": "1.1"}, response_url="x"
    )
    payload = json.loads(dict(_pairs(form))["payload"])
    text = json.dumps(payload)[:-1] + f', "deep": {nested(depth)}}}'
    response = slack.post(urlencode({"payload": text}).encode(), FORM)
    assert response.status_code == 400
    lines = [r for r in caplog.records if r.getMessage() == "bridge.request_invalid"]
    assert len(lines) == 1
    assert "nests too deep" in lines[0].__dict__["reason"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def _pairs(form: bytes) -> list[tuple[str, str]]:
    return parse_qsl(form.decode())


def test_an_event_body_nested_deep_is_refused_with_400(
    slack: SlackSender, caplog: pytest.LogCaptureFixture
) -> None:
    """An Events API body nested 5,000 levels: HTTP 400, nothing logged as an error."""
    body = '{"type": "event_callback", "event": ' + nested(5000) + "}"
    assert slack.post(body.encode(), "application/json").status_code == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def deep_rich_text(levels: int) -> dict[str, object]:
    """A rich_text block ``levels`` JSON objects and arrays deep (lists in quotes...)."""
    element: dict[str, object] = {
        "type": "rich_text_section",
        "elements": [{"type": "text", "text": "at the bottom"}],
    }
    for n in range(levels // 2):
        kind = "rich_text_list" if n % 2 else "rich_text_quote"
        element = {"type": kind, "style": "bullet", "elements": [element]}
    return {"type": "rich_text", "elements": [element]}


def test_a_message_with_rich_text_nested_400_deep_is_posted_once(
    stack: LocalStack, slack: SlackSender, caplog: pytest.LogCaptureFixture
) -> None:
    """rich_text nested 400 levels deep: the message goes out from its text, its progress is
    saved, and the job never crashes (no bridge.job_crashed loop)."""
    caplog.set_level(logging.INFO)
    msg = stack.slack.add_message(
        NEWS, {"user": ALICE, "text": "Fallback text", "blocks": [deep_rich_text(400)]}
    )
    slack.reaction(user=BOB, reaction="mega", channel=NEWS, ts=msg["ts"], item_user=ALICE)
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    assert [p["data"]["text"] for p in stack.amity.posts] == ["Fallback text"]
    assert not [r for r in caplog.records if r.getMessage() == "bridge.job_crashed"]
