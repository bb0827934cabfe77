"""Collect: URLs (pages or feeds, told apart by content) in, Articles and per-URL failures out.

What stays true: every input URL ends as articles or as an InputFailure with a
reason, never silently dropped and never failing the others; a feed expands
into its entries (their links fetched, or their full text used), each entry's
failure reported under the entry's link, and an entry whose link fails read from
its own text in the feed when it carries enough (`read_instead`), with a note; the
same address given twice (even with other tracking parameters or #fragment) is
fetched once, and failures name it as the user first gave it; the same page reached
twice (given directly and through a feed) is fetched once (`Fetcher.fetch`) and kept
once. A run has a time budget as a whole (`web_run_timeout_s`): what is not fetched by
then is reported as `run_timeout` (an entry read from its text in the feed when it can),
and what was fetched is kept, a feed's entries read so far included. `acollect` is the
implementation; `collect` runs it on a fresh event loop for synchronous callers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from service import stopping
from service.config import Settings, get_settings
from service.models import Article, InputFailure
from service.pipeline.ingest import first_few, oversized
from service.redact import without_credentials
from service.web.addresses import Policy, canonical_url
from service.web.cache import open_page_cache
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
from service.web.fetch import Fetcher

_STOP_POLL_S = 0.2
log = logging.getLogger(__name__)
ProgressCallback = Callable[[str, int, int], None]
"""Called as ("fetch", done, total); total grows when a feed adds its entries."""


@dataclass
class Collected:
    """What `collect` produced: articles read, and the inputs that failed with the reason."""

    articles: list[Article] = field(default_factory=list)
    failures: list[InputFailure] = field(default_factory=list)


Outcome = tuple[list[Article], list[InputFailure]]


class _Cancelled(BaseException):
    """Carries what `progress` raised past the per-input `except Exception` isolation."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


