"""Delivery: the outbox (jobs, migrations), the worker and its steps (files, replies,
scheduling). May import ``bridge.translate``, ``bridge.slack``, ``bridge.amity`` and the
base modules (``bridge.failures``, ``bridge.routes``)."""
