"""The work behind a Slack request, off the listener: gather articles, digest, post.

Digests run on this worker's own small thread pool, never on Bolt's listener executor:
Bolt runs every listener, ack included, on a pool of 5 threads, so a few long digests
there would hold the next request's ack past Slack's 3 seconds. Every failure ends as a
message to the user in plain words; nothing here raises into Bolt.

Nothing accepted is lost: once `start`ed with the app's client, every request `accept`ed
is a row of `pending.PendingStore` until its answer (or an error notice) went out. The
row is written on the worker's own thread, never on the listener's (Bolt's listener
threads ack the next requests too). The worker renews the leases of the rows it works on
while it lives, takes over rows whose lease ran out (their process died), and on
`shutdown` hands the requests it had not started to the next process instead of draining
its queue past a deploy's kill deadline. A run that raises (Slack or the network away past
the SDK's retry) is run again after a wait that grows (`pending.RETRY_AFTER_S`), and a
give-up notice Slack did not take is tried again after a wait that doubles
(`PendingStore.notice_retry_delay`): either way the row is put off in the database
(`PendingStore.retry_later`), not held here, so a restart meanwhile loses nothing, and
whichever process is up runs it once the wait is over. Each such failure is one log line;
an error no outage explains keeps its traceback.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from service.backends.embedders import Embedder
from service.backends.summarizers.base import Summarizer
from service.config import Settings
from service.errors import BackendError, EmptyInputError, IngestError, ServiceError
from service.models import Article, Digest, InputFailure
from service.pipeline.ingest import oversized
from service.pipeline.run import DigestOptions, digest
from service.slack.blocks import SlackMessage, escape, for_chat, render_digest, render_notice
from service.slack.delivery import REPLY, TOKEN_ERRORS, Destination, deliver, post_placeholder
from service.slack.inputs import SlackInput, thread_input
from service.slack.pending import (
    Accepted,
    PendingStore,
    SummarizeWork,
    Unreadable,
    Work,
    owner_id,
)

log = logging.getLogger(__name__)

MAX_THREAD_MESSAGES = 1000
MAX_WAITING_PER_WORKER = 10  # beyond this many queued digests per worker, say "busy" instead
NOTHING_FOUND = (
    "I found no links or article text to summarize. Give me links "
    "(`/digest https://example.com/story ...`) or paste the articles' text, "
    "several articles separated by lines of `---`."
)
NOTHING_IN_THREAD = (
    "I found no links or article text in this thread. Post the links (or paste the articles' "
    "text) in the thread, then ask again."
)
NOT_IN_CHANNEL = (
    "I can't read the messages in this channel. Invite me with `/invite @digest`, then try again."
)
# The token itself refused: asking again will not help, whoever runs the app can
BAD_TOKEN = (
    "Slack no longer accepts this app's token, so I can't read the thread (asking again will "
    "not help). Ask whoever runs the digest app to reinstall it or give it its current token."
)
# What to do when conversations.replies refuses, by Slack's error code (a refused token:
# `TOKEN_ERRORS`, the codes delivery knows too)
THREAD_ERRORS = {
    **dict.fromkeys(TOKEN_ERRORS, BAD_TOKEN),
    "not_in_channel": NOT_IN_CHANNEL,
    "channel_not_found": (
        "I can't read this conversation: I am not in it, or it is a direct message between "
        "other people. In a channel, invite me with `/invite @digest`; elsewhere, use "
        "`/digest` with the links or the text."
    ),
    "missing_scope": (
        "The Slack app is missing a permission to read threads (channels:history, "
        "groups:history, im:history, mpim:history). Ask whoever installed it to reinstall "
        "it from slack/manifest.yml, which lists them."
    ),
    "thread_not_found": (
        "I can't find that thread any more: it may have been deleted. Ask again from a "
        "message that is still there."
    ),
}
# A request started `MAX_ATTEMPTS` times and never answered (each run stopped the service
# or failed): said to the asker only, once, instead of a fourth try
GAVE_UP = (
    "I could not finish this digest: the digest service stopped or failed {runs} times "
    "while working on it, so I won't try again. Ask again with fewer links or shorter "
    "texts; if it happens again, ask whoever runs the digest app to look at its log."
)
LOST = (
    "The digest service restarted and could not pick up your request where it left off. "
    "Please ask again."
)
QUEUE_PER_WORKER = 2  # rows taken over per worker thread at a time; the rest wait in the database
# What Slack, or the network to it, being away raises (past the SDK's own retry): logged in
# one line; anything else is a fault here and keeps its traceback
OUTAGES = (SlackClientError, OSError, http.client.HTTPException)


def gather_articles(
    found: SlackInput, settings: Settings
) -> tuple[list[Article], list[InputFailure]]:
    """Fetch the links (through service.web) and turn the pasted texts into articles; a
    pasted text that cannot be one is a failure the digest lists, as a link's is."""
    from service import load_text

    articles: list[Article] = []
    failures: list[InputFailure] = []
    limit = settings.max_article_bytes
    for number, pasted in enumerate(found.texts, start=1):
        name = _pasted_name(number)
        try:
            article = load_text(pasted.text, name=f"text-{number}")
        except IngestError as exc:  # nothing left once boilerplate is cleaned away
            failures.append(InputFailure(input=name, reason="no_text", detail=exc.user_message))
            continue
        if any(oversized([article], limit)):
            detail = (
                f"over {limit:,} bytes (DIGEST_MAX_ARTICLE_BYTES): paste a shorter text, or "
                "give its link"
            )
            failures.append(InputFailure(input=name, reason="too_large", detail=detail))
            continue
        updates: dict[str, str] = {"title": _title(article.text)}
        if pasted.url:
            updates["url"] = pasted.url
        articles.append(article.model_copy(update=updates))
    if found.urls:
        from service import web  # lazy: only link requests need the fetching stack

        collected = web.collect(found.urls, settings=settings)
        taken = {a.id for a in articles}
        for article in collected.articles:
            if article.id in taken:
                article = article.model_copy(update={"id": f"{article.id}#{len(taken) + 1}"})
            taken.add(article.id)
            articles.append(article)
        failures += collected.failures
    return articles, failures