class _Run:
    """One collect call: the fetcher, the progress count, and the feed window."""

    def __init__(
        self,
        fetcher: Fetcher,
        settings: Settings,
        since: timedelta | None,
        progress: ProgressCallback,
    ) -> None:
        self.fetcher = fetcher
        self.settings = settings
        self.since = since
        self.progress = progress
        self.done = 0
        self.total = 0
        self.cancelled = False
        # per feed, each entry's outcome (by the entry's identity), as the entries finish
        self.entries_read: dict[str, dict[int, Outcome]] = {}
        # per feed being read: its chosen entries and its notes (kept if time runs out)
        self.feeds_open: dict[str, tuple[list[FeedEntry], list[InputFailure]]] = {}
        # entries one feed may give: the run's room for articles shared out evenly over
        # its inputs (one request of 500 feeds had meant 25,000 fetches), the same share
        # whichever feed answers first, so that a rerun reads the same entries
        self.feed_room = settings.web_max_feed_entries

    def _tick(self) -> None:
        self.done += 1
        if self.cancelled:  # the caller has said stop; work still unwinding reports nothing
            return
        try:
            self.progress("fetch", self.done, self.total)
        except Exception as exc:
            self.cancelled = True
            raise _Cancelled(exc) from exc

    async def input(self, url: str) -> Outcome:
        """One URL the user gave: a page, or a feed and all its selected entries."""
        try:
            page = await self.fetcher.fetch(url)
            if page.kind == "feed":
                return await self._feed(url, page.body, page.url, page.content_type)
            return [self._within_size(await asyncio.to_thread(page_to_article, page))], []
        except FetchFailure as failure:
            return [], [InputFailure(input=url, reason=failure.reason, detail=failure.detail)]
        except Exception:  # one input's bug never fails the others; the log has the trace
            log.exception("unexpected error while collecting %s", without_credentials(url))
            return [], [_unexpected(url)]
        finally:
            self._tick()

    async def _feed(self, url: str, body: bytes, final_url: str, content_type: str) -> Outcome:
        entries = await asyncio.to_thread(parse_feed, body, final_url, content_type)
        per_feed = self.settings.web_max_feed_entries
        selected, notes = choose_entries(
            url,
            entries,
            since=self.since,
            limit=self.feed_room,
            limit_setting="DIGEST_WEB_MAX_FEED_ENTRIES"
            if self.feed_room >= per_feed
            else "DIGEST_MAX_ARTICLES, shared out over the request's articles, URLs and feeds",
        )
        if not selected:
            return [], notes
        self.feeds_open[url] = (selected, notes)  # named if the run's time runs out
        self.total += len(selected)  # shown at the next tick
        articles, failures = _merge(await _all(self._entry(url, e) for e in selected))
        return articles, failures + notes

    async def _entry(self, feed_url: str, entry: FeedEntry) -> Outcome:
        """A feed entry: its full text when the feed has it, else the page it links to.
        Its outcome is also kept under the feed, so a run out of time keeps what was read."""
        outcome = await self._read_entry(feed_url, entry)
        self.entries_read.setdefault(feed_url, {})[id(entry)] = outcome
        return outcome

    def _within_size(self, article: Article) -> Article:
        """The article, or FetchFailure('too_large') over DIGEST_MAX_ARTICLE_BYTES: a file's
        and an API body's articles were held to it, a page's not (1.4 MB took 40 s)."""
        limit = self.settings.max_article_bytes
        for _, _, size in oversized([article], limit):  # the same test as files and the API
            raise FetchFailure(
                "too_large",
                f"the article's text has {size} bytes; the limit is {limit} "
                "(DIGEST_MAX_ARTICLE_BYTES)",
            )
        return article

    def out_of_time(self, url: str, budget: float) -> Outcome:
        """What an input not finished within the run's budget leaves: a feed's entries read
        so far, and a failure that says so."""
        read = self.entries_read.get(url, {})
        selected, notes = self.feeds_open.get(url, ([], []))
        late = [e for e in selected if id(e) not in read]
        instead = [self._late_entry(url, e, budget) for e in late]
        articles, failures = _merge([*read.values(), *(o for o in instead if o is not None)])
        got = f"; {len(articles)} of its entries were read and are kept" if articles else ""
        unread = [entry_name(url, e) for e, o in zip(late, instead, strict=True) if o is None]
        if unread:  # which entries were not read, and the feed's own notes, still said
            got += f"; not read: {first_few(unread)}"
        failures.append(
            InputFailure(
                input=url,
                reason="run_timeout",
                detail=f"not fetched within the run's {budget:g} s for all URLs{got}; give "
                "fewer URLs, or raise DIGEST_WEB_RUN_TIMEOUT_S",
            )
        )
        return articles, failures + notes

    def entry_out_of_time(self, feed_url: str, entry: FeedEntry, budget: float) -> Outcome:
        """What a saved feed's entry not fetched within the run's budget leaves: its own
        text in the feed when it carries enough, else a failure that says so."""
        late = self._late_entry(feed_url, entry, budget)
        return late if late is not None else self.out_of_time(entry_name(feed_url, entry), budget)

    def _late_entry(self, feed_url: str, entry: FeedEntry, budget: float) -> Outcome | None:
        """An entry whose page the run had no time left for, read from its own text in the
        feed; None when it carries too little."""
        why = f"not fetched within the run's {budget:g} s for all URLs"
        try:
            return self._instead(feed_url, entry, FetchFailure("run_timeout", why))
        except FetchFailure:
            return None

    async def _read_entry(self, feed_url: str, entry: FeedEntry) -> Outcome:
        name = entry_name(feed_url, entry)
        try:
            if entry.text is not None:
                return [self._within_size(entry_article(feed_url, entry))], []
            assert entry.link is not None  # choose_entries keeps entries with a link or text
            try:
                return [self._within_size(await self._linked_article(entry))], []
            except FetchFailure as failure:
                return self._instead(feed_url, entry, failure)
        except FetchFailure as failure:
            detail = f"{failure.detail} (from the feed {feed_url})"
            return [], [InputFailure(input=name, reason=failure.reason, detail=detail)]
        except Exception:
            log.exception("unexpected error while collecting %s", without_credentials(name))
            return [], [_unexpected(name)]
        finally:
            self._tick()

    async def _linked_article(self, entry: FeedEntry) -> Article:
        """The article on the page the entry links to, dated by the entry when it is not."""
        assert entry.link is not None
        page = await self.fetcher.fetch(entry.link)
        if page.kind == "feed":
            raise FetchFailure("not_html", "the entry links to another feed, not an article")
        article = await asyncio.to_thread(page_to_article, page)
        if article.published_at is None and entry.published is not None:
            article = article.model_copy(update={"published_at": entry.published})
        return article

    def _instead(self, feed_url: str, entry: FeedEntry, failure: FetchFailure) -> Outcome:
        """The entry read from its own text in the feed, with a note, now that its link
        failed; `failure` raised again when the entry carries too little text (or too much)."""
        read = read_instead(feed_url, entry, failure.detail)
        if read is None:
            raise failure
        article, note = read
        try:
            return [self._within_size(article)], [note]
        except FetchFailure:
            raise failure from None


