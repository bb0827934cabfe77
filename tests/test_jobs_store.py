"""The job store against real databases: SQLite (a temp file) and PostgreSQL (a fresh DB)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from service.config import Settings
from service.errors import ConfigError
from service.jobs import (
    IdempotencyConflictError,
    JobRequest,
    JobStore,
    migrate,
)
from service.jobs.db import database_url, make_engine
from service.models import Article, Digest, JobError
from tests.test_api_fakes import engine, pg_url  # noqa: F401  (fixtures)


class Clock:
    """A clock the test moves by hand, so lease expiry needs no sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(engine: sa.Engine, clock: Clock) -> JobStore:
    return JobStore(engine, lease_s=30, max_attempts=2, clock=clock)


def request_of(text: str = "Ports closed after a storm on the coast.") -> JobRequest:
    return JobRequest(articles=[Article(id="a1", title="Storm", text=text)])


def empty_digest() -> Digest:
    return Digest(created_at=datetime.now(UTC), clusters=[], articles=[])


def _head_revision() -> str:
    """The newest migration shipped in service/jobs/migrations/versions."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import service.jobs

    config = Config()
    config.set_main_option(
        "script_location", str(Path(service.jobs.__file__).parent / "migrations")
    )
    return str(ScriptDirectory.from_config(config).get_current_head())


def test_migrations_create_the_table_and_are_idempotent(engine: sa.Engine) -> None:
    migrate(engine)  # second run: nothing to do, no error
    inspector = sa.inspect(engine)
    assert "digest_jobs" in inspector.get_table_names()
    with engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert version == _head_revision()


def _migrate_at_once(url: str, processes: int) -> list[Exception]:
    """Run `migrate` from `processes` engines (one connection each) released together."""
    engines = [make_engine(url) for _ in range(processes)]
    start = threading.Barrier(processes)
    errors: list[Exception] = []

    def run(one: sa.Engine) -> None:
        start.wait()
        try:
            migrate(one)
        except Exception as exc:  # noqa: BLE001 - returned to the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(one,)) for one in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for one in engines:
        one.dispose()
    return errors


def test_a_missing_postgresql_database_is_named_with_how_to_create_it(pg_url: str) -> None:
    """It said only "OperationalError" and to check that the server runs (it did)."""
    from sqlalchemy.engine import make_url

    missing = make_url(pg_url).set(database="digest_no_such_database")
    with pytest.raises(ConfigError) as refused:
        migrate(make_engine(missing.render_as_string(hide_password=False)))
    assert 'database "digest_no_such_database" does not exist' in refused.value.message
    assert refused.value.hint.startswith("create it first (createdb digest_no_such_database")


def test_processes_starting_at_once_on_a_new_sqlite_file_all_migrate(tmp_path: Path) -> None:
    """`uvicorn --workers N` (or two servers) on a fresh SQLite file: every one starts."""
    for round_ in range(6):
        url = f"sqlite:///{tmp_path / f'jobs{round_}.db'}"
        assert _migrate_at_once(url, 4) == []
        with make_engine(url).connect() as conn:
            versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        assert versions == [(_head_revision(),)]


def test_a_data_dir_that_cannot_be_made_is_named_with_the_setting(tmp_path: Path) -> None:
    """DIGEST_DATA_DIR under a file (or /proc) had given a FileNotFoundError traceback."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="cannot create the folder") as raised:
        make_engine(f"sqlite:///{blocker}/data/jobs.db")
    assert "DIGEST_DATA_DIR" in (raised.value.hint or "")


def test_default_url_is_sqlite_under_data_dir_and_postgres_urls_use_psycopg(
    tmp_path: Path,
) -> None:
    assert database_url(Settings(data_dir=tmp_path)) == f"sqlite:///{tmp_path / 'jobs.db'}"
    assert database_url(Settings(database_url="postgres://u@h/db")).startswith(
        "postgresql+psycopg://u@h/db"
    )


def test_create_then_get_round_trips_the_request(store: JobStore) -> None:
    job, created = store.create(request_of(), client="c1")
    assert created and job.status == "queued" and job.attempts == 0
    claimed = store.claim("w1", job.id)
    assert claimed is not None and claimed.request == request_of()
    assert store.get(job.id, client="someone-else") is None
    assert store.get(job.id, client="c1") is not None


def test_idempotency_key_returns_the_first_job_or_rejects_another_body(store: JobStore) -> None:
    first, created = store.create(request_of(), client="c1", idempotency_key="k1")
    again, created_again = store.create(request_of(), client="c1", idempotency_key="k1")
    assert created and not created_again and again.id == first.id
    other_client, created_other = store.create(request_of(), client="c2", idempotency_key="k1")
    assert created_other and other_client.id != first.id
    with pytest.raises(IdempotencyConflictError):
        store.create(request_of("A different article text."), client="c1", idempotency_key="k1")


