"""The stand-in Slack accepts Block Kit's documented examples and refuses a view that
breaks a documented limit the way Slack does (``invalid_blocks`` / ``invalid_arguments``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bridge_standins.slack import FakeSlack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

TOKEN = "xoxb-test"
USER = "U0ALICE01"

# Block Kit reference examples (docs.slack.dev, "Blocks" and "Block elements" pages)
HEADER = {"type": "header", "text": {"type": "plain_text", "text": "A Heartfelt Header"}}
SECTION = {
    "type": "section",
    "text": {
        "type": "mrkdwn",
        "text": "A message *with some bold text* and _some italicized text_.",
    },
}
FIELDS = {
    "type": "section",
    "text": {
        "text": "A message *with some bold text* and _some italicized text_.",
        "type": "mrkdwn",
    },
    "fields": [
        {"type": "mrkdwn", "text": "High"},
        {"type": "plain_text", "emoji": True, "text": "String"},
    ],
}
CONTEXT = {
    "type": "context",
    "elements": [
        {"type": "image", "image_url": "https://example.com/pin.jpg", "alt_text": "images"},
        {"type": "mrkdwn", "text": "Location: **Dogpatch**"},
    ],
}
ACTIONS = {
    "type": "actions",
    "block_id": "actions1",
    "elements": [
        {
            "type": "static_select",
            "placeholder": {"type": "plain_text", "text": "Which witch is the witchiest witch?"},
            "action_id": "select_2",
            "options": [
                {"text": {"type": "plain_text", "text": "Matilda"}, "value": "matilda"},
                {"text": {"type": "plain_text", "text": "Glinda"}, "value": "glinda"},
            ],
        },
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Cancel"},
            "value": "cancel",
            "action_id": "button_1",
        },
    ],
}
BUTTON = {
    "type": "button",
    "text": {"type": "plain_text", "text": "Click Me"},
    "value": "click_me_123",
    "action_id": "button",
}
INPUT = {
    "type": "input",
    "element": {"type": "plain_text_input", "action_id": "plain_input"},
    "label": {"type": "plain_text", "text": "Label", "emoji": True},
}
EXAMPLES: list[dict[str, Any]] = [
    HEADER,
    SECTION,
    FIELDS,
    CONTEXT,
    ACTIONS,
    {"type": "divider"},
    INPUT,
]
MODAL = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Modal title"},
    "blocks": EXAMPLES,
    "close": {"type": "plain_text", "text": "Cancel"},
    "submit": {"type": "plain_text", "text": "Save"},
    "private_metadata": "Shhhhhhhh",
    "callback_id": "view_identifier_12",
}


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=TOKEN) as fake:
        fake.add_user(USER, "Alice")
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.url + "/api/")


def refusal(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as raised:
        call()
    data: dict[str, Any] = dict(raised.value.response.data)
    return data


def home(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "home", "blocks": list(blocks)}


def test_documented_examples_are_accepted(client: WebClient, slack: FakeSlack) -> None:
    """Every documented example block, in a Home tab and in a modal, is accepted."""
    assert client.views_publish(
        user_id=USER, view=home(*EXAMPLES, {**SECTION, "accessory": BUTTON})
    )["ok"]
    assert client.views_open(trigger_id="1.2.abc", view=MODAL)["ok"]
    assert len(slack.views) == 2


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            section("x" * 3001),
            "must be less than 3001 characters [json-pointer:/view/blocks/1/text/text]",
        ),
        (section(""), "must be more than 0 characters [json-pointer:/view/blocks/1/text/text]"),
        (
            {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
            "must be less than 151 characters [json-pointer:/view/blocks/1/text/text]",
        ),
        (
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11},
            "must provide 1 to 10 items [json-pointer:/view/blocks/1/elements]",
        ),
        (
            {**SECTION, "accessory": {**BUTTON, "text": {"type": "plain_text", "text": "b" * 76}}},
            "must be less than 76 characters [json-pointer:/view/blocks/1/accessory/text/text]",
        ),
        (
            {"type": "actions", "elements": [{**BUTTON, "action_id": "a" * 256}]},
            "must be less than 256 characters [json-pointer:/view/blocks/1/elements/0/action_id]",
        ),
        (
            {"type": "actions", "elements": [{**BUTTON, "value": "v" * 2001}]},
            "must be less than 2001 characters [json-pointer:/view/blocks/1/elements/0/value]",
        ),
        (
            {"type": "actions", "elements": [BUTTON] * 26},
            "must provide 1 to 25 items [json-pointer:/view/blocks/1/elements]",
        ),
        (
            {**SECTION, "block_id": "b" * 256},
            "must be less than 256 characters [json-pointer:/view/blocks/1/block_id]",
        ),
        (
            {**FIELDS, "fields": [{"type": "mrkdwn", "text": "f"}] * 11},
            "must provide no more than 10 items [json-pointer:/view/blocks/1/fields]",
        ),
    ],
)
def test_a_block_over_a_limit_is_invalid_blocks(
    client: WebClient, slack: FakeSlack, block: dict[str, Any], message: str
) -> None:
    """A block breaking a limit: ``invalid_blocks`` naming it, and nothing is shown."""
    answer = refusal(lambda: client.views_publish(user_id=USER, view=home(HEADER, block)))
    assert answer["error"] == "invalid_blocks"
    assert message in answer["errors"]
    assert f"[ERROR] {message}" in answer["response_metadata"]["messages"]
    assert slack.views == []


@pytest.mark.parametrize(
    ("view", "message"),
    [
        (home(*[SECTION] * 101), "must provide no more than 100 items [json-pointer:/view/blocks]"),
        (
            {**home(SECTION), "private_metadata": "p" * 3001},
            "must be less than 3001 characters [json-pointer:/view/private_metadata]",
        ),
        ({**home(SECTION), "type": "modal"}, "must be a home view [json-pointer:/view/type]"),
    ],
)
def test_a_view_over_a_limit_is_invalid_arguments(
    client: WebClient, view: dict[str, Any], message: str
) -> None:
    """More than 100 blocks, metadata over 3,000 characters, a wrong type: ``invalid_arguments``."""
    answer = refusal(lambda: client.views_publish(user_id=USER, view=view))
    assert answer["error"] == "invalid_arguments"
    assert f"[ERROR] {message}" in answer["response_metadata"]["messages"]


def test_modals_are_checked_on_open_and_update(client: WebClient) -> None:
    """views.open and views.update refuse like views.publish (a title over 24 characters)."""
    long_title = {**MODAL, "title": {"type": "plain_text", "text": "t" * 25}}
    answer = refusal(lambda: client.views_open(trigger_id="1.2.x", view=long_title))
    assert answer["error"] == "invalid_arguments"
    untitled = {k: v for k, v in MODAL.items() if k != "title"}
    answer = refusal(lambda: client.views_open(trigger_id="1.2.z", view=untitled))
    assert (
        "[ERROR] must provide an object [json-pointer:/view/title]"
        in (answer["response_metadata"]["messages"])
    )
    opened = client.views_open(trigger_id="1.2.y", view=MODAL)["view"]["id"]
    bad = {**MODAL, "blocks": [section("x" * 3001)]}
    assert (
        refusal(lambda: client.views_update(view_id=opened, view=bad))["error"] == "invalid_blocks"
    )
