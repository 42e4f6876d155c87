"""What the bridge says in Slack, and to whom.

Success goes to the thread of the shared message (or the channel, for ``/crosspost
<text>``); failures go only to the person who triggered the job: through the command's
``response_url`` when there is one, else as an ephemeral message in the thread.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bridge.delivery.outbox import Job
from bridge.delivery.progress import Progress
from bridge.delivery.when import zone
from bridge.slack.changes import TAKE_BACK
from bridge.slack.port import SlackPort

DONE_REACTION = "white_check_mark"


def shared_text(job: Job, url: str) -> str:
    """The thread reply with the post's link."""
    return f"Shared to *{job.route_name}* by <@{job.requested_by}>: {url}"


def files_text(progress: Progress) -> str:
    """What was attached and what was not, with reasons (empty without files)."""
    lines = []
    if attached := progress.attached:
        lines.append("Attached: " + ", ".join(attached))
    for skip in progress.skipped:
        lines.append(f"Not attached: {skip.name} ({skip.reason})")
    return "".join("\n" + line for line in lines)


def failed_text(job: Job, reason: str) -> str:
    """The message telling the person why nothing was posted (or changed)."""
    if job.kind == "edit":
        return f"Could not update the post in *{job.route_name}* after an edit: {reason}"
    if job.kind == "delete":
        return f"Could not remove the post from *{job.route_name}*: {reason}"
    what = "your text" if job.kind == "text" else "this message"
    return f"Could not share {what} to *{job.route_name}*: {reason}"


def delayed_text(job: Job, service: str) -> str:
    """The one notice while a job keeps waiting for Amity or Slack: delayed, not failed."""
    if job.kind in ("edit", "delete"):
        change = "updated" if job.kind == "edit" else "removed"
        return (
            f"Delayed: {service} is unavailable at the moment, so the post in "
            f"*{job.route_name}* will be {change} as soon as it is back."
        )
    what = "your text" if job.kind == "text" else "this message"
    where = "here" if job.kind == "text" else "in the thread"
    return (
        f"Delayed: {service} is unavailable at the moment, so {what} will be shared to "
        f"*{job.route_name}* as soon as it is back. Nothing to do on your side: "
        f"the link will follow {where}."
    )


def take_back_blocks(text: str, job: Job) -> list[dict[str, Any]]:
    """``text`` with a "Remove from community" button that asks for confirmation."""
    button = {
        "type": "button",
        "action_id": TAKE_BACK,
        "text": {"type": "plain_text", "text": "Remove from community"},
        "style": "danger",
        "value": job.post_id,
        "confirm": {
            "title": {"type": "plain_text", "text": "Remove the post?"},
            "text": {
                "type": "mrkdwn",
                "text": f"The post is deleted from *{job.route_name}*. The Slack message stays.",
            },
            "confirm": {"type": "plain_text", "text": "Remove"},
            "deny": {"type": "plain_text", "text": "Keep it"},
            "style": "danger",
        },
    }
    section = {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}
    return [section, {"type": "actions", "elements": [button]}]


def existing_text(job: Job) -> str:
    """For a later trigger of a message that is already shared."""
    return f"This message is already shared to *{job.route_name}*: {job.post_url}"


def local_time(when: datetime, tz_name: str | None) -> str:
    """``when`` (naive UTC) as the person reads it: ``Tue 1 Dec 2026 09:00 CET``."""
    local = when.replace(tzinfo=UTC).astimezone(zone(tz_name))
    return f"{local:%a} {local.day} {local:%b %Y %H:%M %Z}"


def scheduled_text(job: Job, when: datetime, tz_name: str | None) -> str:
    """The confirmation of a scheduled post."""
    return (
        f"Scheduled post #{job.id} to *{job.route_name}* for {local_time(when, tz_name)}. "
        f"`/crosspost cancel {job.id}` cancels it."
    )


def scheduled_list_text(jobs: list[Job]) -> str:
    """A person's scheduled posts, for ``/crosspost scheduled``."""
    if not jobs:
        return "You have no scheduled posts waiting."
    lines = ["Your scheduled posts:"]
    for job in jobs:
        assert job.scheduled_for is not None
        what = (job.text or "")[:60] if job.kind == "text" else "a message"
        when = local_time(job.scheduled_for, job.progress.tz)
        lines.append(f"• #{job.id} {when} to *{job.route_name}*: {what}")
    return "\n".join(lines)


class Replies:
    """Sends the bridge's answers through the Slack gateway."""

    def __init__(self, slack: SlackPort) -> None:
        self.slack = slack

    def thread_of(self, job: Job) -> str | None:
        """The thread the answer belongs in (none for a text command)."""
        return job.thread_ts or job.message_ts

    def live_response_url(self, job: Job) -> str | None:
        """The command's response_url while it works (it expires after 30 minutes)."""
        return None if job.scheduled_for else job.response_url

    def success(self, job: Job, url: str, progress: Progress | None = None) -> None:
        """The link: in the message's thread, or in the channel for text commands."""
        if job.kind == "text":
            if response_url := self.live_response_url(job):
                self.slack.respond(response_url, shared_text(job, url), in_channel=True)
            else:
                self.slack.reply(job.channel_id, shared_text(job, url))
            return
        text = shared_text(job, url) + files_text(progress or Progress())
        self.slack.reply(job.channel_id, text, self.thread_of(job), take_back_blocks(text, job))

    def mark_shared(self, job: Job) -> None:
        """A ✅ on the shared message (adding it twice is harmless)."""
        if job.kind == "message" and job.message_ts:
            self.slack.react(job.channel_id, job.message_ts, DONE_REACTION)

    def failure(self, job: Job, reason: str) -> None:
        """Tell the person who triggered the job why it failed."""
        text = failed_text(job, reason)
        if response_url := self.live_response_url(job):
            self.slack.respond(response_url, text)
        else:
            self.slack.ephemeral(job.channel_id, job.requested_by, text, self.thread_of(job))

    def delayed(self, job: Job, service: str) -> None:
        """Tell the person who triggered the job, privately, that it is delayed."""
        text = delayed_text(job, service)
        if response_url := self.live_response_url(job):
            self.slack.respond(response_url, text)
        else:
            self.slack.ephemeral(job.channel_id, job.requested_by, text, self.thread_of(job))

    def scheduled(self, job: Job, when: datetime, tz_name: str | None) -> None:
        """Confirm a scheduled post to its author."""
        text = scheduled_text(job, when, tz_name)
        if job.response_url:
            self.slack.respond(job.response_url, text)
        else:
            self.slack.ephemeral(job.channel_id, job.requested_by, text)

    def taken_back(self, job: Job, by: str) -> None:
        """Say in the thread that the post was removed, and by whom."""
        text = f"Removed from *{job.route_name}* by <@{by}>."
        self.slack.reply(job.channel_id, text, self.thread_of(job))

    def offer_take_back(self, job: Job, user: str) -> None:
        """Ask ``user`` (privately) whether to remove the post, with the button."""
        text = f"You removed the reaction: remove the post from *{job.route_name}* too?"
        blocks = take_back_blocks(text, job)
        self.slack.ephemeral(job.channel_id, user, text, self.thread_of(job), blocks)

    def existing(self, job: Job, user: str) -> None:
        """Tell a later reactor where the post already is."""
        self.slack.ephemeral(job.channel_id, user, existing_text(job), self.thread_of(job))
