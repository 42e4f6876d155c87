"""The jobs that the triggers make: a message to cross-post, or a command's text. A job's
key names its trigger's message (or command) and community, and the Amity ``postId`` is
derived from the key, so the same trigger always makes the same post.
"""

from __future__ import annotations

import hashlib
from typing import Any

from slack_bolt import BoltRequest

from bridge.delivery.outbox import NewJob
from bridge.routes import Route
from bridge.slack.payloads import SlashCommand


def post_id_for(key: str) -> str:
    """Amity post ID derived from the job key: the same trigger always gets the same ID."""
    return "slack-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def message_job(team: str, channel: str, ts: str, route: Route, **extra: Any) -> NewJob:
    """The job that cross-posts message ``ts`` of ``channel`` through ``route``."""
    key = f"{team}:{channel}:{ts}:{route.community}"
    return NewJob(
        key=key,
        kind="message",
        team_id=team,
        channel_id=channel,
        message_ts=ts,
        route_name=route.name,
        community_id=route.community,
        post_id=post_id_for(key),
        **extra,
    )


def text_job(cmd: SlashCommand, text: str, route: Route, **extra: Any) -> NewJob:
    """The job that posts ``text`` from a command (keyed by the command's trigger)."""
    key = f"{cmd.team_id}:{cmd.channel_id}:cmd:{cmd.trigger_id}:{route.community}"
    return NewJob(
        key=key,
        kind="text",
        team_id=cmd.team_id,
        channel_id=cmd.channel_id,
        route_name=route.name,
        community_id=route.community,
        post_id=post_id_for(key),
        text=text,
        **extra,
    )


def is_retry(request: BoltRequest) -> bool:
    """Slack re-sent this request (``X-Slack-Retry-Num``)."""
    return bool(request.headers.get("x-slack-retry-num"))


def no_route_text(channel: str) -> str:
    """What a person sees when the channel has no route."""
    return (
        f"This channel (<#{channel}>) is not connected to a community. An admin can add "
        f"a route for it: `/crosspost route add <#{channel}> :emoji: <community>`."
    )
