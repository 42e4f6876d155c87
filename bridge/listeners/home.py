"""The App Home tab: routes, the last cross-posts and the last failures, without logs.

Whatever the data, the view stays inside Slack's limits (``bridge.listeners.viewlimits``):
texts are cut with "…", routes come :data:`PER_PAGE` to a page with Previous / Next, and
activity in a channel the viewer may not read (a private channel they are not in) is
only counted, unless they are an admin."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from bridge.delivery.links import Links, PostLink
from bridge.delivery.outbox import Job, JobState, Outbox
from bridge.listeners.viewlimits import capped, clip, list_section, section
from bridge.routes import Route, RoutesConfig, describe_rules

ADD = "route_add"  # action_id of "Add a route"
EDIT = "route_edit"  # ... of "Change" (value: the route's name)
REMOVE = "route_remove"  # ... of "Remove"
PAGES = ("routes_previous", "routes_next")  # ... of the routes' pages (value: the page)
PER_PAGE = 20  # routes per page of the Home tab (two blocks each)
Visible = Callable[[str], bool]  # whether the viewer may see a channel's activity


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
        "text": {"type": "plain_text", "text": clip(text, 75)},
        "value": value or action,
    }
    if style:
        button["style"] = style
    return button


def route_blocks(
    routes: RoutesConfig,
    read_only: Collection[str],
    communities: Mapping[str, str],
    page: int = 0,
) -> list[dict[str, Any]]:
    """One page of routes with their rules, buttons to change or remove the stored ones,
    and Previous / Next when there are more pages."""
    pages = max(1, -(-len(routes.routes) // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = routes.routes[page * PER_PAGE : (page + 1) * PER_PAGE]
    title = "*Routes*"
    if pages > 1:
        first = page * PER_PAGE + 1
        title += f" ({first}–{first + len(shown) - 1} of {len(routes.routes)})"
    blocks: list[dict[str, Any]] = [
        {**section(title), "accessory": _button("Add a route", ADD, style="primary")}
    ]
    if not routes.routes:
        blocks.append(section(NO_ROUTES))
    for route in shown:
        community = communities.get(route.community, f"community `{route.community}`")
        blocks.append(section(_route_text(route, route.name in read_only, community)))
        if route.name not in read_only:
            remove = _button("Remove", REMOVE, route.name, "danger")
            blocks.append(
                {"type": "actions", "elements": [_button("Change", EDIT, route.name), remove]}
            )
    nav = [_button("Previous", PAGES[0], str(page - 1))] if page > 0 else []
    if page < pages - 1:
        nav.append(_button("Next", PAGES[1], str(page + 1)))
    if nav:
        blocks.append({"type": "actions", "elements": nav})
    return blocks


def _route_text(route: Route, from_file: bool, community: str) -> str:
    origin = " _(routes file, read-only)_" if from_file else ""
    return f"*{route.name}*{origin}: :{route.emoji}: → {community}\n{describe_rules(route)}"


def _seen(jobs: list[Job], can_see: Visible, limit: int) -> tuple[list[Job], int]:
    """The first ``limit`` jobs the viewer may see, and how many they may not."""
    shown = [j for j in jobs if can_see(j.channel_id)]
    return shown[:limit], len(jobs) - len(shown)


def home_view(
    routes: RoutesConfig,
    outbox: Outbox,
    team_id: str,
    read_only: Collection[str] | None = None,
    communities: Mapping[str, str] | None = None,
    *,
    page: int = 0,
    can_see: Visible = lambda _channel: False,
) -> dict[str, Any]:
    """The ``home`` view for ``views.publish``; with ``read_only`` (the routes file's
    route names), the routes come with buttons to add, change and remove them, and with
    what Amity says of their communities (``communities``, by ID). Activity in a channel
    is shown only when ``can_see`` it (the viewer is a member, or an admin)."""
    route_lines = [
        f"• {', '.join(f'<#{c}>' for c in r.channels)} · :{r.emoji}: → *{r.name}* "
        f"(community `{r.community}`)"
        for r in routes.routes
    ]
    shares = ("message", "text")
    recent = [j for j in outbox.recent_in(team_id, (JobState.done,), 30) if j.kind in shares]
    done, done_hidden = _seen(recent, can_see, 10)
    removed = Links(outbox.engine).recently_removed(team_id, 10)
    failed, failed_hidden = _seen(outbox.recent_in(team_id, (JobState.failed,), 20), can_see, 5)
    waiting = outbox.recent_in(team_id, (JobState.pending, JobState.running), 10)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "bridge"}},
        section(
            "React with a route's emoji, use *Share to community* in a message's menu, "
            "or type `/crosspost help`."
        ),
        {"type": "divider"},
        *(
            [list_section("*Routes*", route_lines, NO_ROUTES)]
            if read_only is None
            else route_blocks(routes, read_only, communities or {}, page)
        ),
        list_section("*Last cross-posts*", [_line(j) for j in done], "None yet.", done_hidden),
        list_section("*Removed from the community*", [_gone(g) for g in removed], "None."),
        list_section("*Last failures*", [_line(j) for j in failed], "None.", failed_hidden),
    ]
    if waiting:
        blocks.append(section(f"*Waiting or in progress*: {len(waiting)} job(s)"))
    return {"type": "home", "blocks": capped(blocks)}
