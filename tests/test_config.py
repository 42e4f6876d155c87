"""Settings and the routes file: good values load, bad ones name the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bridge.routes import ConfigError, RoutesMissing, load_routes
from bridge.settings import Settings, describe_errors

GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
    "SLACK_SIGNING_SECRET": "s3cret",
    "AMITY_ADMIN_TOKEN": "amity-token",
    "AMITY_POST_URL_TEMPLATE": "https://app.example.com/c/{communityId}/p/{postId}",
}


def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **values: str) -> Settings:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for key, value in (GOOD | values).items():
        monkeypatch.setenv(key, value)
    return Settings()


def test_defaults_and_post_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Region us by default, SQLite file, and the post link from the template."""
    s = settings(monkeypatch, tmp_path)
    assert s.amity_base_url == "https://apix.us.amity.co/"
    assert s.SLACK_API_URL == "https://slack.com/api/"
    assert s.DATABASE_URL == "sqlite:///bridge.db"
    assert s.post_url("p1", "c1") == "https://app.example.com/c/c1/p/p1"


def test_retry_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Jobs are retried for 24 h, at most 5 minutes apart, with no attempt limit unless set;
    an empty BRIDGE_MAX_ATTEMPTS means unset."""
    s = settings(monkeypatch, tmp_path)
    assert (s.BRIDGE_MAX_AGE_HOURS, s.BRIDGE_MAX_ATTEMPTS) == (24.0, None)
    assert (s.BRIDGE_BACKOFF_CAP_SECONDS, s.BRIDGE_DELAY_NOTICE_SECONDS) == (300.0, 60.0)
    assert settings(monkeypatch, tmp_path, BRIDGE_MAX_ATTEMPTS="").BRIDGE_MAX_ATTEMPTS is None
    assert settings(monkeypatch, tmp_path, BRIDGE_MAX_ATTEMPTS="12").BRIDGE_MAX_ATTEMPTS == 12


def test_region_and_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """AMITY_REGION picks the host; AMITY_API_URL overrides it."""
    assert settings(monkeypatch, tmp_path, AMITY_REGION="eu").amity_base_url == (
        "https://apix.eu.amity.co/"
    )
    s = settings(monkeypatch, tmp_path, AMITY_API_URL="http://127.0.0.1:9999")
    assert s.amity_base_url == "http://127.0.0.1:9999/"


def test_heroku_database_url_is_rewritten(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """postgres:// (Heroku) becomes a psycopg URL."""
    s = settings(monkeypatch, tmp_path, DATABASE_URL="postgres://u:p@h:5432/d")
    assert s.DATABASE_URL == "postgresql+psycopg://u:p@h:5432/d"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-user-token", "setting SLACK_BOT_TOKEN must be a bot token"),
        ("AMITY_REGION", "mars", "setting AMITY_REGION"),
        ("AMITY_POST_URL_TEMPLATE", "https://x/posts", "has no {postId} placeholder"),
        ("AMITY_POST_URL_TEMPLATE", "https://x/{postId}/{user}", "unknown placeholders: user"),
        ("DATABASE_URL", "mysql://x", "setting DATABASE_URL must start with"),
        ("BRIDGE_BACKOFF_CAP_SECONDS", "900", "1 to 300 seconds"),
        ("BRIDGE_MAX_ATTEMPTS", "0", "leave it unset for no limit"),
    ],
)
def test_bad_setting_names_itself(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, expected: str
) -> None:
    """A malformed setting gives one line naming it and how to fix it, without its value."""
    with pytest.raises(ValidationError) as caught:
        settings(monkeypatch, tmp_path, **{name: value})
    lines = describe_errors(caught.value)
    assert len(lines) == 1
    assert expected in lines[0]
    assert "set it to" in lines[0]
    if name == "SLACK_BOT_TOKEN":
        assert value not in lines[0]


def test_missing_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A missing secret is named with where to find it."""
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.chdir(tmp_path)
    for key, value in GOOD.items():
        if key != "SLACK_SIGNING_SECRET":
            monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert describe_errors(caught.value) == [
        "setting SLACK_SIGNING_SECRET is missing: set it to the Signing Secret from your "
        "Slack app's Basic Information page"
    ]


def test_edge_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Body limit 1 MiB unless set (64 KiB at least); a blank metrics token means none."""
    s = settings(monkeypatch, tmp_path, BRIDGE_METRICS_TOKEN=" ")
    assert (s.BRIDGE_MAX_BODY_BYTES, s.BRIDGE_METRICS_TOKEN) == (1024 * 1024, None)
    s = settings(monkeypatch, tmp_path, BRIDGE_MAX_BODY_BYTES="2000000", BRIDGE_METRICS_TOKEN="t")
    assert s.BRIDGE_MAX_BODY_BYTES == 2_000_000
    assert s.BRIDGE_METRICS_TOKEN is not None and s.BRIDGE_METRICS_TOKEN.get_secret_value() == "t"
    with pytest.raises(ValidationError) as caught:
        settings(monkeypatch, tmp_path, BRIDGE_MAX_BODY_BYTES="1000")
    [line] = describe_errors(caught.value)
    assert line.startswith("setting BRIDGE_MAX_BODY_BYTES is invalid")
    assert "at least 65536" in line


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bridge.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_routes_load_and_match(tmp_path: Path) -> None:
    """Routes match by channel and emoji (colons and skin tones tolerated)."""
    config = load_routes(
        write(
            tmp_path,
            """
routes:
  - name: news
    channels: [C0123ABCD, G0PRIVATE1]
    emoji: ":mega:"
    community: comm1
  - name: wins
    channels: [C0123ABCD]
    emoji: "+1"
    community: comm2
users:
  U0123ABCD: alice
""",
        )
    )
    assert config.for_reaction("C0123ABCD", "mega") is not None
    wins = config.for_reaction("C0123ABCD", "+1::skin-tone-3")
    assert wins is not None and wins.community == "comm2"
    assert config.for_reaction("C0OTHER", "mega") is None
    assert config.for_reaction("C0123ABCD", "tada") is None
    assert [r.name for r in config.for_channel("C0123ABCD")] == ["news", "wins"]
    assert config.users == {"U0123ABCD": "alice"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("routes: [", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping"),
        ("routes: []\n", "routes"),
        (
            "routes:\n  - {name: n, channels: [general], emoji: mega, community: c}\n",
            "routes.0.channels.0",
        ),
        ("routes:\n  - {name: n, channels: [C0123], emoji: mega}\n", "community is missing"),
        (
            "routes:\n  - {name: n, channels: [C0123], emoji: mega, community: c, x: 1}\n",
            "routes.0.x",
        ),
    ],
)
def test_bad_routes_file(tmp_path: Path, text: str, expected: str) -> None:
    """A wrong routes file names the file, the place and the fix."""
    with pytest.raises(ConfigError) as caught:
        load_routes(write(tmp_path, text))
    assert str(tmp_path / "bridge.yml") in str(caught.value)
    assert expected in str(caught.value)


