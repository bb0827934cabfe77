"""Why one URL could not become an article: a short machine reason and words for a user.

Reasons: 'invalid_url', 'blocked_address', 'timeout', 'connection_error',
'too_many_redirects', 'http_<status>', 'too_large', 'not_html', 'undecodable' (a
content coding this install has no decoder for), 'no_content' (204 or an empty
body), 'no_article_text', 'not_an_article' (a front page of links to stories),
'no_entries' (a feed with nothing in the time window). Raised inside the web package
only; `collect` turns each into a `service.models.InputFailure`.
"""

from __future__ import annotations


class FetchFailure(Exception):
    """One input failed; the others go on."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