async def _within(
    run: _Run, urls: list[str], budget: float, entries: Sequence[tuple[str, FeedEntry]] = ()
) -> list[Outcome]:
    """Every input's outcome, in order (the URLs', then the saved feeds' entries'); inputs
    still running when `budget` seconds are spent are stopped and reported
    (`_Run.out_of_time`). A cancel (what `progress` raised) stops every input and comes out
    unchanged."""
    tasks = [asyncio.ensure_future(run.input(url)) for url in urls]
    tasks += [asyncio.ensure_future(run._entry(feed, entry)) for feed, entry in entries]
    late: list[Callable[[], Outcome]] = [partial(run.out_of_time, url, budget) for url in urls]
    late += [partial(run.entry_out_of_time, feed, entry, budget) for feed, entry in entries]
    watcher = asyncio.ensure_future(_stop_when_told(tasks))
    try:
        if tasks:
            await asyncio.wait(tasks, timeout=budget, return_when=asyncio.FIRST_EXCEPTION)
        if watcher.done() and watcher.result():
            raise stopping.RunStopped  # the job was cancelled: its fetches were stopped
        await _stop(tasks)  # only those still running: out of time
        for task in tasks:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    except BaseException:
        await _stop(tasks)
        raise
    finally:
        watcher.cancel()
    return [
        out_of_time() if task.cancelled() else task.result()
        for out_of_time, task in zip(late, tasks, strict=True)
    ]


async def _stop_when_told(tasks: list[asyncio.Future[Outcome]]) -> bool:
    """Cancel the run's fetches once its job is told to stop (`stopping`), and say so: a
    cancelled API job had held its worker, and its connections, until every fetch timed
    out. Checked five times a second while any fetch runs."""
    while not all(task.done() for task in tasks):
        try:
            stopping.check()
        except stopping.RunStopped:
            for task in tasks:
                task.cancel()
            return True
        await asyncio.sleep(_STOP_POLL_S)
    return False


async def _all(work: Iterable[Coroutine[Any, Any, Outcome]]) -> list[Outcome]:
    """Run concurrently, in order; when one raises (a cancel), the others are cancelled too."""
    tasks = [asyncio.ensure_future(item) for item in work]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        await _stop(tasks)
        raise


async def _stop(tasks: list[asyncio.Future[Outcome]]) -> None:
    """Cancel the tasks still running and wait until every one has ended."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _unexpected(name: str) -> InputFailure:
    return InputFailure(
        input=name, reason="error", detail="an unexpected error occurred; the service log has it"
    )


def _merge(outcomes: Sequence[Outcome]) -> Outcome:
    """Outcomes in input order; an article reached twice (same URL) is kept once."""
    articles: list[Article] = []
    failures: list[InputFailure] = []
    seen: set[str] = set()
    for found, failed in outcomes:
        for article in found:
            if article.id not in seen:
                seen.add(article.id)
                articles.append(article)
        failures.extend(failed)
    return articles, failures


def _unique(inputs: Sequence[str]) -> list[str]:
    """Each page once, as the user first gave it: tracking parameters and #fragments aside."""
    first: dict[str, str] = {}
    for url in (u.strip() for u in inputs):
        if url:
            first.setdefault(canonical_url(url), url)
    return list(first.values())


