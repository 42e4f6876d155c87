"""What a route is: which channels go to which Amity community, and who may publish.

```yaml
routes:
  - name: announcements
    channels: [C0123ABCD]        # Slack channel IDs
    emoji: mega                  # reaction name, without colons
    community: 64be1f6cb9b4106b5a6bbf3f
    post:                        # optional defaults added to every post of the route
      tags: [slack]              # Amity tags (at most 5, 24 characters each)
      hashtags: [news]           # always added to the post's hashtags (at most 30)
      discoverable: true         # Amity's isDiscoverable (search and hashtag feeds)
      attribution: "— shared from Slack by {author}"   # a last line; {author} {sharer} {channel}
users:                           # optional Slack user ID -> Amity user ID
  U0123ABCD: alice
```
Nothing from a channel is published unless a route names that channel.
"""

from __future__ import annotations

import string
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from bridge.ids import AmityId

ChannelId = Annotated[str, StringConstraints(pattern=r"^[CGD][A-Z0-9]{2,}$")]
UserId = Annotated[str, StringConstraints(pattern=r"^[UW][A-Z0-9]{2,}$")]
GroupId = Annotated[str, StringConstraints(pattern=r"^S[A-Z0-9]{2,}$")]
Who = Literal["anyone", "listed", "author", "approval"]
EmojiName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_+'\-]+$", max_length=100)]


class ConfigError(Exception):
    """A routes file is missing or wrong; the message says where and how to fix it."""


class RoutesMissing(ConfigError):
    """There is no routes file (optional): the stored routes are the bridge's routes."""


# Amity's create-post limits on what a route adds (the create-post schema's tags and hashtags)
MAX_TAGS = 5
MAX_TAG_LENGTH = 24
MAX_HASHTAGS = 30
MAX_HASHTAG_LENGTH = 100
ATTRIBUTION_FIELDS = frozenset({"author", "sharer", "channel"})
Tag = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TAG_LENGTH)]
Hashtag = Annotated[
    str, StringConstraints(pattern=r"^[^\s#]+$", min_length=1, max_length=MAX_HASHTAG_LENGTH)
]


