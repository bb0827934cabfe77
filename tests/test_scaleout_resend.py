"""The stall check sends again only lost stories, on SQLite and the machine's PostgreSQL.

A fan-out that stores no story for the stall window used to get every missing
story sent again: under a backlog longer than the window, a story still running
(or still queued) was summarized twice (paid twice with an LLM backend) and the
copies deepened the backlog. Now a story task leases its story while it runs,
and the stall check sends again a story only when no live run holds it and it is
not merely queued. The last test drives real Celery workers on Redis.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from kombu.exceptions import OperationalError

from service.config import Settings
from service.jobs import JobRequest, JobStore, make_engine, migrate
from service.jobs import tasks as story_tasks
from service.jobs.celery_app import RUN_JOB, SUMMARIZE_STORY, make_celery
from service.jobs.fanout import FanoutStore, StoredPlan, StoryRun, story_runs
from service.jobs.store import JobStoreError
from service.jobs.tables import JobRecord
from service.jobs.tasks import run_kept
from tests.child_process import child_env
from tests.local_services import REDIS_URL, redis_up
from tests.test_api_fakes import (
    HashEmbedder,
    SlowSummarizer,
    postgres_database,
    sqlite_url,
    story_articles,
    wait_ended,
)
from tests.test_scaleout_celery import _rows, running_cluster
from tests.test_scaleout_fanout import _celery, _planned, _summary

RUN_LEASE_S = 0.5  # a worker's run lease in these tests; its heartbeat renews it every 0.1 s
WINDOW_S = 1.0  # the stall window: a third of a 3 s job deadline


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[JobStore, FanoutStore]]:
    """A job store and a worker's fan-out store on a fresh database of each kind."""
    if request.param == "sqlite":
        yield _stores(sqlite_url(tmp_path))
        return
    with postgres_database() as url:
        job_store, fanout = _stores(url)
        try:
            yield job_store, fanout
        finally:
            job_store.engine.dispose()


def _stores(url: str) -> tuple[JobStore, FanoutStore]:
    engine = make_engine(url)
    migrate(engine)
    return JobStore(engine, lease_s=30, max_attempts=2), FanoutStore(
        engine, run_lease_s=RUN_LEASE_S
    )


def _start(fanout: FanoutStore, stored: StoredPlan, index: int, worker: str = "w1") -> StoryRun:
    run = fanout.start_run(stored, index, worker)
    assert run is not None
    return run


def _resent(broker: Any, job_id: str) -> list[int]:
    return [args[2] for _, args in broker.tasks if args[0] == job_id]


