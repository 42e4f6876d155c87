"""Amity's update-post and delete-post, for :class:`bridge_standins.amity.FakeAmity`.

======  ======  ============================================================
HTTP    code    when
======  ======  ============================================================
400     400000  update body not a JSON object, an unknown field, a field of the
                wrong type, ``data.text`` longer than 50,000 characters, or more
                than 5 ``tags`` (each at most 24 characters)
404     400400  no post with this ``postId``, or it was deleted
403     400300  the post is in ``forbidden`` (the admin user may not change it)
400     400308  the new text contains a blocked word
======  ======  ============================================================
"""

from __future__ import annotations

from typing import Any

from bridge_standins.amity_rules import AmityApiError, now_iso

UPDATE_FIELDS = {"text", "data", "metadata", "tags", "mentionees", "attachments"}
DATA_FIELDS = {"text", "fileId", "streamId", "thumbnailFileId"}
MAX_UPDATE_TEXT = 50_000


def _bad(message: str) -> AmityApiError:
    return AmityApiError(400, 400000, f"Parameters error: {message}", [message])


def validate_update(body: Any) -> None:
    """The documented update body, and nothing else."""
    if not isinstance(body, dict):
        raise _bad("the body must be an object")
    if unknown := sorted(set(body) - UPDATE_FIELDS):
        raise _bad(f"unknown field {unknown[0]}")
    data = body.get("data", {})
    if not isinstance(data, dict) or set(data) - DATA_FIELDS:
        raise _bad("data must be an object with text, fileId, streamId or thumbnailFileId")
    if not all(isinstance(value, str) for value in data.values()):
        raise _bad("data fields must be strings")
    if len(str(data.get("text", ""))) > MAX_UPDATE_TEXT:
        raise _bad(f"data.text must be at most {MAX_UPDATE_TEXT} characters")
    if not isinstance(body.get("metadata", {}), dict):
        raise _bad("metadata must be an object")
    tags = body.get("tags", [])
    if not isinstance(tags, list) or len(tags) > 5:
        raise _bad("tags must be a list of at most 5")
    if any(not isinstance(tag, str) or len(tag) > 24 for tag in tags):
        raise _bad("each tag must be a string of at most 24 characters")
    for mentionee in body.get("mentionees", []):
        if not isinstance(mentionee, dict) or mentionee.get("type") != "user":
            raise _bad("mentionees[].type must be user")


def live_post(
    posts: dict[str, dict[str, Any]], post_id: str, forbidden: set[str]
) -> dict[str, Any]:
    """The stored post that may be changed, or Amity's error."""
    post = posts.get(post_id)
    if post is None or post.get("isDeleted"):
        raise AmityApiError(404, 400400, "Resource Not Found.")
    if post_id in forbidden:
        raise AmityApiError(403, 400300, "Permission denied.")
    return post


def apply_update(post: dict[str, Any], body: dict[str, Any]) -> None:
    """Change the stored post as Amity does."""
    data = dict(post.get("data") or {})
    data.update(body.get("data") or {})
    if "text" in body:
        data["text"] = body["text"]
    post["data"] = data
    for key in ("metadata", "tags", "mentionees"):
        if key in body:
            post[key] = body[key]
    post["editedAt"] = post["updatedAt"] = now_iso()
