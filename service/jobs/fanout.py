"""The fan-out tables: a digest's plan, one run row and one summary row per (job, story).

    run_job task ──plan──► digest_plans row; job lease handed to "fanout:<job>:<attempt>"
                 ──send──► digest_story_runs rows (sent_at: when each story was last sent)
    summarize_story task ──start_run──► its story's run row (run id, worker, lease)
                         ──record──► digest_story_results (primary key (job_id, story_index))
    the task that stores the last summary ──assemble──► JobStore.finish (guarded: once)

The primary key is what makes a redelivered task harmless: its insert loses and
nothing is duplicated. The run row is what makes it cheap: a task starts its
story only when no live run of it exists (a guarded update), so a copy of a
task (redelivered, or sent again by the stall check) is acknowledged without a
model call while the first copy runs. While a job fans out, its lease lasts
until the job's deadline and belongs to no process, so `JobStore.recover()`
leaves it alone.

A stalled fan-out (no story stored for the stall window) gets only its lost
stories sent again (`stalled`): a story with a live run is running, not lost; a
story whose run stopped renewing its lease (a killed worker) is lost; a story
sent and not started since is queued, unless the queue shows it lost. Redis
queues are first in, first out, so it is lost once a story sent after it has
started (the queue moved past it) or when no worker is busy (nothing holds the
queue up); behind a backlog it waits, however long.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
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
    # revision 0005: the stall check reads a plan's attempt from this index, not from the
    # row (on SQLite a page of a row that holds every article's text)
    Index("ix_digest_plans_attempt", "job_id", "attempt"),
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

# a run row of a story sent and not started since (`mark_sent`, `_lost`): the predicate of
# the partial index ix_digest_story_runs_queued, written out the same in its migration
QUEUED_RUN = text("run_id IS NULL AND (started_at IS NULL OR started_at < sent_at)")

story_runs = Table(
    "digest_story_runs",
    metadata,
    Column("job_id", String(32), primary_key=True),
    Column("story_index", Integer, primary_key=True),
    Column("attempt", Integer, nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("run_id", String(32)),
    Column("worker", String(128)),
    Column("started_at", UTCDateTime),
    Column("lease_expires_at", UTCDateTime),
    # revision 0005: written by `hand_over` with every story's row at once (NULL on a row a
    # task inserted, or one written by an older worker): a job with one such row of its
    # attempt has a row for each story, as rows are only deleted a whole job at a time
    Column("planned", Boolean),
    # revision 0005: the stall check (`_may_act`, `_Queue`) reads through these only the
    # runs that matter, not every run row at every tick: live and dead leases, the runs
    # started last (the queue's front), a job's started runs, and the queued runs by send
    # time
    Index("ix_digest_story_runs_lease_expires_at", "lease_expires_at"),
    Index("ix_digest_story_runs_started_at", "started_at"),
    Index("ix_digest_story_runs_job_started", "job_id", "attempt", "started_at", "planned"),
    Index(
        "ix_digest_story_runs_queued",
        "sent_at",
        sqlite_where=QUEUED_RUN,
        postgresql_where=QUEUED_RUN,
    ),
)

FANOUT_PREFIX = "fanout:"
PLANS_KEPT_AFTER_END = timedelta(hours=1)
# times come from several machines' clocks: a story counts as sent after another only
# when it was sent this much later (a wrong guess costs a cheap copy of a task, no model call)
SENT_ORDER_SLACK = timedelta(seconds=1)


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
    """A fanned-out job whose stories stopped coming in: what is missing, and what is lost
    (the missing stories to send again; the others are running or queued)."""

    job_id: str
    owner: str
    attempt: int
    missing: list[int]
    lost: list[int]


@dataclass(frozen=True)
class StoryRun:
    """One task's run of one story: `run_id` tells it from a copy of the same task."""

    job_id: str
    index: int
    attempt: int
    run_id: str
    worker: str


