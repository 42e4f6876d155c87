"""bridge: publish Slack messages to an Amity Social Cloud community feed."""

__version__ = "0.1.0"
