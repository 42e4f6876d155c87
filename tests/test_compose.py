"""Whole messages: forwards, apps' blocks and attachments, /me, notices, empty, labels.

The forwarded-message payloads follow the shape of Slack's ``attachments[]`` entries with
``is_share`` / ``is_msg_unfurl`` (see the blank every-field sample in the corpus); their
values are written here.
"""

from __future__ import annotations

from typing import Any

import pytest

from bridge.slack.message import SlackMessage
from bridge.translate.draft import (
    EmptyMessage,
    Mention,
    Names,
    Refs,
    SystemMessage,
    referenced_ids,
    to_create_post,
    to_draft,
)
from tests.test_translate import CREATED

NAMES = Names(users={"U1": "Linda", "U2": "Ann", "U3": "Bo"}, channels={"C9": "random"})
FILE = {
    "id": "F1",
    "name": "plan.pdf",
    "mimetype": "application/pdf",
    "size": 10,
    "url_private_download": "https://files.slack.com/files-pri/T1-F1/download/plan.pdf",
}


def rich(*elements: dict[str, Any]) -> dict[str, Any]:
    """A rich_text block with one section."""
    return {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": elements}]}


def forward(**fields: Any) -> dict[str, Any]:
    """A forwarded-message attachment by U1 from #soln (C8), overridable."""
    return {
        "is_share": True,
        "is_msg_unfurl": True,
        "author_id": "U1",
        "author_subname": "linda",
        "channel_id": "C8",
        "channel_name": "soln",
        "from_url": "https://acme.slack.com/archives/C8/p1776404384245429",
        "text": "<@U2> could you check the *pricing*?",
        "fallback": "[April 17th] linda: @Ann could you check the pricing?",
        "ts": "1776404384.245429",
        "message_blocks": [
            {
                "team": "T1",
                "channel": "C8",
                "ts": "1776404384.245429",
                "message": {
                    "blocks": [
                        rich(
                            {"type": "user", "user_id": "U2"},
                            {"type": "text", "text": " could you check the "},
                            {"type": "text", "text": "pricing", "style": {"bold": True}},
                            {"type": "text", "text": "?"},
                        )
                    ]
                },
            }
        ],
    } | fields


def message(**fields: Any) -> SlackMessage:
    """A message by U3 with the given fields."""
    return SlackMessage.model_validate({"ts": "1776700000.000000", "user": "U3"} | fields)


def text_of(msg: SlackMessage, user_map: dict[str, str] | None = None) -> str:
    """The post text of ``msg``."""
    return to_draft(msg, NAMES, user_map or {}).text


def test_forward_without_comment() -> None:
    """The forwarded text, from ``message_blocks``, introduced by its author and channel."""
    msg = message(text="", attachments=[forward()])
    assert text_of(msg) == "Forwarded from @Linda in #soln:\n> @Ann could you check the pricing?"


def test_forward_after_the_comment_with_its_files() -> None:
    """The comment comes first; the forward's files go along like the message's own."""
    own = {**FILE, "id": "F0", "name": "own.png", "mimetype": "image/png"}
    msg = message(
        text="Help…",
        blocks=[rich({"type": "text", "text": "Help…"})],
        files=[own],
        attachments=[forward(files=[FILE])],
    )
    assert text_of(msg) == (
        "Help…\n\nForwarded from @Linda in #soln:\n> @Ann could you check the pricing?"
    )
    assert [file.id for file in msg.files] == ["F0", "F1"]
    again = SlackMessage.model_validate(msg.model_dump(mode="json"))
    assert [file.id for file in again.files] == ["F0", "F1"]  # saved and read back: no twins


def test_forward_without_message_blocks_uses_its_text() -> None:
    """Without ``message_blocks``, the mrkdwn ``text`` of the forward, multi-line quoted."""
    msg = message(
        text="", attachments=[forward(message_blocks=[], text="first\n• second &amp; third")]
    )
    assert text_of(msg) == "Forwarded from @Linda in #soln:\n> first\n> • second & third"


@pytest.mark.parametrize(
    ("fields", "intro"),
    [
        ({"author_id": None}, "Forwarded from @linda in #soln:"),
        ({"channel_id": "D0AMMU8BJSY", "channel_name": None}, "Forwarded from @Linda:"),
        (
            {"author_id": None, "author_subname": None, "author_name": None},
            "Forwarded from #soln:",
        ),
        (
            {"author_id": None, "author_subname": None, "channel_id": None},
            "Forwarded message:",
        ),
    ],
)
def test_forward_intro(fields: dict[str, Any], intro: str) -> None:
    """Author by ID (looked up), else by the name Slack gave; no channel for a DM."""
    msg = message(text="", attachments=[forward(**fields)])
    assert text_of(msg).split("\n")[0] == intro


def test_forward_author_is_not_notified() -> None:
    """The forward's author is named, not mentioned; people mentioned inside are."""
    msg = message(text="", attachments=[forward()])
    draft = to_draft(msg, NAMES, {"U1": "linda-amity", "U2": "ann-amity"})
    assert draft.mentions == (Mention("ann-amity", 34, 3),)
    assert referenced_ids(msg) == Refs(users=frozenset({"U1", "U2"}))


def test_link_previews_are_not_copied() -> None:
    """A link unfurl is left to Amity's own preview of the post's links."""
    unfurl = {
        "from_url": "https://example.com/post",
        "original_url": "https://example.com/post",
        "title": "Example post",
        "text": "A summary of the page",
        "service_name": "Example",
    }
    msg = message(text="read <https://example.com/post>", attachments=[unfurl])
    draft = to_draft(msg, NAMES, {})
    assert draft.text == "read https://example.com/post"
    assert [link.url for link in draft.links] == ["https://example.com/post"]


def test_legacy_attachment_content_after_the_text() -> None:
    """An app's attachment: pretext, linked title, text, fields, in order."""
    attachment = {
        "fallback": "Build 42 failed",
        "color": "#ff0000",
        "pretext": "CI report",
        "title": "Build 42",
        "title_link": "https://ci.example.com/42",
        "text": "Tests failed on `main`",
        "fields": [
            {"title": "Branch", "value": "main", "short": True},
            {"title": "Duration:", "value": "3 min", "short": True},
            {"title": "", "value": "no owner", "short": False},
        ],
    }
    msg = message(text="Nightly build", attachments=[attachment], bot_id="B1")
    assert text_of(msg) == (
        "Nightly build\nCI report\nBuild 42 (https://ci.example.com/42)\nTests failed on main\n"
        "Branch: main\nDuration: 3 min\nno owner"
    )


def test_attachment_with_only_a_fallback() -> None:
    """An attachment with nothing else shows its ``fallback``."""
    msg = message(text="", attachments=[{"fallback": "A chart of sales", "color": "good"}])
    assert text_of(msg) == "A chart of sales"


def test_workflow_blocks_header_section_fields_context() -> None:
    """Header, section text then ``Label: value`` fields, context joined, in order."""
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "New request :tada:"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "<@U2> asked for a *laptop*"},
            "fields": [
                {"type": "mrkdwn", "text": "*Type:*\nComputer (laptop)"},
                {"type": "mrkdwn", "text": "*When:*\nSubmitted Aug 10"},
                {"type": "plain_text", "text": "Urgent"},
            ],
        },
        {"type": "divider"},
        {
            "type": "context",
            "elements": [
                {"type": "image", "image_url": "https://x.com/a.png", "alt_text": "avatar"},
                {"type": "mrkdwn", "text": "Sent by *Requests*"},
                {"type": "plain_text", "text": "Workflow"},
            ],
        },
        {"type": "actions", "elements": [{"type": "button", "text": {"text": "Approve"}}]},
    ]
    msg = message(text="New request from Ann", blocks=blocks, bot_id="B2")
    assert text_of(msg) == (
        "New request 🎉\n@Ann asked for a laptop\nType: Computer (laptop)\n"
        "When: Submitted Aug 10\nUrgent\nSent by Requests · Workflow"
    )


