"""End to end: the real app behind waitress, signed Slack requests, stand-ins over HTTP."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import (
    SlackSender,
    message_shortcut_form,
    reaction_added_body,
    slash_command_form,
)
from bridge_standins.slack_changes import view_submission_form
from bridge_standins.stack import (
    COMMUNITY,
    NEWS,
    RANDOM,
    SIGNING_SECRET,
    TEAM,
    LocalStack,
    start_stack,
)

from bridge.delivery.outbox import JobState
from tests.e2e import MovableClock, find_job, job_state, posts, wait_retrying


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def stack(tmp_path: Path, clock: MovableClock, database_url: str) -> Iterator[LocalStack]:
    running = start_stack(tmp_path, clock=clock, database_url=database_url)
    yield running
    running.stop()


@pytest.fixture
def slack(stack: LocalStack) -> Iterator[SlackSender]:
    with SlackSender(stack.events_url, SIGNING_SECRET) as sender:
        yield sender


def react(
    slack: SlackSender,
    ts: str,
    user: str = "U0BOB0001",
    emoji: str = "mega",
    channel: str = NEWS,
    **kwargs: object,
) -> None:
    response = slack.reaction(user=user, reaction=emoji, channel=channel, ts=ts, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200


def test_reaction_posts_message_and_replies_in_thread(
    stack: LocalStack, slack: SlackSender
) -> None:
    """The route's emoji → one post with the text; link + sharer in the thread; ✅ added."""
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "Launch day :tada:"})
    react(slack, msg["ts"])
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    [body] = posts(stack)
    assert body["data"]["text"] == "Launch day 🎉"
    assert body["targetType"] == "community" and body["targetId"] == COMMUNITY
    assert body["metadata"]["slack"]["permalink"].endswith(
        f"/archives/{NEWS}/p{msg['ts'].replace('.', '')}"
    )
    [reply] = stack.slack.posted
    assert reply.thread_ts == msg["ts"]
    assert f"/c/{COMMUNITY}/posts/{body['postId']}" in reply.text
    assert "<@U0BOB0001>" in reply.text
    assert [(r.timestamp, r.name) for r in stack.slack.reactions_added] == [
        (msg["ts"], "white_check_mark")
    ]


def test_reaction_on_thread_reply(stack: LocalStack, slack: SlackSender) -> None:
    """A reply in a thread is fetched from the thread and answered in that thread."""
    parent = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "Thread start"})
    child = stack.slack.add_message(
        NEWS, {"user": "U0ALICE01", "text": "The reply to share", "thread_ts": parent["ts"]}
    )
    react(slack, child["ts"])
    wait_for(lambda: job_state(stack, child["ts"]) is JobState.done)
    assert [p["data"]["text"] for p in posts(stack)] == ["The reply to share"]
    [reply] = stack.slack.posted
    assert reply.thread_ts == parent["ts"]
    assert stack.slack.calls_to("conversations.replies")


def test_mention_of_mapped_user(stack: LocalStack, slack: SlackSender) -> None:
    """A mapped Slack user becomes an Amity mention; an unmapped one stays text."""
    msg = stack.slack.add_message(
        NEWS, {"user": "U0BOB0001", "text": "🎉 thanks <@U0ALICE01> and <@U0BOB0001>"}
    )
    react(slack, msg["ts"])
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    [body] = posts(stack)
    assert body["data"]["text"] == "🎉 thanks @Alice and @Bob Stone"
    assert body["mentionees"] == [{"type": "user", "userIds": ["alice-amity"]}]
    assert body["metadata"]["mentioned"] == [
        {"type": "user", "userId": "alice-amity", "index": 10, "length": 5}
    ]


@pytest.mark.parametrize(
    ("emoji", "channel", "message"),
    [
        ("tada", NEWS, {"user": "U0ALICE01", "text": "wrong emoji"}),
        ("mega", RANDOM, {"user": "U0ALICE01", "text": "no route here"}),
    ],
)
def test_reactions_that_do_nothing(
    stack: LocalStack, slack: SlackSender, emoji: str, channel: str, message: dict[str, str]
) -> None:
    """Other emoji and channels without a route store nothing and call nobody."""
    msg = stack.slack.add_message(channel, message)
    react(slack, msg["ts"], emoji=emoji, channel=channel)
    assert stack.bridge.outbox.recent() == []
    assert stack.slack.calls_to("conversations.history") == []


