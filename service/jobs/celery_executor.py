"""The Executor contract on Celery: `submit` sends the job id to a `run_job` task.

The API process keeps one duty: a recovery loop that fails fanned-out jobs past
their deadline, requeues jobs whose planning worker died (`JobStore.recover`)
and sends their ids again. Sending is idempotent (a task claims before working),
so a job is sent again whenever it may have been lost: at start (every queued
job), at every tick while the broker refused its send, and when it has stayed
queued longer than the broker's visibility timeout (a broker that restarted
without persistence forgets its messages; the database does not).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from kombu.exceptions import KombuError

from service.config import Settings
from service.jobs.celery_app import RUN_JOB, make_celery
from service.jobs.executor import every_half_lease
from service.jobs.fanout import FanoutStore, deadline_error
from service.jobs.store import JobStore, JobStoreError

log = logging.getLogger("service.jobs")


class CeleryExecutor:
    """Jobs run on Celery workers; this process only sends ids and recovers."""

    def __init__(self, settings: Settings, store: JobStore) -> None:
        self.settings = settings
        self.store = store
        self.fanout = FanoutStore(store.engine)
        self.app = make_celery(settings)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsent: set[str] = set()  # ids the broker refused; sent again at every tick
        self._lock = threading.Lock()
        self._stale_check_at = datetime.now(UTC)

    def start(self) -> None:
        self._stopping.clear()
        self._recover()
        try:
            for job_id in self.fanout.queued():
                self.submit(job_id)
        except JobStoreError:
            log.warning("could not list queued jobs to send again")
        self._thread = threading.Thread(target=self._reap, name="digest-recovery", daemon=True)
        self._thread.start()

    def submit(self, job_id: str) -> None:
        try:
            self.app.send_task(RUN_JOB, args=[job_id], queue=self.settings.celery_queue)
        except (KombuError, OSError):
            # the job stays queued in the database; the recovery loop sends it again
            log.exception("could not send the job to the broker", extra={"job_id": job_id})
            with self._lock:
                self._unsent.add(job_id)
        else:
            with self._lock:
                self._unsent.discard(job_id)

    def shutdown(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None

    def _reap(self) -> None:
        every_half_lease(self.store, self._stopping, self._recover, floor_s=0.2)

    def _recover(self) -> None:
        try:
            for job_id, owner in self.fanout.overdue(datetime.now(UTC)):
                if self.store.fail(job_id, owner, deadline_error(self.settings)):
                    log.warning("job passed its deadline", extra={"job_id": job_id})
            recovery = self.store.recover()
        except JobStoreError:
            return
        except Exception:
            log.exception("job recovery failed")
            return
        for job_id in recovery.requeued:
            self.submit(job_id)
        self._send_again()

    def _send_again(self) -> None:
        """Send the jobs the broker refused, and those queued so long it may have lost them."""
        with self._lock:
            again = set(self._unsent)
        visibility = timedelta(seconds=self.settings.broker_visibility_timeout_s)
        now = datetime.now(UTC)
        if now - self._stale_check_at >= visibility:
            self._stale_check_at = now
            try:
                again.update(self.fanout.queued(before=now - visibility))
            except JobStoreError:
                log.warning("could not list the jobs queued too long")
        for job_id in sorted(again):
            self.submit(job_id)