def _noop(stage: str, done: int, total: int) -> None:
    return None


async def acollect(
    inputs: Sequence[str],
    *,
    settings: Settings | None = None,
    since: timedelta | None = None,
    progress: ProgressCallback | None = None,
    policy: Policy | None = None,
    room: int | None = None,
    entries: Sequence[tuple[str, FeedEntry]] = (),
) -> Collected:
    """Fetch pages and feeds (detected by content); one bad URL never fails the whole call.

    `entries` are a saved feed's entries (with the feed's name), read as a fetched
    feed's are.

    `room` is how many articles the call may read (default DIGEST_MAX_ARTICLES; an API
    job passes what its inline articles leave): shared out evenly over the inputs.

    `progress` may raise to cancel: the exception comes out of `acollect` unchanged.
    `policy` replaces the SSRF policy built from `settings.web_allowlist` (tests give
    one with their own resolver).
    """
    settings = settings or get_settings()
    policy = policy or Policy.from_allowlist(settings.web_allowlist)
    unique = _unique(inputs)
    cache = (
        open_page_cache(settings.data_dir / "web-cache", settings.web_cache_ttl_s)
        if settings.web_cache_ttl_s > 0
        else None
    )
    try:
        async with Fetcher(settings, policy, cache) as fetcher:
            run = _Run(fetcher, settings, since, progress or _noop)
            run.total = len(unique) + len(entries)
            room = (settings.max_articles if room is None else room) - len(entries)
            # each input one article, and an even share of what is left
            share = max(room - len(unique), 0) // max(len(unique), 1) + 1
            run.feed_room = min(settings.web_max_feed_entries, share)
            run.progress("fetch", 0, run.total)
            outcomes = await _within(run, unique, settings.web_run_timeout_s, entries)
    except _Cancelled as cancelled:
        raise cancelled.error from None
    finally:
        if cache is not None:
            cache.close()
    articles, failures = _merge(outcomes)
    return _shown(Collected(articles=articles, failures=_listed_once(failures)))


def _listed_once(failures: list[InputFailure]) -> list[InputFailure]:
    """Each failed input once: a page given directly and linked from a feed is fetched
    once, and had been listed twice."""
    seen: set[tuple[str, str]] = set()
    once: list[InputFailure] = []
    for failure in failures:
        if (failure.input, failure.reason) not in seen:
            seen.add((failure.input, failure.reason))
            once.append(failure)
    return once


def _shown(collected: Collected) -> Collected:
    """What the run read, with no address's "user:password@": pages are fetched with
    them, but digests, jobs and Slack answers show these addresses to others."""
    return Collected(
        articles=[
            a.model_copy(
                update={
                    "url": without_credentials(a.url) if a.url else a.url,
                    "source": without_credentials(a.source) if a.source else a.source,
                }
            )
            for a in collected.articles
        ],
        failures=[
            f.model_copy(
                update={
                    "input": without_credentials(f.input),
                    "detail": without_credentials(f.detail),
                }
            )
            for f in collected.failures
        ],
    )


def collect(
    inputs: Sequence[str],
    *,
    settings: Settings | None = None,
    since: timedelta | None = None,
    progress: ProgressCallback | None = None,
    room: int | None = None,
    entries: Sequence[tuple[str, FeedEntry]] = (),
) -> Collected:
    """Synchronous `acollect`, for the CLI and worker threads (not for code inside a loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(
            acollect(
                inputs,
                settings=settings,
                since=since,
                progress=progress,
                room=room,
                entries=entries,
            )
        )
    raise RuntimeError("collect() runs its own event loop; in async code use `await acollect()`")
