"""A fetched document: what fetch produces, the cache keeps, and extraction reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PageKind = Literal["html", "feed"]


@dataclass(frozen=True)
class Page:
    """Where the document ended up after redirects, what it is (by content), and its bytes."""

    url: str
    kind: PageKind
    content_type: str  # the Content-Type header as sent, charset included ("" for a file)
    body: bytes
    # every URL requested on the way, redirects included, with the address it was fetched
    # from: a page read back from the cache is checked against the reading run's policy
    hops: tuple[tuple[str, str | None], ...] = ()
