"""The fan-out store on SQLite (fast, no services): hand-over, idempotent story rows,
deadlines, cancel; and which executor the settings pick."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kombu.exceptions import OperationalError
from sqlalchemy import select

from service.config import Settings
from service.jobs import JobRequest, JobStore, make_engine, make_executor, migrate
from service.jobs.celery_executor import CeleryExecutor
from service.jobs.executor import InProcessExecutor
from service.jobs.fanout import FanoutStore, StoredPlan, fanout_owner, story_runs
from service.jobs.runner import JobRunner
from service.models import Article, Summary, SummarySentence
from service.pipeline.run import assemble, plan_digest
from tests.child_process import child_env, run_worker_to_exit
from tests.test_api_fakes import (
    HashEmbedder,
    fake_pipeline,
    free_port,
    sqlite_url,
    story_articles,
)
from tests.test_jobs_executor import Outcomes


@pytest.fixture
def stores(tmp_path: Path) -> tuple[JobStore, FanoutStore]:
    engine = make_engine(sqlite_url(tmp_path))
    migrate(engine)
    return JobStore(engine, lease_s=30, max_attempts=2), FanoutStore(engine)


def _planned(job_store: JobStore, fanout: FanoutStore, deadline_in_s: float = 60) -> StoredPlan:
    articles = [Article.model_validate(a) for a in story_articles(3, 2)]
    job, _ = job_store.create(JobRequest(articles=articles), client="open")
    claimed = job_store.claim("planner", job.id)
    assert claimed is not None
    plan = plan_digest(articles, embedder=HashEmbedder(), settings=Settings())
    deadline = datetime.now(UTC) + timedelta(seconds=deadline_in_s)
    assert fanout.hand_over(job.id, "planner", claimed.attempts, plan, ["w"], deadline)
    stored = fanout.plan(job.id)
    assert stored is not None and stored.owner == fanout_owner(job.id, claimed.attempts)
    return stored


def _summary(text: str) -> Summary:
    return Summary(
        sentences=[SummarySentence(text=text, citations=[1], article_ids=["storm-0"])],
        backend="extractive",
    )


def test_hand_over_moves_the_lease_and_a_second_hand_over_by_the_old_owner_fails(
    stores: tuple[JobStore, FanoutStore],
) -> None:
    job_store, fanout = stores
    stored = _planned(job_store, fanout)
    assert len(stored.plan.stories) == 3 and stored.warnings == ["w"]
    assert fanout.active(stored)
    assert not fanout.hand_over(
        stored.job_id, "planner", 1, stored.plan, [], datetime.now(UTC)
    )  # the planner no longer holds the lease
    job = job_store.get(stored.job_id)
    assert job is not None and job.progress is not None and job.progress.total == 3


def test_a_story_is_stored_once_however_often_its_task_runs(
    stores: tuple[JobStore, FanoutStore],
) -> None:
    job_store, fanout = stores
    stored = _planned(job_store, fanout)
    assert fanout.record(stored, 1, "w1@h", _summary("First."))
    assert not fanout.record(stored, 1, "w2@h", _summary("Redelivered."))
    results = fanout.results(stored.job_id)
    assert [(r.index, r.worker, r.summary.sentences[0].text) for r in results] == [
        (1, "w1@h", "First.")
    ]
    assert fanout.has(stored.job_id, 1) and not fanout.has(stored.job_id, 0)
    job = job_store.get(stored.job_id)
    assert job is not None and job.progress is not None and job.progress.done == 1


def test_the_fanout_owner_finishes_the_job_once_with_stories_in_order(
    stores: tuple[JobStore, FanoutStore],
) -> None:
    job_store, fanout = stores
    stored = _planned(job_store, fanout)
    for index in (2, 0, 1):
        fanout.record(stored, index, "w", _summary(f"Story {index}."))
    digest = assemble(stored.plan, [r.summary for r in fanout.results(stored.job_id)])
    assert job_store.finish(stored.job_id, stored.owner, digest)
    assert not job_store.finish(stored.job_id, stored.owner, digest)  # a racing task loses
    done = job_store.get(stored.job_id)
    assert done is not None and done.digest is not None
    texts = [c.summary.sentences[0].text for c in done.digest.clusters if c.summary]
    assert texts == ["Story 0.", "Story 1.", "Story 2."]
    assert not fanout.active(stored)


def test_overdue_lists_jobs_past_their_deadline_and_cancel_stops_the_fanout(
    stores: tuple[JobStore, FanoutStore],
) -> None:
    job_store, fanout = stores
    late = _planned(job_store, fanout, deadline_in_s=-1)
    on_time = _planned(job_store, fanout, deadline_in_s=60)
    assert fanout.overdue(datetime.now(UTC)) == [(late.job_id, late.owner)]
    assert job_store.cancel(on_time.job_id)
    assert not fanout.active(on_time)


def test_the_broker_setting_picks_the_celery_executor(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path))
    store = JobStore(engine)
    plain = Settings(data_dir=tmp_path)
    runner = JobRunner(store, fake_pipeline(plain), plain)
    assert isinstance(make_executor(plain, store, runner), InProcessExecutor)
    queued = Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:6379/0")
    executor = make_executor(queued, store, runner)
    assert isinstance(executor, CeleryExecutor)
    conf = executor.app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == 3600
    # a broker that takes connections but never answers must not hold a request for good
    assert conf.broker_transport_options["socket_timeout"] == 5
    assert conf.broker_transport_options["socket_connect_timeout"] == 5


def test_starting_the_celery_executor_fails_jobs_past_their_deadline(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path
) -> None:
    job_store, fanout = stores
    late = _planned(job_store, fanout, deadline_in_s=-1)
    on_time = _planned(job_store, fanout, deadline_in_s=60)
    settings = Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:6379/0")
    outcomes = Outcomes()  # the API's metrics: no worker saw this job end
    executor = CeleryExecutor(settings, job_store, listener=outcomes)
    executor.start()  # recovers first; nothing is queued, so nothing is sent
    executor.shutdown()
    failed = job_store.get(late.job_id)
    assert failed is not None and failed.status == "failed" and failed.error is not None
    assert failed.error.reason == "deadline" and "within 1800 s" in failed.error.detail
    assert outcomes.ended == [("failed", failed.error)]
    running = job_store.get(on_time.job_id)
    assert running is not None and running.status == "running"


class _FlakyBroker:
    """send_task that the broker refuses `refusals` times, then accepts (and records)."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.sent: list[str] = []
        self.tasks: list[tuple[str, list[Any]]] = []

    def __call__(self, name: str, *, args: list[Any], queue: str) -> None:
        if self.refusals > 0:
            self.refusals -= 1
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.sent.append(args[0])
        self.tasks.append((name, args))


