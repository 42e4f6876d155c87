"""Where a Slack file may be downloaded from (and the bot token sent to).

A file URL is a Slack file URL when it is HTTPS on the default port, names no user or
password, and its host is exactly one of :data:`FILE_HOSTS`: Slack's file host
(``files.slack.com``), the host it redirects downloads to (``files-origin.slack.com``),
its public-file host (``slack-files.com``), and the same for GovSlack
(``files.slack-gov.com``, ``slack-files-gov.com``). Besides those, exactly the origin
(scheme, host and port) of ``SLACK_API_URL`` is allowed, so that a Slack stand-in on
``http://127.0.0.1:<port>`` serves its own files; with the default ``SLACK_API_URL``
that origin is ``https://slack.com``.

No other URL is fetched at all: not another host, not ``http://``, not a subdomain that
only looks like Slack's, not a redirect leaving these hosts.
"""

from __future__ import annotations

from urllib.parse import urlsplit

FILE_HOSTS = frozenset(
    {
        "files.slack.com",
        "files-origin.slack.com",
        "slack-files.com",
        "files.slack-gov.com",
        "slack-files-gov.com",
    }
)
DEFAULT_PORTS = {"http": 80, "https": 443}
NOT_A_SLACK_FILE = "not a Slack file URL"
REDIRECTED_AWAY = "Slack's download link led off Slack's file hosts"


def _origin(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an http(s) URL without user info, else None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number or out of range
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port or DEFAULT_PORTS[scheme]


def is_slack_file_url(url: str, api_url: str) -> bool:
    """Whether ``url`` may be downloaded, with the bot token (see the module's rule)."""
    origin = _origin(url)
    if origin is None:
        return False
    if origin == _origin(api_url):
        return True
    scheme, host, port = origin
    return scheme == "https" and port == DEFAULT_PORTS["https"] and host in FILE_HOSTS
