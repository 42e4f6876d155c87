"""The create-post request body (``POST /api/v4/posts``) with every documented limit.

The limits follow ``amity-create-post.schema.json`` (see the README's design section);
a body that passes these models passes the schema. Text length is counted in UTF-16
code units, the unit of the JavaScript, Swift and Kotlin clients, which is never less
than the count of code points that JSON Schema uses.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_TEXT = 20_000
MAX_ATTACHMENTS = 10
MAX_HASHTAGS = 30
MAX_HASHTAG_LENGTH = 100
MAX_LINKS = 100
MAX_TAGS = 5
MAX_TAG_LENGTH = 24
MAX_ID = 900


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PostData(_Model):
    """``data`` of a text post."""

    text: str = ""
    title: Annotated[str, Field(max_length=150)] | None = None

    @field_validator("text")
    @classmethod
    def _text_fits(cls, text: str) -> str:
        if utf16_len(text) > MAX_TEXT:
            raise ValueError(f"text is longer than {MAX_TEXT} characters")
        return text


class Attachment(_Model):
    """One uploaded file shown in the post."""

    type: Literal["image", "file", "video"]
    fileId: Annotated[str, Field(min_length=1, max_length=100)]  # noqa: N815 (Amity's name)


class Link(_Model):
    """A URL's position in ``data.text`` for link previews (UTF-16 units)."""

    url: Annotated[str, Field(min_length=1, max_length=2000)]
    index: Annotated[int, Field(ge=0)]
    length: Annotated[int, Field(ge=1)]
    domain: Annotated[str, Field(max_length=2000)] | None = None
    renderPreview: bool | None = None  # noqa: N815 (Amity's name)


class Mentionees(_Model):
    """Who gets a notification."""

    type: Literal["user"] = "user"
    userIds: list[Annotated[str, Field(min_length=1)]]  # noqa: N815 (Amity's name)


class CreatePost(_Model):
    """The whole request body. Unset fields are left out when serialised."""

    data: PostData
    targetType: Literal["community"] = "community"  # noqa: N815 (Amity's name)
    targetId: Annotated[str, Field(min_length=1, max_length=MAX_ID)]  # noqa: N815
    postId: Annotated[str, Field(min_length=1, max_length=MAX_ID)]  # noqa: N815
    attachments: Annotated[list[Attachment], Field(max_length=MAX_ATTACHMENTS)] | None = None
    links: Annotated[list[Link], Field(max_length=MAX_LINKS)] | None = None
    hashtags: (
        Annotated[
            list[Annotated[str, Field(min_length=1, max_length=MAX_HASHTAG_LENGTH)]],
            Field(max_length=MAX_HASHTAGS),
        ]
        | None
    ) = None
    tags: (
        Annotated[
            list[Annotated[str, Field(min_length=1, max_length=MAX_TAG_LENGTH)]],
            Field(max_length=MAX_TAGS),
        ]
        | None
    ) = None
    isDiscoverable: bool | None = None  # noqa: N815 (Amity's name; Amity's default is true)
    mentionees: Annotated[list[Mentionees], Field(max_length=2)] | None = None
    metadata: dict[str, Any] | None = None
    createdAt: str | None = None  # noqa: N815 (Amity's name)

    @model_validator(mode="after")
    def _has_content(self) -> CreatePost:
        if not self.data.text.strip() and not self.attachments:
            raise ValueError("a post needs text or at least one attachment")
        return self

    def to_json(self) -> dict[str, Any]:
        """The JSON body, without the fields that are not set."""
        return self.model_dump(mode="json", exclude_none=True)


def to_update_post(body: CreatePost, text: str | None = None) -> dict[str, Any]:
    """The update-post body (``PUT /api/v4/posts/{postId}``) for a post that ``body`` would
    create now: its text, mentionees and metadata (mention positions). ``text`` replaces
    the text (a preview's override; mention positions are then dropped). Links and
    hashtags are not fields of the documented update body: the new text carries them."""
    update: dict[str, Any] = {"data": {"text": body.data.text if text is None else text}}
    metadata = dict(body.metadata or {})
    if text is not None:
        metadata.pop("mentioned", None)
    elif body.mentionees:
        update["mentionees"] = [m.model_dump(mode="json") for m in body.mentionees]
    update["metadata"] = metadata
    return update