def _celery(
    job_store: JobStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    refusals: int = 0,
    **settings: Any,
) -> tuple[CeleryExecutor, _FlakyBroker]:
    """An API's Celery executor whose broker is a `_FlakyBroker` that refuses `refusals`."""
    executor = CeleryExecutor(
        Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:6379/0", **settings), job_store
    )
    broker = _FlakyBroker(refusals)
    monkeypatch.setattr(executor.app, "send_task", broker)
    return executor, broker


def test_a_job_the_broker_refused_is_sent_again_by_the_recovery_loop(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_store, _ = stores
    executor, broker = _celery(job_store, tmp_path, monkeypatch, refusals=2)
    job, _ = job_store.create(JobRequest(articles=[]), client="open")
    executor.submit(job.id)  # refused: the job stays queued in the database
    assert broker.sent == []
    executor._recover()  # refused again
    assert broker.sent == []
    executor._recover()
    assert broker.sent == [job.id]
    executor._recover()  # sent once; not again
    assert broker.sent == [job.id]


def test_a_job_queued_longer_than_the_visibility_timeout_is_sent_again(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_store, _ = stores
    executor, broker = _celery(job_store, tmp_path, monkeypatch, broker_visibility_timeout_s=1)
    job, _ = job_store.create(JobRequest(articles=[]), client="open")
    executor.submit(job.id)
    executor._recover()  # queued for less than the timeout: not sent again
    assert broker.sent == [job.id]
    time.sleep(1.2)  # the broker may have lost it (a Redis restarted without persistence)
    executor._recover()
    assert broker.sent == [job.id, job.id]


def test_a_job_that_ended_is_not_sent_again_however_often_the_broker_refused_it(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An API that could not reach the broker re-sent a job another replica had finished,
    and logged an error for it every tick, for ever."""
    job_store, _ = stores
    executor, broker = _celery(job_store, tmp_path, monkeypatch, refusals=1)
    job, _ = job_store.create(JobRequest(articles=[]), client="open")
    executor.submit(job.id)  # refused
    assert job_store.cancel(job.id)  # ended elsewhere meanwhile
    executor._recover()
    assert broker.sent == [] and not executor._unsent


def test_the_missing_stories_of_a_stalled_fanout_are_sent_again_once(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Redis restarted without persistence forgot the story tasks of a running job: it
    hung until its deadline. The plan is in the database, so the stories are sent again."""
    job_store, fanout = stores
    stored = _planned(job_store, fanout)
    assert fanout.record(stored, 1, "w1", _summary("Story two."))
    executor, broker = _celery(job_store, tmp_path, monkeypatch, job_deadline_s=3)
    assert executor.stall_window == timedelta(seconds=1)  # a third of the deadline
    executor._recover()  # a story was stored just now: not stalled
    assert broker.tasks == []
    time.sleep(1.2)
    executor._recover()
    assert broker.tasks == [
        ("digest.summarize_story", [stored.job_id, stored.attempt, 0]),
        ("digest.summarize_story", [stored.job_id, stored.attempt, 2]),
    ]
    other = CeleryExecutor(executor.settings, job_store)  # a second replica, at once
    monkeypatch.setattr(other.app, "send_task", broker)
    other._recover()
    executor._recover()
    assert len(broker.tasks) == 2  # sent by one process, once per window
    # a broker that refuses the re-send: tried again at the next check, not a window later
    refusing = _FlakyBroker(refusals=1)
    monkeypatch.setattr(executor.app, "send_task", refusing)
    time.sleep(1.2)
    executor._recover()
    assert refusing.tasks == []
    executor._recover()
    assert [args[2] for _, args in refusing.tasks] == [0, 2]
    monkeypatch.setattr(executor.app, "send_task", broker)
    # every story stored, but the task that would assemble them was lost: one is sent
    # again, finds its row stored and assembles the digest
    for index in (0, 2):
        assert fanout.record(stored, index, "w1", _summary("Story."))
    broker.tasks.clear()
    time.sleep(1.2)
    executor._recover()
    assert broker.tasks == [("digest.summarize_story", [stored.job_id, stored.attempt, 0])]


def test_plans_of_jobs_that_no_longer_run_are_deleted(
    stores: tuple[JobStore, FanoutStore],
) -> None:
    """A deleted job's plan (every article's text) and summaries stayed in the database."""
    job_store, fanout = stores
    deleted, ended, running = (_planned(job_store, fanout) for _ in range(3))
    for stored in (deleted, ended, running):
        assert fanout.record(stored, 0, "w1", _summary("Story one."))
    assert job_store.cancel(deleted.job_id) and job_store.delete(deleted.job_id)
    assert job_store.cancel(ended.job_id)
    assert fanout.forget_ended() == 1  # the deleted job's at once
    assert fanout.plan(deleted.job_id) is None and fanout.results(deleted.job_id) == []
    assert fanout.plan(ended.job_id) is not None  # an ended one's for a while (an hour)
    assert fanout.forget_ended(kept_for=timedelta(0)) == 1
    assert fanout.plan(ended.job_id) is None and fanout.results(ended.job_id) == []
    assert fanout.plan(running.job_id) is not None and len(fanout.results(running.job_id)) == 1
    with job_store.engine.connect() as conn:  # and their story runs (who ran what, when)
        left = conn.execute(select(story_runs.c.job_id).distinct()).scalars().all()
    assert left == [running.job_id]


def test_readiness_names_a_broker_that_does_not_answer(tmp_path: Path) -> None:
    """/readyz said ready while jobs it accepted could not be sent."""
    engine = make_engine(sqlite_url(tmp_path))
    settings = Settings(data_dir=tmp_path, broker_url=f"redis://127.0.0.1:{free_port()}/0")
    health = CeleryExecutor(settings, JobStore(engine)).health()
    assert health["broker"].startswith("unreachable") and "BROKER_URL" in health["broker"]
    plain = Settings(data_dir=tmp_path)
    assert (
        InProcessExecutor(
            JobStore(engine), JobRunner(JobStore(engine), fake_pipeline(plain), plain), workers=1
        ).health()
        == {}
    )


@pytest.mark.parametrize(
    ("variables", "said"),
    [
        ({"BROKER_URL": "redis://127.0.0.1:{port}/0"}, "needs the job database the API uses"),
        (
            {
                "BROKER_URL": "redis://127.0.0.1:{port}/0",
                "DATABASE_URL": "postgresql://x@127.0.0.1:{port}/d",
            },
            "cannot reach or migrate the job database",
        ),
        ({}, "no broker configured for the Celery workers"),
    ],
)
def test_a_worker_without_its_database_or_broker_does_not_start(
    tmp_path: Path, variables: dict[str, str], said: str
) -> None:
    """Without DATABASE_URL a worker used a SQLite file of its own and acknowledged the
    API's tasks as stale; without BROKER_URL it waited on RabbitMQ's default queue."""
    port = str(free_port())  # a port nothing listens on
    env = child_env(
        DIGEST_DATA_DIR=str(tmp_path),
        **{k: v.replace("{port}", port) for k, v in variables.items()},
    )
    worker = run_worker_to_exit(env, tmp_path)
    assert worker.returncode != 0
    assert said in worker.stderr, worker.stderr[-2000:]
    assert "Traceback" not in worker.stderr  # one line saying what to set
    assert not (tmp_path / "jobs.db").exists()


def test_a_long_queued_job_is_sent_again_within_minutes_by_one_replica_of_many(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the replica that requeued a job sent it; one with a broker it could not reach
    (or another queue) left it queued up to two visibility timeouts (2 h). Now any replica
    does, within minutes, and only one of them each round."""
    job_store, _ = stores
    plain = CeleryExecutor(Settings(data_dir=tmp_path, broker_url="redis://h:6379/0"), job_store)
    assert plain.resend_after == timedelta(minutes=5)
    replicas = [_celery(job_store, tmp_path, monkeypatch, job_deadline_s=0.6) for _ in range(3)]
    assert replicas[0][0].resend_after == timedelta(seconds=0.1)
    job, _ = job_store.create(JobRequest(articles=[]), client="open")
    time.sleep(0.3)
    for executor, _ in replicas:
        executor._send_again()
    assert sum(broker.sent.count(job.id) for _, broker in replicas) == 1
    time.sleep(0.3)  # another round: sent once more, by one replica
    for executor, _ in replicas:
        executor._send_again()
    assert sum(broker.sent.count(job.id) for _, broker in replicas) == 2


def test_a_job_no_worker_started_before_the_deadline_fails_saying_so(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no worker consuming (all down, or reading another queue) a job stayed queued
    for ever: no deadline applied to a job that never started."""
    job_store, _ = stores
    executor, _ = _celery(job_store, tmp_path, monkeypatch, job_deadline_s=1)
    outcomes = Outcomes()
    executor.listener = outcomes
    waiting, _ = job_store.create(JobRequest(articles=[]), client="open")
    executor._recover()
    assert job_store.get(waiting.id).status == "queued"  # type: ignore[union-attr]
    time.sleep(1.2)
    fresh, _ = job_store.create(JobRequest(articles=[]), client="open")
    executor._recover()
    failed = job_store.get(waiting.id)
    assert failed is not None and failed.status == "failed" and failed.error is not None
    assert failed.error.reason == "no_worker" and "'digest'" in failed.error.detail
    assert outcomes.ended == [("failed", failed.error)]
    assert job_store.get(fresh.id).status == "queued"  # type: ignore[union-attr]


def test_a_backlog_that_workers_are_working_through_is_not_failed(
    stores: tuple[JobStore, FanoutStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers busy with other jobs: the tail of a long queue waits, it is not failed."""
    job_store, fanout = stores
    executor, _ = _celery(job_store, tmp_path, monkeypatch, job_deadline_s=1)
    waiting, _ = job_store.create(JobRequest(articles=[]), client="open")
    time.sleep(1.2)
    _planned(job_store, fanout)  # a worker is running another job right now
    executor._recover()
    assert job_store.get(waiting.id).status == "queued"  # type: ignore[union-attr]


def test_an_api_sending_jobs_to_workers_needs_their_database(tmp_path: Path) -> None:
    """Started with BROKER_URL and no DATABASE_URL it stored jobs in a SQLite file of its
    own, said it was ready, and every job stayed queued for ever."""
    from service.api import create_app
    from service.errors import ConfigError

    alone = Settings(
        data_dir=tmp_path, broker_url="redis://127.0.0.1:6379/0", allow_open_access=True
    )
    with pytest.raises(ConfigError, match="needs the job database") as refused:
        create_app(alone, pipeline=fake_pipeline(alone), warm_up=lambda: None)
    assert "DATABASE_URL" in refused.value.user_message


def test_a_story_task_is_told_to_stop_once_its_job_is_cancelled(
    stores: tuple[JobStore, FanoutStore],
) -> None:
    """A cancelled job's stories went on through their model calls, retries and fallbacks
    (about a minute of paid calls and worker slots after a DELETE)."""
    from service import stopping
    from service.jobs.tasks import stopped_when_inactive

    job_store, fanout = stores
    stored = _planned(job_store, fanout)
    checks: list[int] = []
    with pytest.raises(stopping.RunStopped):
        with stopped_when_inactive(fanout, stored, every_s=0.05):
            stopping.check()  # still running: no stop
            assert job_store.cancel(stored.job_id)
            for attempt in range(200):  # a model call about to be made, again and again
                checks.append(attempt)
                stopping.check()
                time.sleep(0.01)
    assert 0 < len(checks) < 50  # told within a few polls, not after the loop
    # a story of a job that still runs is never told to stop
    running = _planned(job_store, fanout)
    with stopped_when_inactive(fanout, running, every_s=0.05):
        time.sleep(0.2)
        stopping.check()
