"""The Bolt listeners: parse what Slack sent, ack() at once, hand the work to the worker.

- `/digest <links and/or text>`: acks "Summarizing 3 links…" (or a usage or error text)
  and posts the digest in the channel, or only to the caller with `--private`;
- message shortcut "Summarize links in this thread" (`summarize_thread`) and
  `@digest summarize` in a thread: digest the thread's links and texts, answer in it
  (the mention itself is a request: its links are read, its words are not an article;
  an edited mention is no new request).

Listeners do only cheap parsing before ack(): fetching, the thread's history and the
digest itself run on the DigestWorker, so Slack always gets its answer within 3 seconds.
What they accept they hand to `DigestWorker.accept`, which returns at once and stores it
on the worker's own thread before queueing it (after the ack, and off Bolt's listener
threads: a slow or locked database must not make this request, or the next one, miss
Slack's 3 seconds), so a request is answered even when the process stops first.
When every worker is busy the asker hears at once that the request is queued (and, past
a limit, that it is refused: try again later) rather than waiting in silence.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest
from slack_sdk import WebClient

from service.errors import ServiceError
from service.pipeline.run import DigestOptions
from service.pipeline.sentences import word_count
from service.slack.blocks import escape, render_notice
from service.slack.delivery import Destination
from service.slack.inputs import MIN_ARTICLE_WORDS, SHORT_TEXT_WORDS, parse_command
from service.slack.pending import SummarizeWork, ThreadWork
from service.slack.prose import strip_links
from service.slack.worker import NOTHING_FOUND, DigestWorker

log = logging.getLogger(__name__)

COMMAND = "/digest"
THREAD_SHORTCUT = "summarize_thread"
# what asks a mention for a digest: "summarize", "summary please", "sum up these links",
# "tl;dr", "recap"; anything else gets the usage, shown to the asker only
# ("the summary was wrong", "your summary" speak of one already given: no new digest)
_SUMMARIZE = re.compile(
    r"\b(?:summari[sz](?:e|es|ing)|(?<!the )(?<!your )(?<!this )(?<!that )summary|summaries"
    r"|digest|sum\s+(?:\w+\s+)?up|tl;?\s?dr|recap)\b",
    re.IGNORECASE,
)
USAGE = (
    "*/digest* turns news links or pasted articles into neutral, cited story summaries.\n"
    "• `/digest https://example.com/a https://example.org/b` reads the pages\n"
    "• `/digest` followed by pasted article text (one article; separate several with "
    "lines of `---`)\n"
    "• options first: `--private` (only you see it), `--public`, `--one-story`\n"
    "In a thread: the message shortcut *Summarize links in this thread*, or "
    "`@digest summarize`."
)
BUSY = (
    "I'm working through many digests right now and can't take another. Try again in a few minutes."
)
TOO_SHORT = (
    "{what} too short to summarize ({count}; an article needs at least "
    f"{MIN_ARTICLE_WORDS} words). Paste the whole article, or give me its link."
)


def _queued(worker: DigestWorker) -> str:
    """The line telling the asker their digest waits, or '' when a worker is free."""
    if not worker.busy:
        return ""
    ahead = worker.waiting
    others = "another digest" if ahead == 0 else f"{ahead + 1} other digests"
    return f"Yours is queued behind {others}; it will appear here when done."


def _header(request: BoltRequest, name: str) -> str:
    values = request.headers.get(name) or []
    return next(iter([values] if isinstance(values, str) else values), "").strip()


def _already_taken(request: BoltRequest, body: dict[str, Any], seen: RecentEvents) -> bool:
    """True for an event this process has already taken, or a redelivery Slack sent only
    because our answer was late (`http_timeout`; `timeout` in Socket Mode): the first
    delivery reached a replica and is being worked on. A redelivery after a failed one
    (the service restarting) is the only copy, and is taken. Socket Mode sends every
    event with retry number 0."""
    event_id = str(body.get("event_id") or "")
    if event_id and not seen.first_time(event_id):
        return True
    retry = _header(request, "x-slack-retry-num")
    if not (retry.isdigit() and int(retry) > 0):
        return False
    return _header(request, "x-slack-retry-reason") in ("", "http_timeout", "timeout")


class RecentEvents:
    """The ids of the last `keep` events seen, so one event is answered once per process."""

    def __init__(self, keep: int = 2000) -> None:
        self._keep = keep
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._seen:
                return False
            self._seen[event_id] = None
            if len(self._seen) > self._keep:
                self._seen.popitem(last=False)
            return True


def _own_ids(context: BoltContext) -> set[str]:
    """Our bot's ids, so its own earlier digests in a thread are not summarized again."""
    return {i for i in (context.bot_id, context.bot_user_id) if i}


