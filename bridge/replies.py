"""What the bridge says in Slack, and to whom.

Success goes to the thread of the shared message (or the channel, for ``/crosspost
<text>``); failures go only to the person who triggered the job: through the command's
``response_url`` when there is one, else as an ephemeral message in the thread.
"""

from __future__ import annotations

from bridge.outbox import Job
from bridge.slack_api import SlackGateway

DONE_REACTION = "white_check_mark"


def shared_text(job: Job, url: str) -> str:
    """The thread reply with the post's link."""
    return f"Shared to *{job.route_name}* by <@{job.requested_by}>: {url}"


def failed_text(job: Job, reason: str) -> str:
    """The message telling the person why nothing was posted."""
    what = "your text" if job.kind == "text" else "this message"
    return f"Could not share {what} to *{job.route_name}*: {reason}"


def existing_text(job: Job) -> str:
    """For a later trigger of a message that is already shared."""
    return f"This message is already shared to *{job.route_name}*: {job.post_url}"


class Replies:
    """Sends the bridge's answers through the Slack gateway."""

    def __init__(self, slack: SlackGateway) -> None:
        self.slack = slack

    def thread_of(self, job: Job) -> str | None:
        """The thread the answer belongs in (none for a text command)."""
        return job.thread_ts or job.message_ts

    def success(self, job: Job, url: str) -> None:
        """Link in the thread plus a ✅ on the message; in the channel for text commands."""
        if job.kind == "text" and job.response_url:
            self.slack.respond(job.response_url, shared_text(job, url), in_channel=True)
            return
        self.slack.reply(job.channel_id, shared_text(job, url), self.thread_of(job))
        if job.message_ts:
            self.slack.react(job.channel_id, job.message_ts, DONE_REACTION)

    def failure(self, job: Job, reason: str) -> None:
        """Tell the person who triggered the job why it failed."""
        text = failed_text(job, reason)
        if job.response_url:
            self.slack.respond(job.response_url, text)
        else:
            self.slack.ephemeral(job.channel_id, job.requested_by, text, self.thread_of(job))

    def existing(self, job: Job, user: str) -> None:
        """Tell a later reactor where the post already is."""
        self.slack.ephemeral(job.channel_id, user, existing_text(job), self.thread_of(job))
