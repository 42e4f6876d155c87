"""Per-route post defaults: tags, hashtags, isDiscoverable and an attribution line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from bridge_standins.server import wait_for
from bridge_standins.signed import SlackSender
from bridge_standins.stack import COMMUNITY, NEWS, SIGNING_SECRET, LocalStack, start_stack

from bridge import routes as routes_module
from bridge.delivery.outbox import JobState
from bridge.routes import ConfigError, load_routes
from tests.e2e import job_state

ROUTE = f"""routes:
  - name: announcements
    channels: [{NEWS}]
    emoji: mega
    community: {COMMUNITY}
"""


def write(tmp_path: Path, post: str) -> Path:
    path = tmp_path / "bridge.yml"
    path.write_text(ROUTE + "    post:\n" + post, encoding="utf-8")
    return path


@pytest.fixture
def stack(tmp_path: Path, database_url: str) -> Iterator[LocalStack]:
    post = """      tags: [slack, news]
      hashtags: ["#launch", weekly]
      discoverable: false
      attribution: "— shared from Slack by {author} in {channel}, via {sharer}"
"""
    running = start_stack(tmp_path, database_url=database_url, routes=ROUTE + "    post:\n" + post)
    yield running
    running.stop()


def test_defaults_are_added_to_every_post(stack: LocalStack) -> None:
    """Tags, hashtags (the route's first), isDiscoverable and the attribution line."""
    msg = stack.slack.add_message(NEWS, {"user": "U0ALICE01", "text": "Ship it #today 🚀"})
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        slack.reaction(user="U0BOB0001", reaction="mega", channel=NEWS, ts=msg["ts"])
    wait_for(lambda: job_state(stack, msg["ts"]) is JobState.done)
    [body] = stack.amity.posts
    assert body["data"]["text"] == (
        "Ship it #today 🚀\n\n— shared from Slack by Alice in #announcements, via Bob Stone"
    )
    assert body["tags"] == ["slack", "news"]
    assert body["hashtags"] == ["launch", "weekly", "today"]
    assert body["isDiscoverable"] is False
    [stored] = stack.amity.stored_posts
    assert stored["isDiscoverable"] is False and stored["tags"] == ["slack", "news"]


def test_a_command_is_attributed_to_whoever_typed_it(stack: LocalStack) -> None:
    """/crosspost <text>: the author is the person who ran the command."""
    with SlackSender(stack.events_url, SIGNING_SECRET) as slack:
        url = stack.slack.response_url("cmd")
        slack.command("Hello <@U0ALICE01>", user_id="U0BOB0001", channel_id=NEWS, response_url=url)
    wait_for(lambda: len(stack.amity.posts) == 1)
    [body] = stack.amity.posts
    assert body["data"]["text"].endswith(
        "\n\n— shared from Slack by Bob Stone in #announcements, via Bob Stone"
    )


def test_no_defaults_leave_the_post_alone(tmp_path: Path) -> None:
    """A route without post: adds nothing (Amity's own defaults apply)."""
    route = load_routes(write(tmp_path, "      {}\n")).routes[0]
    assert route.post.tags == [] and route.post.hashtags == []
    assert route.post.discoverable is True and route.post.attribution is None


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        ("      tags: [a, b, c, d, e, f]\n", "routes.0.post.tags"),
        ("      tags: [abcdefghijklmnopqrstuvwxyz]\n", "routes.0.post.tags.0"),
        ('      hashtags: ["two words"]\n', "routes.0.post.hashtags.0"),
        ("      hashtags: [" + ", ".join(f"h{i}" for i in range(31)) + "]\n", "hashtags"),
        ('      attribution: "by {who}"\n', "unknown placeholders who"),
        ('      attribution: "by {"\n', "not a valid template"),
        ("      pinned: true\n", "routes.0.post.pinned"),
    ],
)
def test_bad_defaults_are_refused(tmp_path: Path, post: str, expected: str) -> None:
    """Defaults beyond Amity's create-post limits are refused with the line to fix."""
    with pytest.raises(ConfigError) as caught:
        load_routes(write(tmp_path, post))
    assert expected in str(caught.value)


def test_limits_are_the_create_post_schemas() -> None:
    """The route's limits on tags and hashtags are those of Amity's create-post schema."""
    text = resources.files("bridge_standins").joinpath("amity-create-post.schema.json")
    schema = json.loads(text.read_text())["properties"]
    assert schema["tags"]["maxItems"] == routes_module.MAX_TAGS
    assert schema["tags"]["items"]["maxLength"] == routes_module.MAX_TAG_LENGTH
    assert schema["hashtags"]["maxItems"] == routes_module.MAX_HASHTAGS
    assert schema["hashtags"]["items"]["maxLength"] == routes_module.MAX_HASHTAG_LENGTH
