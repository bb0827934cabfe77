"""Web ingestion: URLs and RSS/Atom feeds in, Articles and per-URL failures out.

The CLI, the HTTP API and the Slack bot call `collect` (sync; runs its own event
loop) or `acollect` (async) and pass `Collected.failures` on to
`digest(..., failures=...)`. Pages and feeds are told apart by content; every
connection obeys the SSRF rules in `addresses.py` unless `DIGEST_WEB_ALLOWLIST`
permits the host.

    collector.py  inputs -> Collected (articles + InputFailure per bad URL)
    fetch.py      URL -> Page, through the guarded transport (SSRF, limits, redirects)
    addresses.py  the SSRF policy and the allowlist
    extract.py    HTML page -> Article (trafilatura)
    feeds.py      RSS/Atom -> entries in the time window (feedparser)
    cache.py      fetched pages by URL, with a TTL
    logs.py       its logged warnings, "warning: ..." on a terminal where logging is not set up
"""

from __future__ import annotations

import re

from service.web import logs
from service.web.collector import Collected, acollect, collect
from service.web.feeds import parse_since

logs.install(__name__)

# no "<" inside: Slack escapes it in text, and "<https://<https://..." had backtracked for
# seconds on the ack path
_SLACK_LINK = r"<(https?://[^<>|\s]+)(?:\|[^<>]*)?>"
_BARE_LINK = r"(https?://[^\s<>\"'|]+)"
_URL = re.compile(f"{_SLACK_LINK}|{_BARE_LINK}", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def find_urls(text: str) -> list[str]:
    """The http(s) URLs in free text, in order, without repeats (Slack's <url|label> too)."""
    found: list[str] = []
    for match in _URL.finditer(text):
        # a bare link's trailing punctuation is the sentence's; a Slack <link> ends at '>'
        url = match.group(1) or match.group(2).rstrip(".,;:!?)]}'\"")
        if url not in found:
            found.append(url)
    return found


def looks_like_url(argument: str) -> bool:
    """True for 'scheme://...' arguments, which go to `collect`, not to the file reader."""
    return bool(_SCHEME.match(argument.strip()))


__all__ = ["Collected", "acollect", "collect", "find_urls", "looks_like_url", "parse_since"]
