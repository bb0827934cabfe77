"""The Executor contract on Celery: `submit` sends the job id to a `run_job` task.

The API process keeps one duty: a recovery loop that fails fanned-out jobs past
their deadline, requeues jobs whose planning worker died (`JobStore.recover`)
and sends their ids again. Sending is idempotent (a task claims before working),
so a job is sent again whenever it may have been lost: at start (every queued
job), at every tick while the broker refused its send, and when it has stayed
queued longer than `resend_after` (a broker that restarted without persistence
forgets its messages; the database does not). A job no worker started within the
job deadline fails with reason `no_worker`. A fanned-out
job whose stories stop coming in for `stall_window` gets its lost stories sent
again (not those running or queued: `FanoutStore.resendable`), and the plans of jobs
no longer running are deleted.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from kombu.exceptions import KombuError

from service.config import Settings
from service.jobs.celery_app import RUN_JOB, SUMMARIZE_STORY, make_celery
from service.jobs.executor import every_half_lease
from service.jobs.fanout import FanoutStore, StalledFanout, deadline_error, unclaimed_error
from service.jobs.runner import JobListener, report_failure
from service.jobs.store import JobStore, JobStoreError

log = logging.getLogger("service.jobs")
FORGET_EVERY = timedelta(minutes=5)
RESEND_QUEUED_AFTER_S = 300.0


class CeleryExecutor:
    """Jobs run on Celery workers; this process only sends ids and recovers."""

    def __init__(
        self, settings: Settings, store: JobStore, listener: JobListener | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self.listener = listener  # told of the jobs this process fails (metrics)
        self.fanout = FanoutStore(store.engine)
        self.app = make_celery(settings)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsent: set[str] = set()  # ids the broker refused; sent again at every tick
        self._lock = threading.Lock()
        self._stale_check_at = datetime.now(UTC)
        self._forgot_at = datetime.min.replace(tzinfo=UTC)

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
        except (KombuError, OSError) as exc:
            # the job stays queued in the database; the recovery loop sends it again
            log.warning(
                "could not send the job to the broker (%s: %s); it stays queued and is sent "
                "again when the broker answers: check BROKER_URL and the broker",
                type(exc).__name__,
                exc,
                extra={"job_id": job_id},
            )
            with self._lock:
                self._unsent.add(job_id)
        else:
            with self._lock:
                self._unsent.discard(job_id)

    def health(self) -> dict[str, str]:
        """The broker: 'ok' when it takes a connection (for /readyz: a replica that cannot
        send jobs accepted them, and they waited for another replica to send them)."""
        try:
            with self.app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        except Exception as exc:  # kombu and the transports raise many kinds
            return {"broker": f"unreachable ({type(exc).__name__}); check BROKER_URL"}
        return {"broker": "ok"}

    @property
    def stall_window(self) -> timedelta:
        """How long a fan-out may store no story before its lost stories are sent again:
        the broker's visibility timeout, but at most a third of the job deadline, so a lost
        story is sent again before the job runs out of time. A story still running that
        long (one slow LLM story) renews its run's lease and is not sent again; nor is one
        still queued behind a backlog."""
        seconds = min(self.settings.broker_visibility_timeout_s, self.settings.job_deadline_s / 3)
        return timedelta(seconds=seconds)

    @property
    def resend_after(self) -> timedelta:
        """How long a job may stay queued before every replica sends it again: the broker's
        visibility timeout, but at most 5 minutes and a sixth of the job deadline. Only the
        replica that requeued a job sends it at once; when that one could not (a broker it
        cannot reach, another queue), the job had waited up to two visibility timeouts (2
        h). One replica sends each such job per round (`mark_resent`); a job merely waiting
        in a long queue is then in it twice, and the second is dropped when its worker finds
        the job claimed."""
        seconds = min(
            self.settings.broker_visibility_timeout_s,
            RESEND_QUEUED_AFTER_S,
            self.settings.job_deadline_s / 6,
        )
        return timedelta(seconds=seconds)

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
                    report_failure(self.store, self.listener, job_id)
            recovery = self.store.recover()
            unclaimed = self.store.fail_unclaimed(
                datetime.now(UTC) - timedelta(seconds=self.settings.job_deadline_s),
                unclaimed_error(self.settings),
            )
        except JobStoreError:
            return
        except Exception:
            log.exception("job recovery failed")
            return
        for job_id in unclaimed:
            log.warning("no worker started the job before its deadline", extra={"job_id": job_id})
        for job_id in recovery.failed + unclaimed:
            report_failure(self.store, self.listener, job_id)
        for job_id in recovery.requeued:
            self.submit(job_id)
        self._send_again()
        self._resume_stalled()

    def _resume_stalled(self) -> None:
        """Send again the lost stories of fan-outs that stopped storing any, and delete the
        plans of jobs that no longer run."""
        now = datetime.now(UTC)
        before = now - self.stall_window
        try:
            for stalled in self.fanout.resendable(before, now):
                if stalled.missing and not stalled.lost:
                    continue  # running or queued: checked again at the next tick
                touched = datetime.now(UTC)
                if not self.fanout.touch(stalled.job_id, stalled.owner, before, at=touched):
                    continue  # another replica is sending them
                try:
                    self._send_stories(stalled)
                except (KombuError, OSError) as exc:
                    # stalled again at once: the next tick tries again, not a window later
                    self.fanout.untouch(stalled.job_id, stalled.owner, touched, back_to=before)
                    log.warning(
                        "could not send stories again (%s); retried at the next check",
                        type(exc).__name__,
                        extra={"job_id": stalled.job_id},
                    )
                    break
        except JobStoreError:
            pass
        self._forget_ended()

    def _send_stories(self, stalled: StalledFanout) -> None:
        # every story stored but none assembled them (that task was lost): one story sent
        # again finds its row and assembles the digest
        again = stalled.lost if stalled.missing else [0]
        log.warning(
            "no story stored for %d s; sending %d lost stories again (%d still running or queued)",
            self.stall_window.total_seconds(),
            len(again),
            len(stalled.missing) - len(stalled.lost),
            extra={"job_id": stalled.job_id},
        )
        sent: list[int] = []
        sending = datetime.now(UTC)
        try:
            for index in again:
                self.app.send_task(
                    SUMMARIZE_STORY,
                    args=[stalled.job_id, stalled.attempt, index],
                    queue=self.settings.celery_queue,
                )
                sent.append(index)
        finally:  # those sent before a refusal are queued now, not lost
            self.fanout.mark_sent(
                stalled.job_id, stalled.attempt, sent, datetime.now(UTC), since=sending
            )

    def _forget_ended(self) -> None:
        """Delete old plans now and then (two scans of the job table: not every tick)."""
        now = datetime.now(UTC)
        if now - self._forgot_at < FORGET_EVERY:
            return
        self._forgot_at = now
        try:
            self.fanout.forget_ended()
        except JobStoreError:
            log.warning("could not delete the plans of ended jobs; tried again later")

    def _send_again(self) -> None:
        """Send the jobs the broker refused, and those queued so long it may have lost them."""
        with self._lock:
            again = set(self._unsent)
        if again:  # only jobs still waiting: one that ended meanwhile is not sent forever
            try:
                waiting = set(self.fanout.queued())
            except JobStoreError:
                return
            ended = again - waiting
            with self._lock:
                self._unsent -= ended  # not ids refused since the snapshot: they wait
            again -= ended
        waited = self.resend_after
        now = datetime.now(UTC)
        if now - self._stale_check_at >= waited:
            self._stale_check_at = now
            try:
                again.update(
                    job_id
                    for job_id in self.fanout.queued(before=now - waited)
                    if self.fanout.mark_resent(job_id, now - waited, now)
                )
            except JobStoreError:
                log.warning("could not list the jobs queued too long")
        for job_id in sorted(again):
            self.submit(job_id)
