"""A Slack request whose run failed, or whose give-up notice Slack did not take, waits
before the next try, longer each time, in the database: no process takes it before its wait
ends (a restart included), whichever process is up takes it after.

Slack "away" is `SlackAway`, the app's real WebClient whose calls raise at once what urllib
raises when nothing answers (so no test sleeps through the SDK's own retry); the waits are
shortened through `PendingStore`'s parameters. Fixtures and fakes come from
test_slack_durable and test_slack_http.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.error import URLError

import pytest
import sqlalchemy as sa
from slack_sdk import WebClient

from service.config import Settings
from service.jobs.db import make_engine
from service.slack.app import web_client
from service.slack.delivery import Destination
from service.slack.pending import (
    NOTICE_RETRY_MAX_S,
    RETRY_AFTER_S,
    PendingStore,
    slack_requests,
)
from service.slack.worker import DigestWorker
from tests.fake_slack_api import BOT_TOKEN
from tests.stories import COMET, STRIKE_C
from tests.test_api_fakes import pg_url  # noqa: F401  (a fixture)
from tests.test_slack_durable import (  # noqa: F401  (database, sqlite_db: fixtures)
    Quoting,
    blocks_of,
    database,
    left_behind,
    pasted,
    rows,
    sqlite_db,
    store_on,
    wait_until,
)
from tests.test_slack_http import (  # noqa: F401  (embedder, fake: fixtures)
    FIRST_C,
    embedder,
    fake,
    slack_settings,
)

WORKER_LOG = "service.slack.worker"


class SlackAway(WebClient):
    """The app's client to the fake Slack, which it cannot reach while `away` is set: each
    call then raises `error()` at once and is noted in `tries` (when, which method)."""

    def __init__(self, settings: Settings, *, error: Callable[[], Exception] | None = None):
        super().__init__(token=BOT_TOKEN, base_url=web_client(settings).base_url)
        self.away = threading.Event()
        self.away.set()
        self.error = error or (lambda: URLError(ConnectionRefusedError(111, "refused")))
        self.tries: list[tuple[float, str]] = []

    def api_call(self, api_method: str, **kwargs: Any) -> Any:  # type: ignore[override]
        if self.away.is_set():
            self.tries.append((time.monotonic(), api_method))
            raise self.error()
        return super().api_call(api_method, **kwargs)

    def times(self, method: str) -> list[float]:
        return [when for when, called in list(self.tries) if called == method]


class Timed(Quoting):
    """`Quoting`, noting when each digest began."""

    def __init__(self) -> None:
        super().__init__()
        self.began: list[datetime] = []

    def summarize(self, articles: list[Any], *, max_words: int) -> Any:
        self.began.append(datetime.now(UTC))
        return super().summarize(articles, max_words=max_words)


@contextmanager
def running(
    settings: Settings, store: PendingStore, client: WebClient, summarizer: Quoting, embedder: Any
) -> Iterator[DigestWorker]:
    """A worker started with `client` as the app's client, shut down after."""
    worker = DigestWorker(settings, embedder=embedder, summarizer=summarizer, store=store)
    worker.start(client)
    try:
        yield worker
    finally:
        summarizer.release()
        worker.shutdown()


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in zip(times, times[1:], strict=False)]


def stored(engine: sa.Engine) -> list[dict[str, Any]]:
    """The rows, read through the table (its times as aware UTC datetimes), oldest first."""
    with engine.connect() as conn:
        found = conn.execute(sa.select(slack_requests).order_by(slack_requests.c.created_at))
        return [dict(row) for row in found.mappings()]


def lines(caplog: pytest.LogCaptureFixture, words: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == WORKER_LOG and words in r.getMessage()]


def give_up_row(engine: sa.Engine) -> str:
    """A request left behind after its third run: the next take sends its give-up notice."""
    request_id = left_behind(engine, pasted(COMET), Destination("C3", user="U3"))
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE slack_requests SET attempts = 3 WHERE id = :id"), {"id": request_id}
        )
    return request_id


# --- the numbers ------------------------------------------------------------------------