def test_the_bridges_own_message_is_not_posted(stack: LocalStack, slack: SlackSender) -> None:
    """The bridge's own message (bot ID from ``auth.test``) is fetched, recognised and
    skipped without a post or a reply."""
    msg = stack.slack.add_message(
        NEWS, {"bot_id": "BBRIDGE", "user": "UBRIDGEBOT", "text": "Shared to announcements"}
    )
    react(slack, msg["ts"])
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.cancelled)
    assert posts(stack) == [] and stack.slack.posted == []


def test_an_apps_message_is_posted_with_its_blocks(stack: LocalStack, slack: SlackSender) -> None:
    """A workflow's or another app's message is shared like anyone's, its header and
    section blocks carried over (not only the notification text)."""
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Release 4.2"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "Out *today* for everyone"}},
    ]
    msg = stack.slack.add_message(
        NEWS,
        {"bot_id": "B0WORKFLOW", "subtype": "bot_message", "text": "Release", "blocks": blocks},
    )
    react(slack, msg["ts"])
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    [body] = posts(stack)
    assert "Release 4.2" in body["data"]["text"]
    assert "Out today for everyone" in body["data"]["text"]


def test_slash_command_text(stack: LocalStack, slack: SlackSender) -> None:
    """/crosspost <text> posts the text and answers in the channel with the link."""
    url = stack.slack.response_url("cmd1")
    answer = slack.command(
        "Hello <@U0ALICE01|alice> &amp; all #launch",
        channel_id=NEWS,
        user_id="U0BOB0001",
        response_url=url,
    )
    assert answer.status_code == 200
    assert "On its way to *announcements*" in answer.json()["text"]
    wait_for(lambda: len(stack.slack.responses) == 1)
    [body] = posts(stack)
    assert body["data"]["text"] == "Hello @Alice & all #launch"
    assert body["hashtags"] == ["launch"]
    [response] = stack.slack.responses
    assert response.body["response_type"] == "in_channel"
    assert body["postId"] in response.body["text"]


def test_slash_command_message_link(stack: LocalStack, slack: SlackSender) -> None:
    """/crosspost <link to a thread reply> shares it and replies in its thread."""
    parent = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "parent"})
    child = stack.slack.add_message(
        NEWS, {"user": "U0ALICE01", "text": "child text", "thread_ts": parent["ts"]}
    )
    link = (
        f"https://fakeworkspace.slack.com/archives/{NEWS}/p{child['ts'].replace('.', '')}"
        f"?thread_ts={parent['ts']}&cid={NEWS}"
    )
    answer = slack.command(
        f"<{link}>",
        channel_id=RANDOM,
        user_id="U0BOB0001",
        response_url=stack.slack.response_url("cmd2"),
    )
    assert "On its way" in answer.json()["text"]
    wait_for(lambda: job_state(stack, child["ts"]) is JobState.done)
    assert [p["data"]["text"] for p in posts(stack)] == ["child text"]
    [reply] = stack.slack.posted
    assert reply.thread_ts == parent["ts"] and reply.channel == NEWS


@pytest.mark.parametrize("text", ["", "help"])
def test_help_is_ephemeral(stack: LocalStack, slack: SlackSender, text: str) -> None:
    """/crosspost and /crosspost help answer with the usage, visible only to the sender."""
    answer = slack.command(
        text, channel_id=RANDOM, user_id="U0BOB0001", response_url=stack.slack.response_url("help")
    )
    payload = answer.json()
    assert "/crosspost <message link>" in payload["text"]
    assert payload.get("response_type", "ephemeral") == "ephemeral"
    assert stack.bridge.outbox.recent() == []


