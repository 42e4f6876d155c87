"""What :class:`bridge_standins.amity.FakeAmity` checks and answers, apart from HTTP.

Checks a create-post body the way the service documents it (JSON Schema from
``amity-create-post.schema.json``, then the rules checked in code) and builds the objects
of Amity's answers (post, community, user). Every refusal is an :class:`AmityApiError`.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime
from functools import cache
from http import HTTPStatus
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from bridge_standins.server import Reply, json_reply, text_reply

ADMIN_USER_ID = "bridge-admin"
_URL = re.compile(r"https?://[^\s<>()\"'|]+", re.IGNORECASE)
_LIMITS = {"maxLength", "minLength", "maxItems", "minItems", "maximum", "minimum"}


class AmityApiError(Exception):
    """A refusal, answered as Amity's error envelope."""

    def __init__(self, status: int, code: int, message: str, detail: list[str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = list(detail or [])

    def envelope(self) -> dict[str, Any]:
        """``{"status": "error", "code", "message"[, "data": {"detail"}]}``."""
        answer: dict[str, Any] = {"status": "error", "code": self.code, "message": self.message}
        if self.detail:
            answer["data"] = {"detail": list(self.detail)}
        return answer

    def reply(self) -> Reply:
        """The HTTP answer carrying the envelope."""
        return json_reply(self.status, self.envelope())


def proxy_page(status: int) -> Reply:
    """A non-JSON error page, as a load balancer in front of the API would send."""
    title = f"{status} {HTTPStatus(status).phrase}"
    page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    return text_reply(status, page, "text/html")


def now_iso() -> str:
    """The current UTC time as Amity writes it (``2024-01-31T12:00:00.000Z``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_object_id() -> str:
    """A fresh 24-hex-digit identifier, like Amity's generated IDs."""
    return secrets.token_hex(12)


def load_schema() -> dict[str, Any]:
    """The create-post JSON Schema shipped beside this module."""
    text = resources.files("bridge_standins").joinpath("amity-create-post.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value)  # raises ValueError when it is not ISO 8601
    return "T" in value.upper() and parsed.tzinfo is not None


@cache
def _validator() -> Draft202012Validator:
    checker = FormatChecker(formats=[])
    checker.checks("date-time", raises=ValueError)(_is_date_time)
    return Draft202012Validator(load_schema(), format_checker=checker)


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def describe(error: ValidationError) -> str:
    """One short line naming the field and the broken rule (never the whole value)."""
    where = error.json_path[2:] or "body"
    if error.validator in _LIMITS:
        return f"The '{where}' field fails {error.validator} {error.validator_value}"
    return f"The '{where}' field is invalid: {_clip(error.message)}"


def validate_body(body: Any) -> None:
    """Schema check; the first error (by path) names the message, all go in ``detail``."""
    errors = sorted(_validator().iter_errors(body), key=lambda error: error.json_path)
    if errors:
        detail = [describe(error) for error in errors]
        raise AmityApiError(400, 400000, f"Parameters error: {detail[0]}", detail)


def check_has_content(body: dict[str, Any]) -> None:
    """A normal post (no ``dataType``) needs text or an attachment."""
    text = (body.get("data") or {}).get("text")
    if "dataType" not in body and not text and not body.get("attachments"):
        raise AmityApiError(400, 400000, "require text or at least 1 attachments")


def _texts(body: dict[str, Any]) -> list[str]:
    data = body.get("data") or {}
    return [str(data[key]) for key in ("text", "title") if isinstance(data.get(key), str)]


def check_blocked_words(body: dict[str, Any], blocked: set[str]) -> None:
    """400308 when the text or title contains a blocked word (whole word, any case)."""
    for word in blocked:
        pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
        if any(pattern.search(text) for text in _texts(body)):
            raise AmityApiError(400, 400308, "Data contain blacklist word")


def _allowed(url: str, allowlist: set[str]) -> bool:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    domains = {domain.lower().lstrip(".") for domain in allowlist}
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def check_links(body: dict[str, Any], allowlist: set[str] | None) -> None:
    """400309 when a link (``links[].url`` or a URL in the text) is outside the allow-list."""
    if allowlist is None:
        return
    urls = [str(link.get("url", "")) for link in body.get("links") or []]
    urls += [match.group(0) for text in _texts(body) for match in _URL.finditer(text)]
    if any(not _allowed(url, allowlist) for url in urls):
        raise AmityApiError(400, 400309, "Data contain link that is not in whitelist")


def data_type(body: dict[str, Any]) -> str:
    """The post's ``dataType``: the client's, else the first attachment's type, else text."""
    if body.get("dataType"):
        return str(body["dataType"])
    attachments = body.get("attachments") or []
    return str(attachments[0]["type"]) if attachments else "text"


def build_post(body: dict[str, Any], post_id: str) -> dict[str, Any]:
    """The stored post object for an accepted create-post body."""
    now = now_iso()
    created = str(body.get("createdAt") or now)
    target_type = str(body.get("targetType") or "user")
    target_id = str(body.get("targetId") or ADMIN_USER_ID)
    return {
        "_id": new_object_id(),
        "postId": post_id,
        "path": f"{target_type}/{target_id}/post/{post_id}",
        "parentPostId": None,
        "postedUserId": ADMIN_USER_ID,
        "sharedPostId": None,
        "sharedCount": 0,
        "targetType": target_type,
        "targetId": target_id,
        "dataType": data_type(body),
        "data": dict(body.get("data") or {}),
        "metadata": dict(body.get("metadata") or {}),
        "flagCount": 0,
        "hashFlag": None,
        "reactions": {},
        "reactionsCount": 0,
        "myReactions": [],
        "commentsCount": 0,
        "comments": [],
        "children": [],
        "mentionees": list(body.get("mentionees") or []),
        "hashtags": list(body.get("hashtags") or []),
        "tags": list(body.get("tags") or []),
        "links": list(body.get("links") or []),
        "isDiscoverable": bool(body.get("isDiscoverable", True)),
        "isDeleted": False,
        "hasFlaggedComment": False,
        "createdAt": created,
        "updatedAt": now,
        "editedAt": created,
    }


def build_community(
    community_id: str,
    display_name: str,
    *,
    is_public: bool,
    only_admin_can_post: bool,
    need_approval: bool,
) -> dict[str, Any]:
    """A community object as ``GET /api/v3/communities/{id}`` returns it."""
    now = now_iso()
    return {
        "communityId": community_id,
        "channelId": community_id,
        "userId": ADMIN_USER_ID,
        "displayName": display_name,
        "description": "",
        "avatarFileId": None,
        "isOfficial": False,
        "isPublic": is_public,
        "onlyAdminCanPost": only_admin_can_post,
        "needApprovalOnPostCreation": need_approval,
        "tags": [],
        "metadata": {},
        "categoryIds": [],
        "postsCount": 0,
        "membersCount": 1,
        "isJoined": True,
        "isDeleted": False,
        "createdAt": now,
        "updatedAt": now,
    }


def admin_user() -> dict[str, Any]:
    """The admin user who authors every post made with the admin token."""
    return {
        "userId": ADMIN_USER_ID,
        "displayName": "Bridge Admin",
        "roles": ["global-admin"],
        "metadata": {},
        "isGlobalBan": False,
        "isDeleted": False,
        "createdAt": "2024-01-01T00:00:00.000Z",
        "updatedAt": "2024-01-01T00:00:00.000Z",
    }


def response(**lists: list[dict[str, Any]]) -> dict[str, Any]:
    """Amity's post-response shape: every list present, empty unless given."""
    keys = "posts postChildren comments users files communities communityUsers categories feeds"
    return {key: list(lists.get(key, [])) for key in keys.split()}
