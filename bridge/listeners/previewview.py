"""The preview modal: its blocks (the translated text, the community, tags, files and
discoverability) and what a submission chose, with what to fix."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bridge.amity.post import MAX_TEXT, utf16_len
from bridge.translate.draft import Draft

PREVIEW = "crosspost_preview"  # callback_id of the modal
INPUT_MAX = 3000  # the longest value Slack's plain_text_input takes


def _text(kind: str, text: str) -> dict[str, Any]:
    return {"type": kind, "text": text}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Shared:
    """What the modal is about (its ``private_metadata``)."""

    team: str
    channel: str
    ts: str
    thread_ts: str | None
    digest: str  # of the translated text: a different submitted text was edited
    long: bool  # the text did not fit the input: an empty input means "as written"
    length: int  # the translated text's length (UTF-16)
    has_files: bool
    author: str | None = None  # who wrote the message: the route's rules are checked again

    def dump(self) -> str:
        """For ``private_metadata`` (at most 3,000 characters, this is far less)."""
        return json.dumps(self.__dict__)


EDITED_BY_OTHER = (
    "This message is by <@{author}>: a text you edit here is posted by the community "
    "admin with “— shared by <you>”, not under their name."
)


def preview_view(
    shared: Shared,
    draft: Draft,
    routes: list[str],
    files: list[str],
    skipped: list[str],
    *,
    note: str = "",
) -> dict[str, Any]:
    """The modal for ``views.open`` (``note``: a context line under the text)."""
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": "route",
        "options": [{"text": _text("plain_text", r[:75]), "value": r} for r in routes],
    }
    if len(routes) == 1:
        select["initial_option"] = select["options"][0]
    text_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "text",
        "multiline": True,
        "max_length": INPUT_MAX,
    }
    hint = "This is what the post will say; edit it freely."
    if shared.long:
        hint = (
            f"The text ({shared.length} characters) is too long to edit here: leave this "
            "empty to post it as written in Slack, or write a shorter text."
        )
    elif draft.text:
        text_input["initial_value"] = draft.text
    yes = {"text": _text("plain_text", "Discoverable (in search and explore)"), "value": "yes"}
    lines = [f"Attached: {', '.join(files)}" if files else "No files to attach."]
    lines += [f"Not attached: {line}" for line in skipped]
    blocks = [
        _input("community", "Community", select),
        _input("text", "Text", text_input, optional=True, hint=hint),
        *(
            [{"type": "context", "block_id": "note", "elements": [_text("mrkdwn", note)]}]
            if note
            else []
        ),
        _input(
            "tags",
            "Tags",
            {"type": "plain_text_input", "action_id": "tags"},
            optional=True,
            hint="Up to 5, separated by commas, 24 characters each.",
        ),
        {"type": "context", "elements": [_text("mrkdwn", "\n".join(lines)[:3000])]},
        _input(
            "discoverable",
            "Discoverability",
            {
                "type": "checkboxes",
                "action_id": "discoverable",
                "options": [yes],
                "initial_options": [yes],
            },
            optional=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": PREVIEW,
        "title": _text("plain_text", "Share to community"),
        "submit": _text("plain_text", "Post"),
        "close": _text("plain_text", "Cancel"),
        "private_metadata": shared.dump(),
        "blocks": blocks,
    }


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = ""
) -> dict[str, Any]:
    block = {
        "type": "input",
        "block_id": block_id,
        "label": _text("plain_text", label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = _text("plain_text", hint)
    return block


@dataclass(frozen=True)
class Choice:
    """A submitted modal, read and checked."""

    route: str | None
    text: str | None  # None: the translated text, unchanged
    tags: list[str]
    discoverable: bool


def read_submission(shared: Shared, values: Mapping[str, Any]) -> tuple[Choice, dict[str, str]]:
    """The person's choices, and the errors to show by block (empty when none)."""

    def value(block: str, action: str) -> Any:
        return (values.get(block) or {}).get(action) or {}

    route = (value("community", "route").get("selected_option") or {}).get("value")
    typed = value("text", "text").get("value") or ""
    tags = [t.strip() for t in str(value("tags", "tags").get("value") or "").split(",")]
    tags = [t for t in tags if t]
    options = value("discoverable", "discoverable").get("selected_options") or []
    text: str | None = typed
    if (shared.long and not typed.strip()) or digest(typed) == shared.digest:
        text = None
    choice = Choice(route, text, tags, any(o.get("value") == "yes" for o in options))
    errors: dict[str, str] = {}
    if not route:
        errors["community"] = "Choose the community to post to."
    length = shared.length if text is None else utf16_len(text)
    if length > MAX_TEXT:
        errors["text"] = f"The text is {length} characters; Amity takes {MAX_TEXT}. Shorten it."
    elif not (text if text is not None else "x" * length).strip() and not shared.has_files:
        errors["text"] = "There is nothing to post: write a text (the message has no files)."
    if len(tags) > 5 or any(len(t) > 24 for t in tags):
        errors["tags"] = "At most 5 tags, each at most 24 characters."
    return choice, errors
