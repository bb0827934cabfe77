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