def _own_ids(client: WebClient) -> set[str]:
    """The bot's ids from auth.test, asked here, off the ack path, when the request came
    before the app had learned them (`app.BotIdentity`); none when Slack does not say."""
    try:
        answer = client.auth_test()
    except Exception:  # refused or unreachable: read the thread as it is, the digest goes on
        return set()
    return {str(i) for i in (answer.get("bot_id"), answer.get("user_id")) if i}


def _pasted_name(number: int) -> str:
    """How a pasted text is named in the failures a digest lists."""
    return f"pasted text {number}"


def _title(text: str, limit: int = 120) -> str:
    """A pasted article's title: its first line when that reads as a headline, else the
    start of its first sentence."""
    first, _, rest = text.strip().partition("\n")
    if rest.strip() and len(first) <= limit:
        return first.strip()
    end = first.find(". ")
    sentence = first[: end + 1] if end > 0 else first
    return sentence if len(sentence) <= limit else sentence[:limit].rsplit(" ", 1)[0] + "…"


def _failure_lines(failures: list[InputFailure]) -> str:
    return "\n".join(f"• {f.input}: {for_chat(f.detail or f.reason)}" for f in failures)


def _left_out(found: SlackInput, *, summarized: bool) -> str:
    """What the input limit left out of a thread's digest, or '': said when the digest
    failed too ("every link failed" had hidden that others were never tried)."""
    if not found.left_out:
        return ""
    if summarized:
        total = found.size + found.left_out
        return (
            f"Only the first {found.size} of the thread's {total} links and texts were "
            "summarized (the app's limit)."
        )
    one = found.left_out == 1
    more = "1 more link or text" if one else f"{found.left_out} more links and texts"
    verb = "was" if one else "were"
    return f"{more} in this thread {verb} not tried (the app takes {found.size} at a time)."


def _reason(error: Exception) -> str:
    """An error in a few words, for a log line: Slack's error code, or the exception."""
    if isinstance(error, SlackApiError):
        said = str(error.response.get("error"))
        said = said if len(said) <= 80 else said[:77] + "..."  # a proxy's HTML page
        return f"Slack answered {getattr(error.response, 'status_code', '?')}: {said}"
    return f"{type(error).__name__}: {error}"