def test_command_in_unrouted_channel(stack: LocalStack, slack: SlackSender) -> None:
    """A channel without a route gets an ephemeral explanation and how to add one."""
    answer = slack.command(
        "some text",
        channel_id=RANDOM,
        user_id="U0BOB0001",
        response_url=stack.slack.response_url("x"),
    )
    text = answer.json()["text"]
    assert "not connected to a community" in text and RANDOM in text
    assert stack.bridge.outbox.recent() == []


def test_two_reactions_and_a_command_make_one_post(stack: LocalStack, slack: SlackSender) -> None:
    """Later triggers of a shared message get the existing link, not a second post."""
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "only once"})
    react(slack, msg["ts"], user="U0BOB0001")
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    react(slack, msg["ts"], user="U0ALICE01")
    wait_for(lambda: len(stack.slack.ephemerals) == 1)
    link = f"https://fakeworkspace.slack.com/archives/{NEWS}/p{msg['ts'].replace('.', '')}"
    answer = slack.command(
        link, channel_id=NEWS, user_id="U0ALICE01", response_url=stack.slack.response_url("again")
    )
    [body] = posts(stack)
    assert "Already shared" in answer.json()["text"] and body["postId"] in answer.json()["text"]
    [notice] = stack.slack.ephemerals
    assert notice.user == "U0ALICE01" and body["postId"] in notice.text
    assert stack.amity.post_count() == 1


def test_slack_retries_make_one_post(stack: LocalStack, slack: SlackSender) -> None:
    """The same event delivered 4 times (3 with X-Slack-Retry-Num) is one post, no notices."""
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "retried"})
    react(slack, msg["ts"], event_id="Ev0RETRY")
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    for n in (1, 2, 3):
        react(slack, msg["ts"], event_id="Ev0RETRY", retry_num=n)
    assert stack.amity.post_count() == 1
    assert stack.slack.ephemerals == []
    assert len(stack.slack.posted) == 1


def test_bad_signature_and_stale_timestamp_are_refused(stack: LocalStack) -> None:
    """Wrong secret → 401; a request older than 5 minutes → 401; nothing stored."""
    with SlackSender(stack.events_url, "not-the-secret") as wrong:
        assert (
            wrong.reaction(
                user="U0BOB0001", reaction="mega", channel=NEWS, ts="1700000000.000100"
            ).status_code
            == 401
        )
    with SlackSender(stack.events_url, SIGNING_SECRET) as right:
        stale = int(time.time()) - 6 * 60
        assert (
            right.reaction(
                user="U0BOB0001",
                reaction="mega",
                channel=NEWS,
                ts="1700000000.000100",
                timestamp=stale,
            ).status_code
            == 401
        )
    assert stack.bridge.outbox.recent() == []


def test_blocked_word_is_told_to_the_person(stack: LocalStack, slack: SlackSender) -> None:
    """Amity's 400308 ends the job; the reactor is told privately, in the thread."""
    stack.amity.blocked_words.add("darn")
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "well darn it"})
    react(slack, msg["ts"])
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.failed)
    wait_for(lambda: len(stack.slack.ephemerals) == 1)
    [notice] = stack.slack.ephemerals
    assert notice.user == "U0BOB0001" and notice.thread_ts == msg["ts"]
    assert "blocks" in notice.text and "400308" in notice.text
    assert posts(stack) == [] and stack.slack.posted == []


def test_too_long_text_is_refused_before_amity(stack: LocalStack, slack: SlackSender) -> None:
    """More than 20,000 characters: a clear message, nothing sent to Amity."""
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "x" * 20_001})
    react(slack, msg["ts"])
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.failed)
    wait_for(lambda: len(stack.slack.ephemerals) == 1)
    [notice] = stack.slack.ephemerals
    assert "20,000" in notice.text or "20000" in notice.text
    assert stack.amity.requests == []


def test_empty_message_is_refused(stack: LocalStack, slack: SlackSender) -> None:
    """A message with nothing to post is not sent as an empty post."""
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "   "})
    react(slack, msg["ts"])
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.failed)
    wait_for(lambda: len(stack.slack.ephemerals) == 1)
    assert stack.amity.requests == []


