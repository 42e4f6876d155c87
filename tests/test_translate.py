"""Rendering pieces into a Draft (mentions, links, hashtags, UTF-16) and the post body."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bridge.amity.post import Attachment, Link
from bridge.slack.message import SlackMessage
from bridge.translate.draft import (
    Draft,
    EmptyMessage,
    Mention,
    Names,
    Refs,
    TextTooLong,
    TranslationError,
    referenced_ids,
    referenced_ids_in_text,
    text_to_draft,
    to_create_post,
    to_draft,
)

SCHEMA = Path(__file__).parents[2] / "shared/reference/amity-create-post.schema.json"
JP_FLAG = "\U0001f1ef\U0001f1f5"  # two regional indicators: 4 UTF-16 units
TECHNOLOGIST = "\U0001f469\u200d\U0001f4bb"  # ZWJ sequence: 5 UTF-16 units
NAMES = Names(users={"U1": "Al", "U2": "Bo"})
USER_MAP = {"U1": "a1", "U2": "a2"}
CREATED = datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=UTC)


def draft_of(text: str, names: Names = NAMES, user_map: dict[str, str] | None = None) -> Draft:
    """The draft of mrkdwn ``text``, with USER_MAP unless told otherwise."""
    return text_to_draft(text, names, USER_MAP if user_map is None else user_map)


def post(draft: Draft, **overrides: Any) -> dict[str, Any]:
    """The JSON body of ``draft`` with fixed ids and time."""
    arguments: dict[str, Any] = {
        "community_id": "c0ffee",
        "post_id": "slack-T1-C1-1700000000.123456",
        "created_at": CREATED,
        "metadata": {"slack": {"ts": "1700000000.123456"}},
    }
    return to_create_post(draft, **(arguments | overrides)).to_json()


def rich_message(*elements: dict[str, Any], text: str = "fallback") -> SlackMessage:
    """A message with one rich_text block holding one section of ``elements``."""
    section = {"type": "rich_text_section", "elements": list(elements)}
    return SlackMessage(ts="1.0", text=text, blocks=[{"type": "rich_text", "elements": [section]}])


@pytest.mark.parametrize(
    ("text", "names", "expected", "mentions"),
    [
        ("<@U1|old>", Names(users={"U1": "Al Doe"}), "@Al Doe", (Mention("a1", 0, 6),)),
        ("<@U1|old>", Names(), "@old", (Mention("a1", 0, 3),)),
        ("<@U1>", Names(), "@unknown user", (Mention("a1", 0, 12),)),
        ("hi <@U3>", Names(users={"U3": "Cy"}), "hi @Cy", ()),
        ("<@U2> <@U1>", NAMES, "@Bo @Al", (Mention("a2", 0, 2), Mention("a1", 4, 2))),
    ],
)
def test_user_mentions(text: str, names: Names, expected: str, mentions: tuple[Mention]) -> None:
    """Display name, else label, else a placeholder (never the ID); only mapped users
    become mentions."""
    draft = draft_of(text, names)
    assert (draft.text, draft.mentions) == (expected, mentions)


def test_emoji_before_mention_counts_two_units() -> None:
    """``🎉 <@U1>``: the ``@`` is at UTF-16 index 3, not code point 2."""
    assert draft_of("\U0001f389 <@U1>").mentions == (Mention("a1", 3, 2),)


def test_flag_and_zwj_before_mention_and_link() -> None:
    """Flags and ZWJ sequences shift mention and link positions by their UTF-16 size."""
    draft = draft_of(f"{JP_FLAG} {TECHNOLOGIST} <@U1> <https://x.com>", Names(users={"U1": "Bob"}))
    assert draft.text == f"{JP_FLAG} {TECHNOLOGIST} @Bob https://x.com"
    assert draft.mentions == (Mention("a1", 11, 3),)
    assert draft.links == (Link(url="https://x.com", index=16, length=13, domain="x.com"),)


def test_mention_length_of_astral_name() -> None:
    """A display name with an emoji is measured in UTF-16 units."""
    assert draft_of("<@U1>", Names(users={"U1": "Al\U0001f680"})).mentions == (Mention("a1", 0, 4),)


def test_rich_text_positions_count_utf16() -> None:
    """Rich text elements are measured the same way."""
    message = rich_message(
        {"type": "text", "text": f"{JP_FLAG}{TECHNOLOGIST} "},
        {"type": "user", "user_id": "U1"},
        {"type": "link", "url": "https://x.com", "text": "site"},
    )
    draft = to_draft(message, NAMES, USER_MAP)
    assert draft.text == f"{JP_FLAG}{TECHNOLOGIST} @Alsite (https://x.com)"
    assert draft.mentions == (Mention("a1", 10, 2),)
    assert draft.links == (Link(url="https://x.com", index=19, length=13, domain="x.com"),)


def test_mentions_capped_at_thirty() -> None:
    """The 31st mention stays plain ``@Name`` text."""
    text = " ".join(f"<@U{i}|n{i}>" for i in range(31))
    draft = draft_of(text, Names(), {f"U{i}": f"a{i}" for i in range(31)})
    assert len(draft.mentions) == 30
    assert draft.mentions[-1].amity_user_id == "a29"
    assert draft.text.endswith("@n29 @n30")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<#C1|general>", "#general"),
        ("<#C2>", "#random"),
        ("<#C3>", "#unknown channel"),
        ("<!subteam^S1|@team>", "@team"),
        ("<!subteam^S2>", "@oncall"),
        ("<!subteam^S3>", "@unknown group"),
        ("<!here> <!channel> <!everyone> <!here|here>", "@here @channel @everyone @here"),
    ],
)
def test_channels_groups_broadcasts_are_plain(text: str, expected: str) -> None:
    """Channels, user groups and broadcasts render as text: no mention, no hashtag."""
    names = Names(channels={"C2": "random"}, usergroups={"S2": "oncall"})
    draft = draft_of(text, names, {"S1": "x", "S2": "y", "here": "z"})
    assert (draft.text, draft.mentions, draft.hashtags) == (expected, (), ())


@pytest.mark.parametrize(
    ("text", "expected", "links"),
    [
        ("<https://x.com|label>", "label (https://x.com)", [("https://x.com", 7, 13, "x.com")]),
        ("<https://x.com|x.com>", "https://x.com", [("https://x.com", 0, 13, "x.com")]),
        ("<https://x.com/|https://x.com/>", "https://x.com/", [("https://x.com/", 0, 14, "x.com")]),
        ("<mailto:a@b.c|a@b.c>", "a@b.c", []),
        ("<mailto:a@b.c|write us>", "write us (a@b.c)", []),
        (
            "<https://Sub.Example.com:8443/p?q=1&amp;r=2>",
            "https://Sub.Example.com:8443/p?q=1&r=2",
            [("https://Sub.Example.com:8443/p?q=1&r=2", 0, 38, "sub.example.com")],
        ),
        ("see https://x.com/a.", "see https://x.com/a.", [("https://x.com/a", 4, 15, "x.com")]),
        ("`https://x.com`", "https://x.com", []),
    ],
)
def test_links(text: str, expected: str, links: list[tuple[str, int, int, str]]) -> None:
    """Labels read ``label (url)``; every shown http(s) URL gets a positioned entry."""
    draft = draft_of(text)
    assert draft.text == expected
    assert [(x.url, x.index, x.length, x.domain) for x in draft.links] == links


def test_overlong_url_has_no_entry() -> None:
    """A URL over 2000 characters stays in the text without a links entry."""
    url = "https://x.com/" + "a" * 2000
    draft = draft_of(f"<{url}>")
    assert (draft.text, draft.links) == (url, ())


def test_links_capped_at_hundred() -> None:
    """Only the first 100 URLs get entries (the API's limit)."""
    draft = draft_of(" ".join(f"<https://x.com/{i}>" for i in range(101)))
    assert len(draft.links) == 100
    assert draft.links[-1].url == "https://x.com/99"


@pytest.mark.parametrize(
    ("text", "hashtags"),
    [
        ("#launch day", ("launch",)),
        ("<#C1|general> #general", ("general",)),
        ("`#code` #real", ("real",)),
        ("<https://x.com/#frag> https://y.com/#frag2 #x", ("x",)),
        ("#go #go #Go", ("go", "Go")),
        ("*#bold*", ("bold",)),
        ("issue#12 C#x #42", ()),
    ],
)
def test_hashtags(text: str, hashtags: tuple[str, ...]) -> None:
    """Hashtags come from plain text only, unique and in order."""
    assert draft_of(text).hashtags == hashtags


def test_hashtag_split_over_styled_elements() -> None:
    """``#`` and a bold word in separate rich text elements still form one hashtag."""
    message = rich_message(
        {"type": "text", "text": "ship #"},
        {"type": "text", "text": "release", "style": {"bold": True}},
    )
    assert to_draft(message, NAMES, {}).hashtags == ("release",)


def test_hashtags_capped_at_thirty() -> None:
    """Only the first 30 distinct hashtags are kept."""
    draft = draft_of(" ".join(f"#t{i}" for i in range(35)))
    assert draft.hashtags == tuple(f"t{i}" for i in range(30))


def test_blank_lines_and_trailing_spaces_trimmed_with_offsets() -> None:
    """Leading blank lines and trailing spaces go; positions move with the text."""
    draft = draft_of("\n\n  \n<@U1> hi   \nthere  <https://a.io>  \n")
    assert draft.text == "@Al hi\nthere  https://a.io"
    assert draft.mentions == (Mention("a1", 0, 2),)
    assert draft.links == (Link(url="https://a.io", index=14, length=12, domain="a.io"),)


def test_message_without_blocks_uses_mrkdwn_text() -> None:
    """Without blocks with text, the mrkdwn ``text`` is rendered."""
    buttons = {"type": "actions", "elements": [{"type": "button", "text": {"text": "Go"}}]}
    message = SlackMessage(ts="1.0", text="*hi* <@U1|ann>", blocks=[buttons])
    assert to_draft(message, Names(), {}).text == "hi @ann"


def test_app_blocks_win_over_the_summary() -> None:
    """An app's section blocks are posted, not the ``text`` summary, and not both."""
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "*Deploy* finished"}}
    message = SlackMessage(ts="1.0", text="Deploy finished", blocks=[section])
    assert to_draft(message, Names(), {}).text == "Deploy finished"


