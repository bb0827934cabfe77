"""The fan-out tables: a digest's plan, and one summary row per (job, story).

    run_job task ──plan──► digest_plans row; job lease handed to "fanout:<job>:<attempt>"
    summarize_story tasks ──► digest_story_results (primary key (job_id, story_index))
    the task that stores the last summary ──assemble──► JobStore.finish (guarded: once)

The primary key is what makes a redelivered task harmless: its insert loses and
nothing is duplicated. While a job fans out, its lease lasts until the job's
deadline and belongs to no process, so `JobStore.recover()` leaves it alone and
a killed worker only delays its story until the broker redelivers the task.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from service.config import Settings
from service.jobs.store import transaction
from service.jobs.tables import JobRecord, UTCDateTime
from service.models import JobError, Summary
from service.pipeline.run import DigestPlan

metadata = MetaData()

plans = Table(
    "digest_plans",
    metadata,
    Column("job_id", String(32), primary_key=True),
    Column("attempt", Integer, nullable=False),
    Column("plan", Text, nullable=False),
    Column("warnings", Text, nullable=False),
    Column("deadline_at", UTCDateTime, nullable=False),
)

story_results = Table(
    "digest_story_results",
    metadata,
    Column("job_id", String(32), primary_key=True),
    Column("story_index", Integer, primary_key=True),
    Column("attempt", Integer, nullable=False),
    Column("worker", String(128), nullable=False),
    Column("summary", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

FANOUT_PREFIX = "fanout:"
PLANS_KEPT_AFTER_END = timedelta(hours=1)


def deadline_error(settings: Settings) -> JobError:
    """The failure recorded for a job still unfinished at DIGEST_JOB_DEADLINE_S."""
    return JobError(
        reason="deadline",
        detail=(
            f"this job did not finish within {settings.job_deadline_s:g} s; submit it again "
            "with fewer articles, or ask the operator to add workers"
        ),
        status=504,
    )


def unclaimed_error(settings: Settings) -> JobError:
    """The failure recorded for a job no worker started within DIGEST_JOB_DEADLINE_S."""
    return JobError(
        reason="no_worker",
        detail=(
            f"no worker started this job within {settings.job_deadline_s:g} s: the workers "
            f"may be down, busy, or reading another queue than '{settings.celery_queue}'; "
            "submit it again later, or ask the operator to check the workers"
        ),
        status=503,
    )


def fanout_owner(job_id: str, attempt: int) -> str:
    """The lease owner of a job while its stories are summarized (no single process)."""
    return f"{FANOUT_PREFIX}{job_id}:{attempt}"


@dataclass(frozen=True)
class StoredPlan:
    """A job's plan as the summarize tasks read it."""

    job_id: str
    attempt: int
    plan: DigestPlan
    warnings: list[str]
    deadline_at: datetime

    @property
    def owner(self) -> str:
        return fanout_owner(self.job_id, self.attempt)


@dataclass(frozen=True)
class StoryResult:
    index: int
    worker: str
    summary: Summary


@dataclass(frozen=True)
class StalledFanout:
    """A fanned-out job whose stories stopped coming in: what to send again."""

    job_id: str
    owner: str
    attempt: int
    missing: list[int]


