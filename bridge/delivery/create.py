"""Creating the post: as its author (an Amity session of theirs) or as the admin.

A post is made as its author when the bridge posts as authors (``Authors``) and the
author has an Amity account; it falls back to the admin token when the author has no
session, Amity refuses it, or the author is not a member of the community (the post
then says who shared it). A token Amity no longer takes (expired, revoked) is replaced
by a new session once. An "already exists" answer means an earlier attempt created it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bridge.amity.client import AmityAlreadyExists, AmityClient, AmityRejected
from bridge.amity.post import CreatePost
from bridge.delivery.authors import Authors
from bridge.delivery.jobs import Job
from bridge.delivery.people import People

log = logging.getLogger("bridge.delivery.create")
Body = Callable[[bool], CreatePost]  # the body, with or without the "shared by" line


class Creator:
    """Sends a job's create-post body to Amity, as the author or as the admin."""

    def __init__(self, amity: AmityClient, people: People, authors: Authors | None) -> None:
        self.amity = amity  # the admin's client
        self.people = people
        self.authors = authors  # None: every post is the admin's

    def create(self, job: Job, author: str, name: str | None, body: Body) -> bool:
        """Create the post of ``job`` written by Slack user ``author`` (named ``name``);
        whether it carries the "shared by" line (the admin posted for a known author)."""
        amity_id = self.people.amity_id(author) if self.authors is not None else None
        if amity_id is not None and self._post_as(job, amity_id, name, body):
            return False
        shared_by = amity_id is not None
        self._send(job, self.amity, body(shared_by))
        return shared_by

    def as_admin(self, job: Job, body: CreatePost) -> None:
        """Create the post with the admin token (someone else's words for an author)."""
        self._send(job, self.amity, body)

    @property
    def posts_as_authors(self) -> bool:
        """Whether posts go out under their authors' Amity identities when possible."""
        return self.authors is not None

    def _post_as(self, job: Job, amity_id: str, name: str | None, body: Body) -> bool:
        """Post as the author; False when it must fall back to the admin token (no Amity
        account, session refused, not a member of the community). A token Amity no
        longer takes (expired, revoked) is replaced by a new session once."""
        assert self.authors is not None
        for renew in (False, True):
            client = self.authors.client(amity_id, name, renew=renew)
            if client is None:
                return False
            try:
                self._send(job, client, body(False))
            except AmityRejected as error:
                if error.code != 400100 and error.status != 401:
                    error.author = amity_id  # muted, banned...: told, never posted by the admin
                    raise
                if "not join" in str(error).lower():
                    log.info("bridge.author_not_member", extra={"job_id": job.id})
                    return False
                log.info("bridge.session_rejected", extra={"job_id": job.id, "renewed": renew})
                continue
            log.info("bridge.posted_as_author", extra={"job_id": job.id})
            return True
        return False

    def _send(self, job: Job, client: AmityClient, body: CreatePost) -> None:
        try:
            client.create_post(body)
        except AmityAlreadyExists:
            log.info("bridge.post_existed", extra={"job_id": job.id, "post_id": job.post_id})
        log.info("bridge.post_created", extra={"job_id": job.id, "post_id": job.post_id})
