"""The post's body, built in one place for the create and the edit of a post.

Its text is the translated message (:func:`bridge.translate.draft.to_draft`) with the
route's attribution line and, when the admin posts for an author who has an Amity
account, a "shared by" line; its metadata says where in Slack it comes from; the route's
post defaults (tags, hashtags, discoverability) apply; what the preview set for the post
(its text, tags, discoverability) wins over all of it. An edit is the same body made
from the edited message, so it cannot drift from what the create made.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bridge.amity.post import MAX_HASHTAG_LENGTH, MAX_HASHTAGS, Attachment, CreatePost, PostData
from bridge.delivery.jobs import Clock, Job
from bridge.delivery.links import Links
from bridge.delivery.people import People
from bridge.routes import PostDefaults, RoutesConfig
from bridge.slack.message import SlackMessage
from bridge.slack.port import SlackPort
from bridge.translate.draft import (
    Draft,
    Names,
    referenced_ids,
    referenced_ids_in_text,
    text_to_draft,
    to_create_post,
    to_draft,
    with_footer,
)
from bridge.translate.render import UNKNOWN_USER

HASHTAG = re.compile(r"(?<![\w#])#(\w+)")


def hashtags_in(text: str) -> list[str]:
    """The ``#hashtags`` of a plain text, once each, as Amity takes them."""
    found = [t for t in dict.fromkeys(HASHTAG.findall(text)) if len(t) <= MAX_HASHTAG_LENGTH]
    return found[:MAX_HASHTAGS]


def author_of(job: Job, message: SlackMessage | None) -> str:
    """Who wrote what is posted: the message's author, or whoever typed the command."""
    return (message.user if message is not None else None) or job.requested_by


class PostBody:
    """Builds the text and the create-post body of a job's post."""

    def __init__(
        self,
        slack: SlackPort,
        people: People,
        routes: Callable[[], RoutesConfig],
        links: Links,
        clock: Clock,
    ) -> None:
        self.slack = slack
        self.people = people  # who a Slack user is on Amity (mentions)
        self.routes = routes
        self.links = links
        self.clock = clock

    def draft(self, job: Job, message: SlackMessage | None) -> tuple[Draft, Names]:
        """The post text, and the names resolved for it (the author's and sharer's too)."""
        refs = referenced_ids(message) if message else referenced_ids_in_text(job.text or "")
        people = refs.users | {author_of(job, message), job.requested_by}
        names = Names(
            users=self.slack.user_names(people),
            channels=self.slack.channel_names(refs.channels),
            usergroups=self.slack.usergroup_handles(refs.usergroups),
        )
        amity_ids = self.people.amity_ids(refs.users)
        if message is not None:
            return to_draft(message, names, amity_ids), names
        return text_to_draft(job.text or "", names, amity_ids), names

    def defaults(self, job: Job) -> PostDefaults:
        """The job's route's post defaults (none when the route is gone since), with the
        attribution its post was made with once it exists."""
        route = self.routes().named(job.route_name)  # the routes in force now
        defaults = route.post if route is not None else PostDefaults()
        link = self.links.get(job.post_id)
        if link is not None and link.attribution is not None:
            defaults = defaults.model_copy(update={"attribution": link.attribution or None})
        return defaults

    def shared_by(self, job: Job) -> bool:
        """Whether ``job``'s post was made with the "shared by" line."""
        link = self.links.get(job.post_id)
        if link is not None and link.shared_by is not None:
            return link.shared_by
        return job.progress.shared_by

    def footer(
        self,
        job: Job,
        message: SlackMessage | None,
        names: Names,
        defaults: PostDefaults,
        *,
        shared_by: bool = False,
    ) -> list[str]:
        """The route's attribution line, with the author's, sharer's and channel's names;
        with ``shared_by``, the "shared by" line too (unless the attribution names the
        author already)."""
        lines: list[str] = []
        author = author_of(job, message)
        if defaults.attribution is not None:
            channel = self.slack.channel_names([job.channel_id]).get(job.channel_id, "")
            line = defaults.attribution_line(
                author=names.users.get(author, UNKNOWN_USER),
                sharer=names.users.get(job.requested_by, UNKNOWN_USER),
                channel=f"#{channel}" if channel else "",
            )
            lines += [line] if line else []
        if shared_by and "{author}" not in (defaults.attribution or ""):
            lines.append(f"— shared by {names.users.get(author, UNKNOWN_USER)}")
        return lines

    def metadata(self, job: Job, message: SlackMessage | None) -> dict[str, Any]:
        """Where the post comes from in Slack (its permalink, when it is a message)."""
        source: dict[str, Any] = {"team": job.team_id, "channel": job.channel_id}
        if message is not None:
            source["ts"] = message.ts
            source["permalink"] = self.slack.permalink(
                job.channel_id, message.ts, message.thread_ts
            )
        return {"source": "slack", "slack": source}

    def created_at(self, job: Job, message: SlackMessage | None) -> datetime:
        """When the post says it was made: its scheduled time, the message's, or the
        command's."""
        if job.scheduled_for is not None:
            return job.scheduled_for.replace(tzinfo=UTC)
        if message is not None:
            return datetime.fromtimestamp(float(message.ts), UTC)
        return (job.created_at or self.clock()).replace(tzinfo=UTC)

    def build(
        self,
        job: Job,
        message: SlackMessage | None,
        draft: Draft,
        names: Names,
        *,
        shared_by: bool,
        created_at: datetime | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> CreatePost:
        """The create-post body of ``job``'s post made from ``message`` (or the job's
        text): the one both the create and the edit send."""
        defaults = self.defaults(job)
        footer = self.footer(job, message, names, defaults, shared_by=shared_by)
        return to_create_post(
            with_footer(draft, footer),
            community_id=job.community_id,
            post_id=job.post_id,
            created_at=created_at or self.created_at(job, message),
            metadata=self.metadata(job, message),
            attachments=attachments,
            defaults=defaults,
        )

    def text_by_other(self, job: Job, author: str) -> bool:
        """The preview set a text for this post that ``author`` did not write: it is never
        posted under the author's identity."""
        link = self.links.get(job.post_id)
        return link is not None and link.foreign_text(author)

    def with_preview(self, job: Job, body: CreatePost, *, shared_by: bool = False) -> CreatePost:
        """``body`` with what the preview set for this post: its text (then without the
        message's mentions and links, which belonged to the old text), tags and
        discoverability. With ``shared_by``, a text set there ends with "— shared by" and
        the name of whoever wrote it."""
        link = self.links.get(job.post_id)
        if link is None or not link.has_preview:
            return body
        update: dict[str, Any] = {"tags": link.tags, "isDiscoverable": link.discoverable}
        if link.text_override is not None:
            metadata = {k: v for k, v in (body.metadata or {}).items() if k != "mentioned"}
            text = link.text_override
            if shared_by:
                writer = link.text_by or job.requested_by
                name = self.slack.user_names([writer]).get(writer, UNKNOWN_USER)
                text = f"{text}\n\n— shared by {name}"
            update |= {
                "data": PostData(text=text),
                "links": None,
                "mentionees": None,
                "hashtags": hashtags_in(link.text_override) or None,
                "metadata": metadata,
            }
        return body.model_copy(update=update)