class FanoutStore:
    """Plans and per-story results next to the job table; database errors -> JobStoreError."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def hand_over(
        self,
        job_id: str,
        owner: str,
        attempt: int,
        plan: DigestPlan,
        warnings: list[str],
        deadline_at: datetime,
    ) -> bool:
        """Store the plan and pass the job's lease from `owner` to the fan-out; False if lost."""
        with self._connect() as conn:
            moved = conn.execute(
                update(JobRecord)
                .where(
                    JobRecord.id == job_id,
                    JobRecord.status == "running",
                    JobRecord.lease_owner == owner,
                )
                .values(
                    lease_owner=fanout_owner(job_id, attempt),
                    lease_expires_at=deadline_at,
                    progress_stage="summarize",
                    progress_done=0,
                    progress_total=len(plan.stories),
                    updated_at=datetime.now(UTC),
                )
            )
            if moved.rowcount != 1:
                return False
            conn.execute(delete(story_results).where(story_results.c.job_id == job_id))
            conn.execute(delete(plans).where(plans.c.job_id == job_id))
            conn.execute(
                insert(plans).values(
                    job_id=job_id,
                    attempt=attempt,
                    plan=plan.model_dump_json(),
                    warnings=json.dumps(warnings),
                    deadline_at=deadline_at,
                )
            )
        return True

    def plan(self, job_id: str) -> StoredPlan | None:
        with self._connect() as conn:
            row = conn.execute(select(plans).where(plans.c.job_id == job_id)).mappings().first()
        if row is None:
            return None
        return StoredPlan(
            job_id=job_id,
            attempt=row["attempt"],
            plan=DigestPlan.model_validate_json(row["plan"]),
            warnings=list(json.loads(row["warnings"])),
            deadline_at=row["deadline_at"],
        )

    def active(self, stored: StoredPlan) -> bool:
        """Is the job still fanning out under this plan (not cancelled, done or replanned)?"""
        with self._connect() as conn:
            owner = conn.execute(
                select(JobRecord.lease_owner).where(
                    JobRecord.id == stored.job_id, JobRecord.status == "running"
                )
            ).scalar()
        return owner == stored.owner

    def has(self, job_id: str, index: int) -> bool:
        with self._connect() as conn:
            found = conn.execute(
                select(story_results.c.story_index).where(
                    story_results.c.job_id == job_id, story_results.c.story_index == index
                )
            ).first()
        return found is not None

    def record(self, stored: StoredPlan, index: int, worker: str, summary: Summary) -> bool:
        """Store one story's summary; False when it was already stored (a redelivery)."""
        try:
            with self._connect() as conn:
                conn.execute(
                    insert(story_results).values(
                        job_id=stored.job_id,
                        story_index=index,
                        attempt=stored.attempt,
                        worker=worker[:128],
                        summary=summary.model_dump_json(),
                        created_at=datetime.now(UTC),
                    )
                )
                done = conn.execute(
                    select(func.count()).where(story_results.c.job_id == stored.job_id)
                ).scalar_one()
                conn.execute(
                    update(JobRecord)
                    .where(JobRecord.id == stored.job_id, JobRecord.lease_owner == stored.owner)
                    .values(progress_done=done, updated_at=datetime.now(UTC))
                )
        except IntegrityError:
            return False
        return True

    def results(self, job_id: str) -> list[StoryResult]:
        """Stored summaries of a job, in story order."""
        with self._connect() as conn:
            rows = conn.execute(
                select(story_results.c.story_index, story_results.c.worker, story_results.c.summary)
                .where(story_results.c.job_id == job_id)
                .order_by(story_results.c.story_index)
            ).all()
        return [StoryResult(i, w, Summary.model_validate_json(s)) for i, w, s in rows]

    def overdue(self, now: datetime) -> list[tuple[str, str]]:
        """(job id, owner) of fanned-out jobs past their deadline."""
        with self._connect() as conn:
            rows = conn.execute(
                select(JobRecord.id, JobRecord.lease_owner).where(
                    JobRecord.status == "running",
                    JobRecord.lease_owner.like(f"{FANOUT_PREFIX}%"),
                    JobRecord.lease_expires_at < now,
                )
            ).all()
        return [(job_id, owner) for job_id, owner in rows]

    def stalled(self, before: datetime) -> list[StalledFanout]:
        """Fanned-out jobs with no story stored since `before`, and the stories they miss.

        Their story tasks may be lost: a broker restarted without persistence forgets its
        messages, while the plan is safe in the database."""
        with self._connect() as conn:
            rows = conn.execute(
                select(
                    JobRecord.id, JobRecord.lease_owner, JobRecord.progress_total, plans.c.attempt
                )
                .join(plans, plans.c.job_id == JobRecord.id)
                .where(
                    JobRecord.status == "running",
                    JobRecord.lease_owner.like(f"{FANOUT_PREFIX}%"),
                    JobRecord.updated_at < before,
                )
            ).all()
            stalled = []
            for job_id, owner, total, attempt in rows:
                if owner != fanout_owner(job_id, attempt):
                    continue  # the plan of an earlier attempt
                done = set(
                    conn.execute(
                        select(story_results.c.story_index).where(story_results.c.job_id == job_id)
                    ).scalars()
                )
                missing = [i for i in range(total or 0) if i not in done]
                stalled.append(StalledFanout(job_id, owner, attempt, missing))
        return stalled

    def touch(self, job_id: str, owner: str, before: datetime, at: datetime | None = None) -> bool:
        """Mark a stalled fan-out as seen now (or `at`), if no other process did since
        `before`: the one process that wins sends its stories again."""
        with self._connect() as conn:
            moved = conn.execute(
                update(JobRecord)
                .where(
                    JobRecord.id == job_id,
                    JobRecord.lease_owner == owner,
                    JobRecord.updated_at < before,
                )
                .values(updated_at=at or datetime.now(UTC))
            )
        return moved.rowcount == 1

    def forget_ended(self, kept_for: timedelta = PLANS_KEPT_AFTER_END) -> int:
        """Delete the plans and story rows of jobs that no longer fan out: deleted ones at
        once, ended ones `kept_for` after they ended (which worker wrote what, for a look
        after the fact), and those queued to be planned again. A plan holds every article's
        text, and a finished job's digest is in its job row already."""
        ended_before = datetime.now(UTC) - kept_for
        keep = select(JobRecord.id).where(
            (JobRecord.status == "running") | (JobRecord.finished_at >= ended_before)
        )
        with self._connect() as conn:
            conn.execute(delete(story_results).where(story_results.c.job_id.not_in(keep)))
            gone = conn.execute(delete(plans).where(plans.c.job_id.not_in(keep)))
        return gone.rowcount

    def queued(self, *, before: datetime | None = None) -> list[str]:
        """Ids of queued jobs, oldest first (to send again after a restart); with `before`,
        only those queued (or requeued) before that time."""
        query = select(JobRecord.id).where(JobRecord.status == "queued")
        if before is not None:
            query = query.where(JobRecord.updated_at < before)
        with self._connect() as conn:
            return list(conn.execute(query.order_by(JobRecord.created_at)).scalars())

    def mark_resent(self, job_id: str, before: datetime, now: datetime) -> bool:
        """Take the turn to send a queued job again: one replica of many wins (its queued
        time is moved to `now`), so a backlog is not sent once per replica each round."""
        with self._connect() as conn:
            result = conn.execute(
                update(JobRecord)
                .where(
                    JobRecord.id == job_id,
                    JobRecord.status == "queued",
                    JobRecord.updated_at < before,
                )
                .values(updated_at=now)
            )
        return result.rowcount == 1

    def _connect(self) -> AbstractContextManager[Any]:
        return transaction(self.engine)
