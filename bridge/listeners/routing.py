"""Routes managed from Slack: ``/crosspost route add|remove``, ``/crosspost routes``.

``route add #channel :emoji: <community ID or name> [options]`` where the options are
any of: more channels, ``everywhere`` (workspace-wide), people (``@alice``) and user groups
(``@editors``) to list, ``who=anyone|listed|author|approval``, ``name=...``,
``approval-emoji=:emoji:``, ``expires=<hours>h``, ``allow-private``, ``allow-external``.
With ``should_escape`` on (the manifest's), Slack sends channels as ``<#C…|name>``,
people as ``<@U…|name>`` and groups as ``<!subteam^S…|@handle>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from bridge.amity.client import AmityClient
from bridge.amity.errors import AmityError
from bridge.delivery.routestore import RouteRefused, RouteStore
from bridge.ids import RULE, is_amity_id
from bridge.listeners.commands import Routes
from bridge.listeners.permits import REFUSED_ROUTES, may_change_routes
from bridge.routes import Route, describe_rules
from bridge.slack.api import SlackError
from bridge.slack.directory import Directory

CHANNEL = re.compile(r"^<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>$|^([CGD][A-Z0-9]{6,})$")
PERSON = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
GROUP = re.compile(r"^<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>$")
EMOJI = re.compile(r"^:([a-z0-9_+'\-]+):$")
OPTION = re.compile(r"^(name|who|approval-emoji|expires)=(.+)$")

ROUTE_USAGE = """*Routes* (Slack workspace admins and owners, and `BRIDGE_ADMINS`)
• `/crosspost routes`: every route and its rules
• `/crosspost route add #channel :emoji: <community ID or name>` with, optionally,
  more channels, `everywhere` (the emoji works in every channel the bot is in),
  `who=anyone|listed|author|approval` with the people (`@alice`) and groups (`@editors`)
  who may publish or approve, `name=...`, `approval-emoji=:emoji:`, `expires=24h`,
  `allow-private` (private channels, DMs), `allow-external` (Slack Connect)
• `/crosspost route remove <name>`"""


@dataclass
class RouteDraft:
    """What ``route add`` asked for, before the community is looked up."""

    community: str
    fields: dict[str, Any] = field(default_factory=dict)


FLAGS = {
    "everywhere": "workspace_wide",
    "*": "workspace_wide",
    "all-channels": "workspace_wide",
    "allow-private": "allow_private",
    "allow_private": "allow_private",
    "allow-external": "allow_external",
    "allow_external": "allow_external",
}
LISTS = ((CHANNEL, "channels"), (PERSON, "people"), (GROUP, "groups"))


def parse_route_add(text: str) -> RouteDraft | str:
    """The route asked for, or what is wrong with the command."""
    fields: dict[str, Any] = {"channels": [], "people": [], "groups": []}
    words = [token for token in text.split() if not _take(token, fields)]
    if "emoji" not in fields:
        return "say which emoji starts the route, e.g. `:mega:`"
    if not words:
        return "say which community: its Amity ID or its name"
    if (fields["people"] or fields["groups"]) and "who" not in fields:
        fields["who"] = "listed"
    return RouteDraft(" ".join(words), fields)


def _take(token: str, fields: dict[str, Any]) -> bool:
    """Put ``token`` into ``fields`` if it is a channel, person, group, emoji or option."""
    for pattern, key in LISTS:
        if match := pattern.match(token):
            fields[key].append(next(g for g in match.groups() if g))
            return True
    if (match := EMOJI.match(token)) and "emoji" not in fields:
        fields["emoji"] = match[1]
    elif token.lower() in FLAGS:
        fields[FLAGS[token.lower()]] = True
    elif match := OPTION.match(token):
        key, value = match[1], match[2]
        if key == "expires":
            fields["approval_hours"] = value.lower().removesuffix("h")
        else:
            fields[key.replace("-", "_")] = value.strip(":")
    else:
        return False
    return True


def slug(text: str) -> str:
    """A route name from a community's name: lower case, dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "route"


def resolve_community(amity: AmityClient, wanted: str) -> dict[str, Any] | str:
    """The community with ID ``wanted``, or the one so named; else what went wrong."""
    try:
        if is_amity_id(wanted) and (found := amity.get_community(wanted)):
            return found
        candidates = amity.find_communities(wanted)
    except AmityError as error:
        return f"Amity could not be asked about the community ({error}); try again shortly"
    if not candidates and not re.search(r"\s", wanted) and not is_amity_id(wanted):
        return f"`{wanted[:60]}` is not an Amity community ID ({RULE}), nor a community's name"
    exact = [c for c in candidates if str(c.get("displayName", "")).lower() == wanted.lower()]
    if len(exact) == 1:
        return exact[0]
    listed = exact or candidates
    if not listed:
        return f"no Amity community has the ID or name `{wanted}`"
    names = ", ".join(f"{c.get('displayName')} (`{c.get('communityId')}`)" for c in listed[:5])
    return f"`{wanted}` matches several communities: {names}. Use the ID of the one you mean"