def test_rich_text_wins_over_text() -> None:
    """With a rich_text block, ``text`` (the fallback) is not used."""
    message = rich_message({"type": "text", "text": "from blocks"}, text="from text")
    assert to_draft(message, Names(), {}).text == "from blocks"


def test_malformed_rich_text_falls_back_to_text() -> None:
    """A rich_text block that does not parse leaves the mrkdwn ``text`` in charge."""
    block = {"type": "rich_text", "elements": "oops"}
    message = SlackMessage(ts="1.0", text="*hi* <@U9>", blocks=[block])
    assert to_draft(message, Names(), {}).text == "hi @unknown user"
    assert referenced_ids(message) == Refs(users=frozenset({"U9"}))


def test_referenced_ids_in_text() -> None:
    """Users always; channels and groups only when the token has no name."""
    text = "<@U1> <@U2|bob> <#C1> <#C2|general> <!subteam^S1> <!subteam^S2|@team> `<@U3>`"
    assert referenced_ids_in_text(text) == Refs(
        users=frozenset({"U1", "U2", "U3"}),
        channels=frozenset({"C1"}),
        usergroups=frozenset({"S1"}),
    )


def test_referenced_ids_of_rich_text() -> None:
    """Rich text elements name their ids."""
    message = rich_message(
        {"type": "user", "user_id": "U7"},
        {"type": "channel", "channel_id": "C7"},
        {"type": "usergroup", "usergroup_id": "S7"},
        text="<@U8>",
    )
    assert referenced_ids(message) == Refs(frozenset({"U7"}), frozenset({"C7"}), frozenset({"S7"}))


