"""Who may publish what through a route, and who may change the routes.

Checked at intake, before a job is stored, in this order: the channel's privacy (private
channels, DMs and group DMs need ``allow_private``; Slack Connect channels need
``allow_external``), the author's workspace (someone from another organisation needs
``allow_external``), then the route's ``who``. Every refusal says why and who can
publish, and is shown only to the person who asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bridge.routes import Route, who_may_publish
from bridge.slack.directory import Directory


@dataclass(frozen=True)
class Share:
    """Someone asking for a message of a channel to be published."""

    team: str
    channel: str
    user: str  # who asked (reacted, ran the command, used the shortcut)
    author: str | None  # who wrote the message (None: unknown)


@dataclass(frozen=True)
class Verdict:
    """``publish`` now, wait for ``approval``, or ``refused`` with the reason."""

    outcome: Literal["publish", "approval", "refused"]
    reason: str = ""


def judge(route: Route, share: Share, directory: Directory) -> Verdict:
    """What happens to ``share`` through ``route``."""
    if problem := _privacy(route, share, directory):
        return Verdict("refused", problem)
    if route.who == "anyone":
        return Verdict("publish")
    if route.who == "author":
        if share.author is not None and share.user == share.author:
            return Verdict("publish")
        return Verdict("refused", _only(route, "only the message's author may publish it"))
    if is_listed(route, share.user, directory):
        return Verdict("publish")
    if route.who == "approval":
        return Verdict("approval")
    return Verdict("refused", _only(route, f"{who_may_publish(route)} may publish"))


def _only(route: Route, who: str) -> str:
    return f"*{route.name}* has a rule: {who} through it."


def _privacy(route: Route, share: Share, directory: Directory) -> str | None:
    channel = directory.channel(share.channel)
    admin_hint = "a bridge admin can allow it for this route"
    if channel.is_closed and not route.allow_private:
        return (
            f"*{route.name}* does not publish from private channels, DMs or group DMs "
            f"(nothing from here leaves Slack; {admin_hint} with `allow_private`)."
        )
    if channel.is_external and not route.allow_external:
        return (
            f"*{route.name}* does not publish from channels shared with other organisations "
            f"(Slack Connect; {admin_hint} with `allow_external`)."
        )
    outside = share.author is not None and directory.user(share.author).is_outside(share.team)
    if outside and not route.allow_external:
        return (
            f"*{route.name}* does not publish messages written by people outside this "
            f"workspace (Slack Connect; {admin_hint} with `allow_external`)."
        )
    return None


def is_listed(route: Route, user: str, directory: Directory) -> bool:
    """Whether ``user`` is one of the route's people or in one of its groups."""
    return user in route.people or any(user in directory.group_members(g) for g in route.groups)


def may_change_routes(user: str, directory: Directory, admins: Iterable[str]) -> bool:
    """Workspace admins and owners, and the IDs in ``BRIDGE_ADMINS``."""
    return user in set(admins) or directory.user(user).is_workspace_admin


REFUSED_ROUTES = (
    "Only Slack workspace admins and owners, and the people listed in the bridge's "
    "`BRIDGE_ADMINS` setting, may change routes. Ask one of them."
)