def test_amity_down_then_back(stack: LocalStack, slack: SlackSender, clock: MovableClock) -> None:
    """503 then 429 for 15 minutes: the job waits (backoff), the person hears once that it
    is delayed, and it posts once."""
    stack.amity.fail_next(503, None)
    stack.amity.fail_next(429, 400311, "RateLimit Exceed.")
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "eventually"})
    react(slack, msg["ts"])
    for attempts in (1, 2):
        wait_retrying(stack, msg["ts"], attempts)
        clock.advance(timedelta(minutes=15))
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    job = find_job(stack, msg["ts"])
    assert job is not None and job.attempts == 3
    assert stack.amity.post_count() == 1 and len(stack.slack.posted) == 1
    [notice] = stack.slack.ephemerals
    assert notice.text.startswith("Delayed:") and "Could not" not in notice.text


def test_lost_answer_is_not_a_second_post(
    stack: LocalStack, slack: SlackSender, clock: MovableClock
) -> None:
    """Amity stored the post but the answer was a 502: the retry's 400315 counts as done."""
    stack.amity.fail_after_commit_next()
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "stored once"})
    react(slack, msg["ts"])
    wait_retrying(stack, msg["ts"], 1)
    clock.advance(timedelta(minutes=15))
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    assert stack.amity.post_count() == 1
    assert len(stack.slack.posted) == 1


def test_bot_not_in_channel_told_through_command(stack: LocalStack, slack: SlackSender) -> None:
    """Sharing by link from a channel the bot cannot read says to invite it."""
    stack.slack.add_channel(NEWS, "announcements", is_member=False)
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "hidden"})
    link = f"https://fakeworkspace.slack.com/archives/{NEWS}/p{msg['ts'].replace('.', '')}"
    slack.command(
        link, channel_id=NEWS, user_id="U0BOB0001", response_url=stack.slack.response_url("hidden")
    )
    wait_for(lambda: len(stack.slack.responses) == 1)
    assert "/invite @bridge" in stack.slack.responses[0].body["text"]
    assert posts(stack) == []


def test_healthz(stack: LocalStack, slack: SlackSender) -> None:
    """GET /healthz: 200 with the worker's last run; 503 once the store is unreachable."""
    import httpx

    from bridge.delivery.outbox import make_engine

    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "health"})
    react(slack, msg["ts"])
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    wait_for(lambda: stack.bridge.last_poll is not None)
    answer = httpx.get(stack.url + "/healthz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["store"] == "ok" and body["worker"]["running"] is True
    assert body["worker"]["last_run"] is not None
    healthy = stack.bridge.outbox.engine
    stack.bridge.outbox.engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        down = httpx.get(stack.url + "/healthz")
    finally:
        stack.bridge.outbox.engine.dispose()
        stack.bridge.outbox.engine = healthy
    assert down.status_code == 503 and down.json()["store"] == "unreachable"


def test_message_shortcut(stack: LocalStack, slack: SlackSender) -> None:
    """The "Share to community" shortcut opens the preview; submitting it as shown posts the
    message and replies in its thread."""
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "via the menu"})
    answer = slack.shortcut(
        channel=NEWS, user="U0BOB0001", message=msg, response_url=stack.slack.response_url("sc")
    )
    assert answer.status_code == 200
    wait_for(lambda: bool(stack.slack.modals))
    [view] = stack.slack.modals
    state: dict[str, dict[str, Any]] = {
        "community": {"route": {"selected_option": {"value": "announcements"}}},
        "text": {"text": {"value": "via the menu"}},
    }
    submission = view_submission_form(TEAM, "U0BOB0001", view, state)
    assert slack.post(submission, FORM).status_code == 200
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    assert [p["data"]["text"] for p in posts(stack)] == ["via the menu"]
    [reply] = stack.slack.posted
    assert reply.thread_ts == msg["ts"] and "<@U0BOB0001>" in reply.text


def test_message_shortcut_unrouted(stack: LocalStack, slack: SlackSender) -> None:
    """The shortcut in a channel without a route says so to the person only."""
    msg = stack.slack.add_message(RANDOM, {"user": "U0ALICE01", "text": "nowhere"})
    slack.shortcut(
        channel=RANDOM, user="U0BOB0001", message=msg, response_url=stack.slack.response_url("sc2")
    )
    wait_for(lambda: len(stack.slack.responses) == 1)
    body = stack.slack.responses[0].body
    assert "not connected to a community" in body["text"]
    assert body["response_type"] == "ephemeral"
    assert stack.bridge.outbox.recent() == []


