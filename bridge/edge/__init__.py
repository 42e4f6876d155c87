"""The HTTP edge in front of Bolt: request size, signature and payload checks that cost
nothing. May import ``bridge.slack`` (payload models) and the base modules."""
