"""Real payloads (``tests/fixtures/slack``): every one parses and translates.

Every entry goes through the same path as in the worker (parse, referenced IDs, render,
create-post body checked against the API's schema); the cases below have their expected
text written by hand from the payload.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from bridge.amity.post import utf16_len
from bridge.slack.message import SlackMessage
from bridge.slack.payloads import MessageShortcut
from bridge.translate.draft import (
    Draft,
    EmptyMessage,
    Names,
    SystemMessage,
    referenced_ids,
    to_create_post,
    to_draft,
)
from tests.test_translate import CREATED

FIXTURES = Path(__file__).parent / "fixtures" / "slack"
SCHEMA = json.loads(
    (
        Path(__file__).parents[1] / "standins/bridge_standins/amity-create-post.schema.json"
    ).read_text()
)
CORPUS: dict[str, dict[str, Any]] = {
    entry["id"]: entry
    for source in sorted(FIXTURES.glob("*.json"))
    for entry in json.loads(source.read_text())
}
# Slack's own notices in the corpus: refused, never posted.
REFUSED = {
    "assistant_app_thread",
    "channel_archive",
    "channel_join",
    "channel_leave",
    "channel_name",
    "channel_posting_permissions",
    "channel_purpose",
    "channel_topic",
    "channel_unarchive",
    "group_archive",
    "group_join",
    "group_leave",
    "group_name",
    "group_purpose",
    "group_topic",
    "group_unarchive",
    "message_changed",
    "message_deleted",
}
NAMES = Names(
    users={"U2147483697": "tester", "WJC6QG0MS": "Kaz", "U0LAN0Z89": "bridge", "W222": "Ann"},
    channels={"C02GD0YEHDJ": "general"},
    usergroups={"S01BL602YLU": "devs"},
)
EXPECTED = {
    "slack-go/simpleMessage": "Hello world",
    "slack-go/meMessage-me_message": "*@tester* is doing that thing",
    "slack-go/starredMessage-me_message": "*@tester* is testing",
    "slack-go/uploadedFile-file_share": (
        "@tester uploaded a file: test.txt (https://test.slack.com/files/tester/abc/test.txt)"
        " and commented: test comment here"
    ),
    "slack-go/botMessage-bot_message": "Pushing is the answer",
    "slack-go/inner_events": "@bridge check this file\nattachment text",
    "slack-go/block_rich_text-rich_text-2": (
        "Holy moly\n\nPreformatted\n\n> Quote\n> Another quote\nAnother preformatted"
    ),
    "slack-go/block_conv-rich_text": "[rich_text_unknown_type]",
    "bolt-python/events_org_apps": "@Ann",
    "bolt-python/message_thread_broadcast-thread_broadcast": "Hi there!",
    "bolt-python/attachment_actions-bot_message": "Choose a channel",
    "bolt-python/block_actions_respond": "This is a section block with a button.",
    "python-slack-sdk/blocks-rich_text-5": (
        "Hey! this is very rich text block test linksSlack website! (https://slack.com)\n"
        "1. a\n2. b\n    1. bb\n        1. BBB\n3. c\n\n"
        "• todo\n• todo\n• todo\n\n"
        "> this is very important\n"
        'print("Hello world")\n'
        "@Kaz @devs #generalAugust 10, 2021timey2021-08-102021-08-10"
    ),
    "python-slack-sdk/blocks-rich_text-7": "",
    "python-slack-sdk/block-header-839": "Budget Performance",
    "python-slack-sdk/block-section-100": (
        "A message with some bold text and some italicized text.\nHigh\nString"
    ),
    "python-slack-sdk/block-section-163": "some text\nfield0\nfield1\nfield2\nfield3\nfield4",
    "python-slack-sdk/block-context-614": "Just text",
    "python-slack-sdk/attachment-50": (
        "some_pretext\nAttachment\nattachment text\n"
        + "\n".join(f"field_{n}_title: field_{n}_value" for n in range(5))
    ),
    "java-slack-sdk/attachments-message1": "Would you like to play a game?\nChoose a game to play",
    "java-slack-sdk/action_response-message1": (
        "Hello, Assistant to the Regional Manager Dwight! Michael Scott wants to know where"
        " you'd like to take the Paper Company investors to dinner tonight.\n\n"
        " Please select a restaurant:\n"
        "Farmhouse Thai Cuisine\n⭐⭐⭐⭐ 1528 reviews\n"
        " They do have some vegan options, like the roti and curry, plus they have a ton of"
        " salad stuff and noodles can be ordered without meat!! They have something for"
        " everyone here\n"
        "Kin Khao\n⭐⭐⭐⭐ 1638 reviews\n"
        " The sticky rice also goes wonderfully with the caramelized pork belly, which is"
        " absolutely melt-in-your-mouth and so soft.\n"
        "Ler Ros\n⭐⭐⭐⭐ 2082 reviews\n"
        " I would really recommend the  Yum Koh Moo Yang - Spicy lime dressing and roasted"
        " quick marinated pork shoulder, basil leaves, chili & rice powder."
    ),
}


def as_message(entry: dict[str, Any]) -> SlackMessage:
    """The entry's payload as the message the worker would fetch."""
    kind, payload = entry["kind"], entry["payload"]
    if kind == "event":
        payload = payload["event"]
    elif kind == "blocks":
        payload = {"ts": "1.0", "text": "", "blocks": payload}
    elif kind == "attachments":
        payload = {"ts": "1.0", "text": "", "attachments": payload}
    elif kind == "response":
        payload = {"ts": "1.0", **payload}
    return SlackMessage.model_validate(payload)


