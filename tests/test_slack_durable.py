"""Slack requests survive the process that accepted them: SQLite and PostgreSQL alike.

A "process" here is a DigestWorker with its own lease owner. One that dies is simulated
without any hook into the worker: its summarizer never returns until the test ends (then it
raises a BaseException, as if the thread had been killed, so it posts nothing), and the
next process reads the database with a clock an hour ahead, so the dead one's leases have
run out. Everything else is real: the Bolt app, signed requests, the real WebClient
against the fake Slack Web API, the migrations, the guarded UPDATEs.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.backends.summarizers.base import cite
from service.config import Settings
from service.jobs.db import MIGRATIONS, make_engine, migrate
from service.jobs.store import JobStoreError
from service.models import Article, Summary
from service.pipeline.run import DigestOptions
from service.pipeline.sentences import split_sentences
from service.slack import create_slack_app, mount_slack
from service.slack import socket_mode as socket_mode_module
from service.slack.app import web_client
from service.slack.delivery import Destination
from service.slack.inputs import Pasted, SlackInput
from service.slack.pending import (
    Accepted,
    PendingStore,
    SummarizeWork,
    ThreadWork,
    Unreadable,
)
from service.slack.worker import DigestWorker
from tests.fake_slack_api import APP_TOKEN, command_payload
from tests.stories import COMET, STRIKE_B, STRIKE_C
from tests.test_api_fakes import (  # noqa: F401  (pg_url: a fixture)
    emptied_database,
    pg_url,
    sqlite_url,
)
from tests.test_slack_http import (  # noqa: F401  (embedder, fake: fixtures)
    FIRST_B,
    FIRST_C,
    _thread,
    assert_cited,
    embedder,
    fake,
    post_command,
    post_shortcut,
    slack_settings,
)
from tests.test_slack_socket_mode import FakeSocketModeServer

FIRST_COMET = "Astronomers at the Altamira observatory reported a new comet on Friday."


# --- fakes and helpers ----------------------------------------------------------------


class Killed(BaseException):
    """The thread of a process that died: no `except Exception` catches it, nothing posts."""


class Quoting:
    """A summarizer quoting each article's first sentence (cited), once its gate opens;
    `stall` makes it hang until `release`, then die (`Killed`). Records what it saw."""

    name = "quoting"

    def __init__(self, *, open_: bool = True, stall: bool = False) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()
        self.stall = stall
        self.seen: list[str] = []
        if open_ and not stall:
            self.gate.set()

    def release(self) -> None:
        self.gate.set()

    def summarize(self, articles: list[Article], *, max_words: int) -> Summary:
        self.seen.append(articles[0].text)
        self.started.set()
        assert self.gate.wait(30), "the test never opened the gate"
        if self.stall:
            raise Killed
        sentences = [
            cite(split_sentences(a.id, a.text)[0].text, [a.id], articles) for a in articles
        ]
        return Summary(sentences=sentences, backend=self.name)


def skewed(**ahead: float) -> Callable[[], datetime]:
    """A clock that ticks with real time, `ahead` of it (or behind, with negative values)."""
    offset = timedelta(**ahead)
    return lambda: datetime.now(UTC) + offset


LATER = skewed(hours=1)  # the next process, once the dead one's leases ran out


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def rows(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT * FROM slack_requests ORDER BY created_at"))
        return [dict(row) for row in found.mappings()]


def blocks_of(call: Any) -> str:
    return json.dumps(call.params.get("blocks") or [], ensure_ascii=False)


def article(number: int) -> str:
    """A pasted article of its own, long enough to be one."""
    return " ".join(
        f"Harbour {number} reported {word} cranes idle on day {day} of the dispute over "
        f"berth fees, officials at pier {number} said in a statement."
        for day, word in enumerate(["four", "six", "nine"], start=1)
    )


def store_on(engine: sa.Engine, **options: Any) -> PendingStore:
    values: dict[str, Any] = {"lease_s": 30.0, "check_every_s": 0.05} | options
    return PendingStore(engine, **values)


def left_behind(engine: sa.Engine, work: Any, destination: Destination, **kw: Any) -> str:
    """A row accepted by a process that died a day ago (its lease long run out)."""
    store = store_on(engine, clock=skewed(days=-1))
    return store.add(work, destination, "gone:1:dead", **kw)


def pasted(text: str) -> SummarizeWork:
    return SummarizeWork(SlackInput(texts=[Pasted(text)]), DigestOptions())


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """A migrated job database with no Slack requests, on SQLite and on PostgreSQL."""
    with emptied_database(request, tmp_path, ["slack_requests"]) as emptied:
        yield emptied


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = make_engine(sqlite_url(tmp_path))
    migrate(engine)
    yield engine
    engine.dispose()


@contextmanager
def process(
    settings: Settings, store: PendingStore, summarizer: Quoting, embedder: Any
) -> Iterator[DigestWorker]:
    """A worker started as the app starts it (its bot-token client), shut down after."""
    worker = DigestWorker(settings, embedder=embedder, summarizer=summarizer, store=store)
    worker.start(web_client(settings))
    try:
        yield worker
    finally:
        summarizer.release()
        worker.shutdown()


@contextmanager
def http_process(
    settings: Settings, store: PendingStore, summarizer: Quoting, embedder: Any
) -> Iterator[tuple[TestClient, DigestWorker]]:
    """The bot in HTTP mode with its own worker, as `mount_slack` builds it."""
    worker = DigestWorker(settings, embedder=embedder, summarizer=summarizer, store=store)
    api = FastAPI()
    mount_slack(api, settings, slack_app=create_slack_app(settings, worker=worker))
    try:
        with TestClient(api) as client:
            yield client, worker
    finally:
        summarizer.release()
        worker.shutdown()


# --- a process dies; the next one answers ----------------------------------------------


def test_a_thread_digest_whose_process_died_replaces_its_placeholder_from_the_next_one(
    fake, embedder, database
):
    _thread(fake)  # C2, root 100.000: two pasted articles
    settings = slack_settings(fake)
    dead = Quoting(stall=True)
    with http_process(settings, store_on(database), dead, embedder) as (client, _):
        post_shortcut(client, fake, channel="C2", message_ts="100.001", thread_ts="100.000")
        [placeholder] = fake.wait_for("chat.postMessage")
        assert dead.started.wait(30)  # mid-digest: the process dies here
        [(channel, placeholder_ts)] = list(fake.messages)
        [row] = rows(database)
        stored = json.loads(row["destination"])
        assert stored["placeholder_ts"] == placeholder_ts and stored["thread_ts"] == "100.000"
        assert row["attempts"] == 1

        successor = store_on(database, clock=LATER)
        with process(settings, successor, Quoting(), embedder):
            [update] = fake.wait_for("chat.update")
            wait_until(lambda: successor.count() == 0)  # answered: its row is gone
    assert (channel, update.params["channel"]) == ("C2", "C2")
    assert update.params["ts"] == placeholder_ts  # the "Summarizing..." message, replaced
    assert_cited(blocks_of(update))
    assert placeholder.params["thread_ts"] == "100.000"
    assert len(fake.calls_to("chat.postMessage")) == 1  # no second placeholder, no new post


def test_commands_running_and_queued_when_the_process_died_are_posted_oldest_first(
    fake, embedder, database
):
    settings = slack_settings(fake, slack_workers=1)
    dead = Quoting(stall=True)
    with http_process(settings, store_on(database), dead, embedder) as (client, _):
        post_command(client, fake, STRIKE_C)
        assert dead.started.wait(30)  # running
        queued = post_command(client, fake, COMET).text  # waiting behind it
        assert "queued behind another digest" in queued
        # stored after the ack (on the worker's own thread): wait for it, not a race
        wait_until(lambda: [r["attempts"] for r in rows(database)] == [1, 0])

        successor = store_on(database, clock=LATER)
        with process(settings, successor, Quoting(), embedder):
            first, second = fake.wait_for("chat.postMessage", count=2)
            wait_until(lambda: successor.count() == 0)
    assert first.params["channel"] == second.params["channel"] == "C1"
    assert FIRST_C in blocks_of(first) and FIRST_COMET in blocks_of(second)
    assert "requested by <@U1>" in blocks_of(first)
    assert len(fake.calls_to("chat.postMessage")) == 2


def test_a_finished_request_or_one_answered_with_an_error_leaves_no_row(fake, embedder, database):
    settings = slack_settings(fake)
    summarizer = Quoting(open_=False)
    store = store_on(database)
    with http_process(settings, store, summarizer, embedder) as (client, worker):
        post_command(client, fake, STRIKE_B)
        assert summarizer.started.wait(30)
        [row] = rows(database)  # stored while it runs, leased to this worker
        assert row["lease_owner"] == worker.owner and row["kind"] == "summarize"
        summarizer.release()
        [digest] = fake.wait_for("chat.postMessage")
        wait_until(lambda: store.count() == 0)
        post_shortcut(client, fake, channel="C7", message_ts="3.0", thread_ts=None)
        [gone] = fake.wait_for("chat.postEphemeral")  # the thread is gone: an error notice
        wait_until(lambda: store.count() == 0)
    assert FIRST_B in blocks_of(digest)
    assert "I can't find that thread any more" in gone.params["text"]


# --- a clean shutdown hands queued requests on ----------------------------------------


def test_shutdown_releases_queued_requests_and_the_next_process_runs_them_at_once(
    fake, embedder, database
):
    settings = slack_settings(fake, slack_workers=1)
    first = Quoting(open_=False)
    store = store_on(database, lease_s=300)  # no lease runs out during this test
    with http_process(settings, store, first, embedder) as (client, worker):
        for text in (STRIKE_C, STRIKE_B, COMET):
            post_command(client, fake, text)
        assert first.started.wait(30)
        stopping = threading.Thread(target=worker.shutdown)
        stopping.start()  # as the API's lifespan does on SIGTERM
        wait_until(lambda: [r["lease_owner"] for r in rows(database)][1:] == [None, None])
        assert rows(database)[0]["lease_owner"] == worker.owner  # still running here
        assert stopping.is_alive()  # waits for the running digest only
        first.release()
        stopping.join(10)
        assert not stopping.is_alive()
        assert len(first.seen) == 1  # the queued ones were not started here

        with process(settings, store_on(database, lease_s=300), Quoting(), embedder):
            posts = fake.wait_for("chat.postMessage", count=3, timeout=10)
            wait_until(lambda: store.count() == 0)
    assert FIRST_C in blocks_of(posts[0])  # the one running at shutdown, posted by it
    assert FIRST_B in blocks_of(posts[1]) and FIRST_COMET in blocks_of(posts[2])


# --- several processes on one database ---------------------------------------------------


def test_of_several_takers_at_once_only_one_gets_each_row(database):
    ids = {left_behind(database, pasted(article(n)), Destination("C1")) for n in range(12)}
    takers = [store_on(database) for _ in range(4)]
    start = threading.Barrier(len(takers))
    taken: dict[str, list[str]] = {}

    def take(number: int) -> None:
        start.wait()
        got = takers[number].take(f"replica-{number}", 12)
        taken[f"replica-{number}"] = [item.id for item in got]

    threads = [threading.Thread(target=take, args=(n,)) for n in range(len(takers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    every = [request_id for got in taken.values() for request_id in got]
    assert sorted(every) == sorted(ids)  # each row once, none twice, none missed
    owners = {row["id"]: row["lease_owner"] for row in rows(database)}
    assert all(owners[i] == owner for owner, got in taken.items() for i in got)


def test_two_workers_never_both_run_one_request(fake, embedder, database):
    texts = [article(n) for n in range(8)]
    for text in texts:
        left_behind(database, pasted(text), Destination("C1", user="U1"))
    settings = slack_settings(fake)
    one, two = Quoting(), Quoting()
    store = store_on(database)
    with (
        process(settings, store, one, embedder),
        process(settings, store_on(database), two, embedder),
    ):
        fake.wait_for("chat.postMessage", count=8)
        wait_until(lambda: store.count() == 0)
    assert sorted(one.seen + two.seen) == sorted(texts)  # each run once, by one of them
    assert len(fake.calls_to("chat.postMessage")) == 8


def test_a_request_another_process_took_over_is_not_run_here(database):
    store = store_on(database)
    request_id = store.add(pasted(article(1)), Destination("C1"), "slow:1:a")
    [item] = store_on(database, clock=LATER).take("fast:2:b", 5)  # the lease had run out
    assert isinstance(item, Accepted) and item.id == request_id
    assert not store.begin(request_id, "slow:1:a")  # the slow one must not run it too
    assert not store.keep_destination(request_id, "slow:1:a", Destination("C1"))
    assert store.begin(request_id, "fast:2:b")


# --- rows that cannot run --------------------------------------------------------------


def test_an_unreadable_row_is_dropped_with_a_log_line_and_the_others_still_run(
    fake, embedder, database, caplog
):
    good = left_behind(database, pasted(STRIKE_C), Destination("C1", user="U1"))
    bad_work = left_behind(database, pasted(COMET), Destination("C3", user="U3"))
    bad_place = left_behind(database, pasted(STRIKE_B), Destination("C4", user="U4"))
    with database.begin() as conn:
        update = "UPDATE slack_requests SET {} = :value WHERE id = :id"
        conn.execute(sa.text(update.format("request")), {"value": '{"v": 99}', "id": bad_work})
        conn.execute(sa.text(update.format("destination")), {"value": "[}", "id": bad_place})
    store = store_on(database)
    with process(slack_settings(fake), store, Quoting(), embedder):
        [digest] = fake.wait_for("chat.postMessage")
        [told] = fake.wait_for("chat.postEphemeral")
        wait_until(lambda: store.count() == 0)
    assert FIRST_C in blocks_of(digest) and good
    assert (told.params["channel"], told.params["user"]) == ("C3", "U3")
    assert "could not pick up your request" in told.params["text"]
    dropped = [r.getMessage() for r in caplog.records if "cannot be read" in r.getMessage()]
    assert len(dropped) == 2 and any(bad_place in line for line in dropped)


def test_reading_back_is_defensive():
    """Every shape of damage is an Unreadable, never an exception; each case damages one
    part only (a bad destination is read first and had hidden the request's damage)."""
    from service.slack.pending import read_row

    good_destination = '{"v": 1, "channel": "C1", "ephemeral": false}'
    good_request = '{"v": 1, "urls": [], "texts": [], "options": {}}'
    for kind, request, destination, why in [
        ("summarize", "{", good_destination, "not JSON"),
        ("summarize", '{"v": 1, "urls": "x", "texts": []}', good_destination, "urls"),
        (
            "summarize",
            '{"v": 1, "urls": [], "texts": [], "options": {"max_words": 5}}',
            good_destination,
            "options",
        ),
        (
            "summarize",
            '{"v": 1, "urls": [], "texts": [], "options": {"max_words": "50"}}',
            good_destination,
            "options",
        ),
        (
            "summarize",
            '{"v": 1, "urls": [], "texts": [{"url": null}], "options": {}}',
            good_destination,
            "text is missing",
        ),
        (
            "summarize",
            '{"v": 1, "urls": [], "texts": [], "options": {}, "left_out": -1}',
            good_destination,
            "left_out",
        ),
        ("summarize", "null", good_destination, "not a JSON object"),
        ("summarize_thread", '{"v": 1}', good_destination, "thread_ts"),
        (
            "summarize_thread",
            '{"v": 1, "thread_ts": "1.0", "skip_bots": "U1"}',
            good_destination,
            "skip_bots",
        ),
        ("something_new", '{"v": 1}', good_destination, "unknown kind"),
        ("summarize", good_request, "{}", "format"),
        ("summarize", good_request, '{"v": 1, "channel": "C1", "ephemeral": "yes"}', "ephemeral"),
        ("summarize", good_request, '{"v": 1, "channel": ""}', "channel"),
        ("summarize", good_request, '{"v": 1, "channel": "C1", "user": 5}', "user"),
    ]:
        row = {"id": "r1", "kind": kind, "request": request, "destination": destination}
        read = read_row(row | {"requested_by": None, "attempts": 0})
        assert isinstance(read, Unreadable) and why in read.reason, (request, destination)
    row = {"id": "r1", "kind": "summarize", "request": good_request}
    read = read_row(row | {"destination": good_destination, "requested_by": None, "attempts": 0})
    assert isinstance(read, Accepted)  # the cases above fail for their damage, not the base


def test_every_field_of_a_request_and_its_destination_survives_the_database(database):
    """What is stored is what runs: each field of SlackInput, Pasted, DigestOptions,
    ThreadWork and Destination, none at its default; a field added to one of them and not
    to the stored JSON fails here."""
    import dataclasses

    from service.slack.pending import encode_destination, encode_work

    options = DigestOptions(
        backend="extractive", max_words=120, cluster_threshold=0.35, one_story=True, dedup=False
    )
    found = SlackInput(
        urls=["https://a.example/x?y=1&z=%C3%A9", "https://b.example/é"],
        texts=[
            Pasted("Première ligne\n\nsecond « paragraphe »", "https://c.example/p"),
            Pasted("x"),
        ],
        left_out=2,
        too_short=3,
    )
    where = Destination(
        "C1",
        user="U1",
        thread_ts="1.2",
        ephemeral=True,
        response_url="https://r.example/1",
        placeholder_ts="3.4",
    )
    thread = ThreadWork("5.6", skip_bots=frozenset({"B1", "U9"}), request_ts="5.7")
    for instance in (found, found.texts[0], where, thread):  # none at its default
        for field in dataclasses.fields(instance):
            if field.default is not dataclasses.MISSING:
                assert getattr(instance, field.name) != field.default, field.name
            elif field.default_factory is not dataclasses.MISSING:
                assert getattr(instance, field.name) != field.default_factory(), field.name
    assert all(
        getattr(options, name) != info.default for name, info in DigestOptions.model_fields.items()
    )
    stored = json.loads(encode_work(SummarizeWork(found, options))[1])
    assert set(stored) == {"v"} | {f.name for f in dataclasses.fields(SlackInput)} | {"options"}
    assert set(stored["options"]) == set(DigestOptions.model_fields)
    assert set(json.loads(encode_destination(where))) == {"v"} | {
        f.name for f in dataclasses.fields(Destination)
    }
    assert set(json.loads(encode_work(thread)[1])) == {"v"} | {
        f.name for f in dataclasses.fields(ThreadWork)
    }

    store = store_on(database, clock=skewed(days=-1))
    ids = [
        store.add(SummarizeWork(found, options), where, "gone:1:dead", requested_by="U1"),
        store.add(thread, where, "gone:1:dead"),
    ]
    taken = {item.id: item for item in store_on(database).take("next:2:x", 5)}
    summarize, threaded = taken[ids[0]], taken[ids[1]]
    assert isinstance(summarize, Accepted) and isinstance(threaded, Accepted)
    assert summarize.work == SummarizeWork(found, options) and summarize.destination == where
    assert summarize.requested_by == "U1" and threaded.requested_by is None
    assert threaded.work == thread and threaded.destination == where


def test_after_three_runs_that_never_ended_the_asker_is_told_privately(fake, embedder, database):
    """A request that kills its process each time is not run a fourth time."""
    request_id = left_behind(database, pasted(STRIKE_C), Destination("C1", user="U1"))
    for hour in range(3):  # three processes take it, start it, and die
        owner = f"crashing:{hour}:x"
        crashing = store_on(database, clock=skewed(days=-1, hours=hour + 1))
        [item] = crashing.take(owner, 5)
        assert item.id == request_id and crashing.begin(request_id, owner)
    summarizer = Quoting()
    store = store_on(database)
    with process(slack_settings(fake), store, summarizer, embedder):
        [told] = fake.wait_for("chat.postEphemeral")
        wait_until(lambda: store.count() == 0)
    assert (told.params["channel"], told.params["user"]) == ("C1", "U1")
    assert "stopped or failed 3 times" in told.params["text"]
    assert "Ask again with fewer links" in told.params["text"]
    assert summarizer.seen == [] and fake.calls_to("chat.postMessage") == []


def test_a_request_the_database_refuses_is_still_answered(fake, embedder, tmp_path, caplog):
    """The asker was told it is under way: a database outage must not silence the bot."""
    unmigrated = make_engine(sqlite_url(tmp_path / "empty"))
    settings = slack_settings(fake)
    with process(settings, store_on(unmigrated), Quoting(), embedder) as worker:
        worker.accept(web_client(settings), pasted(STRIKE_C), Destination("C1", user="U1"))
        [digest] = fake.wait_for("chat.postMessage")
    unmigrated.dispose()
    assert FIRST_C in blocks_of(digest)
    assert "could not store a Slack request" in caplog.text


# --- the ways the app starts and stops -------------------------------------------------


def test_the_api_app_runs_what_a_stopped_process_left_in_its_data_dir(fake, tmp_path):
    """create_app → mount_slack → the API's lifespan starts the worker on the default
    SQLite database under data_dir, with the bot-token client; building the app alone does
    not (a script or a tool that builds it against the same database must not run requests)."""
    from service.api import create_app

    engine = make_engine(sqlite_url(tmp_path))
    migrate(engine)
    where = Destination("C9", user="U9", thread_ts="9.0")
    left_behind(engine, ThreadWork("9.0", skip_bots=frozenset({"UBOT"})), where)
    settings = slack_settings(fake, allow_open_access=True, data_dir=tmp_path)
    built = create_app(settings, warm_up=lambda: None)
    time.sleep(0.5)  # an app built and not served (a script, a test) takes over nothing
    assert len(rows(engine)) == 1 and not fake.calls_to("chat.postEphemeral")
    with TestClient(built):  # served: its lifespan starts the worker
        [told] = fake.wait_for("chat.postEphemeral")  # the thread is gone: said privately
        wait_until(lambda: not rows(engine))
    engine.dispose()
    assert (told.params["channel"], told.params["user"]) == ("C9", "U9")
    assert "I can't find that thread any more" in told.params["text"]


def test_sigterm_stops_socket_mode_cleanly_and_leaves_queued_requests_to_the_next_process(
    fake, embedder, tmp_path, monkeypatch
):
    socket = FakeSocketModeServer().start()
    fake.socket_url = socket.url
    settings = Settings(
        _env_file=None,
        slack_bot_token="xoxb-fake-bot-token",
        slack_app_token=APP_TOKEN,
        slack_api_base_url=fake.base_url,
        slack_workers=1,
        data_dir=tmp_path,
    )
    summarizer = Quoting(open_=False)
    monkeypatch.setattr(
        socket_mode_module,
        "DigestWorker",
        functools.partial(DigestWorker, embedder=embedder, summarizer=summarizer),
    )
    monkeypatch.setattr(socket_mode_module, "get_settings", lambda: settings)
    engine = make_engine(sqlite_url(tmp_path))
    seen: dict[str, Any] = {}

    def slack_side() -> None:
        try:
            assert socket.connected.wait(10)
            for number, text in enumerate([STRIKE_C, COMET]):
                payload = command_payload(text, response_url=fake.response_url())
                envelope = {"envelope_id": f"e{number}", "type": "slash_commands"}
                socket.send(envelope | {"accepts_response_payload": True, "payload": payload})
                socket.received.get(timeout=10)  # the ack
                assert summarizer.started.wait(10)  # the first one runs, the second waits
            wait_until(lambda: len(rows(engine)) == 2)
            os.kill(os.getpid(), signal.SIGTERM)  # a deploy stops the bot
            seen["signalled"] = True
            wait_until(lambda: rows(engine)[1]["lease_owner"] is None)
            seen["released"] = rows(engine)
        except BaseException as exc:  # never leave main() waiting for a signal
            seen["error"] = exc
            if "signalled" not in seen:
                os.kill(os.getpid(), signal.SIGTERM)
        finally:
            summarizer.release()

    helper = threading.Thread(target=slack_side, daemon=True)
    helper.start()
    try:
        assert socket_mode_module.main() == 0  # returned: SIGTERM ended it cleanly
    finally:
        summarizer.release()
        helper.join(10)
        socket.stop()
    left = rows(engine)
    engine.dispose()
    assert "error" not in seen, seen.get("error")
    assert [r["attempts"] for r in seen["released"]] == [1, 0]
    assert len(left) == 1 and left[0]["lease_owner"] is None and left[0]["attempts"] == 0
    assert len(summarizer.seen) == 1  # the queued one was not started
    [digest] = fake.calls_to("chat.postMessage")  # the running one finished first
    assert FIRST_C in blocks_of(digest)


# --- the migration -----------------------------------------------------------------------


def test_migration_0003_creates_the_table_and_downgrades_to_0002(database):
    columns = {c["name"] for c in sa.inspect(database).get_columns("slack_requests")}
    assert columns == {
        "id",
        "kind",
        "request",
        "destination",
        "requested_by",
        "created_at",
        "attempts",
        "lease_owner",
        "lease_expires_at",
    }
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with database.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
        conn.commit()
    assert "slack_requests" not in sa.inspect(database).get_table_names()
    migrate(database)
    assert "slack_requests" in sa.inspect(database).get_table_names()


# --- review: the database or Slack slow, a write that fails ------------------------------


class FlakyStore(PendingStore):
    """A PendingStore whose `remove` (or `take`) fails its first `fails` times, as a
    database blip would; every other statement is the real one."""

    def __init__(self, engine: sa.Engine, *, fail: str, fails: int = 1, **options: Any) -> None:
        values: dict[str, Any] = {"lease_s": 30.0, "check_every_s": 0.05} | options
        super().__init__(engine, **values)
        self.fail = fail
        self.fails = fails

    def _blip(self, method: str) -> None:
        if self.fail == method and self.fails > 0:
            self.fails -= 1
            raise JobStoreError("the job database is unavailable (OperationalError)")

    def remove(self, request_id: str) -> bool:
        self._blip("remove")
        return super().remove(request_id)

    def take(self, owner: str, limit: int) -> list[Accepted | Unreadable]:
        taken = super().take(owner, limit)
        self._blip("take")  # the rows are won, then the connection drops
        return taken


def test_a_locked_database_never_delays_the_acks_of_the_next_commands(fake, embedder, sqlite_db):
    """Bolt runs every command's listener, ack included, on 5 threads; a request stored on
    them held them while SQLite was locked (the API's job store writes to the same file),
    and the sixth command missed Slack's 3 seconds."""
    settings = slack_settings(fake)
    database = sqlite_db.url.database
    assert database is not None
    with http_process(settings, store_on(sqlite_db), Quoting(), embedder) as (client, _):
        locker = sqlite3.connect(database, timeout=30)
        locker.execute("BEGIN IMMEDIATE")  # another writer holds the file
        try:
            for number in range(7):
                started = time.monotonic()
                answer = post_command(client, fake, article(number))
                assert answer.status_code == 200 and "Summarizing" in answer.text
                assert time.monotonic() - started < 2.0, f"command {number + 1} acked late"
        finally:
            locker.rollback()
            locker.close()
        fake.wait_for("chat.postMessage", count=7)
        wait_until(lambda: not rows(sqlite_db))


def test_a_row_that_cannot_be_dropped_does_not_strand_the_rows_taken_with_it(
    fake, embedder, database
):
    """Taken in one batch: an unreadable row whose delete fails once, then a good one. The
    good one had stayed leased to the worker (renewed for ever, never run)."""
    bad = left_behind(database, pasted(COMET), Destination("C3", user="U3"))
    left_behind(database, pasted(STRIKE_C), Destination("C1", user="U1"))
    with database.begin() as conn:
        conn.execute(sa.text("UPDATE slack_requests SET request = '{' WHERE id = :id"), {"id": bad})
    store = FlakyStore(database, fail="remove")
    with process(slack_settings(fake), store, Quoting(), embedder):
        [digest] = fake.wait_for("chat.postMessage", timeout=10)
        wait_until(lambda: store.count() == 0, timeout=10)  # the unreadable one: dropped later
    assert FIRST_C in blocks_of(digest)
    [told] = fake.calls_to("chat.postEphemeral")  # told once, not again on a retry
    assert told.params["user"] == "U3"


def test_an_answered_request_whose_delete_failed_is_deleted_later_and_not_run_again(
    fake, embedder, database
):
    """Its row had stayed, renewed by the worker for as long as it lived, and was answered a
    second time by the next process."""
    left_behind(database, pasted(STRIKE_C), Destination("C1", user="U1"))
    store = FlakyStore(database, fail="remove")
    summarizer = Quoting()
    with process(slack_settings(fake), store, summarizer, embedder):
        fake.wait_for("chat.postMessage", timeout=10)
        wait_until(lambda: store.count() == 0, timeout=10)
    assert len(summarizer.seen) == 1 and len(fake.calls_to("chat.postMessage")) == 1


def test_rows_won_by_a_take_that_then_failed_are_run_once_their_lease_runs_out(
    fake, embedder, database
):
    """`take` won them and the connection dropped: the worker never queued them, yet its
    keeper renewed every row it owned, so they were never run while it lived."""
    texts = [article(1), article(2)]
    for text in texts:
        left_behind(database, pasted(text), Destination("C1", user="U1"))
    store = FlakyStore(database, fail="take", lease_s=1.0)
    summarizer = Quoting()
    with process(slack_settings(fake), store, summarizer, embedder):
        fake.wait_for("chat.postMessage", count=2, timeout=10)
        wait_until(lambda: store.count() == 0, timeout=10)
    assert sorted(summarizer.seen) == sorted(texts)  # each once


def test_a_slow_notice_never_stops_the_renewal_of_a_running_request(fake, embedder, database):
    """The keeper posted give-up notices itself: while Slack made it wait (rate limits),
    no lease was renewed, and another replica took the request still running here."""
    request_id = left_behind(database, pasted(COMET), Destination("C3", user="U3"))
    with database.begin() as conn:
        conn.execute(
            sa.text("UPDATE slack_requests SET attempts = 3 WHERE id = :id"), {"id": request_id}
        )
    fake.delays = {"chat.postEphemeral": 3.0}
    settings = slack_settings(fake)
    running = Quoting(open_=False)
    store = store_on(database, lease_s=1.0)
    with process(settings, store, running, embedder) as worker:
        worker.accept(web_client(settings), pasted(STRIKE_C), Destination("C1", user="U1"))
        assert running.started.wait(10)
        time.sleep(2.0)  # two leases: the notice is still on its way
        assert store_on(database).take("another:1:replica", 5) == []
        running.release()
        fake.wait_for("chat.postMessage", timeout=10)
        fake.wait_for("chat.postEphemeral", timeout=10)
        wait_until(lambda: store.count() == 0)


def test_a_give_up_notice_slack_could_not_take_is_posted_once_slack_answers(
    fake, embedder, database
):
    """Its row had been deleted though the notice never left: the asker heard nothing."""
    request_id = left_behind(database, pasted(COMET), Destination("C3", user="U3"))
    with database.begin() as conn:
        conn.execute(
            sa.text("UPDATE slack_requests SET attempts = 3 WHERE id = :id"), {"id": request_id}
        )
    settings = slack_settings(fake)
    client = web_client(settings)
    client.base_url = "http://127.0.0.1:9/"  # nothing listens: Slack unreachable
    store = store_on(database)
    worker = DigestWorker(settings, embedder=embedder, summarizer=Quoting(), store=store)
    worker.start(client)
    try:
        time.sleep(1.0)  # many rounds of the keeper
        assert store.count() == 1  # still waiting for its notice
        client.base_url = fake.base_url  # Slack is back
        [told] = fake.wait_for("chat.postEphemeral", timeout=10)
        wait_until(lambda: store.count() == 0)
    finally:
        worker.shutdown()
    assert told.params["user"] == "U3" and "stopped or failed 3 times" in told.params["text"]