def test_metrics_parse_and_count(stack: LocalStack, slack: SlackSender) -> None:
    """/metrics is Prometheus text: acks, jobs by state, Amity and Slack calls."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "measured"})
    react(slack, msg["ts"])
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    text = httpx.get(stack.url + "/metrics").text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }
    assert samples[("bridge_ack_seconds_count", ())] == 1
    assert samples[("bridge_jobs", (("state", "done"),))] == 1
    amity = (
        "bridge_call_seconds_count",
        (("operation", "POST api/v4/posts"), ("service", "amity")),
    )
    assert samples[amity] == 1
    assert (
        samples[
            (
                "bridge_call_seconds_count",
                (("operation", "conversations.history"), ("service", "slack")),
            )
        ]
        == 1
    )


def _reaction(**item: object) -> bytes:
    body = json.loads(
        reaction_added_body(
            team_id="T0FAKE", user="U0BOB0001", reaction="mega", channel=NEWS, ts="1"
        )
    )
    body["event"]["item"] = {"type": "message", "channel": NEWS, **item}
    return json.dumps(body).encode()


def _command(**drop: None) -> bytes:
    form = parse_qs(
        slash_command_form(
            text="SECRET-TEXT",
            team_id="T0FAKE",
            channel_id=NEWS,
            user_id="U0BOB0001",
            response_url="https://hooks.slack.com/commands/T0FAKE/1/x",
        ).decode()
    )
    return urlencode({k: v[0] for k, v in form.items() if k not in drop}).encode()


def _shortcut(ts: str) -> bytes:
    message = {"type": "message", "ts": ts, "text": "SECRET-TEXT"}
    return message_shortcut_form(
        team_id="T0FAKE", channel=NEWS, user="U0BOB0001", message=message, response_url="x"
    )


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
INVALID = [
    ("not JSON", b'{"type": "event_callback", SECRET-TEXT', JSON),
    ("a JSON array", b'["SECRET-TEXT"]', JSON),
    ("not UTF-8", b"\xff\xfeSECRET-TEXT", FORM),
    ("neither JSON nor a form", b"SECRET-TEXT", "text/plain"),
    ("a form without command or payload", b"text=SECRET-TEXT", FORM),
    ("a payload that is not JSON", b"payload=%7BSECRET-TEXT", FORM),
    ("an event without team", b'{"type": "event_callback", "event": {"type": "x"}}', JSON),
    ("a reaction without its item", _reaction(ts=None, channel=None), JSON),
    ("a reaction on a ts that is not Slack's", _reaction(ts="../SECRET-TEXT"), JSON),
    ("a command without response_url", _command(response_url=None), FORM),
    ("a command without trigger_id", _command(trigger_id=None), FORM),
    ("a shortcut on a ts that is not Slack's", _shortcut("12.5"), FORM),
]


@pytest.mark.parametrize(
    ("body", "content_type"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_signed_requests_that_are_not_slack_payloads_get_400(
    stack: LocalStack,
    slack: SlackSender,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
) -> None:
    """A signed request that is not a valid Slack payload: HTTP 400, one log line without
    the body, nothing stored, nothing called."""
    caplog.set_level(logging.INFO)
    answer = slack.post(body, content_type)
    assert answer.status_code == 400
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "bridge.request_invalid"
    ]
    assert "SECRET-TEXT" not in caplog.text
    assert stack.bridge.outbox.recent() == []
    assert stack.slack.calls == []  # nothing, not even auth.test (serve asks it, see health)
    assert stack.amity.requests == []


def test_unsigned_garbage_is_refused_as_unsigned(stack: LocalStack) -> None:
    """Without a valid signature the answer is 401, whatever the body."""
    import httpx

    answer = httpx.post(stack.events_url, content=b"{oops", headers={"content-type": JSON})
    assert answer.status_code == 401
    assert stack.bridge.outbox.recent() == []
