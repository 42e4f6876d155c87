"""Settings from the environment (and a ``.env`` file when present).

One object, built once by the CLI; nothing reads the environment at import time.
``describe_errors`` turns a pydantic ``ValidationError`` into one line per setting that
names it and says how to fix it, so a bad deployment stops with a readable message.
"""

from __future__ import annotations

import re
import string
from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class MentionStrategy(StrEnum):
    """How a mentioned Slack user is matched with an Amity user (an unmatched one stays
    plain ``@Name`` text and is not notified)."""

    map = "map"  # the routes file's ``users:`` table
    email = "email"  # the Amity user ID is the Slack user's email (needs users:read.email)
    slack_id = "slack_id"  # the Amity user ID is the Slack user ID
    none = "none"  # nobody: every mention is plain text


class AmityRegion(StrEnum):
    """Amity's regional API hosts (each network lives in one)."""

    us = "us"
    eu = "eu"
    sg = "sg"


HOW_TO_FIX: dict[str, str] = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-...) from your Slack app's "
    "OAuth & Permissions page",
    "SLACK_SIGNING_SECRET": "the Signing Secret from your Slack app's Basic Information page",
    "SLACK_APP_TOKEN": "an app-level token (xapp-...) with connections:write, from your Slack "
    "app's Basic Information page, or leave it unset to receive requests over HTTP",
    "SLACK_API_URL": "an http(s) URL ending in /api/ (default https://slack.com/api/)",
    "AMITY_REGION": "one of us, eu, sg: the region of your Amity network",
    "AMITY_API_URL": "an http(s) URL such as https://apix.eu.amity.co (overrides AMITY_REGION)",
    "AMITY_ADMIN_TOKEN": "an admin token from the Amity Console (Settings > Admin users)",
    "AMITY_POST_URL_TEMPLATE": "the link to a post in your app, with {postId} and optionally "
    "{communityId}, such as https://<your app's host>/posts/{postId}",
    "DATABASE_URL": "a SQLAlchemy URL: sqlite:///bridge.db or postgresql://user:pass@host/db",
    "BRIDGE_CONFIG": "the path of the routes file (YAML), default bridge.yml",
    "BRIDGE_LOG_LEVEL": "one of DEBUG, INFO, WARNING, ERROR (the libraries' log level)",
    "BRIDGE_POLL_SECONDS": "a number of seconds greater than 0",
    "BRIDGE_WORKERS": "a whole number from 1 to 64",
    "BRIDGE_MAX_ATTEMPTS": "a whole number of at least 1, or leave it unset for no limit "
    "(BRIDGE_MAX_AGE_HOURS ends a job that keeps failing)",
    "BRIDGE_MAX_AGE_HOURS": "a number of hours greater than 0",
    "BRIDGE_BACKOFF_CAP_SECONDS": "the longest wait between two tries of a job, 1 to 300 seconds",
    "BRIDGE_DELAY_NOTICE_SECONDS": "after how many seconds of failing a job the person is told "
    "that it is delayed (0 or more, default 60)",
    "BRIDGE_LEASE_SECONDS": "a number of seconds greater than 0",
    "BRIDGE_SHUTDOWN_SECONDS": "a number of seconds (0 or more)",
    "BRIDGE_MAX_FILE_MB": "the largest file to copy, in MB (default 100)",
    "BRIDGE_UPLOAD_CONCURRENCY": "how many files of one message upload at once, 1 to 10",
    "AMITY_RATE_LIMIT": "the number of Amity requests allowed per 5 seconds for the admin "
    "token, all instances together (default 100)",
    "BRIDGE_MENTIONS": "one of map, email, slack_id, none: how mentioned Slack users are "
    "matched with Amity users (default map)",
    "AMITY_API_KEY": "your Amity network's API key (Console > Settings > Security), to post "
    "as the author; or leave it unset to post everything as the admin user",
    "AMITY_SERVER_KEY": "your network's server key (Console > Settings > Security), needed "
    "when the network is in secure mode; else leave it unset",
    "BRIDGE_SECRET_KEY": "a key that encrypts the stored Amity session tokens, made with "
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
    "PORT": "a TCP port number",
    "BRIDGE_MAX_BODY_BYTES": "the largest request body accepted, in bytes, at least 65536 "
    "(default 1048576)",
    "BRIDGE_METRICS_TOKEN": "a long random string that Prometheus sends as a bearer token, "
    "or leave it unset to serve /metrics to anyone",
    "BRIDGE_ADMINS": "Slack user IDs separated by commas (U0123ABCD,U0456EFGH), or leave it "
    "unset for workspace admins and owners only",
    "BRIDGE_ROUTES_CACHE_SECONDS": "a number of seconds (0 or more, default 5)",
    "BRIDGE_RETENTION_DAYS": "a number of days greater than 0: how long finished posts keep "
    "their message text in the store (default 30)",
}