def test_create_post_body() -> None:
    """Mentions, links and hashtags land where Amity expects them."""
    draft = draft_of("Hi <@U1> and <@U2> and <@U1> #ship <https://x.com>")
    mentioned = [("a1", 3), ("a2", 11), ("a1", 19)]
    assert post(draft) == {
        "data": {"text": "Hi @Al and @Bo and @Al #ship https://x.com"},
        "targetType": "community",
        "targetId": "c0ffee",
        "postId": "slack-T1-C1-1700000000.123456",
        "createdAt": "2023-11-14T22:13:20.123Z",
        "links": [{"url": "https://x.com", "index": 29, "length": 13, "domain": "x.com"}],
        "hashtags": ["ship"],
        "mentionees": [{"type": "user", "userIds": ["a1", "a2"]}],
        "metadata": {
            "slack": {"ts": "1700000000.123456"},
            "mentioned": [
                {"type": "user", "userId": uid, "index": index, "length": 2}
                for uid, index in mentioned
            ],
        },
    }


def test_create_post_omits_empty_parts() -> None:
    """No mentions, links or hashtags: those keys are absent and metadata is as given."""
    metadata = {"slack": {"ts": "1.0"}}
    body = post(draft_of("plain words"), metadata=metadata)
    assert set(body) == {"data", "targetType", "targetId", "postId", "createdAt", "metadata"}
    assert body["metadata"] == {"slack": {"ts": "1.0"}}
    assert metadata == {"slack": {"ts": "1.0"}}


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (
            datetime(2023, 11, 15, 0, 13, 20, 999999, tzinfo=timezone(timedelta(hours=2))),
            "2023-11-14T22:13:20.999Z",
        ),
        (datetime(2023, 11, 14, 22, 13, 20), "2023-11-14T22:13:20.000Z"),
    ],
)
def test_created_at_is_utc_with_milliseconds(moment: datetime, expected: str) -> None:
    """Any time zone becomes UTC ``Z`` with milliseconds; naive times are UTC."""
    assert post(draft_of("x"), created_at=moment)["createdAt"] == expected


