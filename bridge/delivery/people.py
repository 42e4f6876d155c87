"""Who a Slack user is on Amity, by the workspace's mention strategy (``BRIDGE_MENTIONS``).

``map`` reads the routes file's ``users:`` table, ``email`` takes the Slack user's email
(``users.info``, which gives it only with the ``users:read.email`` scope), ``slack_id``
takes the Slack user ID itself, ``none`` matches nobody. A user without a match is
mentioned as plain ``@Name`` text, never notified, and never posted as.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bridge.settings import MentionStrategy
from bridge.slack.port import SlackPort


class People:
    """Slack user IDs → Amity user IDs."""

    def __init__(
        self, strategy: MentionStrategy, slack: SlackPort, table: Mapping[str, str]
    ) -> None:
        self.strategy = strategy
        self.slack = slack
        self.table = table

    def amity_ids(self, user_ids: Iterable[str]) -> dict[str, str]:
        """The Amity user ID of each of ``user_ids`` that has one."""
        wanted = sorted(set(user_ids))
        match self.strategy:
            case MentionStrategy.map:
                return {u: self.table[u] for u in wanted if self.table.get(u)}
            case MentionStrategy.email:
                return self.slack.user_emails(wanted)
            case MentionStrategy.slack_id:
                return {u: u for u in wanted}
            case MentionStrategy.none:
                return {}

    def amity_id(self, user_id: str) -> str | None:
        """The Amity user ID of one Slack user, or None."""
        return self.amity_ids([user_id]).get(user_id)