def test_a_story_still_running_is_not_sent_again_past_the_stall_window(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One slow story: it was sent again after the window and summarized twice."""
    job_store, fanout = stores
    stored = _planned(job_store, fanout)
    for index in (1, 2):
        assert fanout.record(stored, index, "w2", _summary("Done."))
    executor, broker = _celery(job_store, tmp_path, monkeypatch, job_deadline_s=3)
    run = _start(fanout, stored, 0)
    with run_kept(fanout, run, every_s=0.1):  # its worker's heartbeat
        deadline = time.monotonic() + 2 * WINDOW_S + 0.4  # past the window, past its lease
        while time.monotonic() < deadline:
            executor._recover()
            time.sleep(0.1)
    assert broker.tasks == []
    [stalled] = executor.fanout.stalled(datetime.now(UTC))
    assert (stalled.missing, stalled.lost) == ([0], [])  # missing, and not lost


def test_a_story_whose_run_stopped_renewing_its_lease_is_sent_again_once(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed mid-story: its run's lease runs out and the story is sent again once
    the job stalls (and not again while that copy waits in the queue)."""
    job_store, fanout = stores
    stored = _planned(job_store, fanout)
    for index in (1, 2):
        assert fanout.record(stored, index, "w2", _summary("Done."))
    executor, broker = _celery(job_store, tmp_path, monkeypatch, job_deadline_s=3)
    run = _start(fanout, stored, 0)
    with run_kept(fanout, run, every_s=0.1):
        time.sleep(0.3)
    # the worker dies here: no end_run, its lease is left to run out
    time.sleep(WINDOW_S + 0.2)
    executor._recover()
    assert _resent(broker, stored.job_id) == [0]
    executor._recover()  # the job was just seen (touched): nothing is sent for a window
    assert _resent(broker, stored.job_id) == [0]
    again = fanout.start_run(stored, 0, "w2")  # the copy runs it: the dead run's lease is out
    assert again is not None and again.worker == "w2"


def test_a_killed_run_that_started_before_its_send_was_recorded_is_lost_while_others_work(
    stores: tuple[JobStore, FanoutStore],
) -> None:
    """The planner records its stories as sent after sending them all, so the first ones
    start before that record (a worker clock behind the planner's does the same). Killed,
    such a run read as "never started": while any worker was busy its story waited for the
    whole backlog to drain (up to the job deadline). Its copy, once sent, waits in the
    queue: it is not sent again every window."""
    job_store, fanout = stores
    stored = _planned(job_store, fanout)
    t0 = datetime.now(UTC)
    assert fanout.start_run(stored, 0, "w1", now=t0) is not None  # killed: never renewed
    fanout.mark_sent(stored.job_id, stored.attempt, range(3), t0 + timedelta(milliseconds=5))
    busy = _planned(job_store, fanout)  # another worker is busy with another job
    later = t0 + timedelta(seconds=60)
    busy_run = fanout.start_run(busy, 0, "w2", now=later)
    assert busy_run is not None

    def mine(now: datetime) -> tuple[list[int], list[int]]:
        [job] = [
            s for s in fanout.stalled(now - timedelta(seconds=1), now) if s.job_id == stored.job_id
        ]
        return job.missing, job.lost

    assert mine(later) == ([0, 1, 2], [0])  # 1 and 2 are queued behind the busy worker
    fanout.mark_sent(stored.job_id, stored.attempt, [0], later)  # the stall check sent it
    even_later = later + timedelta(seconds=60)
    assert fanout.renew_run(busy_run, now=even_later)
    assert mine(even_later) == ([0, 1, 2], [])  # its copy is queued behind the busy worker
    assert fanout.start_run(stored, 0, "w3", now=even_later) is not None  # the copy runs it


def test_a_story_that_started_before_its_send_was_recorded_shows_the_queue_moved_on(
    stores: tuple[JobStore, FanoutStore],
) -> None:
    """Redis forgot one job's stories; a later job's first story started at once, before
    its planner recorded the send. That record moved its send time past its start, so it
    did not count as started: the forgotten stories waited while any worker was busy."""
    job_store, fanout = stores
    forgotten = _planned(job_store, fanout)
    t0 = datetime.now(UTC)
    with job_store.engine.begin() as conn:  # sent 10 s ago
        conn.execute(
            sa.update(story_runs)
            .where(story_runs.c.job_id == forgotten.job_id)
            .values(sent_at=t0 - timedelta(seconds=10))
        )
    later = _planned(job_store, fanout)
    with job_store.engine.connect() as conn:
        handed_over = conn.execute(
            sa.select(sa.func.max(story_runs.c.sent_at)).where(story_runs.c.job_id == later.job_id)
        ).scalar_one()
    sending = handed_over + timedelta(milliseconds=1)
    running = fanout.start_run(later, 0, "w1", now=sending + timedelta(milliseconds=2))
    assert running is not None  # before the planner's record of the send, below
    at = sending + timedelta(milliseconds=5)
    fanout.mark_sent(later.job_id, later.attempt, range(3), at, since=sending)
    assert fanout.renew_run(running, now=t0 + timedelta(seconds=60))
    check = t0 + timedelta(seconds=60)
    [stalled] = [
        s
        for s in fanout.stalled(check - timedelta(seconds=1), check)
        if s.job_id == forgotten.job_id
    ]
    assert stalled.lost == [0, 1, 2]


def _send_times(job_store: JobStore, job_id: str) -> list[tuple[datetime, datetime | None]]:
    with job_store.engine.connect() as conn:
        rows = conn.execute(sa.select(story_runs).where(story_runs.c.job_id == job_id)).all()
    return [(r.sent_at, r.started_at) for r in sorted(rows, key=lambda r: r.story_index)]


def test_stories_that_start_while_they_are_being_sent_keep_a_send_time_before_it(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Free workers start a story as soon as it is sent, before its planner (or the stall
    check) records the send; that record set its send time after its start."""
    job_store, fanout = stores
    settings = Settings(data_dir=tmp_path, job_deadline_s=3, broker_url=REDIS_URL)
    worker = story_tasks.Worker(settings, job_store, fanout, HashEmbedder(), None, "planner")
    monkeypatch.setattr(story_tasks, "current_worker", lambda: worker)

    class FreeWorkers:  # each story starts the moment it is sent
        @staticmethod
        def delay(job_id: str, attempt: int, index: int) -> None:
            stored = fanout.plan(job_id)
            assert stored is not None and fanout.start_run(stored, index, "w2") is not None

    monkeypatch.setattr(story_tasks, "summarize_story", FreeWorkers)
    articles = story_articles(3, 2)
    job, _ = job_store.create(JobRequest.model_validate({"articles": articles}), client="open")
    run_job = make_celery(settings).tasks[RUN_JOB]
    assert run_job.apply(args=[job.id]).get() == "fanned-out"
    times = _send_times(job_store, job.id)
    assert len(times) == 3 and all(started and started >= sent for sent, started in times)
    # the stall check sends them again (their runs died), and they start at once again
    stored = fanout.plan(job.id)
    assert stored is not None
    executor, _ = _celery(job_store, tmp_path, monkeypatch, job_deadline_s=3)
    monkeypatch.setattr(
        executor.app,
        "send_task",
        lambda name, *, args, queue: FreeWorkers.delay(*args),
    )
    time.sleep(WINDOW_S + 0.2)  # the runs' leases (0.5 s) ran out, and the window passed
    executor._recover()
    again = _send_times(job_store, job.id)
    assert [s for s, _ in again] == [s for s, _ in times]  # their earlier send time stays
    assert all(
        started and started > first for (_, started), (_, first) in zip(again, times, strict=True)
    )


def test_a_story_task_retrying_a_database_outage_takes_its_story_back(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database went away while a story was stored and ended: its run stayed live for a
    lease. The task's retry (Celery's autoretry, same task id) found that run live, took
    itself for a copy and stopped: the story waited for the stall window (10 minutes) and
    was paid for twice. A copy of another task still stops."""
    job_store, fanout = stores
    stored = _planned(job_store, fanout)
    fanout.run_lease = timedelta(seconds=30)
    summarizer = SlowSummarizer(0)
    calls: list[int] = []
    real_summarize = summarizer.summarize

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real_summarize(*args, **kwargs)

    monkeypatch.setattr(summarizer, "summarize", counted)
    settings = Settings(data_dir=tmp_path, job_lease_s=30, broker_url=REDIS_URL)
    summarize_story = make_celery(settings).tasks[SUMMARIZE_STORY]  # run here, not sent
    worker = story_tasks.Worker(
        settings=settings,
        store=job_store,
        fanout=fanout,
        embedder=HashEmbedder(),
        summarizer=summarizer,
        owner="w1",
    )
    monkeypatch.setattr(story_tasks, "current_worker", lambda: worker)
    down = {"record": 1, "end_run": 1}

    def outage(name: str) -> Any:
        real = getattr(fanout, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if down[name] > 0:
                down[name] -= 1
                raise JobStoreError("the job database is unavailable (OperationalError)")
            return real(*args, **kwargs)

        return call

    for name in down:
        monkeypatch.setattr(fanout, name, outage(name))
    result = summarize_story.apply(args=[stored.job_id, stored.attempt, 0])  # retried eagerly
    assert result.get() == "stored" and fanout.has(stored.job_id, 0)
    assert len(calls) == 2  # the first summary was lost with the database
    copy = fanout.start_run(stored, 1, "w2", task="t-1")
    assert copy is not None
    assert summarize_story.apply(args=[stored.job_id, stored.attempt, 1]).get() == (
        "running-elsewhere"
    )
    assert len(calls) == 2


def test_a_story_never_started_is_sent_again_past_the_window_when_no_worker_is_busy(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Redis restarted without persistence forgot the tasks; the workers sit idle."""
    job_store, fanout = stores
    stored = _planned(job_store, fanout)
    executor, broker = _celery(job_store, tmp_path, monkeypatch, job_deadline_s=3)
    executor._recover()
    assert broker.tasks == []  # sent less than a window ago
    time.sleep(WINDOW_S + 0.2)
    executor._recover()
    assert _resent(broker, stored.job_id) == [0, 1, 2]
    executor._recover()
    assert _resent(broker, stored.job_id) == [0, 1, 2]  # once per window


def test_a_story_queued_behind_a_backlog_waits_until_the_queue_moves_past_it(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers busy with other stories: a queued story is not lost, however long it waits.
    Once a story sent after it has started (a Redis queue is first in, first out), it is."""
    job_store, fanout = stores
    executor, broker = _celery(job_store, tmp_path, monkeypatch, job_deadline_s=3)
    busy = _planned(job_store, fanout)
    busy_run = _start(fanout, busy, 0)
    waiting = _planned(job_store, fanout)
    with run_kept(fanout, busy_run, every_s=0.1):
        time.sleep(WINDOW_S + 0.3)
        executor._recover()
        assert broker.tasks == []  # all queued behind the busy worker
        later = _planned(job_store, fanout)  # sent more than SENT_ORDER_SLACK after `waiting`
        executor._recover()
        assert broker.tasks == []
        _start(fanout, later, 0, "w2")  # ...and started: the queue went past `waiting`
        executor._recover()
    assert _resent(broker, waiting.job_id) == [0, 1, 2]
    assert _resent(broker, busy.job_id) == [1, 2]  # sent before `waiting`: lost as well
    assert _resent(broker, later.job_id) == []  # not stalled


def test_a_copy_of_a_running_story_task_does_not_summarize_it_again(
    stores: tuple[JobStore, FanoutStore],
) -> None:
    """A redelivered or re-sent task finds the story's run live and stops before any model
    call; it takes the story only once that run is gone, and never once it is stored."""
    job_store, fanout = stores
    stored = _planned(job_store, fanout)
    first = _start(fanout, stored, 0)
    assert fanout.start_run(stored, 0, "w2") is None  # live: no second run
    fanout.end_run(first)  # it failed without storing (a retried database outage)
    second = _start(fanout, stored, 0, "w2")
    assert not fanout.renew_run(first) and fanout.renew_run(second)
    assert fanout.record(stored, 0, "w2", _summary("Done."))
    fanout.end_run(second)
    assert fanout.start_run(stored, 0, "w3") is None  # stored: nothing to run
    with job_store.engine.connect() as conn:
        row = conn.execute(sa.select(story_runs).where(story_runs.c.job_id == stored.job_id))
        by_index = {r.story_index: r for r in row}
    assert by_index[0].worker == "w2" and by_index[0].run_id is None  # who ran it stays


def test_only_the_next_try_of_the_same_task_takes_a_live_run_back(
    stores: tuple[JobStore, FanoutStore],
) -> None:
    """A retry's previous try has ended (it raised to be retried); a redelivered copy of
    the same message, or a copy of another task, may run beside a live try."""
    job_store, fanout = stores
    stored = _planned(job_store, fanout)
    first = fanout.start_run(stored, 0, "w1", task="task-a", retries=0)
    assert first is not None
    assert fanout.start_run(stored, 0, "w2", task="task-a", retries=0) is None  # redelivered
    assert fanout.start_run(stored, 0, "w2", task="task-b", retries=1) is None  # another's
    retry = fanout.start_run(stored, 0, "w2", task="task-a", retries=1)
    assert retry is not None and not fanout.renew_run(first)
    assert fanout.start_run(stored, 0, "w3", task="task-a", retries=1) is None  # its copy
    assert fanout.start_run(stored, 0, "w3", task="task-a", retries=3) is None  # not its try


def test_a_plan_handed_over_without_run_rows_is_resent_and_run_as_before(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rolling upgrade: a worker older than revision 0004 handed the plan over without
    run rows. Its stories are sent again when the job stalls (as before), and a task
    starts one by adding its row, once."""
    job_store, fanout = stores
    stored = _planned(job_store, fanout)
    with job_store.engine.begin() as conn:
        conn.execute(sa.delete(story_runs).where(story_runs.c.job_id == stored.job_id))
    executor, broker = _celery(job_store, tmp_path, monkeypatch, job_deadline_s=3)
    time.sleep(WINDOW_S + 0.2)
    executor._recover()
    assert _resent(broker, stored.job_id) == [0, 1, 2]
    _start(fanout, stored, 1)
    assert fanout.start_run(stored, 1, "w2") is None


def test_a_failed_resend_does_not_move_back_the_time_of_a_story_stored_meanwhile(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broker refused a re-send while a worker stored a story: the job's updated_at was
    moved back over it, the job looked stalled at the next tick and its queued stories
    were sent once more."""
    job_store, fanout = stores
    stored = _planned(job_store, fanout)
    executor, _ = _celery(job_store, tmp_path, monkeypatch, job_deadline_s=3)
    sent: list[int] = []

    def store_then_refuse(name: str, *, args: list[Any], queue: str) -> None:
        if not sent:
            assert fanout.record(stored, 2, "w2", _summary("Stored meanwhile."))
            sent.append(-1)
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        sent.append(args[2])

    monkeypatch.setattr(executor.app, "send_task", store_then_refuse)
    time.sleep(WINDOW_S + 0.2)
    executor._recover()  # refused, and a story stored meanwhile
    executor._recover()  # the job stored a story just now: not stalled
    assert sent == [-1]
    with job_store.engine.connect() as conn:
        updated = conn.execute(
            sa.select(JobRecord.updated_at).where(JobRecord.id == stored.job_id)
        ).scalar_one()
    assert datetime.now(UTC) - updated < executor.stall_window


# --- real Celery workers on Redis and PostgreSQL ---------------------------------------

SLOW_STORY_S = 8.5  # longer than the stall window (8 s); two run, the third waits


@pytest.fixture(scope="module")
def slow_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two workers whose stories each take longer than the stall window (8 s: a third of a
    24 s deadline, which leaves 7 s to spare on a slow machine; a 60 s visibility timeout,
    so Redis redelivers nothing meanwhile)."""
    if not redis_up():
        pytest.skip("Redis is not reachable at 127.0.0.1:6379 (scripts/start-services.sh)")
    folder = tmp_path_factory.mktemp("resend")
    with postgres_database() as url:
        queue = f"digest-test-{uuid.uuid4().hex[:10]}"
        settings = Settings(
            database_url=url,
            broker_url=REDIS_URL,
            celery_queue=queue,
            broker_visibility_timeout_s=60,
            job_lease_s=1.0,
            job_deadline_s=24.0,
            data_dir=folder,
            allow_open_access=True,
            wait_timeout_s=30,
        )
        env = child_env(
            DIGEST_DATABASE_URL=url,
            BROKER_URL=REDIS_URL,
            DIGEST_CELERY_QUEUE=queue,
            DIGEST_BROKER_VISIBILITY_TIMEOUT_S="60",
            DIGEST_JOB_LEASE_S="1",
            DIGEST_JOB_DEADLINE_S="24",
            DIGEST_WORKER_COMPONENTS="tests.test_scaleout_fakes:components",
            DIGEST_DATA_DIR=str(folder),
            TEST_SUMMARY_DELAY_S=str(SLOW_STORY_S),
        )
        with running_cluster(settings, env, folder) as running:
            yield running


def test_stories_running_or_queued_past_the_stall_window_are_summarized_once(
    slow_cluster: dict[str, Any],
) -> None:
    """Three 8.5 s stories on two workers: two run past the 8 s window while the third waits
    in the queue. Nothing is sent again; each story is summarized (paid for) once."""
    client, engine, workers = (slow_cluster[k] for k in ("client", "engine", "workers"))
    response = client.post("/v1/digests", json={"articles": story_articles(3, 2)})
    assert response.status_code == 202
    body = wait_ended(client, response.headers["location"], timeout_s=45)
    assert body["status"] == "done", body
    assert sorted(index for index, _ in _rows(engine, body["id"])) == [0, 1, 2]
    starts = [
        line
        for worker in workers
        if worker.marks.exists()
        for line in worker.marks.read_text().splitlines()
        if line.startswith("start ")
    ]
    assert len(starts) == 3, starts  # a fourth: a story summarized twice