def register_listeners(app: App, worker: DigestWorker) -> None:
    """Attach the command, shortcut and mention listeners to `app`."""
    settings = worker.settings

    @app.command(COMMAND)
    def digest_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        try:
            parsed = parse_command(str(command.get("text") or ""))
        except ServiceError as exc:
            ack(f":warning: {escape(exc.user_message)}")
            return
        except Exception:  # a parsing bug must still answer Slack in time
            log.exception("could not parse a /digest command")
            ack(":warning: I could not read that command. Try `/digest help`.")
            return
        found = parsed.input
        if parsed.help:
            ack(USAGE)
            return
        if not found.size:
            words = word_count(strip_links(str(command.get("text") or "")))
            if found.too_short > 1:  # texts between `---` lines: their total says nothing
                each = f"{found.too_short} texts, each under {MIN_ARTICLE_WORDS} words"
                ack(TOO_SHORT.format(what="Those texts are", count=each))
            elif found.too_short or words >= SHORT_TEXT_WORDS:
                ack(TOO_SHORT.format(what="That text is", count=f"{words} words"))
            else:
                ack(NOTHING_FOUND)
            return
        if found.size > settings.slack_max_inputs:
            ack(
                f":warning: That is {found.describe()}; one /digest takes at most "
                f"{settings.slack_max_inputs}. Split them across several commands."
            )
            return
        if worker.full:
            ack(f":hourglass: {BUSY}")
            return
        short = found.too_short_note()
        left_out = f"({short}: an article needs at least {MIN_ARTICLE_WORDS}.)" if short else ""
        ack(" ".join(filter(None, [f"Summarizing {found.describe()}…", left_out, _queued(worker)])))
        ephemeral = settings.slack_ephemeral if parsed.ephemeral is None else parsed.ephemeral
        destination = Destination(
            channel=str(command["channel_id"]),
            user=str(command["user_id"]),
            ephemeral=ephemeral,
            response_url=command.get("response_url"),
        )
        worker.accept(
            client,
            SummarizeWork(found, DigestOptions(one_story=parsed.one_story)),
            destination,
            requested_by=None if ephemeral else destination.user,
        )

    @app.message_shortcut(THREAD_SHORTCUT)
    def summarize_thread_shortcut(
        ack: Ack, shortcut: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        ack()
        message = shortcut.get("message") or {}
        root = str(message.get("thread_ts") or message.get("ts") or shortcut.get("message_ts"))
        destination = Destination(
            channel=str(shortcut["channel"]["id"]),
            user=str(shortcut["user"]["id"]),
            thread_ts=root,
            response_url=shortcut.get("response_url"),
        )
        _digest_thread(worker, client, root, destination, skip_bots=_own_ids(context))

    seen = RecentEvents()

    @app.event("app_mention")
    def summarize_on_mention(
        event: dict[str, Any],
        body: dict[str, Any],
        client: WebClient,
        context: BoltContext,
        request: BoltRequest,
    ) -> None:
        # Events are acked by Bolt before this runs; a redelivery is answered only when
        # the first one never reached us. An edited mention was answered when it was
        # posted: fixing a typo in "@digest summarize" had started a second digest
        if event.get("edited") or _already_taken(request, body, seen):
            return
        root = str(event.get("thread_ts") or event["ts"])
        destination = Destination(
            channel=str(event["channel"]), user=event.get("user"), thread_ts=root
        )
        if not _SUMMARIZE.search(strip_links(str(event.get("text") or ""))):
            worker.tell(client, render_notice(USAGE, emoji=":wave:"), destination.private())
            return
        _digest_thread(
            worker, client, root, destination, skip_bots=_own_ids(context), request_ts=event["ts"]
        )


def _digest_thread(
    worker: DigestWorker,
    client: WebClient,
    root: str,
    destination: Destination,
    *,
    skip_bots: set[str],
    request_ts: str | None = None,
) -> None:
    """Queue the thread's digest, telling the asker (only them) at once when it waits for
    a worker, or is refused because too many wait; the notice goes out only once the
    digest is taken (a worker shutting down hands it to the next process, and says
    nothing). `request_ts` is the message that asked (a mention), read for its links only."""
    if worker.full:
        worker.tell(client, render_notice(BUSY, emoji=":hourglass:"), destination.private())
        return
    queued = _queued(worker)
    work = ThreadWork(root, skip_bots=frozenset(skip_bots), request_ts=request_ts)
    worker.accept(client, work, destination)
    if queued:
        worker.tell(client, render_notice(queued, emoji=":hourglass:"), destination.private())
