"""Celery tasks: plan a job, then summarize each story as its own task, anywhere.

    run_job(job_id)                 claim -> fetch URLs -> plan_digest -> hand over
                                    -> one summarize_story task per story -> mark sent
    summarize_story(job_id, attempt, index)
                                    start a run (leased, renewed while it runs)
                                    -> summary row (unique per story) -> the last one assembles

Every task is safe to run twice (redelivery after a worker died, or a re-send by
the stall check): claims and lease hand-overs are guarded updates, a copy of a
story task finds its story's run live and stops before any model call, a
story's row has a unique key, and the job is finished by a guarded update that
only one task can win. Transient database errors are retried with exponential
backoff; a job past its deadline is failed with a reason.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_init, worker_shutdown

from service import stopping
from service.backends.embedders import Embedder
from service.backends.summarizers.base import Summarizer
from service.backends.summarizers.registry import check_settings
from service.config import Settings, get_settings
from service.errors import ConfigError, ServiceError
from service.jobs import worker_metrics
from service.jobs.celery_app import RUN_JOB, SUMMARIZE_STORY
from service.jobs.db import database_url, make_engine, migrate
from service.jobs.fanout import FanoutStore, StoredPlan, StoryRun, deadline_error
from service.jobs.runner import (
    JobAborted,
    _job_error,
    _LeaseKeeper,
    aborted_when,
    gather_inputs,
    job_progress,
    worker_id,
)
from service.jobs.store import ClaimedJob, JobStore, JobStoreError
from service.models import JobError, Summary
from service.pipeline.run import assemble, embedder_for, plan_digest, story_writer

log = logging.getLogger("service.jobs")


@dataclass
class Worker:
    """What one worker process holds: settings, stores, pipeline parts and its name."""

    settings: Settings
    store: JobStore
    fanout: FanoutStore
    embedder: Embedder
    summarizer: Summarizer | None
    owner: str


@worker_shutdown.connect
def _remove_metrics_directory(**_: object) -> None:
    worker_metrics.remove_counting_directory()


@worker_init.connect
def _check_job_database(**_: object) -> None:
    """A worker that cannot reach the API's job database exits at start with why; one
    asked to serve metrics (DIGEST_WORKER_METRICS_PORT) starts serving them.

    Started without DATABASE_URL it had used a SQLite file of its own: it acknowledged
    the API's tasks as "not claimable" or "stale", and the jobs hung until their
    deadline. With an unreachable database it acknowledged each task as failed."""
    settings = get_settings()
    try:
        if not settings.database_url:
            raise ConfigError(
                "a Celery worker needs the job database the API uses",
                hint="set DATABASE_URL (e.g. postgresql://user@db-host:5432/digest) as for the "
                "API; without it the worker would use a SQLite file of its own",
            )
        engine = make_engine(database_url(settings))
        try:
            migrate(engine)
        finally:
            engine.dispose()
        worker_metrics.serve(settings)
        check_settings(settings)  # an LLM backend that cannot work: every story would fail
    except ConfigError as exc:  # SystemExit passes through Celery's signal, which logs others
        raise SystemExit(f"worker not started: {exc}") from exc


@lru_cache(maxsize=1)
def current_worker() -> Worker:
    """Built on the first task in this process (after the fork), then reused."""
    settings = get_settings()
    engine = make_engine(database_url(settings))
    try:
        migrate(engine)
    except ConfigError as exc:  # the database went away since the worker started: retried
        raise JobStoreError(exc.message, hint=exc.hint) from exc
    embedder, summarizer = _components(settings)
    return Worker(
        settings=settings,
        store=JobStore(
            engine, lease_s=settings.job_lease_s, max_attempts=settings.job_max_attempts
        ),
        fanout=FanoutStore(engine, run_lease_s=settings.job_lease_s),
        embedder=embedder,
        summarizer=summarizer,
        owner=worker_id()[:64],
    )


def _components(settings: Settings) -> tuple[Embedder, Summarizer | None]:
    """The embedder and summarizer: from the settings, or a `module:function` (tests)."""
    if not settings.worker_components:
        return embedder_for(settings), None
    module, _, name = settings.worker_components.partition(":")
    try:
        factory = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(
            f"DIGEST_WORKER_COMPONENTS={settings.worker_components!r} cannot be loaded: {exc}",
            hint="give module:function, or unset it to use the configured models",
        ) from exc
    embedder, summarizer = factory(settings)
    return embedder, summarizer


_RETRY: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (JobStoreError,),
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "retry_jitter": True,
}


# a database outage is retried until the database is back (after 3 tries the job waited
# for the stale re-send, a visibility timeout later)
@shared_task(name=RUN_JOB, max_retries=None, **_RETRY)
def run_job(self: Task, job_id: str) -> str:
    """Claim a queued job, plan it, and fan its stories out; the outcome as a word."""
    worker = current_worker()
    job = worker.store.claim(worker.owner, job_id)
    if job is None:
        return "not-claimable"  # done, cancelled, or another worker has it
    lost = threading.Event()
    keeper = _LeaseKeeper(worker.store, job.id, worker.owner, lost)
    keeper.start()
    try:
        return _plan_and_fan_out(worker, job, lost)
    except JobAborted:
        return "aborted"
    except JobStoreError:
        log.warning("job store unavailable; leaving the job to recovery", extra={"job_id": job_id})
        return "aborted"
    except ServiceError as exc:
        return _fail(worker, job.id, worker.owner, _job_error(exc))
    except Exception:
        log.exception("job crashed", extra={"job_id": job_id})
        return _fail(worker, job.id, worker.owner, _internal(job_id))
    finally:
        keeper.stop()


def _plan_and_fan_out(worker: Worker, job: ClaimedJob, lost: threading.Event) -> str:
    progress = job_progress(worker.store, job.id, worker.owner, lost)
    request = job.request
    with aborted_when(lost, job.id):  # a cancelled job's fetches stop at once
        articles, failures = gather_inputs(request, worker.settings, progress)
    plan = plan_digest(
        articles,
        request.options,
        embedder=worker.embedder,
        progress=progress,
        failures=failures,
        settings=worker.settings,
    )
    current = worker.store.get(job.id, with_digest=False)
    started = current.started_at if current and current.started_at else datetime.now(UTC)
    deadline = started + timedelta(seconds=worker.settings.job_deadline_s)  # since first start
    if not worker.fanout.hand_over(
        job.id, worker.owner, job.attempts, plan, list(request.warnings), deadline
    ):
        return "aborted"
    sending = datetime.now(UTC)
    for index in range(len(plan.stories)):
        summarize_story.delay(job.id, job.attempts, index)
    try:  # sent at the hand-over's time already; now exactly (the stall check orders by it)
        worker.fanout.mark_sent(
            job.id, job.attempts, range(len(plan.stories)), datetime.now(UTC), since=sending
        )
    except JobStoreError:
        pass  # the hand-over's time stays: at worst a copy is sent (costs no model call)
    return "fanned-out"


# A story retries a database outage until the database is back (then the job's deadline
# decides): after 5 tries it was dropped, and the job hung until its deadline.
@shared_task(name=SUMMARIZE_STORY, max_retries=None, **_RETRY)
def summarize_story(self: Task, job_id: str, attempt: int, index: int) -> str:
    """Summarize one story of a planned job; the last story stored assembles the digest."""
    worker = current_worker()
    stored = worker.fanout.plan(job_id)
    if stored is None or stored.attempt != attempt or not worker.fanout.active(stored):
        return "stale"  # cancelled, finished, or planned again since this task was sent
    if datetime.now(UTC) > stored.deadline_at:
        return _fail(worker, job_id, stored.owner, deadline_error(worker.settings))
    if not worker.fanout.has(job_id, index):
        run = worker.fanout.start_run(
            stored,
            index,
            str(self.request.hostname or worker.owner),
            task=self.request.id,
            retries=self.request.retries or 0,
        )
        if run is None:
            return "running-elsewhere"  # a copy of this task: the live run stores it
        try:
            ended = _summarize_and_store(worker, stored, run)
        finally:
            _end_run(worker.fanout, run)
        if ended is not None:
            return ended
    return _finish_if_complete(worker, stored)


def _summarize_and_store(worker: Worker, stored: StoredPlan, run: StoryRun) -> str | None:
    """Summarize and store the run's story; the task's outcome when it ends here."""
    began = time.monotonic()
    try:
        with stopped_when_inactive(worker.fanout, stored), run_kept(worker.fanout, run):
            summary = _summarize(worker, stored, run.index)
    except stopping.RunStopped:
        return "stopped"  # cancelled meanwhile: no more model calls for it
    except JobStoreError:
        raise  # transient: retried with backoff
    except ServiceError as exc:
        return _fail(worker, stored.job_id, stored.owner, _job_error(exc))
    except Exception:
        log.exception("story crashed", extra={"job_id": stored.job_id, "story": run.index})
        return _fail(worker, stored.job_id, stored.owner, _internal(stored.job_id))
    took = time.monotonic() - began
    worker_metrics.count(lambda m: m.summarized(summary))  # paid for, stored or not
    if worker.fanout.record(stored, run.index, run.worker, summary):
        worker_metrics.count(lambda m: m.stored(summary, took))
    else:
        log.info("story already summarized (redelivery)", extra={"job_id": stored.job_id})
    return None


def _end_run(fanout: FanoutStore, run: StoryRun) -> None:
    try:
        fanout.end_run(run)
    except JobStoreError:
        pass  # its lease runs out by itself


@contextmanager
def run_kept(fanout: FanoutStore, run: StoryRun, every_s: float | None = None) -> Iterator[None]:
    """Within the block, the run's lease is renewed (a heartbeat, a third of the lease by
    default): the stall check sends again only stories whose run stopped renewing. The
    beat stops once another run took the story (our lease had lapsed): it stores once."""
    interval = every_s or max(fanout.run_lease.total_seconds() / 3, 0.05)
    with _polled(f"story-run-{run.job_id[:8]}", interval, lambda: fanout.renew_run(run)):
        yield


@contextmanager
def _polled(name: str, every_s: float, check: Callable[[], bool]) -> Iterator[None]:
    """Within the block, `check()` every `every_s` seconds on a thread of its own, until it
    returns False; a database that is away (JobStoreError) is asked again at the next beat."""
    done = threading.Event()

    def poll() -> None:
        while not done.wait(every_s):
            try:
                if not check():
                    return
            except JobStoreError:
                continue

    threading.Thread(target=poll, name=name, daemon=True).start()
    try:
        yield
    finally:
        done.set()


STORY_STOP_POLL_S = 2.0  # how often a story task asks whether its job still runs


@contextmanager
def stopped_when_inactive(
    fanout: FanoutStore, stored: StoredPlan, every_s: float = STORY_STOP_POLL_S
) -> Iterator[None]:
    """Within the block, the run's stop signal (`stopping`) is set once the job stops
    fanning out under this plan (cancelled, failed, planned again): a cancelled job's
    stories had gone on through their model calls, retries and fallbacks (about a minute
    of paid calls and worker slots after a DELETE). The call in flight still ends itself."""
    told = threading.Event()

    def still_active() -> bool:  # the database away: keep working, ask again (`_polled`)
        if fanout.active(stored):
            return True
        told.set()
        return False

    with (
        _polled(f"story-stop-{stored.job_id[:8]}", every_s, still_active),
        stopping.stopping_on(told),
    ):
        yield


def _summarize(worker: Worker, stored: StoredPlan, index: int) -> Summary:
    write = story_writer(
        stored.plan, worker.embedder, summarizer=worker.summarizer, settings=worker.settings
    )
    return write(stored.plan.story(index))


def _finish_if_complete(worker: Worker, stored: StoredPlan) -> str:
    results = worker.fanout.results(stored.job_id)
    if len(results) < len(stored.plan.stories):
        return "stored"
    digest = assemble(stored.plan, [r.summary for r in results])
    digest.warnings.extend(stored.warnings)
    if not worker.store.finish(stored.job_id, stored.owner, digest):
        return "stored"
    _count_end(worker, stored.job_id, "done", None)
    return "done"


def _fail(worker: Worker, job_id: str, owner: str, error: JobError) -> str:
    try:
        if not worker.store.fail(job_id, owner, error):
            return "aborted"
    except JobStoreError:
        log.warning("could not record a failure", extra={"job_id": job_id})
        return "aborted"
    _count_end(worker, job_id, "failed", error)
    return "failed"


def _count_end(worker: Worker, job_id: str, outcome: str, error: JobError | None) -> None:
    """Counts a job this task ended (only the task whose guarded update won gets here)."""

    def ended(metrics: worker_metrics.WorkerMetrics) -> None:
        try:
            job = worker.store.get(job_id, with_digest=False)
        except JobStoreError:
            job = None  # counted without its duration rather than not at all
        metrics.job_ended(outcome, job.started_at if job else None, error)

    worker_metrics.count(ended)


def _internal(job_id: str) -> JobError:
    return JobError(
        reason="internal",
        detail=f"an unexpected error stopped this job; it was logged (job {job_id})",
        status=500,
    )