class LogSettings(BaseSettings):
    """What every command reads first: how much the libraries under the bridge may log."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    BRIDGE_LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"

    @field_validator("BRIDGE_LOG_LEVEL", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class StoreSettings(LogSettings):
    """What the store commands (migrate, jobs, retry) need: the database."""

    DATABASE_URL: str = "sqlite:///bridge.db"
    BRIDGE_RETENTION_DAYS: float = Field(default=30, gt=0)  # finished jobs' texts kept this long

    @field_validator("DATABASE_URL")
    @classmethod
    def _database(cls, value: str) -> str:
        if value.startswith("postgres://"):  # Heroku's form; SQLAlchemy wants postgresql://
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite://, postgres:// or postgresql://")
        return value


class RoutesSettings(StoreSettings):
    """What ``routes export`` and ``routes import`` need: the store and the routes file."""

    BRIDGE_CONFIG: Path = Path("bridge.yml")


class Settings(RoutesSettings):
    """Everything the bridge reads from its environment."""

    SLACK_BOT_TOKEN: SecretStr
    SLACK_SIGNING_SECRET: SecretStr
    SLACK_APP_TOKEN: SecretStr | None = None
    SLACK_API_URL: str = DEFAULT_SLACK_API_URL
    AMITY_REGION: AmityRegion = AmityRegion.us
    AMITY_API_URL: str | None = None
    AMITY_ADMIN_TOKEN: SecretStr
    AMITY_POST_URL_TEMPLATE: str
    BRIDGE_POLL_SECONDS: float = Field(default=1.0, gt=0)
    BRIDGE_WORKERS: int = Field(default=4, ge=1, le=64)
    BRIDGE_MAX_ATTEMPTS: int | None = Field(default=None, ge=1)
    BRIDGE_MAX_AGE_HOURS: float = Field(default=24.0, gt=0)
    BRIDGE_BACKOFF_CAP_SECONDS: float = Field(default=300.0, ge=1, le=300)
    BRIDGE_DELAY_NOTICE_SECONDS: float = Field(default=60.0, ge=0)
    BRIDGE_LEASE_SECONDS: float = Field(default=20.0, gt=0)
    BRIDGE_SHUTDOWN_SECONDS: float = Field(default=25.0, ge=0)
    AMITY_RATE_LIMIT: int = Field(default=100, ge=1)
    BRIDGE_MAX_FILE_MB: float = Field(default=100.0, gt=0)
    BRIDGE_UPLOAD_CONCURRENCY: int = Field(default=3, ge=1, le=10)
    BRIDGE_MENTIONS: MentionStrategy = MentionStrategy.map
    AMITY_API_KEY: SecretStr | None = None
    AMITY_SERVER_KEY: SecretStr | None = None
    BRIDGE_SECRET_KEY: SecretStr | None = None
    PORT: int = Field(default=3000, ge=0, le=65535)
    BRIDGE_MAX_BODY_BYTES: int = Field(default=1_048_576, ge=65_536)
    BRIDGE_METRICS_TOKEN: SecretStr | None = None
    BRIDGE_ADMINS: str = (
        ""  # Slack user IDs who may change routes and take back any post, besides workspace admins
    )
    BRIDGE_ROUTES_CACHE_SECONDS: float = Field(default=5.0, ge=0)
    BRIDGE_TAKEBACK_MINUTES: float = Field(default=10.0, ge=0)

    @field_validator("BRIDGE_ADMINS")
    @classmethod
    def _user_ids(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}", item):
                raise ValueError(f"has {item[:20]!r}, which is not a Slack user ID")
        return value

    @property
    def admins(self) -> frozenset[str]:
        """The user IDs of ``BRIDGE_ADMINS``."""
        return frozenset(filter(None, (part.strip() for part in self.BRIDGE_ADMINS.split(","))))

    @field_validator("SLACK_BOT_TOKEN")
    @classmethod
    def _bot_token(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("SLACK_APP_TOKEN")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            return None
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("BRIDGE_METRICS_TOKEN", "AMITY_API_KEY", "AMITY_SERVER_KEY")
    @classmethod
    def _optional_secret(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None

    @field_validator("BRIDGE_SECRET_KEY")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        try:
            Fernet(value.get_secret_value().strip().encode())
        except ValueError:
            raise ValueError("is not a Fernet key (32 bytes in URL-safe base64)") from None
        return value

    @model_validator(mode="after")
    def _secret_key_for_sessions(self) -> Settings:
        if self.AMITY_API_KEY is not None and self.BRIDGE_SECRET_KEY is None:
            raise ValueError(
                "setting BRIDGE_SECRET_KEY is missing: AMITY_API_KEY is set, and the bridge "
                "keeps Amity session tokens encrypted with that key: set it to "
                + HOW_TO_FIX["BRIDGE_SECRET_KEY"]
            )
        return self

    @property
    def posts_as_author(self) -> bool:
        """Whether people's posts go out under their own Amity identity when possible."""
        return self.AMITY_API_KEY is not None

    @field_validator("BRIDGE_MAX_ATTEMPTS", mode="before")
    @classmethod
    def _unset_when_blank(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("SLACK_SIGNING_SECRET", "AMITY_ADMIN_TOKEN")
    @classmethod
    def _not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("is empty")
        return value

    @field_validator("SLACK_API_URL", "AMITY_API_URL")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("is not an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("AMITY_POST_URL_TEMPLATE")
    @classmethod
    def _template(cls, value: str) -> str:
        fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        if "postId" not in fields:
            raise ValueError("has no {postId} placeholder")
        if unknown := fields - {"postId", "communityId"}:
            raise ValueError(f"has unknown placeholders: {', '.join(sorted(unknown))}")
        return value

    @property
    def amity_base_url(self) -> str:
        """The Amity API origin: AMITY_API_URL when set, else the region's host."""
        return self.AMITY_API_URL or f"https://apix.{self.AMITY_REGION.value}.amity.co/"

    def post_url(self, post_id: str, community_id: str) -> str:
        """The link to a created post, from AMITY_POST_URL_TEMPLATE."""
        return self.AMITY_POST_URL_TEMPLATE.format(postId=post_id, communityId=community_id)


def describe_errors(error: ValidationError) -> list[str]:
    """One line per bad setting: its name, what is wrong, how to fix it. No values echoed."""
    lines = []
    for item in error.errors():
        if not item["loc"]:  # a rule across settings says it all itself
            lines.append(_reason(item["msg"]))
            continue
        name = str(item["loc"][0])
        problem = "is missing" if item["type"] == "missing" else _reason(item["msg"])
        fix = HOW_TO_FIX.get(name, "see the README's settings table")
        lines.append(f"setting {name} {problem}: set it to {fix}")
    return lines


def _reason(message: str) -> str:
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ").rstrip(".")
    return "is invalid (" + message[:1].lower() + message[1:].rstrip(".") + ")"