def test_the_waits_grow_and_the_give_up_notice_is_not_put_off_after_the_last_run(sqlite_db):
    store = PendingStore(sqlite_db, lease_s=30.0)
    assert RETRY_AFTER_S == (5.0, 30.0)
    assert [store.run_retry_delay(runs) for runs in (1, 2, 3)] == [5.0, 30.0, 0.0]
    assert store.check_every_s == 10.0 and NOTICE_RETRY_MAX_S == 600.0
    waits = [store.notice_retry_delay(failures) for failures in range(1, 9)]
    assert waits == [10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 600.0, 600.0]
    assert store.notice_retry_delay(10_000) == 600.0  # no overflow, still the cap
    longer = PendingStore(sqlite_db, max_attempts=5, retry_after_s=(1.0, 2.0))
    assert [longer.run_retry_delay(runs) for runs in (1, 2, 3, 4, 5)] == [1, 2, 2, 2, 0]


# --- the store: a row put off is taken by no one before its wait ends --------------------


def test_a_row_put_off_is_taken_by_no_process_before_its_wait_and_by_any_after(database):
    store = store_on(database)
    waiting = store.add(pasted(COMET), Destination("C1"), "first:1:a")
    released = store.add(pasted(STRIKE_C), Destination("C1"), "first:1:a")
    # the state a wait leaves, written by hand: no owner, a lease that has not run out
    with database.begin() as conn:
        conn.execute(
            sa.update(slack_requests)
            .where(slack_requests.c.id == waiting)
            .values(lease_owner=None, lease_expires_at=datetime.now(UTC) + timedelta(seconds=0.4))
        )
    assert store.release([released], "first:1:a") == 1  # a clean shutdown: taken at once
    assert [item.id for item in store_on(database).take("second:2:b", 5)] == [released]
    assert store_on(database).take("third:3:c", 5) == []
    time.sleep(0.5)
    assert [item.id for item in store_on(database).take("third:3:c", 5)] == [waiting]

    # and `retry_later` leaves that state, for the row's owner only
    assert not store.retry_later(waiting, "first:1:a", 30.0)  # not its row any more
    before = datetime.now(UTC)
    assert store.retry_later(waiting, "third:3:c", 30.0)
    [row] = [r for r in stored(database) if r["id"] == waiting]
    assert row["lease_owner"] is None
    assert timedelta(seconds=29) < row["lease_expires_at"] - before < timedelta(seconds=31)
    assert store.renew("third:3:c", [waiting]) == 0  # its old owner no longer renews it
    assert store_on(database).take("fourth:4:d", 5) == []


# --- a run that failed ---------------------------------------------------------------------


def test_a_failed_run_is_run_again_only_after_its_wait_and_the_waits_grow(
    fake, embedder, sqlite_db, caplog
):
    caplog.set_level(logging.INFO, logger=WORKER_LOG)
    settings = slack_settings(fake)
    client = SlackAway(settings)
    store = store_on(sqlite_db, retry_after_s=(0.3, 0.6))
    summarizer = Quoting()
    with running(settings, store, client, summarizer, embedder) as worker:
        worker.accept(client, pasted(STRIKE_C), Destination("C1", user="U1"))
        wait_until(lambda: len(client.times("chat.postMessage")) == 1, timeout=10)
        wait_until(lambda: rows(sqlite_db)[0]["lease_owner"] is None, timeout=5)
        [row] = stored(sqlite_db)  # put off: no owner, its wait not over, one run counted
        assert row["attempts"] == 1
        assert row["lease_expires_at"] is not None, "released: any process takes it at once"
        assert row["lease_expires_at"] > datetime.now(UTC)
        assert store_on(sqlite_db).take("another:1:replica", 5) == []
        wait_until(lambda: len(client.times("chat.postMessage")) == 3, timeout=10)
        # after the third run, the give-up notice (Slack still away: it waits too)
        wait_until(lambda: bool(client.times("chat.postEphemeral")), timeout=10)
        client.away.clear()  # Slack is back
        [told] = fake.wait_for("chat.postEphemeral", timeout=10)
        wait_until(lambda: store.count() == 0)
    first, second = gaps(client.times("chat.postMessage"))
    assert 0.3 <= first < 0.3 + 1.0  # not before its wait; soon after it
    assert 0.6 <= second < 0.6 + 1.0
    assert second > first + 0.15  # the wait grew
    assert len(summarizer.seen) == 3 and fake.calls_to("chat.postMessage") == []
    assert (told.params["user"], told.params["channel"]) == ("U1", "C1")
    assert "stopped or failed 3 times" in told.params["text"]
    failed = lines(caplog, "failed before it was answered")
    assert len(failed) == 3 and all(r.exc_info is None for r in failed)  # one line each
    said = [r.getMessage() for r in failed]
    assert "run 1 of 3" in said[0] and "trying again in 0.3 s" in said[0]
    assert "trying again in 0.6 s" in said[1] and "giving up" in said[2]