def test_me_message_keeps_its_author() -> None:
    """``/me waves`` reads ``*@Bo* waves``, the author named but not notified."""
    msg = message(subtype="me_message", text="waves :wave::skin-tone-3:")
    draft = to_draft(msg, NAMES, {"U3": "bo-amity"})
    assert draft.text == "*@Bo* waves 👋🏼"
    assert draft.mentions == ()


@pytest.mark.parametrize(
    ("subtype", "notice"),
    [
        ("channel_join", "someone joined the channel"),
        ("channel_topic", "the channel topic changed"),
        ("pinned_item", "a message was pinned"),
        ("channel_canvas_updated", "a change to the channel"),
    ],
)
def test_system_messages_are_refused(subtype: str, notice: str) -> None:
    """Slack's notices are refused with a message that says what they are."""
    msg = message(subtype=subtype, text="<@U3|bo> has joined the channel")
    with pytest.raises(SystemMessage) as refused:
        to_draft(msg, NAMES, {})
    assert notice in str(refused.value) and "only people's messages" in str(refused.value)


@pytest.mark.parametrize("subtype", ["file_share", "thread_broadcast", "file_comment"])
def test_people_subtypes_are_posted(subtype: str) -> None:
    """Messages people write under a subtype are translated as usual."""
    assert text_of(message(subtype=subtype, text="see this")) == "see this"


