"""The job store: every state change of a digest job is one guarded UPDATE of its row.

    queued --claim--> running --finish--> done
       |                 |------fail----> failed
       |                 |--lease lost--> queued again (recover), or failed 'interrupted'
       +-----cancel------+--------------> cancelled

A running job belongs to the worker holding its lease (`lease_owner` until
`lease_expires_at`). The worker renews the lease while it works; every write it
makes is guarded by "still running and still mine", so a worker that lost its
lease (it stalled, or the job was cancelled) can never overwrite anything.
`recover()` finds leases that ran out (the process died) and requeues those jobs,
or fails them with a reason once they have used their attempts. Those guards are
what make several replicas and workers safe on one database.

Database errors are translated here into `JobStoreError` (503: retry later).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, literal, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from service.errors import InputError, ServiceError
from service.jobs.spec import JobRequest
from service.jobs.tables import JobRecord, UTCDateTime
from service.models import TERMINAL_STATUSES, Digest, Job, JobError, JobProgress

ACTIVE = ("queued", "running")
_CLAIM_CANDIDATES = 5


class JobStoreError(ServiceError):
    """The job database could not be reached or answered with an error."""

    status = 503


class IdempotencyConflictError(InputError):
    """An Idempotency-Key was reused with a different request body."""

    status = 422


@dataclass(frozen=True)
class ClaimedJob:
    """A job a worker now holds the lease of."""

    id: str
    request: JobRequest
    attempts: int


@dataclass
class Recovery:
    """What `recover()` did with jobs whose lease ran out."""

    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


# A job queued again starts over: the progress of the run that stopped would read as if
# the job were still under way ("summarize 9/12" while it waits for a worker).
_NO_PROGRESS: dict[str, Any] = {
    "progress_stage": None,
    "progress_done": None,
    "progress_total": None,
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def new_job_id() -> str:
    return uuid.uuid4().hex


class JobStore:
    """Jobs in a SQL database (SQLite or PostgreSQL) through SQLAlchemy Core statements."""

    def __init__(
        self,
        engine: Engine,
        *,
        lease_s: float = 30.0,
        max_attempts: int = 2,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.engine = engine
        self.lease = timedelta(seconds=lease_s)
        self.max_attempts = max_attempts
        self.clock = clock

    # --- reads ------------------------------------------------------------------------

    def get(
        self, job_id: str, *, client: str | None = None, with_digest: bool = True
    ) -> Job | None:
        """The job (of `client`, when given), or None; `with_digest=False` skips the result."""
        columns = [c for c in JobRecord.__table__.c if with_digest or c.name != "result"]
        query = select(*columns).where(JobRecord.id == job_id, *_owned_by(client))
        with self._connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _to_job(row)

    def counts(self, *, client: str | None = None) -> dict[str, int]:
        """Number of jobs in each status (of `client`, when given)."""
        with self._connect() as conn:
            rows = conn.execute(
                select(JobRecord.status, func.count())
                .where(*_owned_by(client))
                .group_by(JobRecord.status)
            ).all()
        return {status: int(count) for status, count in rows}

    def ping(self) -> None:
        """Raise JobStoreError unless the database answers."""
        with self._connect() as conn:
            conn.execute(select(literal(1)))

    # --- the API's writes ---------------------------------------------------------------

    def create(
        self, request: JobRequest, *, client: str, idempotency_key: str | None = None
    ) -> tuple[Job, bool]:
        """Store a queued job; with an idempotency key, return the earlier job instead.

        Returns (job, created). Raises IdempotencyConflictError when the key was
        used before by the same client for a different request.
        """
        fingerprint = request.fingerprint()
        if idempotency_key is not None:
            earlier = self._by_key(client, idempotency_key, fingerprint)
            if earlier is not None:
                return earlier, False
        now = self.clock()
        job_id = new_job_id()
        try:
            with self._connect() as conn:
                conn.execute(
                    JobRecord.__table__.insert().values(
                        id=job_id,
                        status="queued",
                        client=client,
                        idempotency_key=idempotency_key,
                        request_hash=fingerprint,
                        request=request.model_dump_json(),
                        created_at=now,
                        updated_at=now,
                        attempts=0,
                    )
                )
        except IntegrityError:  # the same key raced us in; answer with the winner
            if idempotency_key is None:
                raise
            earlier = self._by_key(client, idempotency_key, fingerprint)
            if earlier is None:
                raise
            return earlier, False
        job = self.get(job_id)
        assert job is not None
        return job, True

    def replay(self, request: JobRequest, *, client: str, idempotency_key: str) -> Job | None:
        """The job this key already made for this request, or None; raises
        IdempotencyConflictError when the key was used for a different request."""
        return self._by_key(client, idempotency_key, request.fingerprint())

    def cancel(self, job_id: str, *, client: str | None = None) -> bool:
        """Cancel a queued or running job; False when it was not active."""
        now = self.clock()
        with self._connect() as conn:
            result = conn.execute(
                update(JobRecord)
                .where(JobRecord.id == job_id, JobRecord.status.in_(ACTIVE), *_owned_by(client))
                .values(
                    status="cancelled",
                    lease_owner=None,
                    lease_expires_at=None,
                    finished_at=now,
                    updated_at=now,
                )
            )
        return result.rowcount == 1

    def delete(self, job_id: str, *, client: str | None = None) -> bool:
        """Remove a finished job; False when it does not exist or is still active."""
        with self._connect() as conn:
            result = conn.execute(
                delete(JobRecord).where(
                    JobRecord.id == job_id,
                    JobRecord.status.in_(TERMINAL_STATUSES),
                    *_owned_by(client),
                )
            )
        return result.rowcount == 1

    # --- the workers' writes --------------------------------------------------------------

    def claim(self, owner: str, job_id: str | None = None) -> ClaimedJob | None:
        """Take the lease of `job_id`, or of the oldest queued job; None when there is none."""
        if job_id is not None:
            candidates = [job_id]
        else:
            with self._connect() as conn:
                candidates = list(
                    conn.execute(
                        select(JobRecord.id)
                        .where(JobRecord.status == "queued")
                        .order_by(JobRecord.created_at)
                        .limit(_CLAIM_CANDIDATES)
                    ).scalars()
                )
        for candidate in candidates:
            now = self.clock()
            with self._connect() as conn:
                taken = conn.execute(
                    update(JobRecord)
                    .where(JobRecord.id == candidate, JobRecord.status == "queued")
                    .values(
                        status="running",
                        lease_owner=owner,
                        lease_expires_at=now + self.lease,
                        attempts=JobRecord.attempts + 1,
                        started_at=func.coalesce(
                            JobRecord.started_at, literal(now, type_=UTCDateTime())
                        ),
                        updated_at=now,
                        **_NO_PROGRESS,
                    )
                )
                if taken.rowcount != 1:
                    continue  # another worker won it, or it was cancelled
                request, attempts = conn.execute(
                    select(JobRecord.request, JobRecord.attempts).where(JobRecord.id == candidate)
                ).one()
            return ClaimedJob(candidate, JobRequest.model_validate_json(request), attempts)
        return None

    def renew(self, job_id: str, owner: str) -> bool:
        """Extend the lease; False when the job is no longer running under `owner`."""
        now = self.clock()
        return self._update_mine(job_id, owner, lease_expires_at=now + self.lease)

    def record_progress(self, job_id: str, owner: str, stage: str, done: int, total: int) -> bool:
        """Store progress (and renew the lease); False when the lease is lost or cancelled."""
        now = self.clock()
        return self._update_mine(
            job_id,
            owner,
            progress_stage=stage[:32],
            progress_done=done,
            progress_total=total,
            lease_expires_at=now + self.lease,
        )

    def finish(self, job_id: str, owner: str, digest: Digest) -> bool:
        """Store the result and mark the job done, if it is still ours."""
        return self._update_mine(
            job_id,
            owner,
            status="done",
            result=digest.model_dump_json(),
            finished_at=self.clock(),
            lease_owner=None,
            lease_expires_at=None,
        )

    def fail(self, job_id: str, owner: str, error: JobError) -> bool:
        """Mark the job failed with a reason, if it is still ours."""
        return self._update_mine(
            job_id,
            owner,
            status="failed",
            error=error.model_dump_json(),
            finished_at=self.clock(),
            lease_owner=None,
            lease_expires_at=None,
        )

    def release(self, owner: str) -> int:
        """Give back every job `owner` runs (a clean shutdown): queued again, attempt refunded."""
        with self._connect() as conn:
            result = conn.execute(
                update(JobRecord)
                .where(JobRecord.status == "running", JobRecord.lease_owner == owner)
                .values(
                    status="queued",
                    lease_owner=None,
                    lease_expires_at=None,
                    attempts=JobRecord.attempts - 1,
                    updated_at=self.clock(),
                    **_NO_PROGRESS,
                )
            )
        return int(result.rowcount)

    def recover(self) -> Recovery:
        """Requeue running jobs whose lease ran out, or fail them when out of attempts."""
        now = self.clock()
        recovery = Recovery()
        with self._connect() as conn:
            expired = conn.execute(
                select(JobRecord.id, JobRecord.attempts).where(
                    JobRecord.status == "running", JobRecord.lease_expires_at < now
                )
            ).all()
        for job_id, attempts in expired:
            still_expired = (
                JobRecord.id == job_id,
                JobRecord.status == "running",
                JobRecord.lease_expires_at < now,
            )
            if attempts < self.max_attempts:
                values: dict[str, Any] = {"status": "queued", **_NO_PROGRESS}
                bucket = recovery.requeued
            else:
                error = JobError(
                    reason="interrupted",
                    detail=(
                        f"the server stopped while running this job, {attempts} time(s); "
                        "it was not retried again: submit it again, with fewer articles "
                        "if it keeps happening"
                    ),
                    status=503,
                )
                values = {"status": "failed", "error": error.model_dump_json(), "finished_at": now}
                bucket = recovery.failed
            with self._connect() as conn:
                result = conn.execute(
                    update(JobRecord)
                    .where(*still_expired)
                    .values(lease_owner=None, lease_expires_at=None, updated_at=now, **values)
                )
            if result.rowcount == 1:
                bucket.append(job_id)
        return recovery

    def fail_unclaimed(self, before: datetime, error: JobError) -> list[str]:
        """Fail the jobs queued since before `before` when no worker has shown any life
        since then (no job ran or ended): with no worker consuming (all down, or reading
        another queue), a job had stayed queued for ever. Workers busy with a backlog keep
        working on other jobs, so a long queue is not failed. A worker that claims one
        meanwhile wins (both are conditional updates of the same row)."""
        with self._connect() as conn:
            alive = conn.execute(
                select(JobRecord.id)
                .where(JobRecord.status.in_(("running", "done")), JobRecord.updated_at >= before)
                .limit(1)
            ).first()
            if alive is not None:
                return []
            waiting = (
                conn.execute(
                    select(JobRecord.id).where(
                        JobRecord.status == "queued", JobRecord.created_at < before
                    )
                )
                .scalars()
                .all()
            )
        failed: list[str] = []
        now = self.clock()
        for job_id in waiting:
            with self._connect() as conn:
                result = conn.execute(
                    update(JobRecord)
                    .where(JobRecord.id == job_id, JobRecord.status == "queued")
                    .values(
                        status="failed",
                        error=error.model_dump_json(),
                        finished_at=now,
                        updated_at=now,
                    )
                )
            if result.rowcount == 1:
                failed.append(job_id)
        return failed

    # --- helpers ------------------------------------------------------------------------

    def _update_mine(self, job_id: str, owner: str, **values: Any) -> bool:
        values.setdefault("updated_at", self.clock())
        with self._connect() as conn:
            result = conn.execute(
                update(JobRecord)
                .where(
                    JobRecord.id == job_id,
                    JobRecord.status == "running",
                    JobRecord.lease_owner == owner,
                )
                .values(**values)
            )
        return result.rowcount == 1

    def _by_key(self, client: str, key: str, fingerprint: str) -> Job | None:
        with self._connect() as conn:
            row = conn.execute(
                select(JobRecord.id, JobRecord.request_hash).where(
                    JobRecord.client == client, JobRecord.idempotency_key == key
                )
            ).first()
        if row is None:
            return None
        if row.request_hash != fingerprint:
            raise IdempotencyConflictError(
                "this Idempotency-Key was already used for a different request",
                hint="use a new key for a new request, or resend the original body",
            )
        return self.get(row.id)

    def _connect(self) -> AbstractContextManager[Any]:
        return transaction(self.engine)


@contextmanager
def transaction(engine: Engine) -> Iterator[Any]:
    """A connection in a transaction; database errors (but integrity ones) become JobStoreError."""
    try:
        with engine.begin() as conn:
            yield conn
    except IntegrityError:
        raise
    except SQLAlchemyError as exc:
        raise JobStoreError(
            f"the job database is unavailable ({exc.__class__.__name__})",
            hint="retry in a moment; if it persists, check DATABASE_URL and the database",
        ) from exc


def _owned_by(client: str | None) -> tuple[Any, ...]:
    return () if client is None else (JobRecord.client == client,)


def _to_job(row: Any) -> Job:
    progress = None
    if row["progress_stage"] is not None:
        progress = JobProgress(
            stage=row["progress_stage"],
            done=row["progress_done"] or 0,
            total=row["progress_total"] or 0,
        )
    result = row.get("result")
    return Job(
        id=row["id"],
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        attempts=row["attempts"],
        progress=progress,
        error=JobError.model_validate(json.loads(row["error"])) if row["error"] else None,
        digest=Digest.model_validate_json(result) if result else None,
    )
