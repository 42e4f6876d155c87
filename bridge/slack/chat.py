"""Speaking in Slack: messages, ephemeral messages, reactions, views, and answers
through a command's ``response_url`` (sent only to Slack's hosts or the API's host)."""

from __future__ import annotations

from http.client import HTTPException
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.webhook import WebhookClient

from bridge.slack.calls import SlackCalls
from bridge.slack.errors import SlackRejected, SlackRetryable, retry_after


class Chat(SlackCalls):
    """``chat.*``, ``reactions.add``, ``views.*`` and ``response_url`` answers."""

    def reply(
        self,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> None:
        """A message in the channel (in the thread of ``thread_ts`` when given); ``text``
        is the notification's text when ``blocks`` are given."""
        self._call(
            "chat.postMessage",
            channel=channel,
            text=text,
            thread_ts=thread_ts,
            blocks=blocks,
            unfurl_links=False,
        )

    def post_blocks(
        self, channel: str, text: str, blocks: list[dict[str, Any]], thread_ts: str | None
    ) -> None:
        """A message with Block Kit blocks (``text`` is the notification's fallback)."""
        self._call(
            "chat.postMessage", channel=channel, text=text, blocks=blocks, thread_ts=thread_ts
        )

    def ephemeral(
        self,
        channel: str,
        user: str,
        text: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> None:
        """A message only ``user`` sees."""
        self._call(
            "chat.postEphemeral",
            channel=channel,
            user=user,
            text=text,
            thread_ts=thread_ts,
            blocks=blocks,
        )

    def react(self, channel: str, ts: str, name: str) -> None:
        """Add a reaction; one that is already there is fine."""
        try:
            self._call("reactions.add", channel=channel, timestamp=ts, name=name)
        except SlackRejected as error:
            if error.error != "already_reacted":
                raise

    def publish_home(self, user: str, view: dict[str, Any]) -> None:
        """Show ``view`` in ``user``'s App Home tab."""
        self._call("views.publish", user_id=user, view=view)

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        """Open a modal (``views.open``; the trigger is valid for 3 seconds)."""
        self._call("views.open", trigger_id=trigger_id, view=view)

    def respond(self, response_url: str, text: str, *, in_channel: bool = False) -> None:
        """Answer a slash command through its ``response_url`` (no token is sent)."""
        host = urlsplit(response_url).hostname or ""
        if not any(host == h or host.endswith("." + h) for h in self._reply_hosts):
            raise SlackRejected(f"refusing to post to a response_url on {host}", "bad_host")
        kind = "in_channel" if in_channel else "ephemeral"
        try:
            answer = WebhookClient(response_url, timeout=15).send(text=text, response_type=kind)
        except (OSError, HTTPException) as error:
            reason = type(error).__name__
            raise SlackRetryable(f"Slack's response_url could not be reached: {reason}") from error
        if answer.status_code >= 500 or answer.status_code == 429:
            raise SlackRetryable(
                f"Slack's response_url answered {answer.status_code}",
                retry_after=retry_after(answer.headers),
            )
        if answer.status_code >= 400:
            raise SlackRejected(
                f"Slack's response_url answered {answer.status_code}: "
                f"{answer.body} (it expires after 30 minutes)"
            )
