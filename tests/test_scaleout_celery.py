"""Celery workers on the machine's Redis and PostgreSQL, driven through the HTTP API.

Two `celery worker` subprocesses (solo pool: the task runs in the process we
kill) consume a queue unique to this run. Digests are posted through the real
app; stories fan out as tasks; the tests read the per-story rows to see which
worker wrote each. Skipped, saying why, when Redis or PostgreSQL is absent.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.api import create_app
from service.config import Settings
from service.jobs.fanout import story_results
from tests.child_process import CELERY_WORKER, ChildProcess, child_env
from tests.local_services import REDIS_URL, redis_up
from tests.test_api_fakes import fake_pipeline, postgres_database, story_articles, wait_ended

VISIBILITY_S = 3
DELAY_S = 0.6


class Worker(ChildProcess):
    """`celery -A service.jobs.celery_app worker` as a subprocess with its own hostname."""

    def __init__(self, name: str, env: dict[str, str], folder: Path) -> None:
        self.marks = folder / f"{name}.marks"
        super().__init__(
            f"worker {name}", {**env, "TEST_WORKER_MARKS": str(self.marks)}, folder / f"{name}.log"
        )
        self.name = name
        self.hostname = f"{name}@scaleout-test"

    def start(self, timeout_s: float = 60.0) -> Worker:
        command = [
            *CELERY_WORKER,
            "--pool",
            "solo",
            "--hostname",
            self.hostname,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ]
        self.launch(
            command, lambda: "ready." in self.log_path.read_text(errors="replace"), timeout_s
        )
        return self


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A fresh database, a queue of its own, two workers, and the API on top."""
    if not redis_up():
        pytest.skip("Redis is not reachable at 127.0.0.1:6379 (scripts/start-services.sh)")
    folder = tmp_path_factory.mktemp("scaleout")
    with postgres_database() as url:
        queue = f"digest-test-{uuid.uuid4().hex[:10]}"
        values: dict[str, Any] = {
            "database_url": url,
            "broker_url": REDIS_URL,
            "celery_queue": queue,
            "broker_visibility_timeout_s": VISIBILITY_S,
            "job_lease_s": 3.0,
            "job_deadline_s": 120.0,
            "data_dir": folder,
            "allow_open_access": True,
            "wait_timeout_s": 30,
        }
        env = child_env(
            DIGEST_DATABASE_URL=url,
            BROKER_URL=REDIS_URL,
            DIGEST_CELERY_QUEUE=queue,
            DIGEST_BROKER_VISIBILITY_TIMEOUT_S=str(VISIBILITY_S),
            DIGEST_JOB_LEASE_S="3",
            DIGEST_WORKER_COMPONENTS="tests.test_scaleout_fakes:components",
            DIGEST_DATA_DIR=str(folder),
            TEST_SUMMARY_DELAY_S=str(DELAY_S),
        )
        with running_cluster(Settings(**values), env, folder) as running:
            yield running


@contextmanager
def running_cluster(
    settings: Settings, env: dict[str, str], folder: Path
) -> Iterator[dict[str, Any]]:
    """The API on `settings` (the fake pipeline) and two Celery workers started with `env`,
    for the block: its client, workers and a database engine; the queue is deleted after."""
    app = create_app(settings, pipeline=fake_pipeline(settings), warm_up=lambda: None)
    workers = [Worker(n, env, folder) for n in ("w1", "w2")]
    engine = sa.create_engine(str(settings.database_url))
    try:
        with TestClient(app) as client:  # migrates the database before workers start
            for worker in workers:
                worker.start()
            yield {"client": client, "workers": workers, "engine": engine}
    finally:
        for worker in workers:
            worker.stop()
        engine.dispose()
        redis.Redis.from_url(REDIS_URL).delete(settings.celery_queue)


def _wait_busy(worker: Worker, timeout_s: float) -> str:
    """Wait until `worker` is inside a summary; the first article id of that story."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lines = worker.marks.read_text().split() if worker.marks.exists() else []
        events = list(zip(lines[::2], lines[1::2], strict=False))
        if events and events[-1][0] == "start":
            return events[-1][1]
        time.sleep(0.02)
    raise AssertionError(f"{worker.name} never started a story:\n{worker.log_path.read_text()}")


def _rows(engine: sa.Engine, job_id: str) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [
            (int(index), str(worker))
            for index, worker in conn.execute(
                sa.select(story_results.c.story_index, story_results.c.worker).where(
                    story_results.c.job_id == job_id
                )
            )
        ]


def test_a_digest_spreads_over_both_workers_and_completes(cluster: dict[str, Any]) -> None:
    client, engine = cluster["client"], cluster["engine"]
    response = client.post("/v1/digests", json={"articles": story_articles(5, 2)})
    assert response.status_code == 202
    body = wait_ended(client, response.headers["location"], timeout_s=40)
    assert body["status"] == "done", body
    clusters = body["digest"]["clusters"]
    assert len(clusters) == 5 and all(c["summary"]["sentences"] for c in clusters)
    rows = _rows(engine, body["id"])
    assert sorted(index for index, _ in rows) == [0, 1, 2, 3, 4]
    assert {worker for _, worker in rows} == {"w1@scaleout-test", "w2@scaleout-test"}


def test_a_worker_killed_mid_job_loses_nothing_and_duplicates_nothing(
    cluster: dict[str, Any],
) -> None:
    client, engine = cluster["client"], cluster["engine"]
    victim = cluster["workers"][0]
    response = client.post("/v1/digests", json={"articles": story_articles(5, 2)})
    location, job_id = response.headers["location"], response.json()["id"]
    busy = _wait_busy(victim, timeout_s=20)
    victim.kill()
    body = wait_ended(client, location, timeout_s=45)
    assert body["status"] == "done", body
    rows = _rows(engine, job_id)
    assert sorted(index for index, _ in rows) == [0, 1, 2, 3, 4]  # each story exactly once
    by_index = dict(rows)
    stories = body["digest"]["clusters"]
    redelivered = next(i for i, c in enumerate(stories) if busy in c["article_ids"])
    assert by_index[redelivered] == "w2@scaleout-test"  # the killed worker's story, redone
    assert [c["id"] for c in body["digest"]["clusters"]] == ["c1", "c2", "c3", "c4", "c5"]
