"""Slack's side: the Web API gateway, and the payload and message models. May import the
base modules (``bridge.failures``) only."""
