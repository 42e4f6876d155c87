"""The base of the models parsed from what Slack sends: frozen, unknown fields ignored.

Slack adds fields to its payloads over time; ignoring the ones the bridge does not read
means a new field never breaks parsing, and freezing means a parsed payload is never
changed on its way through the layers.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """A frozen model that ignores unknown fields."""

    model_config = ConfigDict(frozen=True, extra="ignore")
