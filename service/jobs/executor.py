"""Where jobs run. One contract, `Executor`; the in-process thread pool is the embedded default.

The database is the queue: `submit()` only says "there is work", and workers
claim queued jobs from the store. So a job accepted is never lost with a
process: after a restart (or on another replica) the queued and recovered jobs
are simply claimed again. A Celery executor (issue 7) implements the same
contract by sending the job id to a task that calls `JobRunner.claim_and_run`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from service.config import Settings
from service.errors import ConfigError
from service.jobs.runner import JobRunner, report_failure
from service.jobs.store import JobStore, JobStoreError

log = logging.getLogger("service.jobs")


class Executor(Protocol):
    """Runs stored jobs somewhere; the API only starts, notifies and stops it."""

    def start(self) -> None:
        """Begin taking queued jobs (including any left from a previous process)."""

    def submit(self, job_id: str) -> None:
        """A job was stored as queued; run it when there is capacity."""

    def shutdown(self) -> None:
        """Stop taking jobs and hand running ones back to the queue."""

    def health(self) -> dict[str, str]:
        """Readiness checks of what jobs need besides the database ('ok' or the problem)."""


def every_half_lease(
    store: JobStore, stopping: threading.Event, recover: Callable[[], None], *, floor_s: float
) -> None:
    """Call `recover` every half lease (at least `floor_s` apart) until `stopping` is set.

    Why half a lease: a job whose server died is requeued at most one and a half
    leases after its last heartbeat, without polling the database needlessly.
    """
    interval = max(store.lease.total_seconds() / 2, floor_s)
    while not stopping.wait(interval):
        recover()


class InProcessExecutor:
    """A bounded pool of daemon threads claiming jobs from the store, plus a recovery loop.

    `workers` jobs run at once; the rest wait as 'queued' rows. Every worker also
    polls now and then, so jobs requeued by recovery or queued by another
    replica are picked up without a `submit()`.
    """

    def __init__(
        self, store: JobStore, runner: JobRunner, *, workers: int, poll_s: float = 1.0
    ) -> None:
        self.store = store
        self.runner = runner
        self.workers = workers
        self.poll_s = poll_s
        self._wake = threading.Condition()
        self._pending = 0
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._stopping.clear()
        self._recover()
        for n in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"digest-worker-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        reaper = threading.Thread(target=self._reap, name="digest-recovery", daemon=True)
        reaper.start()
        self._threads.append(reaper)

    def submit(self, job_id: str) -> None:
        with self._wake:
            self._pending += 1
            self._wake.notify()

    def health(self) -> dict[str, str]:
        return {}  # jobs run here: nothing to reach but the database

    def shutdown(self) -> None:
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        try:
            released = self.store.release(self.runner.owner)
        except JobStoreError:
            released = 0
        if released:
            log.info("handed running jobs back to the queue", extra={"jobs": released})
        for thread in self._threads:
            thread.join(timeout=0.5)
        self._threads.clear()

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                job = self.store.claim(self.runner.owner)
            except JobStoreError:
                job = None
            except Exception:  # never let a worker thread die
                log.exception("claiming a job failed")
                job = None
            if job is not None:
                self.runner.run(job)
                continue
            with self._wake:
                if self._pending == 0:
                    self._wake.wait(self.poll_s)
                self._pending = max(self._pending - 1, 0)

    def _reap(self) -> None:
        every_half_lease(self.store, self._stopping, self._recover, floor_s=0.1)

    def _recover(self) -> None:
        try:
            recovery = self.store.recover()
        except JobStoreError:
            return
        except Exception:
            log.exception("job recovery failed")
            return
        if recovery.requeued or recovery.failed:
            log.warning(
                "recovered jobs whose server stopped",
                extra={"requeued": recovery.requeued, "failed": recovery.failed},
            )
        for job_id in recovery.failed:
            report_failure(self.store, self.runner.listener, job_id)
        if recovery.requeued:
            with self._wake:
                self._pending += len(recovery.requeued)
                self._wake.notify_all()


def require_shared_database(settings: Settings) -> None:
    """An API that sends jobs to Celery workers must store them where the workers look:
    started with BROKER_URL and no DATABASE_URL it had used a SQLite file of its own,
    said it was ready, and every job stayed queued forever (the workers refuse to start
    without DATABASE_URL for the same reason)."""
    if settings.broker_url and not settings.database_url:
        raise ConfigError(
            "an API that sends jobs to Celery workers (BROKER_URL) needs the job database they use",
            hint="set DATABASE_URL (e.g. postgresql://user@db-host:5432/digest) as for the "
            "workers, or unset BROKER_URL to run jobs in this process",
        )


def make_executor(settings: Settings, store: JobStore, runner: JobRunner) -> Executor:
    """The executor the settings ask for: Celery workers when BROKER_URL is set, else
    in-process threads (the embedded default)."""
    if settings.broker_url:
        from service.jobs.celery_executor import CeleryExecutor

        return CeleryExecutor(settings, store, listener=runner.listener)
    return InProcessExecutor(store, runner, workers=settings.job_workers)
