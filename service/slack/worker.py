"""The work behind a Slack request, off the listener: gather articles, digest, post.

Digests run on this worker's own small thread pool, never on Bolt's listener executor:
Bolt runs every listener, ack included, on a pool of 5 threads, so a few long digests
there would hold the next request's ack past Slack's 3 seconds. Every failure ends as a
message to the user in plain words; nothing here raises into Bolt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

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
    """Runs Slack digests in the background, a few at a time, and posts the answers."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        summarizer: Summarizer | None = None,
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
        self._lock = threading.Lock()
        self._in_flight = 0
        self._closing = False

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

    def submit(self, job: Callable[..., None], *args: Any, **kwargs: Any) -> Future[None]:
        """Run `job` in the background; its exceptions are logged, never lost silently."""

        def guarded() -> None:
            try:
                job(*args, **kwargs)
            except Exception:  # a listener's background job must never die unseen
                log.exception("Slack job %s failed", getattr(job, "__name__", job))
            finally:
                with self._lock:
                    self._in_flight -= 1

        with self._lock:
            self._in_flight += 1
        try:
            return self._pool.submit(guarded)
        except RuntimeError:  # shut down: nothing will run it
            with self._lock:
                self._in_flight -= 1
            raise

    def tell(self, client: WebClient, notice: SlackMessage, destination: Destination) -> None:
        """Post a short notice in the background, ahead of any digest still queued."""

        def post() -> None:
            try:
                deliver(client, [notice], destination, what=REPLY)
            except Exception:
                log.exception("could not post a Slack notice")

        if self._closing:  # the request it speaks of is refused too
            log.warning("a Slack notice was not sent: the worker is shutting down")
            return
        try:
            self._notices.submit(post)
        except RuntimeError:
            log.warning("a Slack notice was not sent: the worker is shut down")

    def shutdown(self, wait: bool = True) -> None:
        self._closing = True
        self._pool.shutdown(wait=wait)
        self._notices.shutdown(wait=wait)

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
    ) -> None:
        """Read the thread's messages, say what was found, then digest them into the thread.
        `request_ts` is the message that asked (a mention): only its links are read."""
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
        status = f"Summarizing {found.describe()} from this thread…"
        destination = post_placeholder(client, destination, escape(status))
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
