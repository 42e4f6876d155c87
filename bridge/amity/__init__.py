"""Amity's side: the REST client, its typed errors, the create-post model and the shared
rate budget. May import the base modules (``bridge.failures``) only."""