class FanoutStore:
    """Plans and per-story results next to the job table; database errors -> JobStoreError."""

    def __init__(self, engine: Engine, *, run_lease_s: float = 30.0) -> None:
        self.engine = engine
        self.run_lease = timedelta(seconds=run_lease_s)

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
            for table in (story_results, story_runs, plans):
                conn.execute(delete(table).where(table.c.job_id == job_id))
            conn.execute(
                insert(plans).values(
                    job_id=job_id,
                    attempt=attempt,
                    plan=plan.model_dump_json(),
                    warnings=json.dumps(warnings),
                    deadline_at=deadline_at,
                )
            )
            if plan.stories:
                sent_at = datetime.now(UTC)
                conn.execute(
                    insert(story_runs),
                    [
                        {
                            "job_id": job_id,
                            "story_index": i,
                            "attempt": attempt,
                            "sent_at": sent_at,
                            "planned": True,
                        }
                        for i in range(len(plan.stories))
                    ],
                )
        return True

    def mark_sent(
        self,
        job_id: str,
        attempt: int,
        indexes: Iterable[int],
        at: datetime,
        *,
        since: datetime | None = None,
    ) -> None:
        """Record that these stories were sent (again) at `at`: queued from then on.

        `since` is when the sending began: a story started since then keeps its earlier
        send time (it started after being sent, not before `at`). A run whose lease ran out
        by `at` is let go: it was given up for the copy just sent (a run left holding the
        story read as lost at every window while that copy waited)."""
        indexes = list(indexes)
        if not indexes:
            return
        these: tuple[Any, ...] = (
            story_runs.c.job_id == job_id,
            story_runs.c.attempt == attempt,
            story_runs.c.story_index.in_(indexes),
        )
        if since is not None:
            these += (or_(story_runs.c.started_at.is_(None), story_runs.c.started_at < since),)
        with self._connect() as conn:
            conn.execute(
                update(story_runs)
                .where(*these, story_runs.c.lease_expires_at < at)
                .values(run_id=None, lease_expires_at=None)
            )
            conn.execute(update(story_runs).where(*these).values(sent_at=at))

    def start_run(
        self,
        stored: StoredPlan,
        index: int,
        worker: str,
        now: datetime | None = None,
        *,
        task: str | None = None,
        retries: int = 0,
    ) -> StoryRun | None:
        """Take a story to summarize it, leased for `run_lease`; None while another run of it
        is live or it is stored: a copy of a task then costs no model call.

        `task` and `retries` (Celery's task id and retry count) let a retry take the story
        back from its task's previous try, whose lease is still live when the database
        outage that made it retry also kept it from ending its run."""
        now = now or datetime.now(UTC)
        run_id = _try_key(task, retries) + uuid.uuid4().hex[:16]
        run = StoryRun(stored.job_id, index, stored.attempt, run_id, worker[:128])
        free = [story_runs.c.run_id.is_(None), story_runs.c.lease_expires_at < now]
        if task is not None and retries > 0:
            free.append(story_runs.c.run_id.startswith(_try_key(task, retries - 1)))
        taken = {
            "run_id": run.run_id,
            "worker": run.worker,
            "started_at": now,
            "lease_expires_at": now + self.run_lease,
        }
        this_story = (story_runs.c.job_id == stored.job_id, story_runs.c.story_index == index)
        try:
            with self._connect() as conn:
                moved = conn.execute(
                    update(story_runs)
                    .where(
                        *this_story,
                        story_runs.c.attempt == stored.attempt,
                        or_(*free),
                        ~exists().where(
                            story_results.c.job_id == stored.job_id,
                            story_results.c.story_index == index,
                        ),
                    )
                    .values(**taken)
                )
                if moved.rowcount == 1:
                    return run
                if conn.execute(select(story_runs.c.attempt).where(*this_story)).first():
                    return None
                # no row: its plan was handed over by a worker older than revision 0004
                conn.execute(
                    insert(story_runs).values(
                        job_id=stored.job_id,
                        story_index=index,
                        attempt=stored.attempt,
                        sent_at=now,
                        **taken,
                    )
                )
        except IntegrityError:
            return None  # another run inserted it first
        return run

    def renew_run(self, run: StoryRun, now: datetime | None = None) -> bool:
        """Extend a run's lease (its heartbeat); False when another run has taken the story."""
        now = now or datetime.now(UTC)
        with self._connect() as conn:
            moved = conn.execute(
                update(story_runs)
                .where(*_this_run(run))
                .values(lease_expires_at=now + self.run_lease)
            )
        return moved.rowcount == 1

    def end_run(self, run: StoryRun) -> None:
        """Give a story back (stored or not): a story left unstored is then lost at once, not
        a lease later. Who ran it and when stays, for a look after the fact."""
        with self._connect() as conn:
            conn.execute(
                update(story_runs).where(*_this_run(run)).values(run_id=None, lease_expires_at=None)
            )

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

    def stalled(self, before: datetime, now: datetime | None = None) -> list[StalledFanout]:
        """Fanned-out jobs with no story stored since `before`, the stories they miss, and
        which of those are lost (see the module docstring).

        Their story tasks may be lost: a broker restarted without persistence forgets its
        messages, and a killed worker's run stops renewing its lease; the plan is safe in
        the database. Reads every run row of every stalled job: the stall check uses
        `resendable`, which skips in the database the jobs it would skip."""
        now = now or datetime.now(UTC)
        with self._connect() as conn:
            return _classify(conn, _stalled_fanouts(conn, before), before, _Queue(conn, now))

    def resendable(self, before: datetime, now: datetime | None = None) -> list[StalledFanout]:
        """Those of `stalled` that the stall check acts on: some story lost, or none missing
        (every story stored but not assembled), with the same lists.

        Why not `stalled`: behind a backlog, thousands of stalled jobs have only queued
        stories, and reading all their run rows into Python at every tick took 0.5-1 s.
        Here one query, through indexes, keeps only the jobs that may have a lost story or
        none missing (`_may_act`), and only those are read and classified as `stalled`
        does."""
        now = now or datetime.now(UTC)
        with self._connect() as conn:
            queue = _Queue(conn, now)
            current = _stalled_fanouts(conn, before, _may_act(queue.lost_before(before), now))
            stalled = _classify(conn, current, before, queue)
        return [s for s in stalled if s.lost or not s.missing]

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

    def untouch(self, job_id: str, owner: str, touched_at: datetime, back_to: datetime) -> bool:
        """Undo `touch` (a re-send the broker refused: checked again at the next tick), only
        if nothing wrote the job since: moving back the time of a story stored meanwhile
        made a progressing job look stalled, and its stories were sent again."""
        with self._connect() as conn:
            moved = conn.execute(
                update(JobRecord)
                .where(
                    JobRecord.id == job_id,
                    JobRecord.lease_owner == owner,
                    JobRecord.updated_at == touched_at,
                )
                .values(updated_at=back_to)
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
            conn.execute(delete(story_runs).where(story_runs.c.job_id.not_in(keep)))
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


def _stalled_fanouts(
    conn: Any, before: datetime, *where: Any
) -> list[tuple[str, str, int | None, int]]:
    """(job id, owner, story count, attempt) of fan-outs with nothing stored since `before`
    (and matching `where`)."""
    rows = conn.execute(
        select(JobRecord.id, JobRecord.lease_owner, JobRecord.progress_total, plans.c.attempt)
        .join(plans, plans.c.job_id == JobRecord.id)
        .where(
            JobRecord.status == "running",
            JobRecord.lease_owner.like(f"{FANOUT_PREFIX}%"),
            JobRecord.updated_at < before,
            *where,
        )
    ).all()
    # a job whose owner names another attempt holds the plan of an earlier attempt
    return [tuple(r) for r in rows if r.lease_owner == fanout_owner(r.id, r.attempt)]


def _may_act(lost_before: datetime | None, now: datetime) -> Any:
    """A condition on a stalled job (a digest_jobs row joined to its plan) that holds for
    every job the stall check acts on (every story stored, or a missing story lost by
    `_lost`'s rules), and for few others: `_classify` decides on those it keeps.

    Behind a backlog nearly every run row of a stalled job is live or queued: this reads
    through the indexes of revision 0005 only the other rows, so a tick costs a few index
    probes per stalled job, not a read of each of its stories. Kept: a job whose plan was
    not handed over with a row per story (no row of its attempt is `planned`: a story
    without a row is lost), or with every story stored, or with a run whose lease ran
    out, or one started since it was last sent and not stored, or one queued and sent
    before `lost_before` (None: no queued story is lost). Not kept, a job's missing
    stories all have live or queued rows, so none is lost."""
    run = story_runs.c
    total = func.coalesce(JobRecord.progress_total, 0)
    this_plan = (run.job_id == JobRecord.id, run.attempt == plans.c.attempt)
    every_row = exists().where(*this_plan, run.planned.is_(True))  # the first entry, mostly
    stored = (
        select(func.count())
        .select_from(story_results)
        .where(story_results.c.job_id == JobRecord.id)
        .scalar_subquery()
    )
    dead = select(run.job_id).where(run.run_id.is_not(None), run.lease_expires_at < now)
    # one probe per stalled job of its started runs (LIMIT 1 keeps PostgreSQL from
    # hashing every started run of every kept job instead)
    ended = (
        select(run.story_index)
        .where(
            *this_plan,
            run.started_at.is_not(None),
            run.started_at >= run.sent_at,
            run.run_id.is_(None),
            ~exists().where(
                story_results.c.job_id == run.job_id,
                story_results.c.story_index == run.story_index,
            ),
        )
        .limit(1)
        .scalar_subquery()
        .is_not(None)
    )
    may_act = [~every_row, stored >= total, JobRecord.id.in_(dead), ended]
    if lost_before is not None:
        forgotten = select(run.job_id).where(QUEUED_RUN, run.sent_at < lost_before)
        may_act.append(JobRecord.id.in_(forgotten))
    return or_(*may_act)


def _classify(
    conn: Any,
    current: list[tuple[str, str, int | None, int]],
    before: datetime,
    queue: _Queue,
) -> list[StalledFanout]:
    """What these stalled fan-outs miss, and which of it is lost (`_lost`)."""
    if not current:
        return []
    done, runs = _story_states(conn, [job_id for job_id, *_ in current])
    stalled = []
    for job_id, owner, total, attempt in current:
        missing = [i for i in range(total or 0) if (job_id, i) not in done]
        lost = [i for i in missing if _lost(runs.get((job_id, attempt, i)), before, queue)]
        stalled.append(StalledFanout(job_id, owner, attempt, missing, lost))
    return stalled


def _story_states(conn: Any, job_ids: list[str]) -> tuple[set[tuple[str, int]], dict[Any, Any]]:
    """The stored (job id, story) pairs of these jobs, and their run rows by (job, attempt,
    story)."""
    done = {
        (job_id, index)
        for job_id, index in conn.execute(
            select(story_results.c.job_id, story_results.c.story_index).where(
                story_results.c.job_id.in_(job_ids)
            )
        )
    }
    runs = {
        (r.job_id, r.attempt, r.story_index): r
        for r in conn.execute(select(story_runs).where(story_runs.c.job_id.in_(job_ids)))
    }
    return done, runs


def _try_key(task: str | None, retries: int) -> str:
    """The first half of a run id: one try of one Celery task (random without a task)."""
    if task is None:
        return uuid.uuid4().hex[:16]
    return hashlib.sha256(f"{task}:{retries}".encode()).hexdigest()[:16]


def _this_run(run: StoryRun) -> tuple[Any, ...]:
    return (
        story_runs.c.job_id == run.job_id,
        story_runs.c.story_index == run.index,
        story_runs.c.run_id == run.run_id,
    )


class _Queue:
    """What the runs say about the broker's queue, read once per stall check and only when
    a story's fate depends on it (a story sent and not started since)."""

    def __init__(self, conn: Any, now: datetime) -> None:
        self._conn = conn
        self.now = now
        self._front: datetime | None = None
        self._front_read = False
        self._idle: bool | None = None

    @property
    def front(self) -> datetime | None:
        """The latest send time of a story started since it was sent: the queue's front.

        Read by the start-time index in two short steps, not by a scan of every run: the
        run started last gives a send time the front is at least; a run that started
        before that time was sent before it, so only the runs started since can be ahead."""
        if not self._front_read:
            run = story_runs.c
            started = (run.started_at.is_not(None), run.started_at >= run.sent_at)
            floor = self._conn.execute(
                select(run.sent_at).where(*started).order_by(run.started_at.desc()).limit(1)
            ).scalar()
            if floor is not None:
                self._front = self._conn.execute(
                    select(func.max(run.sent_at)).where(*started, run.started_at >= floor)
                ).scalar()
            self._front_read = True
        return self._front

    def moved_past(self, sent_at: datetime) -> bool:
        """Has a story sent later than `sent_at` started? (FIFO: this one came out first.)"""
        front = self.front
        return front is not None and front > sent_at + SENT_ORDER_SLACK

    @property
    def idle(self) -> bool:
        """No worker busy: no live story run and no job being planned (workers are down,
        or free and the queue holds nothing of ours)."""
        if self._idle is None:
            running = exists().where(
                story_runs.c.run_id.is_not(None), story_runs.c.lease_expires_at >= self.now
            )
            planning = exists().where(
                JobRecord.status == "running",
                JobRecord.lease_owner.not_like(f"{FANOUT_PREFIX}%"),
                JobRecord.lease_expires_at >= self.now,
            )
            self._idle = not (
                self._conn.execute(select(running)).scalar()
                or self._conn.execute(select(planning)).scalar()
            )
        return self._idle

    def lost_before(self, before: datetime) -> datetime | None:
        """A story sent and not started since is lost when sent before this time (None:
        none is): `before` when no worker is busy, else also before the front by more
        than the slack (`_lost`: sent_at < before and (idle or moved_past(sent_at)))."""
        if self.idle:
            return before
        front = self.front
        if front is None:
            return None
        return min(before, front - SENT_ORDER_SLACK)


def _lost(run: Any, before: datetime, queue: _Queue) -> bool:
    """Is this missing story lost (send it again), rather than running or queued?"""
    if run is None:
        return True  # sent by a worker older than revision 0004: nothing says otherwise
    if run.run_id is not None:
        # live: running, its worker renews the lease; else the run stopped renewing (a
        # killed worker) and no copy was sent since (`mark_sent` lets such a run go). Not
        # told by its start and send times: a run may start before its send is recorded
        # (the planner records it after sending every story), or on a clock behind
        return run.lease_expires_at < queue.now
    if run.started_at is not None and run.started_at >= run.sent_at:
        return True  # its run ended without storing it after it was last sent
    # sent and not started since: queued behind a backlog, or forgotten by the broker
    return run.sent_at < before and (queue.idle or queue.moved_past(run.sent_at))