def _log_failure(error: Exception, message: str, *args: object) -> None:
    """One log line for a failure an outage of Slack explains (`OUTAGES`); the same line
    with the traceback for any other."""
    if isinstance(error, OUTAGES):
        log.warning(message, *args)
    else:
        log.error(message, *args, exc_info=error)


def explain(error: Exception) -> str:
    """What went wrong, in words a Slack user can act on."""
    if isinstance(error, BackendError):
        return (
            f"The summarizer backend failed: {for_chat(error.user_message)}. Try again in a "
            "few minutes; if it keeps failing, ask whoever runs the digest service to check "
            "DIGEST_BACKEND."
        )
    if isinstance(error, ServiceError):  # one line at a time: failure lists keep their lines
        return "\n".join(for_chat(line) for line in error.user_message.splitlines())
    return (
        "Something went wrong on our side while summarizing (the error is in the service's "
        "log). Try again, or ask whoever runs the digest service to look at it."
    )


class DigestWorker:
    """Runs Slack digests in the background, a few at a time, and posts the answers.

    Once `start`ed with the app's bot-token client, what it `accept`s is durable (see the
    module's docstring); before that, or when the database refuses a request's row, the
    request runs in memory only (`start` itself needs the database).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        summarizer: Summarizer | None = None,
        store: PendingStore | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.summarizer = summarizer
        self._pool = ThreadPoolExecutor(
            max_workers=settings.slack_workers, thread_name_prefix="slack-digest"
        )
        # short notices ("queued", "busy") go out on a thread of their own: the SDK sleeps
        # through Slack's rate limits, and on Bolt's listener threads that sleep held the
        # next command's ack past Slack's 3 seconds
        self._notices = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slack-notice")
        # accepted requests are written to the database on a thread of their own: on Bolt's
        # listener threads (5, the acks of the next requests included) a locked or slow
        # database had held them, and the next command missed Slack's 3 seconds
        self._storing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slack-store")
        self._lock = threading.Lock()
        self._in_flight = 0
        self._closing = False
        # durability: the store (made from the settings at `start` when not given), this
        # worker's lease owner id, the rows it works on (queued, running, or being closed
        # out: only their leases are renewed), those of them not started yet, and answered
        # rows whose delete failed (deleted again by the keeper, renewed meanwhile)
        self._store = store
        self._pending: PendingStore | None = None
        self._client: WebClient | None = None
        self.owner = owner_id()
        self._held: set[str] = set()
        self._not_started: set[str] = set()
        self._answered: set[str] = set()
        self._keeper: threading.Thread | None = None
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._backlog = False  # the last take-over found as many rows as it had room for
        # rows this worker put off (`_put_off`): when the first wait ends (monotonic), so the
        # keeper looks then rather than on its next round; and how many times Slack did not
        # take each give-up notice tried here (the next wait doubles)
        self._retry_at: float | None = None
        self._notice_failures: dict[str, int] = {}

    @property
    def waiting(self) -> int:
        """Jobs submitted that no worker has started yet: what a new job would queue behind."""
        with self._lock:
            return max(self._in_flight - self.settings.slack_workers, 0)

    @property
    def busy(self) -> bool:
        """A job submitted now would wait for a free worker."""
        with self._lock:
            return self._in_flight >= self.settings.slack_workers

    @property
    def full(self) -> bool:
        """So many jobs wait that a new one should be refused rather than queued for long."""
        return self.waiting >= MAX_WAITING_PER_WORKER * self.settings.slack_workers

    def start(self, client: WebClient) -> None:
        """Make accepted requests durable, and run those that a process which died (or
        stopped) left behind, with `client` (the app's bot-token client), now and while
        this worker lives. Raises ConfigError when the database cannot be reached."""
        if self._keeper is not None:
            return
        self._pending = self._store or PendingStore.open(self.settings)
        self._client = client
        self._keeper = threading.Thread(target=self._keep, name="slack-requests", daemon=True)
        self._keeper.start()

    def submit(self, job: Callable[..., None], *args: Any, **kwargs: Any) -> Future[None]:
        """Run `job` in the background; its exceptions are logged, never lost silently."""
        return self._submit(job, args, kwargs)

    def _submit(
        self,
        job: Callable[..., None],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        counted: bool = False,
    ) -> Future[None]:
        """`submit`; `counted`: the job is already in `_in_flight` (`accept` counts it)."""

        def guarded() -> None:
            try:
                job(*args, **kwargs)
            except Exception:  # a listener's background job must never die unseen
                log.exception("Slack job %s failed", getattr(job, "__name__", job))
            finally:
                with self._lock:
                    self._in_flight -= 1
                if self._backlog:  # room for one more row left behind by a dead process
                    self._wake.set()

        if not counted:
            with self._lock:
                self._in_flight += 1
        try:
            return self._pool.submit(guarded)
        except RuntimeError:  # shut down: nothing will run it
            with self._lock:
                self._in_flight -= 1
            raise

    def accept(
        self,
        client: WebClient,
        work: Work,
        destination: Destination,
        *,
        requested_by: str | None = None,
    ) -> None:
        """Store a request a listener accepted, then queue it; returns at once (the row is
        written on the worker's own thread, and the request counts as waiting from now). A
        request the database would not take runs anyway (it is lost only if this process
        stops first): the asker was already told it is under way, and a database outage
        must not silence the bot."""
        request = Accepted(None, work, destination, requested_by)
        if self._pending is None:
            self._enqueue(client, request)
            return
        with self._lock:
            self._in_flight += 1  # `busy` and `waiting` see it before its row is written
        try:
            self._storing.submit(self._store_and_queue, client, request)
        except RuntimeError:  # shutting down: stored here, and handed to the next process
            self._store_and_queue(client, request)

    def _store_and_queue(self, client: WebClient, request: Accepted) -> None:
        """`accept`'s work off the listener's thread: the row, then the queue."""
        assert self._pending is not None
        request_id = None
        try:
            request_id = self._pending.add(
                request.work, request.destination, self.owner, requested_by=request.requested_by
            )
        except Exception as exc:
            log.warning(
                "could not store a Slack request (%s); running it anyway, but it is lost "
                "if this process stops before it is answered",
                exc,
            )
        self._enqueue(client, replace(request, id=request_id), counted=True)

    def tell(self, client: WebClient, notice: SlackMessage, destination: Destination) -> None:
        """Post a short notice in the background, ahead of any digest still queued."""

        def post() -> None:
            try:
                deliver(client, [notice], destination, what=REPLY)
            except Exception:
                log.exception("could not post a Slack notice")

        if self._closing:  # the request it speaks of is handed to the next process
            log.warning("a Slack notice was not sent: the worker is shutting down")
            return
        try:
            self._notices.submit(post)
        except RuntimeError:
            log.warning("a Slack notice was not sent: the worker is shut down")

    def shutdown(self, wait: bool = True) -> None:
        """Stop starting work: requests queued here and not started are handed back (their
        rows released, so the next process runs them at once); running ones finish when
        `wait`. Draining the whole queue had outlasted a deploy's kill deadline."""
        with self._lock:
            self._closing = True
            handed = sorted(self._not_started)
            self._not_started.clear()
            self._held.difference_update(handed)
        self._release(handed, why="shutting down")
        self._storing.shutdown(wait=wait)  # requests being stored: stored, then handed on
        self._pool.shutdown(wait=wait)
        self._notices.shutdown(wait=wait)
        self._stopping.set()  # after the pool: running requests keep their leases renewed
        self._wake.set()
        if self._keeper is not None and wait:
            self._keeper.join(timeout=30)
        if self._answered and self._pending is not None:
            try:  # a last try: a row left is answered again by the next process
                self._forget_answered()
            except Exception as exc:
                log.warning(
                    "could not delete %d answered Slack requests (%s)", len(self._answered), exc
                )
        if self._pending is not None and self._store is None:
            self._pending.close()

    # --- durable requests -------------------------------------------------------------

    def _enqueue(self, client: WebClient, request: Accepted, *, counted: bool = False) -> None:
        """Queue a stored (or unstorable) request; one arriving while the worker shuts down
        is handed to the next process instead. `counted`: already in `_in_flight`."""
        with self._lock:
            closing = self._closing
            if request.id is not None and not closing:
                self._held.add(request.id)
                self._not_started.add(request.id)
            if closing and request.id is not None and counted:
                self._in_flight -= 1
        if closing and request.id is not None:
            self._release([request.id], why="shutting down")
            return
        try:
            self._submit(self._run, (client, request), {}, counted=counted)
        except RuntimeError:  # shut down meanwhile
            self._let_go(request.id)
            if request.id is None:
                log.warning("a Slack request was dropped: the worker is shut down")
            else:
                self._release([request.id], why="shut down")

    def _run(self, client: WebClient, request: Accepted) -> None:
        """Run one request, unless shutdown handed it on or another process took it over;
        its row goes once it is answered, and stays for another try when the run failed."""
        if not self._begin(request):
            self._let_go(request.id)
            return
        try:
            self._perform(client, request)
        except Exception as exc:
            if request.id is None or self._pending is None:  # in memory only: not tried again
                log.exception("a Slack request failed before it was answered")
                return
            # tried again after a wait, by whichever process is up then (its runs are counted)
            runs, most = request.attempts + 1, self._pending.max_attempts
            delay = self._pending.run_retry_delay(runs)
            then = f"trying again in {delay:g} s" if runs < most else "giving up"
            _log_failure(
                exc,
                "Slack request %s failed before it was answered, run %d of %d (%s); %s",
                request.id,
                runs,
                most,
                _reason(exc),
                then,
            )
            self._let_go(request.id)
            self._put_off(request.id, delay)
            return
        self._forget(request.id)

    def _let_go(self, request_id: str | None) -> None:
        """This worker no longer works on the row: its lease is not renewed any more."""
        if request_id is not None:
            with self._lock:
                self._held.discard(request_id)
                self._not_started.discard(request_id)

    def _begin(self, request: Accepted) -> bool:
        """True when this worker should run `request` now."""
        if request.id is None:
            return True
        with self._lock:
            if self._closing:  # shutdown released its row: the next process runs it
                return False
            self._not_started.discard(request.id)
        assert self._pending is not None
        try:
            if self._pending.begin(request.id, self.owner):
                return True
        except Exception as exc:  # the database is down: nobody can take it over either
            log.warning("could not count a run of Slack request %s (%s)", request.id, exc)
            return True
        log.info("Slack request %s was taken over by another process", request.id)
        return False

    def _perform(self, client: WebClient, request: Accepted) -> None:
        work = request.work
        if isinstance(work, SummarizeWork):
            self.summarize(
                client,
                work.found,
                work.options,
                request.destination,
                requested_by=request.requested_by,
            )
            return
        self.summarize_thread(
            client,
            work.thread_ts,
            request.destination,
            skip_bots=set(work.skip_bots),
            request_ts=work.request_ts,
            on_placeholder=self._placeholder_keeper(request),
        )

    def _placeholder_keeper(self, request: Accepted) -> Callable[[Destination], None] | None:
        """What stores a posted placeholder in the request's row, so a run after a crash
        replaces it rather than posting a second one."""
        request_id, store = request.id, self._pending
        if request_id is None or store is None:
            return None

        def keep(destination: Destination) -> None:
            try:
                store.keep_destination(request_id, self.owner, destination)
            except Exception as exc:
                log.warning("could not store the placeholder of %s (%s)", request_id, exc)

        return keep

    def _forget(self, request_id: str | None) -> None:
        """Delete an answered request's row; when the database refuses, the keeper tries
        again (renewing its lease meanwhile, so no one answers it a second time)."""
        if request_id is None or self._pending is None:
            return
        try:
            self._pending.remove(request_id)
        except Exception as exc:
            log.warning(
                "could not delete answered Slack request %s (%s); trying again", request_id, exc
            )
            with self._lock:
                self._answered.add(request_id)
        self._let_go(request_id)

    def _forget_answered(self) -> None:
        """Delete the answered rows a database error had left."""
        assert self._pending is not None
        with self._lock:
            answered = sorted(self._answered)
        for request_id in answered:
            self._pending.remove(request_id)  # raises while the database is still down
            with self._lock:
                self._answered.discard(request_id)

    def _put_off(self, request_id: str, delay_s: float) -> bool:
        """Leave a row this worker no longer works on to wait `delay_s` seconds in the
        database, for any process to take then; False when it was not ours any more. When
        the database refuses, its lease runs out instead: later, never lost."""
        assert self._pending is not None
        try:
            if not self._pending.retry_later(request_id, self.owner, delay_s):
                return False
        except Exception as exc:
            log.warning(
                "could not put off Slack request %s (%s); it is taken again once its lease "
                "runs out",
                request_id,
                exc,
            )
            return True
        due = time.monotonic() + delay_s  # its wait began before the write: over by then
        with self._lock:
            if self._retry_at is None or due < self._retry_at:
                self._retry_at = due
        self._wake.set()  # the keeper shortens its wait to it
        return True

    def _pause(self, interval: float) -> float:
        """How long the keeper waits for its next round: `interval`, or less when a row
        put off here is due before."""
        with self._lock:
            if self._retry_at is None:
                return interval
            return min(interval, max(self._retry_at - time.monotonic(), 0.0))

    def _release(self, request_ids: list[str], *, why: str) -> None:
        if not request_ids or self._pending is None:
            return
        try:
            count = self._pending.release(request_ids, self.owner)
        except Exception as exc:  # their leases run out instead: taken over later, not lost
            log.warning("could not hand back %d Slack requests (%s)", len(request_ids), exc)
            return
        log.info("handed %d Slack request(s) to the next process (%s)", count, why)

    def _keep(self) -> None:
        """Renew this worker's leases and take over requests no live process holds, at
        once and then every third of a lease, until shutdown ends."""
        assert self._pending is not None
        interval = self._pending.check_every_s
        while not self._stopping.is_set():
            self._wake.clear()
            with self._lock:  # this round takes what was due
                if self._retry_at is not None and self._retry_at <= time.monotonic():
                    self._retry_at = None
            try:
                with self._lock:
                    working = self._held | self._answered
                self._pending.renew(self.owner, working)
                if self._answered:
                    self._forget_answered()
                if not self._closing:
                    self._take_over(self._pending)
            except Exception as exc:  # a database blip: two more tries before leases run out
                log.warning("could not renew or take over Slack requests (%s)", exc)
            self._wake.wait(self._pause(interval))

    def _take_over(self, store: PendingStore) -> None:
        """Queue the oldest rows left behind, as many as this worker has room for (the rest
        wait in the database, where another replica may take them)."""
        with self._lock:
            room = QUEUE_PER_WORKER * self.settings.slack_workers - self._in_flight
        if room <= 0:
            self._backlog = True
            return
        # a row taken and then not queued (an error below) is no longer renewed: its lease
        # runs out and it is taken again, here or elsewhere
        taken = store.take(self.owner, room)
        self._backlog = len(taken) == room
        for item in taken:
            if isinstance(item, Unreadable):
                log.error("dropped Slack request %s: it cannot be read (%s)", item.id, item.reason)
                self._close_out(item.id, item.destination, LOST)
            elif item.attempts >= store.max_attempts:
                log.error("gave up on Slack request %s after %d runs", item.id, item.attempts)
                self._close_out(item.id, item.destination, GAVE_UP.format(runs=item.attempts))
            else:
                log.info("took over Slack request %s (%d runs before)", item.id, item.attempts)
                assert self._client is not None
                self._enqueue(self._client, item)

    def _close_out(self, request_id: str, destination: Destination | None, text: str) -> None:
        """Tell the asker, only them, that their request will not be answered, then drop its
        row; on the notice thread: Slack may make a post wait (rate limits), and the keeper
        must go on renewing the leases of the requests running meanwhile."""
        client, store = self._client, self._pending
        assert store is not None

        def close_out() -> None:
            if destination is not None and client is not None:
                try:  # a refusal is told to the asker when it can be, and returns False
                    deliver(client, [render_notice(text)], destination.private(), what=REPLY)
                except Exception as exc:  # Slack unreachable: kept, tried again after a wait
                    with self._lock:
                        failures = self._notice_failures.get(request_id, 0) + 1
                        self._notice_failures[request_id] = failures
                    delay = store.notice_retry_delay(failures)
                    _log_failure(
                        exc,
                        "could not tell the asker of Slack request %s (%s); trying again in %g s",
                        request_id,
                        _reason(exc),
                        delay,
                    )
                    self._let_go(request_id)
                    if not self._put_off(request_id, delay):  # another process has it now
                        with self._lock:
                            self._notice_failures.pop(request_id, None)
                    return
            with self._lock:
                self._notice_failures.pop(request_id, None)
            self._forget(request_id)

        with self._lock:
            self._held.add(request_id)  # renewed until it is dropped
        try:
            self._notices.submit(close_out)
        except RuntimeError:  # shutting down: the next process closes it out
            self._let_go(request_id)
            self._release([request_id], why="shutting down")

    def summarize(
        self,
        client: WebClient,
        found: SlackInput,
        options: DigestOptions,
        destination: Destination,
        *,
        requested_by: str | None = None,
    ) -> None:
        """Digest `found` and post the answer to `destination` (errors too, in plain words)."""
        try:
            result = self._digest(found, options)
        except Exception as exc:  # every failure becomes a message, never a crashed listener
            if not isinstance(exc, ServiceError):
                log.exception("Slack digest failed")
            text = "\n".join(filter(None, [explain(exc), _left_out(found, summarized=False)]))
            deliver(client, [render_notice(text)], destination.private(), what=REPLY)
            return
        if left_out := _left_out(found, summarized=True):
            result.warnings.append(left_out)
        deliver(client, render_digest(result, requested_by=requested_by), destination)

    def _digest(self, found: SlackInput, options: DigestOptions) -> Digest:
        articles, failures = gather_articles(found, self.settings)
        if not articles and failures:
            pasted = {_pasted_name(n) for n in range(1, len(found.texts) + 1)}
            links = [f for f in failures if f.input not in pasted]
            count = f"the {len(failures)} links" if len(failures) > 1 else "the link"
            if len(links) < len(failures):
                count = "any of it" if len(failures) > 1 else "that text"
            raise EmptyInputError(
                f"I could not read {count}, so there is nothing to summarize:\n"
                + _failure_lines(failures)
                + (
                    "\nCheck that the pages are public, or paste their text instead."
                    if links
                    else ""
                )
            )
        if not articles:
            raise EmptyInputError(NOTHING_FOUND)
        return digest(
            articles,
            options,
            embedder=self.embedder,
            summarizer=self.summarizer,
            failures=failures,
            settings=self.settings,
        )

    def summarize_thread(
        self,
        client: WebClient,
        thread_ts: str,
        destination: Destination,
        *,
        skip_bots: set[str],
        request_ts: str | None = None,
        on_placeholder: Callable[[Destination], None] | None = None,
    ) -> None:
        """Read the thread's messages, say what was found, then digest them into the thread.
        `request_ts` is the message that asked (a mention): only its links are read.
        `on_placeholder` is told where the answer goes once "Summarizing..." is posted; a
        destination that has one already (a run after a restart) gets no second one."""
        try:
            messages = self._replies(client, destination.channel, thread_ts)
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            text = THREAD_ERRORS.get(
                error, f"Slack would not give me this thread's messages ({error}). Try again later."
            )
            deliver(client, [render_notice(text)], destination.private(), what=REPLY)
            return
        limit = self.settings.slack_max_inputs
        skip_bots = skip_bots or _own_ids(client)
        found = thread_input(messages, skip_bots=skip_bots, limit=limit, request_ts=request_ts)
        if not found.size:
            deliver(client, [render_notice(NOTHING_IN_THREAD)], destination.private(), what=REPLY)
            return
        if destination.placeholder_ts is None:
            status = f"Summarizing {found.describe()} from this thread…"
            destination = post_placeholder(client, destination, escape(status))
            if destination.placeholder_ts is not None and on_placeholder is not None:
                on_placeholder(destination)
        self.summarize(client, found, DigestOptions(), destination)

    def _replies(self, client: WebClient, channel: str, ts: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        cursor: str | None = None
        while len(messages) < MAX_THREAD_MESSAGES:
            page = client.conversations_replies(channel=channel, ts=ts, limit=200, cursor=cursor)
            messages += page.get("messages") or []
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return messages