def community_facts(community: dict[str, Any]) -> str:
    """What ``check`` says of a community: found, who may post, whether posts wait."""
    facts = [f"community *{community.get('displayName')}* (`{community.get('communityId')}`)"]
    if community.get("onlyAdminCanPost"):
        facts.append("only its admins may post (the bridge's admin user must be one)")
    if community.get("needApprovalOnPostCreation"):
        facts.append("posts wait for a moderator's approval in Amity")
    return ", ".join(facts)


def build_route(draft: RouteDraft, community: dict[str, Any], store: RouteStore) -> Route | str:
    """The route, validated, with a free name when none was given."""
    values = {**draft.fields, "community": str(community.get("communityId"))}
    if "name" not in values:
        base = slug(str(community.get("displayName") or values["community"]))
        taken = {r.name for r in store.current().routes}
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        values["name"] = name
    try:
        return Route.model_validate(values)
    except ValidationError as error:
        item = error.errors()[0]
        where = ".".join(str(p) for p in item["loc"])
        return f"{where + ': ' if where else ''}{item['msg'].removeprefix('Value error, ')}"


def add_route(store: RouteStore, amity: AmityClient, text: str, user: str) -> str:
    """``/crosspost route add ...``: the answer to show."""
    draft = parse_route_add(text)
    if isinstance(draft, str):
        return f"Sorry, {draft}.\n{ROUTE_USAGE}"
    community = resolve_community(amity, draft.community)
    if isinstance(community, str):
        return f"Sorry, {community}."
    route = build_route(draft, community, store)
    if isinstance(route, str):
        return f"Sorry, {route}."
    try:
        store.save(route, user)
    except RouteRefused as error:
        return f"Sorry, {error}."
    return (
        f"Added route *{route.name}*: :{route.emoji}: → {community_facts(community)}.\n"
        f"Rules: {describe_rules(route)}."
    )


def remove_route(store: RouteStore, name: str) -> str:
    """``/crosspost route remove <name>``: the answer to show."""
    if not name:
        return "Sorry, say which route to remove: `/crosspost route remove <name>`."
    try:
        removed = store.remove(name)
    except RouteRefused as error:
        return f"Sorry, {error}."
    if removed:
        return f"Removed route *{name}*."
    return f"There is no route named *{name}* (`/crosspost routes` lists them)."


def community_status(amity: AmityClient, community_id: str) -> str:
    """What ``check`` says of a route's community, asked of Amity now."""
    try:
        found = amity.get_community(community_id)
    except AmityError as error:
        return f"community `{community_id}` (Amity could not be asked: {error})"
    if found is None:
        return f"community `{community_id}`, *not found in Amity*"
    return community_facts(found)


def statuses(amity: AmityClient, routes: list[Route]) -> dict[str, str]:
    """``community_status`` of each distinct community of ``routes``."""
    return {c: community_status(amity, c) for c in dict.fromkeys(r.community for r in routes)}


def list_routes(store: RouteStore, amity: AmityClient) -> str:
    """``/crosspost routes``: each route with its community as Amity has it, and its rules."""
    routes = store.current().routes
    if not routes:
        return "No routes yet. " + ROUTE_USAGE
    found = statuses(amity, routes)
    lines = (route_line(r, store.is_bootstrap(r.name), found[r.community]) for r in routes)
    return "*Routes*\n" + "\n".join(lines)


def route_line(route: Route, from_file: bool, community: str) -> str:
    """One route in a list."""
    origin = " _(routes file, read-only)_" if from_file else ""
    return f"• *{route.name}*{origin}: :{route.emoji}: → {community}; {describe_rules(route)}"


def answer_route_command(
    store: RouteStore,
    amity: AmityClient,
    directory: Directory,
    admins: frozenset[str],
    user: str,
    request: Routes,
) -> str:
    """The answer to ``/crosspost routes`` or ``/crosspost route ...``."""
    if request.action == "list":
        return list_routes(store, amity)
    if request.action == "help":
        return ROUTE_USAGE
    try:
        allowed = may_change_routes(user, directory, admins)
    except SlackError:
        return "Sorry, Slack did not say whether you are a workspace admin; try again shortly."
    if not allowed:
        return REFUSED_ROUTES
    if request.action == "add":
        return add_route(store, amity, request.rest, user)
    return remove_route(store, request.rest.strip())
