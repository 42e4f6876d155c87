"""The App Home tab: routes, the last cross-posts and the last failures, without logs."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from bridge.delivery.links import Links, PostLink
from bridge.delivery.outbox import Job, JobState, Outbox
from bridge.routes import Route, RoutesConfig, describe_rules

ADD = "route_add"  # action_id of "Add a route"
EDIT = "route_edit"  # ... of "Change" (value: the route's name)
REMOVE = "route_remove"  # ... of "Remove"


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


NO_ROUTES = (
    "No routes yet, so nothing can be shared. A workspace admin can add one with *Add a "
    "route* or `/crosspost route add #channel :emoji: <community>`, or in the routes file "
    "(`bridge.yml`, or the path in `BRIDGE_CONFIG`; `bridge.example.yml` shows the form, "
    "and the bridge reads it at start-up). Then run `python -m bridge check`."
)


def _button(text: str, action: str, value: str = "", style: str = "") -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action,
        "text": {"type": "plain_text", "text": text},
        "value": value or action,
    }
    if style:
        button["style"] = style
    return button


def route_blocks(
    routes: RoutesConfig, read_only: Collection[str], communities: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Each route with its rules, and buttons to change or remove the stored ones."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Routes*"},
            "accessory": _button("Add a route", ADD, style="primary"),
        }
    ]
    if not routes.routes:
        blocks.append(_section(NO_ROUTES))
    for route in routes.routes[:30]:  # a view holds 100 blocks
        community = communities.get(route.community, f"community `{route.community}`")
        blocks.append(_section(_route_text(route, route.name in read_only, community)))
        if route.name not in read_only:
            remove = _button("Remove", REMOVE, route.name, "danger")
            blocks.append(
                {"type": "actions", "elements": [_button("Change", EDIT, route.name), remove]}
            )
    return blocks


def _route_text(route: Route, from_file: bool, community: str) -> str:
    origin = " _(routes file, read-only)_" if from_file else ""
    return f"*{route.name}*{origin}: :{route.emoji}: → {community}\n{describe_rules(route)}"


def home_view(
    routes: RoutesConfig,
    outbox: Outbox,
    team_id: str,
    read_only: Collection[str] | None = None,
    communities: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``home`` view for ``views.publish``; with ``read_only`` (the routes file's
    route names), the routes come with buttons to add, change and remove them, and with
    what Amity says of their communities (``communities``, by ID)."""
    route_lines = [
        f"• {', '.join(f'<#{c}>' for c in r.channels)} · :{r.emoji}: → *{r.name}* "
        f"(community `{r.community}`)"
        for r in routes.routes
    ]
    if not route_lines:
        route_lines = [NO_ROUTES]
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
        *(
            [_section("*Routes*\n" + "\n".join(route_lines))]
            if read_only is None
            else route_blocks(routes, read_only, communities or {})
        ),
        _section("*Last cross-posts*\n" + ("\n".join(map(_line, done)) or "None yet.")),
        _section("*Removed from the community*\n" + ("\n".join(map(_gone, removed)) or "None.")),
        _section("*Last failures*\n" + ("\n".join(map(_line, failed)) or "None.")),
    ]
    if waiting:
        blocks.append(_section(f"*Waiting or in progress*: {len(waiting)} job(s)"))
    return {"type": "home", "blocks": blocks}