class PostDefaults(BaseModel):
    """What every post of a route carries, whatever the message says."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tags: Annotated[list[Tag], Field(max_length=MAX_TAGS)] = Field(default_factory=list)
    hashtags: Annotated[list[Hashtag], Field(max_length=MAX_HASHTAGS)] = Field(default_factory=list)
    discoverable: bool = True
    attribution: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None

    @field_validator("hashtags", mode="before")
    @classmethod
    def _without_sign(cls, value: object) -> object:
        """``#news`` and ``news`` are the same hashtag (YAML needs quotes for ``#``)."""
        if isinstance(value, list):
            return [v.strip().removeprefix("#") if isinstance(v, str) else v for v in value]
        return value

    @field_validator("attribution")
    @classmethod
    def _known_fields(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as error:
            raise ValueError(f"is not a valid template ({error}): write {{{{ for a brace") from None
        if unknown := fields - ATTRIBUTION_FIELDS:
            raise ValueError(
                f"has unknown placeholders {', '.join(sorted(unknown))}: use "
                + ", ".join(f"{{{name}}}" for name in sorted(ATTRIBUTION_FIELDS))
            )
        return value

    def attribution_line(self, author: str, sharer: str, channel: str) -> str | None:
        """The attribution line with the names filled in, or None without a template."""
        if self.attribution is None:
            return None
        return self.attribution.format(author=author, sharer=sharer, channel=channel)


class Route(BaseModel):
    """One channel group → community mapping."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    channels: list[ChannelId] = Field(default_factory=list)
    emoji: EmojiName
    community: AmityId  # bridge.ids.RULE
    post: PostDefaults = Field(default_factory=PostDefaults)
    sync_edits: bool = True  # a Slack edit updates the post
    sync_deletes: Literal["delete", "keep"] = "delete"  # a deleted message deletes the post

    # Where from and by whom (see ``bridge.listeners.permits``). The defaults keep a route
    # open to anyone in its channels, public channels of the workspace only.
    workspace_wide: bool = False  # the emoji works in every channel the bot is in
    who: Who = "anyone"  # anyone | listed (people, groups) | author | approval
    people: list[UserId] = Field(default_factory=list)  # may publish, or approve
    groups: list[GroupId] = Field(default_factory=list)  # Slack user groups, likewise
    approval_emoji: EmojiName = "heavy_check_mark"
    approval_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    allow_private: bool = False  # private channels, DMs and group DMs
    allow_external: bool = False  # Slack Connect channels, and authors from other workspaces

    @model_validator(mode="after")
    def _complete(self) -> Route:
        """A route needs channels (or to be workspace-wide), and its listed people."""
        if not self.channels and not self.workspace_wide:
            raise ValueError(
                "a route needs channels, or workspace_wide: true for its emoji to work in "
                "every channel the bot is in"
            )
        if self.who in ("listed", "approval") and not (self.people or self.groups):
            raise ValueError(
                f"who: {self.who} needs people (Slack user IDs) or groups (user group IDs)"
            )
        return self

    def covers(self, channel: str) -> bool:
        """Whether a message of ``channel`` may go through this route (its rules aside)."""
        return self.workspace_wide or channel in self.channels


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
            places = ["*"] if route.workspace_wide else route.channels
            if route.name in names:
                raise ValueError(
                    f"routes.{index}.name '{route.name}' is already the name of routes."
                    f"{names[route.name]}: give each route a name of its own"
                )
            names[route.name] = index
            for channel in places:
                if (channel, route.emoji) in emoji:
                    where = "every channel" if channel == "*" else channel
                    raise ValueError(
                        f"routes.{index} ({route.name}) uses :{route.emoji}: in {where}, "
                        f"as route {emoji[channel, route.emoji]} does: a reaction can start "
                        "only one route, so give one of them another emoji"
                    )
                emoji[channel, route.emoji] = route.name
        return self

    def for_reaction(self, channel: str, emoji: str) -> Route | None:
        """The route that the reaction ``emoji`` in ``channel`` triggers, if any."""
        base = emoji.split("::", 1)[0]  # ":+1::skin-tone-2:" arrives as "+1::skin-tone-2"
        named = (r for r in self.routes if channel in r.channels and r.emoji == base)
        anywhere = (r for r in self.routes if r.workspace_wide and r.emoji == base)
        return next(named, None) or next(anywhere, None)

    def named(self, name: str) -> Route | None:
        """The route called ``name`` (a job remembers its route by name)."""
        return next((r for r in self.routes if r.name == name), None)

    def for_channel(self, channel: str) -> list[Route]:
        """Every route covering ``channel`` (one post per distinct community)."""
        seen: set[str] = set()
        found = []
        for route in self.routes:
            if route.covers(channel) and route.community not in seen:
                seen.add(route.community)
                found.append(route)
        return found


def who_may_publish(route: Route, *, slack: bool = True) -> str:
    """Who may publish through ``route``, in words (Slack mentions when ``slack``)."""
    listed = [f"<@{p}>" if slack else p for p in route.people]
    listed += [f"<!subteam^{g}>" if slack else f"members of {g}" for g in route.groups]
    names = ", ".join(listed)
    if route.who == "listed":
        return f"only {names}"
    if route.who == "author":
        return "only the message's author"
    if route.who == "approval":
        return (
            f"anyone, once {names} approve{'s' if len(listed) == 1 else ''} "
            f"(:{route.approval_emoji}: or Approve, within {route.approval_hours:g} h)"
        )
    return "anyone in the channel"


def describe_rules(route: Route, *, slack: bool = True) -> str:
    """The route's rules in one line: where from, who may publish, what it opts into."""
    where = (
        "every channel the bot is in"
        if route.workspace_wide
        else ", ".join(f"<#{c}>" if slack else c for c in route.channels)
    )
    opened = [
        name
        for name, on in (
            ("private channels and DMs", route.allow_private),
            ("Slack Connect", route.allow_external),
        )
        if on
    ]
    also = f"; also {' and '.join(opened)}" if opened else ""
    return f"from {where}; publish: {who_may_publish(route, slack=slack)}{also}"
