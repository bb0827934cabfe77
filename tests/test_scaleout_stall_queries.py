"""The stall check's queries (revision 0005), on SQLite and the machine's PostgreSQL.

With thousands of stalled fan-outs whose stories were only queued behind a backlog,
every recovery tick read all their run rows into Python (0.5-1 s a tick; timed by
`bench/stall_check.py`, not here). The tick now asks `FanoutStore.resendable`, which
keeps in the database only the jobs it may act on, through indexes. These tests pin
what that relies on: the indexes and the `planned` mark exist after migrating, the
queue's front read through the index is the true one, and `resendable` lists exactly
the stalled fan-outs that `stalled` says the tick acts on, in a mix of lost, queued,
running, ended and stored stories, legacy plans without run rows, busy and idle workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from service.jobs import JobStore, migrate
from service.jobs import fanout as fanout_module
from service.jobs.db import MIGRATIONS
from service.jobs.fanout import (
    SENT_ORDER_SLACK,
    FanoutStore,
    StalledFanout,
    StoredPlan,
    plans,
    story_runs,
)
from service.jobs.tables import JobRecord
from tests.test_api_fakes import (  # noqa: F401  (pg_url: a fixture)
    emptied_database,
    pg_url,
    postgres_database,
    sqlite_url,
)
from tests.test_scaleout_fanout import _planned, _summary

NOW = datetime.now(UTC) + timedelta(hours=2)  # every job below was updated before BEFORE
BEFORE = NOW - timedelta(minutes=5)
SENT = NOW - timedelta(hours=1)  # when the stories of most jobs were sent
AHEAD = SENT - timedelta(seconds=20)  # ...and those that started, ahead of them in the queue


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """A freshly migrated, empty job database of each kind."""
    tables = ["digest_story_results", "digest_story_runs", "digest_plans", "digest_jobs"]
    with emptied_database(request, tmp_path, tables) as emptied:
        yield emptied


def _indexes(engine: sa.Engine, table: str) -> dict[str, list[str]]:
    return {i["name"]: list(i["column_names"]) for i in sa.inspect(engine).get_indexes(table)}


def test_migration_0005_creates_the_indexes_and_column_the_tables_declare(
    engine: sa.Engine,
) -> None:
    """The tables in the code and the migrated database agree, and 0005 downgrades."""
    declared = {
        "digest_story_runs": story_runs.indexes,
        "digest_plans": plans.indexes,
        "digest_jobs": JobRecord.__table__.indexes,
    }
    for table, indexes in declared.items():
        found = _indexes(engine, table)
        for index in indexes:
            assert found.get(str(index.name)) == [c.name for c in index.columns], index.name
    assert {
        "ix_digest_story_runs_lease_expires_at",
        "ix_digest_story_runs_started_at",
        "ix_digest_story_runs_job_started",
        "ix_digest_story_runs_queued",
    } <= set(_indexes(engine, "digest_story_runs"))
    columns = {c["name"] for c in sa.inspect(engine).get_columns("digest_story_runs")}
    assert "planned" in columns
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0004")
        conn.commit()
    assert "ix_digest_story_runs_queued" not in _indexes(engine, "digest_story_runs")
    assert "planned" not in {c["name"] for c in sa.inspect(engine).get_columns("digest_story_runs")}
    migrate(engine)
    assert "ix_digest_story_runs_queued" in _indexes(engine, "digest_story_runs")


def test_the_queued_index_is_partial_and_the_planner_can_use_it(engine: sa.Engine) -> None:
    """The query for queued stories names the index's own predicate, so the planner may
    read the queued runs alone; on SQLite the plan says it does."""
    query = sa.select(story_runs.c.job_id).where(
        fanout_module.QUEUED_RUN, story_runs.c.sent_at < NOW
    )
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
            assert "ix_digest_story_runs_queued" in plan
        else:
            definition = conn.execute(
                sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"),
                {"n": "ix_digest_story_runs_queued"},
            ).scalar_one()
            assert "WHERE" in definition and "started_at < sent_at" in definition


def _stores(engine: sa.Engine) -> tuple[JobStore, FanoutStore]:
    return JobStore(engine, lease_s=30, max_attempts=2), FanoutStore(engine)


def _set(engine: sa.Engine, job_id: str, *where: Any, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(story_runs).where(story_runs.c.job_id == job_id, *where).values(**values)
        )


def _stored_at(engine: sa.Engine, job_id: str, at: datetime) -> None:
    """When the job last stored a story: before BEFORE, it is stalled."""
    with engine.begin() as conn:
        conn.execute(sa.update(JobRecord).where(JobRecord.id == job_id).values(updated_at=at))


def _mix(engine: sa.Engine) -> dict[str, StoredPlan]:
    """Fan-outs of 3 stories each, in every state a story can be in (see the names)."""
    job_store, fanout = _stores(engine)
    jobs = {
        name: _planned(job_store, fanout)
        for name in (
            "busy",
            "queued",
            "dead_run",
            "ended_unstored",
            "all_stored",
            "part_stored",
            "forgotten",
            "legacy_no_rows",
            "legacy_one_row",
            "legacy_all_running",
            "stored_requeued",
            "not_stalled",
        )
    }
    for stored in jobs.values():
        _set(engine, stored.job_id, sent_at=SENT)
    # a worker busy with a job sent before the others: the queue's front
    busy = jobs["busy"]
    _set(engine, busy.job_id, sent_at=SENT - timedelta(seconds=10))
    assert fanout.start_run(busy, 0, "w1", now=NOW - timedelta(seconds=5)) is not None
    # a run whose worker died: its lease ran out
    assert fanout.start_run(jobs["dead_run"], 1, "w2", now=SENT + timedelta(minutes=1))
    # a run that ended without storing its story
    run = fanout.start_run(jobs["ended_unstored"], 2, "w3", now=SENT + timedelta(minutes=1))
    assert run is not None
    fanout.end_run(run)
    for index in range(3):
        assert fanout.record(jobs["all_stored"], index, "w4", _summary("Done."))
    run = fanout.start_run(jobs["part_stored"], 0, "w5", now=SENT + timedelta(minutes=1))
    assert run is not None and fanout.record(jobs["part_stored"], 0, "w5", _summary("Done."))
    fanout.end_run(run)
    # queued long before the front: the queue went past it
    _set(
        engine,
        jobs["forgotten"].job_id,
        story_runs.c.story_index == 1,
        sent_at=SENT - timedelta(hours=1),
    )
    # plans handed over by workers older than revision 0004: rows missing, or not planned
    for name in ("legacy_no_rows", "legacy_one_row", "legacy_all_running"):
        with engine.begin() as conn:
            conn.execute(sa.delete(story_runs).where(story_runs.c.job_id == jobs[name].job_id))
    assert fanout.start_run(jobs["legacy_one_row"], 1, "w6", now=NOW) is not None
    for index in range(3):
        assert fanout.start_run(jobs["legacy_all_running"], index, "w7", now=NOW) is not None
    # a stored story sent again later (its row reads queued), the others queued
    stored = jobs["stored_requeued"]
    assert fanout.record(stored, 0, "w8", _summary("Done."))
    _set(
        engine,
        stored.job_id,
        story_runs.c.story_index == 0,
        started_at=SENT - timedelta(hours=3),
        sent_at=SENT - timedelta(hours=2),
    )
    for name, stored in jobs.items():
        _stored_at(engine, stored.job_id, NOW if name == "not_stalled" else SENT)
        if name not in ("busy", "stored_requeued"):  # these started ahead of `busy`
            _set(engine, stored.job_id, story_runs.c.started_at.is_not(None), sent_at=AHEAD)
    return jobs


def _acted_on(stalled: list[StalledFanout]) -> dict[str, StalledFanout]:
    """What `CeleryExecutor._resume_stalled` acts on: some story lost, or none missing."""
    return {s.job_id: s for s in stalled if not s.missing or s.lost}


def _names(jobs: dict[str, StoredPlan], found: dict[str, StalledFanout]) -> set[str]:
    return {name for name, stored in jobs.items() if stored.job_id in found}


def test_resendable_lists_exactly_the_fanouts_the_stall_check_acts_on(engine: sa.Engine) -> None:
    """Workers busy, then the queue moving past some stories, then every worker idle: in
    each, the same fan-outs with the same missing and lost stories as `stalled` gives."""
    jobs = _mix(engine)
    job_store, fanout = _stores(engine)

    def check() -> set[str]:
        expected = _acted_on(fanout.stalled(BEFORE, NOW))
        found = {s.job_id: s for s in fanout.resendable(BEFORE, NOW)}
        assert found == expected
        return _names(jobs, found)

    assert check() == {
        "dead_run",
        "ended_unstored",
        "all_stored",
        "forgotten",
        "legacy_no_rows",
        "legacy_one_row",
    }
    # a story of a job sent after `queued` started: the queue went past everything older
    assert fanout.start_run(jobs["not_stalled"], 0, "w9", now=NOW - timedelta(seconds=1))
    _set(
        engine,
        jobs["not_stalled"].job_id,
        story_runs.c.story_index == 0,
        sent_at=SENT + 2 * SENT_ORDER_SLACK,
    )
    assert check() == {
        "dead_run",
        "ended_unstored",
        "all_stored",
        "forgotten",
        "legacy_no_rows",
        "legacy_one_row",
        "queued",
        "busy",
        "part_stored",
        "stored_requeued",
    }
    # no worker busy (no live run, nothing being planned): every queued story is lost
    with engine.begin() as conn:
        conn.execute(sa.update(story_runs).values(run_id=None, lease_expires_at=None))
    assert check() == set(jobs) - {"not_stalled"}


def test_the_tick_reads_no_story_of_a_fanout_whose_stories_are_only_queued(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The known defect: every stalled job's rows were read at every tick. Now only the
    jobs the check may act on are read, not those whose missing stories all wait."""
    jobs = _mix(engine)
    _, fanout = _stores(engine)
    read: list[str] = []
    states = fanout_module._story_states

    def counted(conn: Any, job_ids: list[str]) -> Any:
        read.extend(job_ids)
        return states(conn, job_ids)

    monkeypatch.setattr(fanout_module, "_story_states", counted)
    acted = {s.job_id for s in fanout.resendable(BEFORE, NOW)}
    # also read: a legacy plan (no planned row), whole as before, and a job whose stored
    # story was sent again long ago (its row reads as queued and forgotten)
    kept = {jobs[name].job_id for name in ("legacy_all_running", "stored_requeued")}
    assert set(read) == acted | kept
    for name in ("busy", "queued", "part_stored"):
        assert jobs[name].job_id not in read


