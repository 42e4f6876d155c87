"""Translation, pure functions without I/O: a Slack message into a create-post body. May
import ``bridge.slack`` (models), ``bridge.amity`` (the post model) and the base modules."""