def test_empty_blocks_are_empty_not_a_quote_marker() -> None:
    """Blocks that hold nothing give no text (not ``>``) and the post is refused as empty."""
    empty = {
        "type": "rich_text",
        "elements": [
            {"type": "rich_text_quote", "elements": []},
            {
                "type": "rich_text_list",
                "style": "bullet",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": " "}]}
                ],
            },
        ],
    }
    draft = to_draft(message(text="", blocks=[empty]), NAMES, {})
    assert draft.text == ""
    with pytest.raises(EmptyMessage):
        to_create_post(draft, community_id="c", post_id="p", created_at=CREATED, metadata={})


def test_channel_the_bot_cannot_see_keeps_its_label() -> None:
    """A rich_text channel the bridge cannot resolve takes the label Slack put in ``text``."""
    blocks = [
        rich({"type": "text", "text": "see "}, {"type": "channel", "channel_id": "C06P6T3QGD7"})
    ]
    msg = message(text="see <#C06P6T3QGD7|general>", blocks=blocks)
    assert text_of(msg) == "see #general"
    assert referenced_ids(msg).channels == frozenset()


def test_unresolvable_names_are_placeholders_never_ids() -> None:
    """No name anywhere: a readable placeholder, not the ID."""
    blocks = [
        rich(
            {"type": "user", "user_id": "U0NOBODY1"},
            {"type": "text", "text": " "},
            {"type": "channel", "channel_id": "C0SECRET1"},
            {"type": "text", "text": " "},
            {"type": "usergroup", "usergroup_id": "S0GROUP01"},
        )
    ]
    assert text_of(message(text="", blocks=blocks)) == (
        "@unknown user #unknown channel @unknown group"
    )


def test_forwarded_channel_mention_takes_the_label_of_the_forward_text() -> None:
    """A channel inside a forward, unknown to the bridge, is named from the forward's text."""
    blocks = [rich({"type": "channel", "channel_id": "C07HIDDEN"})]
    shared = forward(
        message_blocks=[{"message": {"blocks": blocks}}], text="<#C07HIDDEN|launch-plans>"
    )
    assert text_of(message(text="", attachments=[shared])).endswith("> #launch-plans")