def test_hand_over_marks_its_rows_planned_and_a_task_inserts_unplanned(engine: sa.Engine) -> None:
    job_store, fanout = _stores(engine)
    stored = _planned(job_store, fanout)
    with engine.begin() as conn:
        conn.execute(
            sa.delete(story_runs).where(
                story_runs.c.job_id == stored.job_id, story_runs.c.story_index == 2
            )
        )
    assert fanout.start_run(stored, 2, "w1") is not None  # a row a task inserted
    with engine.connect() as conn:
        marks = dict(
            conn.execute(
                sa.select(story_runs.c.story_index, story_runs.c.planned).where(
                    story_runs.c.job_id == stored.job_id
                )
            ).all()
        )
    assert marks == {0: True, 1: True, 2: None}


def test_the_queue_front_read_by_index_is_the_latest_send_of_a_started_story(
    engine: sa.Engine,
) -> None:
    """The two index reads give what a scan of every run gives, also when the run started
    last was sent long before another that started earlier."""
    job_store, fanout = _stores(engine)
    jobs = [_planned(job_store, fanout) for _ in range(3)]
    rows = [  # (job, story, sent, started): None never started
        (0, 0, SENT, SENT + timedelta(minutes=50)),  # the run started last, sent early
        (0, 1, SENT + timedelta(minutes=20), SENT + timedelta(minutes=30)),  # the front
        (0, 2, SENT + timedelta(minutes=40), None),  # queued: not the front
        (1, 0, SENT + timedelta(minutes=45), SENT + timedelta(minutes=10)),  # sent again
        (1, 1, SENT - timedelta(minutes=20), SENT - timedelta(minutes=10)),
        (1, 2, SENT, None),
        (2, 0, SENT, None),
        (2, 1, SENT, None),
        (2, 2, SENT, None),
    ]
    for job, index, sent, started in rows:
        _set(
            engine,
            jobs[job].job_id,
            story_runs.c.story_index == index,
            sent_at=sent,
            started_at=started,
        )
    with engine.connect() as conn:
        front = fanout_module._Queue(conn, NOW).front
        scanned = conn.execute(
            sa.select(sa.func.max(story_runs.c.sent_at)).where(
                story_runs.c.started_at >= story_runs.c.sent_at
            )
        ).scalar()
    assert front == scanned == SENT + timedelta(minutes=20)


@pytest.mark.parametrize("idle", [True, False])
@pytest.mark.parametrize("front", [None, SENT, BEFORE + timedelta(minutes=1)])
def test_lost_before_says_what_lost_says_of_a_queued_story(
    idle: bool, front: datetime | None
) -> None:
    """A queued story is lost when sent before `lost_before`, exactly as `_lost` rules."""
    queue = fanout_module._Queue(None, NOW)
    queue._idle, queue._front, queue._front_read = idle, front, True
    cutoff = queue.lost_before(BEFORE)
    for minutes in range(-90, 10):
        sent = BEFORE + timedelta(minutes=minutes, microseconds=7)
        for offset in (timedelta(0), SENT_ORDER_SLACK, -SENT_ORDER_SLACK):
            at = sent + offset
            queued = _Run(sent_at=at)
            expected = fanout_module._lost(queued, BEFORE, queue)
            assert (cutoff is not None and at < cutoff) == expected, (at, cutoff)


class _Run:
    """A run row of a story sent and not started since."""

    def __init__(self, sent_at: datetime) -> None:
        self.run_id = None
        self.started_at = None
        self.sent_at = sent_at
