"""The in-process executor and the runner: jobs run once, within bounds, and survive deaths."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from service.config import Settings
from service.errors import BackendError
from service.jobs import (
    InProcessExecutor,
    JobRequest,
    JobRunner,
    JobStore,
)
from service.models import Article, Digest, InputFailure, JobError
from service.pipeline.run import DigestOptions, ProgressCallback
from tests.test_api_fakes import engine, pg_url  # noqa: F401  (fixtures)

SETTINGS = Settings(allow_open_access=True)
Pipeline = Callable[..., Digest]


class Recorder:
    """A pipeline fake: records calls and concurrency, sleeps, can fail or wait for a signal."""

    def __init__(self, delay_s: float = 0.0, fail: Exception | None = None) -> None:
        self.delay_s = delay_s
        self.fail = fail
        self.calls: list[str] = []
        self.running = 0
        self.peak = 0
        self.aborted: list[str] = []
        self._lock = threading.Lock()

    def __call__(
        self,
        articles: Sequence[Article],
        options: DigestOptions,
        *,
        progress: ProgressCallback,
        failures: Sequence[InputFailure],
    ) -> Digest:
        marker = articles[0].text
        with self._lock:
            self.calls.append(marker)
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            steps = 10
            for step in range(steps):
                time.sleep(self.delay_s / steps)
                try:
                    progress("summarize", step + 1, steps)
                except Exception:
                    self.aborted.append(marker)
                    raise
            if self.fail is not None:
                raise self.fail
            return Digest(created_at=datetime.now(UTC), clusters=[], articles=list(articles))
        finally:
            with self._lock:
                self.running -= 1


class Outcomes:
    """A JobListener that remembers outcomes."""

    def __init__(self) -> None:
        self.ended: list[tuple[str, JobError | None]] = []

    def job_ended(
        self,
        outcome: str,
        duration_s: float | None,
        digest: Digest | None,
        error: JobError | None,
    ) -> None:
        self.ended.append((outcome, error))


def make_executor(
    engine: sa.Engine,
    pipeline: Pipeline,
    *,
    workers: int = 2,
    lease_s: float = 5.0,
    max_attempts: int = 2,
    listener: Outcomes | None = None,
) -> tuple[JobStore, InProcessExecutor]:
    store = JobStore(engine, lease_s=lease_s, max_attempts=max_attempts)
    runner = JobRunner(store, pipeline, SETTINGS, listener=listener)
    return store, InProcessExecutor(store, runner, workers=workers, poll_s=0.1)


def submit(store: JobStore, executor: InProcessExecutor | None, marker: str) -> str:
    request = JobRequest(articles=[Article(id="a1", title="t", text=marker)])
    job, _ = store.create(request, client="c")
    if executor is not None:
        executor.submit(job.id)
    return job.id


def wait_until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def status(store: JobStore, job_id: str) -> str:
    job = store.get(job_id, with_digest=False)
    return job.status if job else "missing"


def test_jobs_run_once_each_and_never_more_than_workers_at_once(engine: sa.Engine) -> None:
    pipeline = Recorder(delay_s=0.2)
    store, executor = make_executor(engine, pipeline, workers=2)
    left_over = submit(store, None, "queued before the server started")
    executor.start()
    try:
        ids = [left_over] + [submit(store, executor, f"job {n}") for n in range(4)]
        wait_until(lambda: all(status(store, i) == "done" for i in ids))
    finally:
        executor.shutdown()
    assert sorted(pipeline.calls) == sorted(
        ["queued before the server started"] + [f"job {n}" for n in range(4)]
    )
    assert pipeline.peak == 2


def test_cancel_stops_a_running_job_at_its_next_progress_report(engine: sa.Engine) -> None:
    pipeline = Recorder(delay_s=5.0)
    outcomes = Outcomes()
    store, executor = make_executor(engine, pipeline, listener=outcomes)
    executor.start()
    try:
        job_id = submit(store, executor, "long job")
        wait_until(lambda: status(store, job_id) == "running")
        assert store.cancel(job_id)
        wait_until(lambda: pipeline.aborted == ["long job"], timeout_s=5)
        wait_until(lambda: outcomes.ended == [("aborted", None)], timeout_s=5)
    finally:
        executor.shutdown()
    assert status(store, job_id) == "cancelled"


@pytest.mark.parametrize(
    ("error", "reason", "http_status"),
    [
        (BackendError("the model timed out", hint="retry later"), "backend", 502),
        (RuntimeError("a bug"), "internal", 500),
    ],
)
def test_a_failing_pipeline_fails_the_job_with_a_reason(
    engine: sa.Engine, error: Exception, reason: str, http_status: int
) -> None:
    store, executor = make_executor(engine, Recorder(fail=error))
    executor.start()
    try:
        job_id = submit(store, executor, "doomed")
        wait_until(lambda: status(store, job_id) == "failed")
    finally:
        executor.shutdown()
    job = store.get(job_id)
    assert job is not None and job.error is not None
    assert (job.error.reason, job.error.status) == (reason, http_status)
    if reason == "backend":
        assert "the model timed out (retry later)" == job.error.detail
    else:
        assert "a bug" not in job.error.detail  # internals stay in the log


def test_a_job_orphaned_by_a_dead_process_is_resumed(engine: sa.Engine) -> None:
    store, executor = make_executor(engine, Recorder(), lease_s=0.5)
    job_id = submit(store, None, "orphan")
    assert store.claim("a-process-that-died", job_id) is not None  # ...and never renews
    executor.start()
    try:
        wait_until(lambda: status(store, job_id) == "done")
    finally:
        executor.shutdown()
    job = store.get(job_id)
    assert job is not None and job.attempts == 2


def test_an_orphan_out_of_attempts_is_failed_with_a_reason(engine: sa.Engine) -> None:
    pipeline = Recorder()
    outcomes = Outcomes()  # the metrics: no run saw this job end, recovery reports it
    store, executor = make_executor(
        engine, pipeline, lease_s=0.5, max_attempts=1, listener=outcomes
    )
    job_id = submit(store, None, "orphan")
    store.claim("a-process-that-died", job_id)
    executor.start()
    try:
        wait_until(lambda: status(store, job_id) == "failed")
    finally:
        executor.shutdown()
    job = store.get(job_id)
    assert job is not None and job.error is not None and job.error.reason == "interrupted"
    assert pipeline.calls == []
    assert outcomes.ended == [("failed", job.error)]


def test_shutdown_hands_a_running_job_to_the_next_process(engine: sa.Engine) -> None:
    first = Recorder(delay_s=3.0)
    store, executor = make_executor(engine, first)
    executor.start()
    job_id = submit(store, executor, "handed over")
    wait_until(lambda: status(store, job_id) == "running")
    executor.shutdown()
    assert status(store, job_id) == "queued"
    second = Recorder()
    _, successor = make_executor(engine, second)
    successor.start()
    try:
        wait_until(lambda: status(store, job_id) == "done")
    finally:
        successor.shutdown()
    assert second.calls == ["handed over"]
    job = store.get(job_id)
    assert job is not None and job.attempts == 1  # the handed-back run was refunded


def test_two_replicas_on_one_database_share_the_work_without_duplicates(
    engine: sa.Engine,
) -> None:
    one, two = Recorder(delay_s=0.2), Recorder(delay_s=0.2)
    store, replica_one = make_executor(engine, one, workers=1)
    _, replica_two = make_executor(engine, two, workers=1)
    replica_one.start()
    replica_two.start()
    try:
        ids = [submit(store, replica_one, f"job {n}") for n in range(6)]
        wait_until(lambda: all(status(store, i) == "done" for i in ids))
    finally:
        replica_one.shutdown()
        replica_two.shutdown()
    assert sorted(one.calls + two.calls) == sorted(f"job {n}" for n in range(6))
    assert one.calls and two.calls


def test_a_job_stuck_past_its_deadline_fails_with_reason_deadline(engine: sa.Engine) -> None:
    release = threading.Event()

    def stuck(articles, options, *, progress, failures) -> Digest:  # a call that never returns
        release.wait(10)
        return Digest(created_at=datetime.now(UTC), clusters=[], articles=list(articles))

    store = JobStore(engine, lease_s=5.0, max_attempts=2)
    settings = Settings(allow_open_access=True, job_deadline_s=0.5)
    outcomes = Outcomes()
    runner = JobRunner(store, stuck, settings, listener=outcomes)
    executor = InProcessExecutor(store, runner, workers=1, poll_s=0.1)
    executor.start()
    try:
        job_id = submit(store, executor, "stuck")
        wait_until(lambda: status(store, job_id) == "failed", timeout_s=5)
        job = store.get(job_id)
        assert job is not None and job.error is not None
        assert (job.error.reason, job.error.status) == ("deadline", 504)
        release.set()  # the call returns at last: its late digest is not stored
        wait_until(lambda: outcomes.ended == [("aborted", None)], timeout_s=5)
    finally:
        release.set()
        executor.shutdown()
    assert status(store, job_id) == "failed"
