"""Page cache: fetched HTML pages by requested URL, kept for `web_cache_ttl_s` on disk.

So that re-running a digest over the same links does not download them again.
Lives under `data_dir/web-cache` (diskcache: SQLite + files, safe across
processes). A broken cache never fails a fetch: errors read as a miss.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import diskcache

from service.redact import without_credentials
from service.web.page import Page

log = logging.getLogger(__name__)
_KEY_PREFIX = "page:v3:"  # v3: with each hop's address, which older entries lack (misses)


class PageCache:
    """Fetched pages by URL with a time to live."""

    def __init__(self, directory: Path, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._cache = diskcache.Cache(str(directory))

    def get(self, url: str) -> Page | None:
        try:
            stored = self._cache.get(_KEY_PREFIX + url)
        except (OSError, sqlite3.Error) as exc:
            log.warning(
                "web cache unreadable, fetching %s again: %s", without_credentials(url), exc
            )
            return None
        if not isinstance(stored, dict):
            return None
        # under this run's TTL, not the one it was stored with: an operator who lowered
        # DIGEST_WEB_CACHE_TTL_S to drop stale pages had still got them for up to an hour
        if time.time() - float(stored.get("stored_at", 0.0)) > self._ttl_s:
            return None
        fields = {k: v for k, v in stored.items() if k != "stored_at"}
        hops = tuple((str(url), address) for url, address in stored.get("hops", ()))
        return Page(**{**fields, "hops": hops})

    def put(self, url: str, page: Page) -> None:
        record = {
            "url": page.url,
            "kind": page.kind,
            "content_type": page.content_type,
            "body": page.body,
            "hops": [list(hop) for hop in page.hops],
            "stored_at": time.time(),
        }
        try:
            self._cache.set(_KEY_PREFIX + url, record, expire=self._ttl_s)
        except (OSError, sqlite3.Error) as exc:
            log.warning("web cache not written for %s: %s", without_credentials(url), exc)

    def close(self) -> None:
        self._cache.close()


def open_page_cache(directory: Path, ttl_s: float) -> PageCache | None:
    """The page cache, or None (pages fetched each run) when its folder cannot be made or
    opened: a read-only or mistyped DIGEST_DATA_DIR had ended the run with a traceback."""
    try:
        return PageCache(directory, ttl_s)
    except (OSError, sqlite3.Error) as exc:
        log.warning(
            "no page cache in %s (%s): pages are fetched again each run; point "
            "DIGEST_DATA_DIR at a writable folder",
            directory,
            exc,
        )
        return None
