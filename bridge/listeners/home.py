"""The App Home tab: routes, the last cross-posts and the last failures, without logs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext

from bridge.delivery.links import Links, PostLink
from bridge.delivery.outbox import Job, JobState, Outbox
from bridge.routes import RoutesConfig


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _line(job: Job) -> str:
    when = f"{job.updated_at:%Y-%m-%d %H:%M} UTC" if job.updated_at else ""
    where = f"<#{job.channel_id}>"
    if job.state is JobState.done:
        return f"• {when} {where} → *{job.route_name}*: <{job.post_url}|open post>"
    return f"• {when} {where} → *{job.route_name}*: {job.last_error or job.state.value}"


def _gone(link: PostLink) -> str:
    when = f"{link.removed_at:%Y-%m-%d %H:%M} UTC" if link.removed_at else ""
    why = f"taken back by <@{link.removed_by}>" if link.removed_by else "message deleted in Slack"
    return f"• {when} *{link.route_name}*: post `{link.post_id}`, {why}"


def home_view(routes: RoutesConfig, outbox: Outbox, team_id: str) -> dict[str, Any]:
    """The ``home`` view for ``views.publish``."""
    route_lines = [
        f"• {', '.join(f'<#{c}>' for c in r.channels)} · :{r.emoji}: → *{r.name}* "
        f"(community `{r.community}`)"
        for r in routes.routes
    ]
    if not route_lines:
        route_lines = [
            "No routes yet, so nothing can be shared. Add one to the routes file "
            "(`bridge.yml`, or the path in `BRIDGE_CONFIG`; `bridge.example.yml` shows the "
            "form): a channel ID, an emoji and an Amity community ID. Then restart the bridge "
            "and run `python -m bridge check`."
        ]
    shares = ("message", "text")
    done = [j for j in outbox.recent_in(team_id, (JobState.done,), 30) if j.kind in shares][:10]
    removed = Links(outbox.engine).recently_removed(team_id, 10)
    failed = outbox.recent_in(team_id, (JobState.failed,), 5)
    waiting = outbox.recent_in(team_id, (JobState.pending, JobState.running), 10)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "bridge"}},
        _section(
            "React with a route's emoji, use *Share to community* in a message's menu, "
            "or type `/crosspost help`."
        ),
        {"type": "divider"},
        _section("*Routes*\n" + "\n".join(route_lines)),
        _section("*Last cross-posts*\n" + ("\n".join(map(_line, done)) or "None yet.")),
        _section("*Removed from the community*\n" + ("\n".join(map(_gone, removed)) or "None.")),
        _section("*Last failures*\n" + ("\n".join(map(_line, failed)) or "None.")),
    ]
    if waiting:
        blocks.append(_section(f"*Waiting or in progress*: {len(waiting)} job(s)"))
    return {"type": "home", "blocks": blocks}


Publish = Callable[[str, dict[str, Any]], None]  # (user, view) → views.publish, off the request


class Home:
    """The ``app_home_opened`` listener: publishes the tab to the person who opened it."""

    def __init__(self, routes: RoutesConfig, outbox: Outbox, publish: Publish) -> None:
        self.routes = routes
        self.outbox = outbox
        self.publish = publish

    def on_home_opened(self, event: dict[str, Any], context: BoltContext) -> None:
        """Build the view now and hand it to ``publish`` (messages tab: nothing to do)."""
        if event.get("tab") != "home" or not isinstance(event.get("user"), str):
            return
        self.publish(event["user"], home_view(self.routes, self.outbox, context.team_id or ""))
