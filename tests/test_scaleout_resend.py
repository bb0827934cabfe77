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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from fastapi.testclient import TestClient
from kombu.exceptions import OperationalError

from service.api import create_app
from service.config import Settings
from service.jobs import JobStore, make_engine, migrate
from service.jobs.fanout import FanoutStore, StoredPlan, StoryRun, story_runs
from service.jobs.tables import JobRecord
from service.jobs.tasks import run_kept
from tests.child_process import child_env
from tests.local_services import REDIS_URL, redis_up
from tests.test_api_fakes import (
    fake_pipeline,
    postgres_database,
    sqlite_url,
    story_articles,
    wait_ended,
)
from tests.test_scaleout_celery import Worker, _rows
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
    """A worker killed mid-story: its run's lease runs out and the story is sent again
    (before, only the broker's visibility timeout, an hour by default, brought it back)."""
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
    executor._recover()  # sent just now: queued, not lost again at the next tick
    assert _resent(broker, stored.job_id) == [0]
    again = fanout.start_run(stored, 0, "w2")  # the copy runs it: the dead run's lease is out
    assert again is not None and again.worker == "w2"


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

SLOW_STORY_S = 6.0  # longer than the stall window


@pytest.fixture(scope="module")
def slow_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two workers whose stories each take longer than the stall window (5 s: a third of a
    15 s deadline; a 60 s visibility timeout, so Redis redelivers nothing meanwhile)."""
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
            job_deadline_s=15.0,
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
            DIGEST_JOB_DEADLINE_S="15",
            DIGEST_WORKER_COMPONENTS="tests.test_scaleout_fakes:components",
            DIGEST_DATA_DIR=str(folder),
            TEST_SUMMARY_DELAY_S=str(SLOW_STORY_S),
        )
        app = create_app(settings, pipeline=fake_pipeline(settings), warm_up=lambda: None)
        workers = [Worker(n, env, folder) for n in ("w1", "w2")]
        engine = sa.create_engine(url)
        try:
            with TestClient(app) as client:
                for worker in workers:
                    worker.start()
                yield {"client": client, "workers": workers, "engine": engine}
        finally:
            for worker in workers:
                worker.stop()
            engine.dispose()
            redis.Redis.from_url(REDIS_URL).delete(queue)


def test_stories_running_or_queued_past_the_stall_window_are_summarized_once(
    slow_cluster: dict[str, Any],
) -> None:
    """Three 6 s stories on two workers: two run past the 5 s window while the third waits
    in the queue. Nothing is sent again; each story is summarized (paid for) once."""
    client, engine, workers = (slow_cluster[k] for k in ("client", "engine", "workers"))
    response = client.post("/v1/digests", json={"articles": story_articles(3, 2)})
    assert response.status_code == 202
    body = wait_ended(client, response.headers["location"], timeout_s=30)
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
