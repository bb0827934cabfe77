"""Feeds: an RSS/Atom document in, the entries to read (within a time window) out.

feedparser reads the bytes fetch already checked; it is never given a URL or a
string (it would fetch or open it itself). An entry whose content is the full
article (at least FULL_TEXT_WORDS words) is used as is; otherwise its link is
fetched, and when that fails (no network, an error page, a refused address) its own
text is read instead if it has MIN_WORDS, the length below which a page's text is no
article either, with a note that says so (`read_instead`): a one-line teaser is not
a story. An entry with no link (an Atom id or RSS guid such as "urn:1" or "tag:..." is
a name, not a link, though feedparser hands it on as one) is read from its own text
when that has MIN_WORDS (there is nothing else to read), and is reported otherwise.
With a window (`since`), entries older than it, and undated ones, are left out: an
undated entry cannot be shown to be recent.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from service.errors import InputError
from service.models import READ_FROM_FEED, Article, InputFailure
from service.pipeline.clean import clean_text
from service.pipeline.sentences import word_count
from service.web.extract import MIN_WORDS, fragment_text, text_to_article
from service.web.failures import FetchFailure

FULL_TEXT_WORDS = 120
"""Entry content at least this long is the article itself, not a teaser."""

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class FeedEntry:
    """One entry: its link, and its full text when the feed carries it."""

    link: str | None
    title: str
    published: datetime | None
    text: str | None
    source: str | None
    guid: str = ""  # the entry's id in the feed (RSS guid, Atom id) or its position there
    # its own text when that is article length (MIN_WORDS) but maybe only the start of the
    # story: read when its link cannot be
    own_text: str | None = None
    # a saved feed's file:// address, where an entry that links nowhere points, as a saved
    # page's article does (the CLI shows a piped one as "stdin", not its scratch file)
    saved_at: str | None = None


def entry_name(feed: str, entry: FeedEntry) -> str:
    """How failures name an entry: its link, or the feed and the entry's title."""
    return entry.link or f"{feed} ({entry.title or 'untitled entry'})"


def entry_article(feed: str, entry: FeedEntry, text: str | None = None) -> Article:
    """The article an entry carries in full (`entry.text`, or the `text` given); `feed` as
    the user named it. FetchFailure('no_article_text') when the text does not make one."""
    text = text or entry.text
    assert text is not None
    return text_to_article(
        text,
        url=entry.link or entry.saved_at or feed,
        # an entry that links nowhere is told apart by its id: titles repeat, or are missing
        key=entry.link or f"{feed}#{entry.guid}",
        title=entry.title,
        source=entry.source,
        published=entry.published,
    )


def read_instead(feed: str, entry: FeedEntry, why: str) -> tuple[Article, InputFailure] | None:
    """When the entry's link could not be read (`why`), the article its own text in the
    feed makes, and the note that says so: nothing the feed carries is lost offline or to
    a dead link, and the reader knows the page may say more. None when the entry has no
    such text, or it makes no article."""
    if entry.own_text is None:
        return None
    try:
        article = entry_article(feed, entry, entry.own_text)
    except FetchFailure:
        return None
    words = word_count(entry.own_text)
    note = InputFailure(
        input=entry_name(feed, entry),
        reason=READ_FROM_FEED,
        detail=f"{why} (from the feed {feed}); the {words} words the feed carries for it were "
        "read instead, which may be only part of the story: run again once the page can be "
        "fetched for all of it",
    )
    return article, note


def parse_since(value: str) -> timedelta:
    """'24h', '30m', '7d', '2w', '1h30m' -> timedelta; InputError saying the format otherwise."""
    text = value.strip().lower().replace(" ", "")
    parts = _DURATION.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise InputError(
            f"invalid time window {value!r}",
            hint="use a number and a unit: 90s, 30m, 24h, 7d, 2w (or 1h30m)",
        )
    window = timedelta(0)
    for number, unit in parts:
        window += timedelta(**{_UNITS[unit]: float(number)})
    if window <= timedelta(0):
        raise InputError(f"invalid time window {value!r}", hint="the window must be positive")
    return window


