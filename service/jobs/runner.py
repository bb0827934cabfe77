"""Runs one claimed job: fetch URLs, call the pipeline, store the Digest or the reason it failed.

Executors (in-process threads now, queue workers later) only decide *where*
this runs; what running a job means lives here once. While a job runs, a
lease keeper renews its lease; the progress callback stores progress and stops
the pipeline (by raising) as soon as the job is cancelled or the lease is lost.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Protocol

from service import stopping
from service.config import Settings
from service.errors import BackendError, ConfigError, EmptyInputError, InputError, ServiceError
from service.jobs.fanout import deadline_error
from service.jobs.spec import JobRequest
from service.jobs.store import ClaimedJob, JobStore, JobStoreError
from service.models import Article, Digest, InputFailure, JobError
from service.pipeline.run import DigestOptions, ProgressCallback

log = logging.getLogger("service.jobs")


class DigestFunction(Protocol):
    """The pipeline as a job sees it: `service.digest` with the settings bound."""

    def __call__(
        self,
        articles: Sequence[Article],
        options: DigestOptions,
        *,
        progress: ProgressCallback,
        failures: Sequence[InputFailure],
    ) -> Digest: ...


class JobListener(Protocol):
    """Told about every job that ends here (metrics); `duration_s` None when unknown."""

    def job_ended(
        self,
        outcome: str,
        duration_s: float | None,
        digest: Digest | None,
        error: JobError | None,
    ) -> None: ...


def report_failure(store: JobStore, listener: JobListener | None, job_id: str) -> None:
    """Tell `listener` about a job failed outside any run (its deadline passed, or it was
    interrupted too often): no runner saw it end, and it would be counted nowhere."""
    if listener is None:
        return
    try:
        job = store.get(job_id, with_digest=False)
    except JobStoreError:
        job = None
    if job is None or job.status != "failed":
        return
    took = (
        (job.finished_at - job.started_at).total_seconds()
        if job.started_at and job.finished_at
        else None
    )
    listener.job_ended("failed", took, None, job.error)


class JobAborted(Exception):
    """The job was cancelled or its lease was lost: stop without writing anything."""


def default_pipeline(settings: Settings) -> DigestFunction:
    """`service.digest` with these settings."""
    from service.pipeline.run import digest

    def run(
        articles: Sequence[Article],
        options: DigestOptions,
        *,
        progress: ProgressCallback,
        failures: Sequence[InputFailure],
    ) -> Digest:
        return digest(articles, options, progress=progress, failures=failures, settings=settings)

    return run


def worker_id() -> str:
    """A name unique to this process and start: host, pid, random suffix."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class JobRunner:
    """Runs claimed jobs with one pipeline; safe to call from several threads at once."""

    def __init__(
        self,
        store: JobStore,
        pipeline: DigestFunction,
        settings: Settings,
        *,
        listener: JobListener | None = None,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.pipeline = pipeline
        self.settings = settings
        self.listener = listener
        self.owner = owner or worker_id()

    def claim_and_run(self, job_id: str) -> str | None:
        """Claim `job_id` and run it (queue workers); None when it was not claimable."""
        job = self.store.claim(self.owner, job_id)
        return None if job is None else self.run(job)

    def run(self, job: ClaimedJob) -> str:
        """Run a job this runner holds the lease of; returns the outcome. Never raises."""
        started = time.monotonic()
        lost = threading.Event()
        keeper = _LeaseKeeper(
            self.store,
            job.id,
            self.owner,
            lost,
            deadline=self._deadline(job, started),
            on_deadline=lambda: self._fail(job, deadline_error(self.settings)),
        )
        keeper.start()
        digest: Digest | None = None
        error: JobError | None = None
        try:
            digest = self._execute(job, lost)
            outcome = "done" if self.store.finish(job.id, self.owner, digest) else "aborted"
        except JobAborted:
            outcome = "aborted"
        except JobStoreError:  # cannot write: the lease will lapse and recovery will decide
            log.warning(
                "job store unavailable; leaving the job to recovery", extra={"job_id": job.id}
            )
            outcome = "aborted"
        except ServiceError as exc:
            error = _job_error(exc)
            outcome = self._fail(job, error)
        except Exception:  # a bug: keep the worker alive, tell the user, log the trace
            log.exception("job crashed", extra={"job_id": job.id})
            error = JobError(
                reason="internal",
                detail=f"an unexpected error stopped this job; it was logged (job {job.id})",
                status=500,
            )
            outcome = self._fail(job, error)
        finally:
            keeper.stop()
        duration = time.monotonic() - started
        log.info(
            "job ended",
            extra={"job_id": job.id, "outcome": outcome, "duration_s": round(duration, 3)},
        )
        if self.listener is not None:
            self.listener.job_ended(
                outcome,
                duration,
                digest if outcome == "done" else None,
                error if outcome == "failed" else None,
            )
        return outcome

    def _deadline(self, job: ClaimedJob, now: float) -> float:
        """When (on the monotonic clock) the job's DIGEST_JOB_DEADLINE_S ends, counted from
        its first start: a resumed job does not get a fresh allowance."""
        current = self.store.get(job.id, with_digest=False)
        first = current.started_at if current and current.started_at else None
        spent = (datetime.now(UTC) - first).total_seconds() if first else 0.0
        return now + self.settings.job_deadline_s - max(spent, 0.0)

    def _execute(self, job: ClaimedJob, lost: threading.Event) -> Digest:
        progress = job_progress(self.store, job.id, self.owner, lost)
        request = job.request
        with aborted_when(lost, job.id):  # fetches and model calls stop once it is cancelled
            articles, failures = gather_inputs(request, self.settings, progress)
            digest = self.pipeline(articles, request.options, progress=progress, failures=failures)
        digest.warnings.extend(request.warnings)
        return digest

    def _fail(self, job: ClaimedJob, error: JobError) -> str:
        try:
            return "failed" if self.store.fail(job.id, self.owner, error) else "aborted"
        except JobStoreError:  # the lease will run out and recovery will decide
            log.warning("could not record a failure", extra={"job_id": job.id})
            return "aborted"


@contextmanager
def aborted_when(lost: threading.Event, job_id: str) -> Iterator[None]:
    """Within the block, fetches and model calls stop once `lost` is set (the job was
    cancelled or its lease lost), and their RunStopped ends the run as JobAborted: one
    mechanism for the in-process runner and the Celery tasks."""
    with stopping.stopping_on(lost):
        try:
            yield
        except stopping.RunStopped:
            raise JobAborted(job_id) from None


class _LeaseKeeper:
    """Renews a job's lease in the background; sets `lost` when the job is no longer ours.

    At `deadline` it stops renewing, calls `on_deadline` (which fails the job) and sets
    `lost`: a pipeline stuck without raising (a hung call) would otherwise keep its job
    'running' forever, the lease renewed by this thread.
    """

    def __init__(
        self,
        store: JobStore,
        job_id: str,
        owner: str,
        lost: threading.Event,
        *,
        deadline: float | None = None,
        on_deadline: Callable[[], object] | None = None,
    ) -> None:
        self.store = store
        self.job_id = job_id
        self.owner = owner
        self.lost = lost
        self.deadline = deadline
        self.on_deadline = on_deadline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease-{job_id[:8]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        interval = max(self.store.lease.total_seconds() / 3, 0.05)
        if self.deadline is not None:
            interval = min(interval, max(self.deadline - time.monotonic(), 0.05))
        while not self._stop.wait(interval):
            if self.deadline is not None and time.monotonic() >= self.deadline:
                self.lost.set()  # the run stops at its next progress report, if it makes one
                if self.on_deadline is not None:
                    self.on_deadline()
                return
            try:
                if not self.store.renew(self.job_id, self.owner):
                    self.lost.set()
                    return
            except JobStoreError:
                continue  # the database is away; the lease may lapse and recovery decides


def job_progress(
    store: JobStore, job_id: str, owner: str, lost: threading.Event
) -> ProgressCallback:
    """Progress that is stored with the job and aborts the run once the job is not ours."""

    def progress(stage: str, done: int, total: int) -> None:
        if lost.is_set() or not store.record_progress(job_id, owner, stage, done, total):
            lost.set()
            raise JobAborted(job_id)

    return progress


def gather_inputs(
    request: JobRequest, settings: Settings, progress: ProgressCallback
) -> tuple[list[Article], list[InputFailure]]:
    """The job's inline articles plus those its URLs yield; EmptyInputError when none is left."""
    articles = list(request.articles)
    failures: list[InputFailure] = []
    if request.urls:
        progress("fetch", 0, len(request.urls))
        room = settings.max_articles - len(articles)  # the inline articles count first
        fetched, failures = _collect(request.urls, settings, _quiet(progress), room)
        articles = _merge(articles, fetched)
        progress("fetch", len(request.urls), len(request.urls))
    if not articles:
        raise _nothing_readable(request, failures)
    return articles, failures


def _collect(
    urls: list[str], settings: Settings, progress: ProgressCallback, room: int
) -> tuple[list[Article], list[InputFailure]]:
    """Fetch URLs through the web-ingestion package, imported only when a job needs it."""
    try:
        from service.web import collect
    except ImportError as exc:
        raise ConfigError(
            "this server cannot fetch URLs (web ingestion is not installed)",
            hint="send the articles' text inline instead",
        ) from exc
    collected = collect(urls, settings=settings, progress=progress, room=room)
    return list(collected.articles), list(collected.failures)


def _quiet(progress: ProgressCallback) -> ProgressCallback:
    """Progress that never raises: the fetcher isolates per-URL errors, so a cancel raised
    inside it could be mistaken for a failed URL; the check after fetching stops the job."""

    def report(stage: str, done: int, total: int) -> None:
        try:
            progress(stage, done, total)
        except JobAborted:
            pass

    return report


def _merge(inline: list[Article], fetched: list[Article]) -> list[Article]:
    """Inline articles first, then fetched ones, renamed where an id is taken."""
    seen = {a.id for a in inline}
    merged = list(inline)
    for article in fetched:
        new_id, n = article.id, 1
        while new_id in seen:
            n += 1
            new_id = f"{article.id}#{n}"
        seen.add(new_id)
        merged.append(
            article if new_id == article.id else article.model_copy(update={"id": new_id})
        )
    return merged


class NothingReadableError(EmptyInputError):
    """No input gave an article; the per-URL failures go with the job's error, so a client
    tells a blocked address from a dead server without parsing the message."""

    def __init__(self, message: str, *, hint: str, failures: list[InputFailure]) -> None:
        super().__init__(message, hint=hint)
        self.failures = failures


def _nothing_readable(request: JobRequest, failures: list[InputFailure]) -> EmptyInputError:
    reasons = "; ".join(f"{f.input}: {f.detail or f.reason}" for f in failures[:3])
    more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
    return NothingReadableError(
        f"none of the {len(request.urls)} URL(s) gave an article: {reasons}{more}",
        hint="check the links, or send the articles' text inline",
        failures=failures,
    )


def _job_error(exc: ServiceError) -> JobError:
    if isinstance(exc, InputError):
        reason = "input"
    elif isinstance(exc, BackendError):
        reason = "backend"
    elif isinstance(exc, ConfigError):
        reason = "config"
    else:
        reason = "error"
    failures = exc.failures if isinstance(exc, NothingReadableError) else []
    return JobError(reason=reason, detail=exc.user_message, status=exc.status, failures=failures)
