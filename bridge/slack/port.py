"""What the delivery layer asks of Slack, as a Protocol: ``SlackGateway`` is the real one.

The worker, the attacher and the replies depend on this, not on the Slack SDK, so they
can be run against any object with these methods (the unit tests use a small in-memory
one). Failures are ``SlackRetryable`` or ``SlackRejected`` (:mod:`bridge.slack.api`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from bridge.slack.message import SlackFile, SlackMessage


class SlackPort(Protocol):
    """The Slack Web API calls a job makes."""

    def own_bot_id(self) -> str:
        """The bridge's own bot ID (its messages are never cross-posted)."""
        ...

    def can_read(self, channel: str, user: str) -> bool:
        """Whether ``user`` may read ``channel`` (public, or a member of it)."""

    def fetch_message(self, channel: str, ts: str, thread_ts: str | None = None) -> SlackMessage:
        """One message, top level or a thread reply."""

    def file_info(self, file_id: str) -> SlackFile:
        """A file's full description (``files.info``)."""

    def user_names(self, user_ids: Iterable[str]) -> dict[str, str]:
        """Display names by user ID (unknown IDs left out)."""

    def user_emails(self, user_ids: Iterable[str]) -> dict[str, str]:
        """Emails by user ID (left out when unknown, or without ``users:read.email``)."""

    def channel_names(self, channel_ids: Iterable[str]) -> dict[str, str]:
        """Channel names by ID (unknown IDs left out)."""

    def usergroup_handles(self, group_ids: Iterable[str]) -> dict[str, str]:
        """User group handles by ID (unknown IDs left out)."""

    def user_tz(self, user_id: str) -> str | None:
        """A person's time zone name, if Slack gives one."""

    def permalink(self, channel: str, ts: str, thread_ts: str | None = None) -> str:
        """The link to a message."""

    def reply(
        self,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> None:
        """A message in the channel (in the thread of ``thread_ts`` when given); ``text``
        is the notification's text when ``blocks`` are given."""

    def thread_has(self, channel: str, thread_ts: str, piece: str, oldest: float) -> bool:
        """Whether a bot message containing ``piece`` is in the thread since ``oldest``."""

    def react(self, channel: str, ts: str, name: str) -> None:
        """Add a reaction (one already there is fine)."""

    def ephemeral(
        self,
        channel: str,
        user: str,
        text: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> None:
        """A message only ``user`` sees."""

    def respond(self, response_url: str, text: str, *, in_channel: bool = False) -> None:
        """An answer through a command's ``response_url``."""
