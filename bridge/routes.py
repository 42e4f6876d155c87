"""The routes file (``bridge.yml``): which channels go to which Amity community.

```yaml
routes:
  - name: announcements
    channels: [C0123ABCD]        # Slack channel IDs
    emoji: mega                  # reaction name, without colons
    community: 64be1f6cb9b4106b5a6bbf3f
users:                           # optional Slack user ID -> Amity user ID
  U0123ABCD: alice
```
Nothing from a channel is published unless a route names that channel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

ChannelId = Annotated[str, StringConstraints(pattern=r"^[CGD][A-Z0-9]{2,}$")]
UserId = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,}$")]
EmojiName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_+'\-]+$", max_length=100)]


class ConfigError(Exception):
    """The routes file is missing or wrong; the message says where and how to fix it."""


class RoutesMissing(ConfigError):
    """There is no routes file: ``serve`` starts without routes, ``check`` says so."""


class Route(BaseModel):
    """One channel group → community mapping."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    channels: Annotated[list[ChannelId], Field(min_length=1)]
    emoji: EmojiName
    community: Annotated[str, StringConstraints(min_length=1, max_length=900)]
    sync_edits: bool = True  # a Slack edit updates the post
    sync_deletes: Literal["delete", "keep"] = "delete"  # a deleted message deletes the post


class RoutesConfig(BaseModel):
    """The whole file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    routes: Annotated[list[Route], Field(min_length=1)]
    users: dict[UserId, Annotated[str, StringConstraints(min_length=1)]] = Field(
        default_factory=dict
    )

    @classmethod
    def empty(cls) -> RoutesConfig:
        """No routes at all: what a bridge runs with before its routes file exists (a file
        itself must hold at least one route, so this skips validation)."""
        return cls.model_construct(routes=[], users={})

    @model_validator(mode="after")
    def _unambiguous(self) -> RoutesConfig:
        """Each name once, and each emoji once per channel: a reaction starts one route only."""
        names: dict[str, int] = {}
        emoji: dict[tuple[str, str], str] = {}
        for index, route in enumerate(self.routes):
            if route.name in names:
                raise ValueError(
                    f"routes.{index}.name '{route.name}' is already the name of routes."
                    f"{names[route.name]}: give each route a name of its own"
                )
            names[route.name] = index
            for channel in route.channels:
                if (channel, route.emoji) in emoji:
                    raise ValueError(
                        f"routes.{index} ({route.name}) uses :{route.emoji}: in {channel}, "
                        f"as route {emoji[channel, route.emoji]} does: a reaction can start "
                        "only one route, so give one of them another emoji"
                    )
                emoji[channel, route.emoji] = route.name
        return self

    def for_reaction(self, channel: str, emoji: str) -> Route | None:
        """The route that the reaction ``emoji`` in ``channel`` triggers, if any."""
        base = emoji.split("::", 1)[0]  # ":+1::skin-tone-2:" arrives as "+1::skin-tone-2"
        return next((r for r in self.routes if channel in r.channels and r.emoji == base), None)

    def for_channel(self, channel: str) -> list[Route]:
        """Every route covering ``channel`` (one post per distinct community)."""
        seen: set[str] = set()
        found = []
        for route in self.routes:
            if channel in route.channels and route.community not in seen:
                seen.add(route.community)
                found.append(route)
        return found


EXAMPLE = """routes:
  - name: announcements
    channels: [C0123ABCD]
    emoji: mega
    community: 64be1f6cb9b4106b5a6bbf3f
"""


def load_routes(path: Path) -> RoutesConfig:
    """Read and validate the routes file, or raise ConfigError with a readable message."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RoutesMissing(
            f"{path}: routes file not found; copy bridge.example.yml to {path} and put your "
            "channel IDs, emoji and community IDs in it (see the README)"
        ) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with a 'routes:' list, e.g.\n{EXAMPLE}")
    if "emoji" in str(raw):
        raw = _strip_colons(raw)
    try:
        return RoutesConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError("\n".join(_describe(path, error))) from None


def _strip_colons(raw: dict[str, object]) -> dict[str, object]:
    routes = raw.get("routes")
    if isinstance(routes, list):
        for route in routes:
            if isinstance(route, dict) and isinstance(route.get("emoji"), str):
                route["emoji"] = route["emoji"].strip().strip(":")
    return raw


HINTS = {
    "channels": "a Slack channel ID such as C0123ABCD (channel details > About, at the bottom)",
    "emoji": "a reaction name without colons, such as mega",
    "users": "Slack user IDs (U0123ABCD) mapped to Amity user IDs",
    "community": "the Amity community ID",
}


def _describe(path: Path, error: ValidationError) -> list[str]:
    lines = []
    for item in error.errors():
        if item["type"] == "value_error" and not item["loc"]:  # RoutesConfig._unambiguous
            lines.append(f"{path}: {item['msg'].removeprefix('Value error, ')}")
            continue
        where = ".".join(str(part) for part in item["loc"]) or "top level"
        hint = next((h for key, h in HINTS.items() if key in map(str, item["loc"])), None)
        # lower only the first letter: the rest may quote a pattern, which must stay exact
        message = "is missing" if item["type"] == "missing" else _lower_first(item["msg"])
        lines.append(f"{path}: {where} {message}" + (f" (expected {hint})" if hint else ""))
    return lines


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
