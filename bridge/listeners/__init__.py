"""Bolt listeners: intake of reactions, commands and shortcuts into the outbox, and the App
Home. May import ``bridge.delivery`` and the layers below it."""