def test_only_one_of_many_racing_workers_claims_a_job(store: JobStore) -> None:
    jobs = [store.create(request_of(f"Story number {n} text."), client="c")[0] for n in range(6)]
    claims: list[tuple[str, str]] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while (claimed := store.claim(name)) is not None:
            with lock:
                claims.append((claimed.id, name))

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    claimed_ids = [job_id for job_id, _ in claims]
    assert sorted(claimed_ids) == sorted(j.id for j in jobs)  # each exactly once
    assert all(store.get(j.id).status == "running" for j in jobs)  # type: ignore[union-attr]


def test_writes_need_the_lease_and_cancel_takes_it_away(store: JobStore) -> None:
    job, _ = store.create(request_of(), client="c")
    assert store.claim("w1", job.id) is not None
    assert store.claim("w2", job.id) is None
    assert not store.record_progress(job.id, "w2", "summarize", 1, 3)
    assert store.record_progress(job.id, "w1", "summarize", 1, 3)
    progress = store.get(job.id).progress  # type: ignore[union-attr]
    assert progress is not None and (progress.stage, progress.done, progress.total) == (
        "summarize",
        1,
        3,
    )
    assert store.cancel(job.id)
    assert not store.record_progress(job.id, "w1", "summarize", 2, 3)
    assert not store.finish(job.id, "w1", empty_digest())
    assert store.get(job.id).status == "cancelled"  # type: ignore[union-attr]


def test_finish_and_fail_store_the_outcome(store: JobStore) -> None:
    done, _ = store.create(request_of(), client="c")
    failed, _ = store.create(request_of("Another text for a second job."), client="c")
    store.claim("w", done.id)
    store.claim("w", failed.id)
    assert store.finish(done.id, "w", empty_digest())
    error = JobError(reason="backend", detail="the model timed out", status=502)
    assert store.fail(failed.id, "w", error)
    got_done, got_failed = store.get(done.id), store.get(failed.id)
    assert got_done is not None and got_done.status == "done" and got_done.digest is not None
    assert got_failed is not None and got_failed.error == error
    assert store.counts() == {"done": 1, "failed": 1}


def test_recovery_requeues_an_orphaned_job_then_fails_it_after_max_attempts(
    store: JobStore, clock: Clock
) -> None:
    job, _ = store.create(request_of(), client="c")
    store.claim("dead-1", job.id)
    assert store.record_progress(job.id, "dead-1", "summarize", 9, 12)
    clock.advance(10)
    assert store.recover().requeued == []  # lease still valid: maybe only slow, not dead
    clock.advance(25)
    assert store.recover().requeued == [job.id]
    waiting = store.get(job.id)  # the dead run's progress is not shown while it waits
    assert waiting is not None and waiting.status == "queued" and waiting.progress is None
    claimed = store.claim("dead-2")
    assert claimed is not None and claimed.attempts == 2
    clock.advance(31)
    recovery = store.recover()
    assert recovery.failed == [job.id]
    final = store.get(job.id)
    assert final is not None and final.status == "failed"
    assert final.error is not None and final.error.reason == "interrupted"
    assert "2 time(s)" in final.error.detail


def test_a_renewed_lease_is_not_recovered(store: JobStore, clock: Clock) -> None:
    job, _ = store.create(request_of(), client="c")
    store.claim("alive", job.id)
    for _ in range(4):
        clock.advance(20)
        assert store.renew(job.id, "alive")
        assert store.recover().requeued == []
    assert store.get(job.id).status == "running"  # type: ignore[union-attr]


def test_release_hands_jobs_back_without_using_an_attempt(store: JobStore) -> None:
    job, _ = store.create(request_of(), client="c")
    store.claim("w", job.id)
    assert store.record_progress(job.id, "w", "embed", 3, 40)
    assert store.get(job.id).progress is not None  # type: ignore[union-attr]
    assert store.release("w") == 1
    again = store.get(job.id)
    assert again is not None and again.status == "queued" and again.attempts == 0
    assert again.progress is None


def test_delete_removes_only_ended_jobs(store: JobStore) -> None:
    job, _ = store.create(request_of(), client="c")
    assert not store.delete(job.id)  # still queued
    assert store.cancel(job.id)
    assert not store.delete(job.id, client="other")
    assert store.delete(job.id, client="c")
    assert store.get(job.id) is None
