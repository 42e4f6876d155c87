"""Who may see a channel's activity in the App Home: anyone for a public channel; for a
private channel, a DM or a group DM, its members (the membership check intake uses,
``SlackGateway.can_read``) and the bridge's admins. Asked once per channel per view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from bridge.slack.api import SlackError
from bridge.slack.directory import Directory


class Membership(Protocol):
    """What the check needs of Slack: whether a person may read a channel."""

    def can_read(self, channel: str, user: str) -> bool:
        """Any public channel, or a private one ``user`` is a member of."""
        ...


def viewer(
    user: str, is_admin: bool, directory: Directory, slack: Membership
) -> Callable[[str], bool]:
    """Whether ``user`` may see activity in a channel (unknown when Slack fails: no)."""
    seen: dict[str, bool] = {}

    def can_see(channel: str) -> bool:
        if channel not in seen:
            try:
                seen[channel] = (
                    is_admin
                    or not directory.channel(channel).is_closed
                    or slack.can_read(channel, user)
                )
            except SlackError:
                seen[channel] = False
        return seen[channel]

    return can_see