def test_missing_routes_file(tmp_path: Path) -> None:
    """A missing routes file says so and points at the example file."""
    with pytest.raises(RoutesMissing, match="routes file not found") as caught:
        load_routes(tmp_path / "nope.yml")
    assert "copy bridge.example.yml" in str(caught.value)


def test_example_routes_file_is_valid() -> None:
    """The example shipped in the repository loads (its IDs have the right form)."""
    config = load_routes(Path(__file__).parents[1] / "bridge.example.yml")
    assert config.routes[0].emoji == "mega" and config.users == {"U0123ABCD": "alice"}


def test_channel_error_quotes_the_real_pattern(tmp_path: Path) -> None:
    """The pattern in the message is the one that applies, capitals included."""
    text = "routes:\n  - {name: n, channels: [general], emoji: mega, community: c}\n"
    with pytest.raises(ConfigError) as caught:
        load_routes(write(tmp_path, text))
    assert "string should match pattern '^[CGD][A-Z0-9]{2,}$'" in str(caught.value)


def test_duplicate_route_names_are_refused(tmp_path: Path) -> None:
    """Two routes with one name: the second is named, with the fix."""
    text = (
        "routes:\n"
        "  - {name: news, channels: [C0123ABCD], emoji: mega, community: c1}\n"
        "  - {name: news, channels: [C0456EFGH], emoji: tada, community: c2}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_routes(write(tmp_path, text))
    assert str(caught.value) == (
        f"{tmp_path / 'bridge.yml'}: routes.1.name 'news' is already the name of routes.0: "
        "give each route a name of its own"
    )


def test_same_emoji_twice_in_one_channel_is_refused(tmp_path: Path) -> None:
    """One reaction could start only one of two routes: refused, naming both."""
    text = (
        "routes:\n"
        "  - {name: news, channels: [C0123ABCD], emoji: mega, community: c1}\n"
        "  - {name: wins, channels: [C0456EFGH, C0123ABCD], emoji: ':mega:', community: c2}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_routes(write(tmp_path, text))
    message = str(caught.value)
    assert "routes.1 (wins) uses :mega: in C0123ABCD, as route news does" in message
    assert "another emoji" in message


def test_same_emoji_in_different_channels_is_fine(tmp_path: Path) -> None:
    """The same emoji may start different routes in different channels."""
    text = (
        "routes:\n"
        "  - {name: news, channels: [C0123ABCD], emoji: mega, community: c1}\n"
        "  - {name: wins, channels: [C0456EFGH], emoji: mega, community: c2}\n"
    )
    config = load_routes(write(tmp_path, text))
    assert config.for_reaction("C0456EFGH", "mega") == config.routes[1]


def test_posting_as_the_author_needs_a_secret_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """AMITY_API_KEY without BRIDGE_SECRET_KEY stops start-up with how to make a key."""
    with pytest.raises(ValidationError) as caught:
        settings(monkeypatch, tmp_path, AMITY_API_KEY="api-key")
    [line] = describe_errors(caught.value)
    assert line.startswith("setting BRIDGE_SECRET_KEY is missing: AMITY_API_KEY is set")
    assert "Fernet.generate_key()" in line and "api-key" not in line


def test_secret_key_must_be_a_fernet_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A key that is not 32 bytes of URL-safe base64 is refused, without echoing it."""
    with pytest.raises(ValidationError) as caught:
        settings(monkeypatch, tmp_path, AMITY_API_KEY="k", BRIDGE_SECRET_KEY="short-secret")
    [line] = describe_errors(caught.value)
    assert line.startswith("setting BRIDGE_SECRET_KEY is not a Fernet key")
    assert "short-secret" not in line


def test_mentions_and_author_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """map and admin-only posting by default; blank keys mean unset."""
    s = settings(monkeypatch, tmp_path, AMITY_API_KEY=" ", AMITY_SERVER_KEY="")
    assert s.BRIDGE_MENTIONS == "map" and not s.posts_as_author
    with pytest.raises(ValidationError) as caught:
        settings(monkeypatch, tmp_path, BRIDGE_MENTIONS="names")
    assert "BRIDGE_MENTIONS" in describe_errors(caught.value)[0]
