"""Saved web documents: an HTML page or an RSS/Atom feed kept as a file, read as its URL
would be (`digest summarize page.html feed.xml`).

Why: read as plain text, a saved page became one "article" whose headline was
`<html><head>...` and a feed one article mixing all its entries. A page goes through
the same extraction as a fetched one; a feed's entries that carry their full text
become articles, and the links of the others are handed back to be fetched like any
URL the user gives (an entry that carries article-length text is read from it when its
link fails, offline too: `feeds.read_instead`). Only the CLI reads local files: the HTTP
API and the Slack bot never open a path a request names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

from service.models import Article, InputFailure
from service.web.extract import page_to_article
from service.web.failures import FetchFailure
from service.web.feeds import (
    FeedEntry,
    choose_entries,
    entry_article,
    entry_name,
    parse_feed,
    read_instead,
)
from service.web.page import Page, PageKind

_SNIFFED_BYTES = 4096
_NEVER_SAVED = {".json", ".jsonl", ".ndjson"}
# What may come before a page's or feed's first element: declarations, a doctype, comments
_PROLOGUE = re.compile(rb"^(?:\s*(?:<\?[^>]*\?>|<!doctype[^>]*>|<!--.*?-->))*\s*", re.DOTALL)


@dataclass
class SavedRead:
    """What saved documents gave: articles, failures, and feed entries to fetch (with the
    saved feed's name), read as a fetched feed's entries are: the entry's date carried onto
    a page without one, a linked feed refused, a failure said to come from the feed."""

    articles: list[Article] = field(default_factory=list)
    failures: list[InputFailure] = field(default_factory=list)
    entries: list[tuple[str, FeedEntry]] = field(default_factory=list)


def saved_kind(path: Path) -> PageKind | None:
    """'html' or 'feed' when the file is a web page or a feed: it opens as one (after an
    XML declaration, a doctype or comments). A JSON file, or an article that mentions
    "<html>" or holds a page in a field, is read by ingest as before."""
    if path.suffix.lower() in _NEVER_SAVED:
        return None
    try:
        with path.open("rb") as file:
            head = file.read(_SNIFFED_BYTES)
    except OSError:  # unreadable: ingest reports it like any other file
        return None
    return page_kind(head)


def page_kind(data: bytes) -> PageKind | None:
    """'html' or 'feed' when `data` opens as a web page or a feed (see `saved_kind`)."""
    start = data[:_SNIFFED_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"<!doctype html"):  # HTML5 may leave out <html> and <head>
        return "html"
    opening = _PROLOGUE.sub(b"", start)
    if opening.startswith((b"<rss", b"<feed", b"<rdf:rdf")):
        return "feed"
    if opening.startswith((b"<html", b"<head", b"<body")):
        return "html"
    return None


def read_saved(
    pages: list[tuple[Path, PageKind]],
    *,
    since: timedelta | None,
    max_entries: int,
    max_bytes: int,
) -> SavedRead:
    """Every saved page and feed read, each with the kind `saved_kind` found; a file that
    cannot be read, or holds no article, is a failure under its path."""
    read = SavedRead()
    for path, kind in pages:
        try:
            if path.stat().st_size > max_bytes:
                raise FetchFailure(
                    "too_large", f"over {max_bytes} bytes (raise DIGEST_WEB_MAX_BYTES)"
                )
            page = Page(path.resolve().as_uri(), kind, "", path.read_bytes())
            if kind == "html":
                read.articles.append(page_to_article(page))
            else:
                _read_feed(read, str(path), page, since=since, max_entries=max_entries)
        except FetchFailure as failure:
            read.failures.append(InputFailure(input=str(path), **_why(failure)))
        except OSError as exc:
            detail = f"cannot read: {exc.strerror}"
            read.failures.append(InputFailure(input=str(path), reason="unreadable", detail=detail))
    return read


def _read_feed(
    read: SavedRead, name: str, page: Page, *, since: timedelta | None, max_entries: int
) -> None:
    entries = parse_feed(page.body, page.url)
    selected, notes = choose_entries(name, entries, since=since, limit=max_entries)
    for entry in selected:
        if entry.text is None:
            assert entry.link is not None  # choose_entries keeps entries with a link or text
            if entry.link.startswith("file:"):
                _read_unresolved(read, name, entry)
            else:
                read.entries.append((name, entry))
            continue
        try:
            read.articles.append(entry_article(name, entry))
        except FetchFailure as failure:
            read.failures.append(InputFailure(input=entry_name(name, entry), **_why(failure)))
    read.failures.extend(notes)


def _why(failure: FetchFailure) -> dict[str, str]:
    return {"reason": failure.reason, "detail": failure.detail}


_RELATIVE = (
    "the saved feed's entry links relative to the file, and the feed names no web site to "
    "resolve it against; give the feed's web address instead"
)


def _read_unresolved(read: SavedRead, name: str, entry: FeedEntry) -> None:
    """An entry whose link is relative, in a saved feed that names no site to resolve it:
    read from its own text when it carries enough, with a note; a failure otherwise."""
    failure = _relative(name, entry)
    instead = read_instead(name, replace(entry, link=None), _RELATIVE)  # no file:// link
    if instead is None:
        read.failures.append(failure)
        return
    article, note = instead
    read.articles.append(article)
    read.failures.append(note.model_copy(update={"input": failure.input}))


def _relative(name: str, entry: FeedEntry) -> InputFailure:
    """An entry whose link is relative, in a saved feed that names no site to resolve it."""
    return InputFailure(
        input=f"{name} ({entry.title or 'untitled entry'})",
        reason="relative_link",
        detail=_RELATIVE,
    )
