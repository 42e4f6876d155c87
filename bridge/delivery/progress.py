"""A job's progress: what the steps of earlier attempts did, so a retry resumes after them.

Stored as JSON in ``jobs.progress``. Every field has a default, so a row written before
a field existed reads as "that step has not run". A new step adds a field here, with its
default; nothing else needs to change to store it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from bridge.slack.message import SlackMessage


class Upload(BaseModel):
    """A Slack file uploaded to Amity: its Amity ``fileId`` and attachment ``type``."""

    model_config = ConfigDict(frozen=True)

    fileId: str  # noqa: N815 (Amity's name)
    type: str


class SkippedFile(BaseModel):
    """A file the post goes without, and why (said in the thread reply)."""

    model_config = ConfigDict(frozen=True)

    name: str
    reason: str


class Progress(BaseModel):
    """The results of a job's finished steps, in the order the worker runs them."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    tz: str | None = None  # the author's time zone, when a scheduled post's time was resolved
    message: SlackMessage | None = None  # the fetched message (not fetched again)
    uploads: dict[str, Upload] = Field(default_factory=dict)  # by Slack file id
    refused: dict[str, str] = Field(default_factory=dict)  # Slack file id → Amity's reason
    attached: list[str] = Field(default_factory=list)  # names of the files attached
    skipped: list[SkippedFile] = Field(default_factory=list)
    post_created: bool = False
    shared_by: bool = False  # the admin posted it for its author: it says who shared it
    reply_started: float | None = None  # epoch seconds: a reply may have been sent since
    reply_sent: bool = False
    failing_since: datetime | None = None  # first temporary failure (naive UTC)
    delay_notice_sent: bool = False
    crashes: int = 0  # attempts ended by an unexpected error (a bug): only a few are retried

    def to_json(self) -> dict[str, Any]:
        """The stored form (fields at their default left out)."""
        return self.model_dump(mode="json", exclude_defaults=True, exclude_none=True)


class ProgressColumn(TypeDecorator[Progress]):
    """``jobs.progress``: JSON in the database, :class:`Progress` in Python."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Progress | None, dialect: Dialect) -> Any:
        """Progress → JSON object."""
        return (value or Progress()).to_json()

    def process_result_value(self, value: Any, dialect: Dialect) -> Progress:
        """JSON object → Progress."""
        return Progress.model_validate(value or {})