def check_offsets(draft: Draft) -> None:
    """Each mention and link position slices its text out of the UTF-16 post text."""
    units = draft.text.encode("utf-16-le")
    for mention in draft.mentions:
        start = 2 * mention.index
        assert units[start : start + 2 * (mention.length + 1)].decode("utf-16-le")[0] == "@"
    for link in draft.links:
        piece = units[2 * link.index : 2 * (link.index + link.length)].decode("utf-16-le")
        assert piece == link.url and link.length == utf16_len(link.url)


def test_the_corpus_is_there() -> None:
    """Four sources, well over a hundred payloads, each with a licence notice."""
    sources = {entry_id.split("/")[0] for entry_id in CORPUS}
    assert sources == {"slack-go", "bolt-python", "python-slack-sdk", "java-slack-sdk"}
    assert len(CORPUS) > 140
    assert {p.stem for p in (FIXTURES / "LICENSES").glob("*.txt")} == sources
    assert set(EXPECTED) <= set(CORPUS)


@pytest.mark.parametrize("entry_id", [i for i, e in CORPUS.items() if e["kind"] != "shortcut"])
def test_every_message_translates(entry_id: str) -> None:
    """Parsed, rendered, refused only as a system notice or as empty, else a valid body."""
    message = as_message(CORPUS[entry_id])
    if message.subtype in REFUSED:
        with pytest.raises(SystemMessage, match="only people's messages"):
            referenced_ids(message)
        return
    refs = referenced_ids(message)
    names = Names(
        users={u: NAMES.users.get(u, "someone") for u in refs.users},
        channels=NAMES.channels,
        usergroups=NAMES.usergroups,
    )
    draft = to_draft(message, names, {user: "amity-" + user for user in refs.users})
    check_offsets(draft)
    for raw in ("<@", "<#", "<!", "&amp;", "&lt;", "&gt;"):
        assert raw not in draft.text
    if entry_id in EXPECTED:
        assert draft.text == EXPECTED[entry_id]
    arguments: dict[str, Any] = {
        "community_id": "c1",
        "post_id": "p1",
        "created_at": CREATED,
        "metadata": {},
    }
    if draft.text.strip():
        jsonschema.validate(to_create_post(draft, **arguments).to_json(), SCHEMA)
    else:
        with pytest.raises(EmptyMessage):
            to_create_post(draft, **arguments)


@pytest.mark.parametrize("entry_id", [i for i, e in CORPUS.items() if e["kind"] == "shortcut"])
def test_every_shortcut_parses(entry_id: str) -> None:
    """Message shortcuts keep their team, channel, user and message; a template whose
    ``ts`` is not a Slack timestamp (the Java SDK's blank samples) is refused."""
    payload = CORPUS[entry_id]["payload"]
    if not re.fullmatch(r"\d{9,10}\.\d{6}", payload["message"]["ts"]):
        with pytest.raises(ValidationError, match="ts"):
            MessageShortcut.model_validate(payload)
        return
    shortcut = MessageShortcut.model_validate(payload)
    assert shortcut.team.id == payload["team"]["id"]
    assert shortcut.message.ts == payload["message"]["ts"]


@pytest.mark.parametrize(
    ("user", "enterprise", "team"),
    [
        ({"id": "W111", "team_id": "T222"}, {"id": "E111"}, "T222"),
        ({"id": "W111"}, {"id": "E111"}, "E111"),
    ],
)
def test_org_wide_shortcut_has_no_team(
    user: dict[str, str], enterprise: dict[str, str] | None, team: str
) -> None:
    """``team: null`` (org-wide install): the user's workspace, else the organisation."""
    payload = dict(CORPUS["bolt-python/app_using_methods_in_class-message_action"]["payload"])
    payload |= {"team": None, "user": user, "enterprise": enterprise}
    assert MessageShortcut.model_validate(payload).team.id == team
    with pytest.raises(ValueError, match="team"):
        MessageShortcut.model_validate(payload | {"user": {"id": "W111"}, "enterprise": None})


def test_files_of_file_share_messages_are_kept() -> None:
    """The files of a ``file_share`` message are there to attach."""
    message = as_message(CORPUS["slack-go/uploadedFile-file_share"])
    assert [(f.name, f.mimetype) for f in message.files] == [("test.txt", "text/plain")]


def test_blank_all_fields_sample_as_a_forward() -> None:
    """The every-field attachment sample, marked as a forward, still translates."""
    [attachment] = CORPUS["java-slack-sdk/conversations.history-attachment"]["payload"]
    forward = attachment | {"is_msg_unfurl": True, "is_share": True}
    message = SlackMessage.model_validate({"ts": "1.0", "text": "", "attachments": [forward]})
    draft = to_draft(message, Names(), {})
    assert draft.text.startswith("Forwarded")
    assert [file.id for file in message.files] == [file["id"] for file in attachment["files"]]
