"""Secrets out of what users see: a provider's error text can echo the key it was sent
("Incorrect API key provided: sk-live-..."), and an api base may carry "user:password@" or
"?key=..."; such text becomes a story's note, which every reader of the digest (an API
client, a Slack channel) sees. The operator's log keeps the whole error."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from service.config import Settings

HIDDEN = "***"
_MIN_SECRET = 6  # shorter values ("no", "1") would blank ordinary words
_KEY_SHAPED = re.compile(r"\b((?:sk|pk|rk|ak)[-_](?:[A-Za-z]+[-_])?)[A-Za-z0-9_-]{8,}")
# a token: 12 characters or more with a digit ("Pass basic authentication" is no token)
_BEARER = re.compile(r"\b([Bb]earer|[Bb]asic)\s+(?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{12,}")
_SECRET_PARAMETER = re.compile(
    r"(?i)([?&](?:api[_-]?key|key|token|access[_-]?token|secret|password|sig|signature)=)"
    r"[^&#\s'\"]+"
)
_TAG = re.compile(r"<[^>]{0,200}>")
_HTML = re.compile(r"<(?:html|body|head|title|h[1-6]|p|div|center|hr|br|pre)\b", re.IGNORECASE)
# greedy to the last "@" before the path, as URL parsers split it ("user:Tr0ub@dor@host")
_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s]*@")


def without_credentials(text: str) -> str:
    """`text` with the "user:password@" of every address in it taken out. Such an address
    is fetched with its credentials, but what a digest, a job or a log shows is read by
    others (a digest posted to a Slack channel)."""
    return _CREDENTIALS.sub(r"\1", text)


def known_secrets(settings: Settings) -> list[str]:
    """The keys this process holds: its own settings' and the providers' variables."""
    values = [settings.api_key, settings.embedding_api_key]
    values += [v for k, v in os.environ.items() if k.endswith(("_KEY", "_SECRET", "_TOKEN"))]
    return [v for v in values if v and len(v) >= _MIN_SECRET]


def redacted(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with known secrets, key-shaped strings, bearer tokens, URL credentials and
    secret query parameters hidden; an HTML error page read as its words."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= _MIN_SECRET:
            text = text.replace(secret, HIDDEN)
    text = _KEY_SHAPED.sub(rf"\1{HIDDEN}", text)
    text = _BEARER.sub(rf"\1 {HIDDEN}", text)
    text = _SECRET_PARAMETER.sub(rf"\1{HIDDEN}", without_credentials(text))
    if _HTML.search(text):  # "<html><body><h1>502 Bad Gateway</h1>nginx ...", not "<5 and >3"
        text = " ".join(_TAG.sub(" ", text).split())
    return text
