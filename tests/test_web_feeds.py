"""RSS and Atom feeds from the fake web: entries fetched or read in place, the time window."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.web import acollect, collect
from service.web.addresses import Policy
from service.web.feeds import FeedEntry, choose_entries, entry_article, parse_feed, select_entries
from service.web.saved import read_saved
from tests.fake_web_server import FIXTURES, FakeWeb, web_settings


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb() as server:
        yield server


def test_rss_entries_are_fetched_and_a_bad_entry_is_reported(web: FakeWeb, tmp_path: Path) -> None:
    collected = collect([web.url("/feed.rss")], settings=web_settings(tmp_path))
    assert [a.url for a in collected.articles] == [web.url("/article"), web.url("/storm")]
    assert collected.articles[0].source == "Riverside Gazette"  # the page's own outlet
    [failure] = collected.failures
    assert failure.input == web.url("/old-news") and failure.reason == "http_404"
    assert web.url("/feed.rss") in failure.detail  # says which feed the entry came from


def test_the_window_leaves_old_entries_unfetched(web: FakeWeb, tmp_path: Path) -> None:
    collected = collect(
        [web.url("/feed.rss")], settings=web_settings(tmp_path), since=timedelta(hours=24)
    )
    assert [a.title for a in collected.articles] == [
        "Council approves eastern tram extension",
        "Storm closes coastal ferry routes for two days",
    ]
    assert collected.failures == [] and web.hits["/old-news"] == 0


def test_atom_full_content_is_used_without_fetching(web: FakeWeb, tmp_path: Path) -> None:
    # /feed.atom is served without a content type: it is recognised by its content.
    collected = collect(
        [web.url("/feed.atom")], settings=web_settings(tmp_path), since=timedelta(days=1)
    )
    library, tram = collected.articles
    assert library.url == web.url("/library") and web.hits["/library"] == 0
    assert library.source == "Coastal Courier" and library.published_at is not None
    assert "glass roof" in library.text and "mosaic floor" in library.text
    assert "<p>" not in library.text
    assert tram.source == "Harbour Post" and web.hits["/boilerplate"] == 1  # a teaser: fetched
    assert web.hits["/museum"] == 0 and collected.failures == []


def test_without_a_window_every_entry_is_tried(web: FakeWeb, tmp_path: Path) -> None:
    collected = collect([web.url("/feed.atom")], settings=web_settings(tmp_path))
    assert {f.input: f.reason for f in collected.failures} == {web.url("/museum"): "http_404"}
    assert len(collected.articles) == 2


def test_a_feed_with_nothing_in_the_window_is_a_failure(web: FakeWeb, tmp_path: Path) -> None:
    collected = collect(
        [web.url("/feed.rss")], settings=web_settings(tmp_path), since=timedelta(minutes=5)
    )
    assert collected.articles == []
    [failure] = collected.failures
    assert failure.input == web.url("/feed.rss") and failure.reason == "no_entries"
    assert "in the last 5 minutes" in failure.detail and web.total == 1


def test_entry_limit_and_an_article_reached_twice(web: FakeWeb, tmp_path: Path) -> None:
    settings = web_settings(tmp_path, web_max_feed_entries=1)
    collected = collect([web.url("/article"), web.url("/feed.rss")], settings=settings)
    assert [a.url for a in collected.articles] == [web.url("/article")]  # kept once
    assert web.hits["/storm"] == 0  # past the entry limit
    [cut] = collected.failures  # said, not silent
    assert (cut.input, cut.reason) == (web.url("/feed.rss"), "feed_truncated")
    assert "only the newest 1 entries were read; 2 older ones were left out" in cut.detail


def test_a_page_given_directly_and_reached_through_a_feed_is_fetched_once(
    web: FakeWeb, tmp_path: Path
) -> None:
    """With its own tracking parameters, and no page cache to hide a second request."""
    settings = web_settings(tmp_path, web_cache_ttl_s=0)
    tracked = web.url("/article") + "?utm_source=newsletter"
    collected = collect([tracked, web.url("/feed.rss")], settings=settings)
    assert web.hits["/article"] == 1
    assert len([a for a in collected.articles if a.url and "/article" in a.url]) == 1
    assert web.hits["/storm"] == 1


def _entry(hours_old: float | None, name: str) -> FeedEntry:
    now = datetime.now(UTC)
    published = None if hours_old is None else now - timedelta(hours=hours_old)
    return FeedEntry(f"https://x.example/{name}", name, published, text=None, source=None)


def test_the_newest_entries_are_kept_whatever_the_feeds_order() -> None:
    oldest_first = [_entry(h, f"e{h}") for h in (50, 40, 30, 20, 10)]
    kept = select_entries(oldest_first, since=None, limit=2)
    assert [e.title for e in kept] == ["e20", "e10"]  # in feed order
    undated = [_entry(None, "a"), _entry(None, "b"), _entry(None, "c")]
    assert [e.title for e in select_entries(undated, since=None, limit=2)] == ["a", "b"]


def test_an_empty_feed_has_no_entries_and_is_not_unreadable() -> None:
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    assert parse_feed(empty, "https://x.example/feed") == []
    assert parse_feed(empty, "https://x.example/feed", "application/rss+xml") == []


def _linkless(title: str, words: int) -> str:
    text = " ".join(f"word{n}" for n in range(words))
    return (
        f'<item><title>{title}</title><guid isPermaLink="false">id-{title}</guid>'
        f"<description>&lt;p&gt;{text}.&lt;/p&gt;</description></item>"
    )


def test_entries_that_link_nowhere_are_read_from_their_text_or_reported() -> None:
    """They vanished: a feed of them said "the feed has no entries"."""
    feed = "https://x.example/notes.rss"
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Notes</title>'
        f"{_linkless('Council note', 65)}{_linkless('Tiny', 10)}{_linkless('Tinier', 5)}"
        "</channel></rss>"
    ).encode()
    entries = parse_feed(body, feed, "application/rss+xml")
    selected, notes = choose_entries(feed, entries, since=None, limit=10)
    assert [e.title for e in selected] == ["Council note"]  # 65 words and nothing to fetch
    article = entry_article(feed, selected[0])
    assert article.title == "Council note" and "word64" in article.text
    [note] = notes
    assert note.input == feed and note.reason == "entry_without_link"
    assert "2 entries" in note.detail and "'Tiny', 'Tinier'" in note.detail
    # untitled notes, or notes with one title, are each an article of their own
    notes = body.replace(b"</channel>", (_linkless("", 50) * 2).encode() + b"</channel>")
    notes = notes.replace(b"id-</guid>", b"</guid>")  # no guid either: told apart by position
    selected, _ = choose_entries(feed, parse_feed(notes, feed), since=None, limit=10)
    assert len({entry_article(feed, e).id for e in selected}) == 3
    only_short = body.replace(_linkless("Council note", 65).encode(), b"")
    selected, notes = choose_entries(feed, parse_feed(only_short, feed), since=None, limit=10)
    assert selected == [] and [n.reason for n in notes] == ["entry_without_link"]


def test_a_window_over_undated_entries_and_a_cut_of_them_say_so() -> None:
    """They said "no entries published in the last 1 week" and "the newest 2"."""
    feed = "https://x.example/feed"
    undated = [_entry(None, name) for name in ("a", "b", "c")]
    selected, [note] = choose_entries(feed, undated, since=timedelta(days=7), limit=10)
    assert selected == [] and note.reason == "no_entries"
    assert note.detail.startswith("the feed's 3 entries carry no dates")
    assert "leave out --since" in note.detail
    selected, [cut] = choose_entries(feed, undated, since=None, limit=2)
    assert [e.title for e in selected] == ["a", "b"]
    assert "only the first 2 entries were read; 1 later ones" in cut.detail


def test_progress_counts_feed_entries(web: FakeWeb, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    collect(
        [web.url("/feed.rss"), web.url("/storm")],
        settings=web_settings(tmp_path),
        since=timedelta(hours=24),
        progress=lambda stage, done, total: calls.append((stage, done, total)),
    )
    assert calls[0] == ("fetch", 0, 2)
    assert calls[-1] == ("fetch", 4, 4)  # 2 inputs + the feed's 2 entries
    assert all(stage == "fetch" and done <= total for stage, done, total in calls)


def test_progress_may_raise_to_cancel(web: FakeWeb, tmp_path: Path) -> None:
    class Cancelled(Exception):
        pass

    calls: list[int] = []

    def cancel_once(stage: str, done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 2:  # the first entry's tick: inside the feed's per-input isolation
            raise Cancelled

    with pytest.raises(Cancelled):
        collect([web.url("/feed.rss")], settings=web_settings(tmp_path), progress=cancel_once)
    assert calls == [0, 1]  # raised once, and nothing ticked after it


def _notes(base: str) -> bytes:
    """tests/web_fixtures/notes.atom with its links on `base`."""
    return (FIXTURES / "notes.atom").read_text().replace("$base", base).encode()


async def _offline(host: str, port: int) -> list[str]:
    raise OSError("no network")


def test_offline_entries_are_read_from_their_own_text_and_teasers_are_not(
    tmp_path: Path,
) -> None:
    """A saved Atom feed of entries carrying their stories gave no article offline: only
    FULL_TEXT_WORDS of text were read in place, and the id "urn:1" was taken for a link."""
    feed = "notes.atom"
    entries = parse_feed(_notes("https://ledger.example"), (tmp_path / feed).as_uri())
    selected, notes = choose_entries(feed, entries, since=None, limit=10)
    [teaser] = notes  # no link, one line of text: no story, said
    assert teaser.reason == "entry_without_link"
    assert "1 entry of the feed ('Weekend markets') links to no page" in teaser.detail
    offline = Policy(resolver=_offline)
    run = acollect(
        [], settings=web_settings(tmp_path), policy=offline, entries=[(feed, e) for e in selected]
    )
    collected = asyncio.run(run)
    ferry, reservoir, tram = collected.articles
    assert ferry.title == "Ferry timetable cut for the spring" and "dry dock" in ferry.text
    assert ferry.source == "Lakeside Ledger"
    assert ferry.published_at == datetime(2025, 3, 4, 8, tzinfo=UTC)
    assert reservoir.url == "https://ledger.example/missing" and "spillway" in reservoir.text
    assert reservoir.published_at == datetime(2025, 3, 3, 12, tzinfo=UTC)  # <updated>
    assert tram.title == "Council approves eastern tram extension"
    reasons = {f.input: f.reason for f in collected.failures}
    assert reasons == {
        "https://ledger.example/missing": "read_from_feed",
        "https://ledger.example/article": "read_from_feed",
        "https://ledger.example/old-news": "connection_error",  # a teaser: no story
    }
    said = collected.failures[0].detail
    assert "could not be resolved" in said and "the 60 words the feed carries" in said
    assert "run again once the page can be fetched" in said
    assert not any("urn" in f.detail for f in [*notes, *collected.failures])


def test_an_entry_names_its_author_when_the_feed_has_no_title() -> None:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel>'
        f"{_linkless('Council note', 65)}</channel></rss>"
    ).replace("</title>", "</title><author>desk@ledger.example (Ana Ruiz)</author>", 1)
    [entry] = parse_feed(body.encode(), "https://x.example/notes.rss")
    assert entry.source == "desk@ledger.example (Ana Ruiz)"


def test_a_saved_feeds_relative_link_gives_way_to_the_entrys_own_text(tmp_path: Path) -> None:
    """A saved feed that names no site cannot resolve "/missing": what the entry carries
    is read, said with what to do; an entry with only a teaser is still a failure."""
    saved = tmp_path / "notes.atom"
    saved.write_bytes(_notes(""))  # links "/missing", "/article", "/old-news"
    read = read_saved([(saved, "feed")], since=None, max_entries=10, max_bytes=1_000_000)
    assert [a.title for a in read.articles] == [
        "Ferry timetable cut for the spring",
        "Reservoir levels back to normal after wet winter",
        "Council approves eastern tram extension",
    ]
    # the saved feed's own address, as a saved page's, not "file:///missing"
    assert {a.url for a in read.articles} == {saved.resolve().as_uri()}
    reasons = [(f.input, f.reason) for f in read.failures]
    assert reasons == [
        (f"{saved} (Reservoir levels back to normal after wet winter)", "read_from_feed"),
        (f"{saved} (Council approves eastern tram extension)", "read_from_feed"),
        (f"{saved} (Harbour bridge closed tonight)", "relative_link"),
        (str(saved), "entry_without_link"),
    ]
    assert "give the feed's web address" in read.failures[0].detail
    assert read.entries == []