def describe_window(window: timedelta) -> str:
    """'24 hours', '7 days', '90 minutes': a window as a user wrote it, roughly."""
    seconds = int(window.total_seconds())
    for unit, size in (("week", 604_800), ("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def _when(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime(*parsed[:6], tzinfo=UTC) if parsed else None


def _entry_text(entry: Any) -> str:
    """The longest of the entry's content and summary (content:encoded, description), as
    plain text."""
    contents = [c.get("value", "") for c in entry.get("content") or []]
    contents.append(entry.get("summary", ""))
    return max((fragment_text(c) for c in contents if c), key=len, default="")


def _texts(text: str, linked: bool) -> tuple[str | None, str | None]:
    """(text read in place, text read if the link fails). In place: FULL_TEXT_WORDS, or
    MIN_WORDS when the entry links nowhere (a feed of short notes with no pages of their
    own). Between MIN_WORDS and FULL_TEXT_WORDS with a link: kept for when it fails.
    Words are counted after cleaning, as a page's are."""
    words = word_count(clean_text(text, markup=False))
    if words >= (FULL_TEXT_WORDS if linked else MIN_WORDS):
        return text, None
    return None, text if words >= MIN_WORDS else None


def _web_link(link: str | None) -> str | None:
    """The entry's link, or None when it names no page: an id such as "urn:1", "tag:..."
    or "mailto:..." (a scheme without "//"), which feedparser hands on as the link of an
    Atom entry that has none, or of an RSS guid. A relative link ("storm") is a link."""
    if not link:
        return None
    scheme = urlsplit(link).scheme
    return link if not scheme or link[len(scheme) + 1 :].startswith("//") else None


def _source(feed_title: str | None, entry: Any) -> str | None:
    """Who published the entry: the feed's title, or else the entry's author (as a file's
    record names its source by `author` when it gives no outlet)."""
    return feed_title or (entry.get("author") or "").strip() or None


def parse_feed(body: bytes, url: str, content_type: str = "") -> list[FeedEntry]:
    """The entries of an RSS/Atom document, links made absolute against the feed's URL.

    A saved feed (a file:// `url`) resolves them against the site its channel names: the
    relative links of a feed saved from the web point at that site, not the folder."""
    # without a content type feedparser flags every document as malformed ("bozo"), and
    # an empty but valid feed would read as unreadable
    headers = {"content-type": content_type or "application/xml"}
    saved = urlsplit(url).scheme == "file"
    if not saved:  # feedparser garbles file:// addresses ("file://tmp/...")
        headers["content-location"] = url
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    if not parsed.entries and parsed.get("bozo"):
        raise FetchFailure("not_html", "the link looks like a feed but could not be read as one")
    source = parsed.feed.get("title") or None
    base = url
    site = parsed.feed.get("link") or ""
    if saved and urlsplit(site).scheme in ("http", "https"):
        base = site
    entries = []
    for position, entry in enumerate(parsed.entries):
        link = _web_link(entry.get("link"))
        text, own_text = _texts(_entry_text(entry), linked=bool(link))
        entries.append(
            FeedEntry(
                link=urljoin(base, link) if link else None,
                title=(entry.get("title") or "").strip(),
                published=_when(entry),
                text=text,
                source=_source(source, entry),
                guid=str(entry.get("id") or f"entry-{position}"),
                own_text=own_text,
                saved_at=url if saved else None,
            )
        )
    return entries


def select_entries(
    entries: list[FeedEntry], *, since: timedelta | None, limit: int, now: datetime | None = None
) -> list[FeedEntry]:
    """Entries in the window (all when no window), the newest `limit` of them (in feed order
    when they have no dates): some feeds list their oldest entries first."""
    readable = entries_in_window(entries, since=since, now=now)
    if len(readable) > limit and any(e.published for e in readable):
        newest = sorted(readable, key=_age)[:limit]  # stable: undated ones keep feed order
        kept = {id(e) for e in newest}
        return [e for e in readable if id(e) in kept]
    return readable[:limit]


def choose_entries(
    feed: str,
    entries: list[FeedEntry],
    *,
    since: timedelta | None,
    limit: int,
    limit_setting: str = "DIGEST_WEB_MAX_FEED_ENTRIES",
) -> tuple[list[FeedEntry], list[InputFailure]]:
    """The entries of the feed the user named `feed` to read, and what to tell the user:
    that it has none in the window, or that older ones were left out (said, not silent:
    the reader may want a window or a higher limit)."""
    in_window = _dated_within(entries, since)
    candidates = [e for e in in_window if e.link or e.text]
    selected = select_entries(candidates, since=None, limit=limit)
    unreadable = _unreadable(feed, [e for e in in_window if not (e.link or e.text)])
    window = f" published in the last {describe_window(since)}" if since else ""
    if limit <= 0 and candidates:  # the run's other inputs took all its room
        detail = f"none of its {len(candidates)} entries were read (raise {limit_setting})"
        return [], [InputFailure(input=feed, reason="feed_truncated", detail=detail)]
    if not selected:
        if unreadable:
            return [], unreadable
        detail = f"the feed has no entries{window}"
        if since and entries and not any(e.published for e in entries):
            detail = (
                f"the feed's {len(entries)} entries carry no dates, so none can be shown "
                f"to be{window}; leave out --since to read them"
            )
        return [], [InputFailure(input=feed, reason="no_entries", detail=detail)]
    left_out = len(candidates) - len(selected)
    if left_out <= 0:
        return selected, unreadable
    window = f" of the last {describe_window(since)}" if since else ""
    dated = any(e.published for e in candidates)
    detail = (
        f"only the {'newest' if dated else 'first'} {limit} entries{window} were read; "
        f"{left_out} {'older' if dated else 'later'} ones were left out (narrow the window "
        f"with --since, or raise {limit_setting})"
    )
    truncated = InputFailure(input=feed, reason="feed_truncated", detail=detail)
    return selected, [truncated, *unreadable]


def _unreadable(feed: str, entries: list[FeedEntry]) -> list[InputFailure]:
    """One line for the entries that link nowhere and carry too little text: said, not
    dropped (every input ends as an article or a failure)."""
    if not entries:
        return []
    titles = ", ".join(repr(e.title or "untitled") for e in entries[:3])
    more = f" and {len(entries) - 3} more" if len(entries) > 3 else ""
    one = len(entries) == 1
    count = f"{len(entries)} entr{'y' if one else 'ies'}"
    verbs = "links to no page and carries" if one else "link to no page and carry"
    detail = (
        f"{count} of the feed ({titles}{more}) {verbs} under {MIN_WORDS} words of text; "
        f"give the link{'' if one else 's'} of {'that story' if one else 'those stories'}, "
        f"or paste {'its' if one else 'their'} text"
    )
    return [InputFailure(input=feed, reason="entry_without_link", detail=detail)]


def entries_in_window(
    entries: list[FeedEntry], *, since: timedelta | None, now: datetime | None = None
) -> list[FeedEntry]:
    """The entries that could be read (a link or text) published in the window, if any."""
    return [e for e in _dated_within(entries, since, now) if e.link or e.text]


def _dated_within(
    entries: list[FeedEntry], since: timedelta | None, now: datetime | None = None
) -> list[FeedEntry]:
    """The entries published in the window; all of them when there is none."""
    if since is None:
        return entries
    cutoff = (now or datetime.now(UTC)) - since
    return [e for e in entries if e.published is not None and e.published >= cutoff]


def _age(entry: FeedEntry) -> tuple[bool, float]:
    """Sort key: dated entries newest first, then the undated ones."""
    return (entry.published is None, -entry.published.timestamp() if entry.published else 0.0)