def test_a_request_waiting_out_its_wait_survives_a_restart_and_the_next_process_runs_it(
    fake, embedder, database
):
    settings = slack_settings(fake)
    client = SlackAway(settings)
    wait_s = 0.8
    with running(
        settings, store_on(database, retry_after_s=(wait_s,)), client, Quoting(), embedder
    ) as worker:
        worker.accept(client, pasted(STRIKE_C), Destination("C1", user="U1"))
        wait_until(lambda: bool(client.times("chat.postMessage")), timeout=10)
        wait_until(lambda: rows(database)[0]["lease_owner"] is None, timeout=5)
    # the process stopped cleanly while the request waited: the wait is kept, and the row
    [row] = stored(database)
    due = row["lease_expires_at"]
    assert due is not None, "released: any process takes it at once"
    assert row["attempts"] == 1 and row["lease_owner"] is None and due > datetime.now(UTC)

    engine = make_engine(database.url.render_as_string(hide_password=False))
    try:
        summarizer = Timed()
        store = store_on(engine, retry_after_s=(wait_s,))
        with running(settings, store, web_client(settings), summarizer, embedder):
            time.sleep(max((due - datetime.now(UTC)).total_seconds() - 0.3, 0.0))
            assert fake.calls_to("chat.postMessage") == [] and summarizer.seen == []
            [digest] = fake.wait_for("chat.postMessage", timeout=10)
            wait_until(lambda: store.count() == 0)
    finally:
        engine.dispose()
    [began] = summarizer.began
    assert began >= due  # run once, after its wait, by the next process
    assert FIRST_C in blocks_of(digest)


# --- a give-up notice Slack did not take ----------------------------------------------------


def test_a_give_up_notice_is_tried_again_less_and_less_often_with_one_log_line_each(
    fake, embedder, sqlite_db, caplog
):
    caplog.set_level(logging.INFO, logger=WORKER_LOG)
    give_up_row(sqlite_db)
    settings = slack_settings(fake)
    client = SlackAway(settings)
    # a round every 0.05 s: waits of 0.05, 0.1, then 0.2 s (the cap, shortened)
    store = store_on(sqlite_db, notice_retry_max_s=0.2)
    summarizer = Quoting()
    with running(settings, store, client, summarizer, embedder):
        wait_until(lambda: len(client.times("chat.postEphemeral")) >= 5, timeout=10)
        tried = client.times("chat.postEphemeral")[:5]
        away = lines(caplog, "could not tell the asker")
        client.error = lambda: RuntimeError("a fault of ours")  # not an outage
        wait_until(lambda: any(r.exc_info for r in lines(caplog, "could not tell")), timeout=10)
        client.away.clear()  # Slack is back
        [told] = fake.wait_for("chat.postEphemeral", timeout=10)
        wait_until(lambda: store.count() == 0)
    for waited, wait in zip(gaps(tried), [0.05, 0.1, 0.2, 0.2], strict=True):
        assert waited >= wait, gaps(tried)
    assert len(away) >= 4 and all(r.exc_info is None and r.levelno == logging.WARNING for r in away)
    assert "URLError" in away[0].getMessage() and "trying again in 0.05 s" in away[0].getMessage()
    assert "trying again in 0.1 s" in away[1].getMessage()
    fault = [r for r in lines(caplog, "could not tell the asker") if r.exc_info]
    assert len(fault) == 1 and "a fault of ours" in fault[0].getMessage()  # with its traceback
    every = lines(caplog, "could not tell the asker")
    assert len(every) == len(client.tries)  # exactly one line per failed try, no other
    assert told.params["user"] == "U3" and "stopped or failed 3 times" in told.params["text"]
    assert summarizer.seen == []
