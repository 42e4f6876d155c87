"""Routes: which Slack channels are published to which Amity community.

``bridge.routes.model`` holds what a route is; ``bridge.routes.file`` reads and writes a
routes file (``bridge.yml``, an optional bootstrap: routes added from Slack are kept in the
store).
"""

from bridge.routes.file import EXAMPLE, dump_routes, load_routes, parse_routes, read_text
from bridge.routes.model import (
    ATTRIBUTION_FIELDS,
    MAX_HASHTAG_LENGTH,
    MAX_HASHTAGS,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    ChannelId,
    ConfigError,
    EmojiName,
    GroupId,
    PostDefaults,
    Route,
    RoutesConfig,
    RoutesMissing,
    UserId,
    Who,
    describe_rules,
    who_may_publish,
)

__all__ = [
    "ATTRIBUTION_FIELDS",
    "EXAMPLE",
    "MAX_HASHTAGS",
    "MAX_HASHTAG_LENGTH",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "ChannelId",
    "ConfigError",
    "EmojiName",
    "GroupId",
    "PostDefaults",
    "Route",
    "RoutesConfig",
    "RoutesMissing",
    "UserId",
    "Who",
    "describe_rules",
    "dump_routes",
    "load_routes",
    "parse_routes",
    "read_text",
    "who_may_publish",
]