def test_attachments_make_blank_text_postable() -> None:
    """A file-only message posts with empty text and its attachments."""
    body = post(draft_of("  "), attachments=[Attachment(type="image", fileId="f1")])
    assert (body["data"], body["attachments"]) == (
        {"text": ""},
        [{"type": "image", "fileId": "f1"}],
    )


def test_empty_message_raises() -> None:
    """Blank text without attachments is an EmptyMessage with advice."""
    with pytest.raises(EmptyMessage) as caught:
        post(draft_of(" \n\t "))
    assert isinstance(caught.value, TranslationError)
    assert str(caught.value).endswith("try again.")


def test_text_too_long_counts_utf16() -> None:
    """10,001 emoji are 20,002 UTF-16 units: rejected, never truncated."""
    with pytest.raises(TextTooLong) as caught:
        post(Draft("\U0001f389" * 10_001, (), (), ()))
    assert (caught.value.length, caught.value.limit) == (20_002, 20_000)
    assert "20,002" in str(caught.value)


def test_text_at_limit_is_accepted() -> None:
    """Exactly 20,000 units is allowed."""
    assert len(post(Draft("a" * 20_000, (), (), ()))["data"]["text"]) == 20_000


@pytest.mark.skipif(not SCHEMA.exists(), reason="reference schema not available")
def test_body_validates_against_schema() -> None:
    """A full body (mentions, links, hashtags, attachments) passes Amity's JSON Schema."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    draft = draft_of(f"{JP_FLAG} <@U1> <@U2> #ship <https://x.com|docs> :tada:")
    body = post(draft, attachments=[Attachment(type="file", fileId="f1")])
    validator.validate(body)
    assert not validator.is_valid(body | {"unexpected": True})
