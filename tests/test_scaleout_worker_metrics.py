"""A Celery worker's own /metrics (DIGEST_WORKER_METRICS_PORT), on the machine's Redis and
PostgreSQL: a prefork worker with two pool processes, so the counts of both processes
must be summed by the main process that serves them. Skipped when Redis or PostgreSQL
is absent."""

from __future__ import annotations

import socket
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.api import create_app
from service.config import Settings
from tests.child_process import CELERY_WORKER, ChildProcess, child_env, run_worker_to_exit
from tests.local_services import REDIS_URL, redis_up
from tests.test_api_fakes import (
    fake_pipeline,
    free_port,
    postgres_database,
    story_articles,
    wait_ended,
)

TOKENS_PER_STORY = 120


def _samples(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample the worker serves, by name and labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The API, and one prefork worker (two processes) that serves its metrics."""
    if not redis_up():
        pytest.skip("Redis is not reachable at 127.0.0.1:6379 (scripts/start-services.sh)")
    folder = tmp_path_factory.mktemp("worker-metrics")
    port = free_port()
    shared = folder / "prometheus"  # as if another worker on this host counted here too
    shared.mkdir()
    (shared / "counter_1.db").write_bytes(b"another worker's counts")
    with postgres_database() as url:
        queue = f"digest-test-{uuid.uuid4().hex[:10]}"
        settings = Settings(
            database_url=url,
            broker_url=REDIS_URL,
            celery_queue=queue,
            data_dir=folder,
            allow_open_access=True,
        )
        env = child_env(
            DIGEST_DATABASE_URL=url,
            BROKER_URL=REDIS_URL,
            DIGEST_CELERY_QUEUE=queue,
            DIGEST_WORKER_COMPONENTS="tests.test_scaleout_fakes:components",
            DIGEST_DATA_DIR=str(folder),
            DIGEST_WORKER_METRICS_PORT=str(port),
            DIGEST_WORKER_METRICS_HOST="127.0.0.1",
            TEST_SUMMARY_TOKENS=str(TOKENS_PER_STORY),
            TEST_SUMMARY_DELAY_S="0.3",  # both pool processes take stories
            PROMETHEUS_MULTIPROC_DIR=str(shared),
        )
        worker = ChildProcess("metrics worker", env, folder / "worker.log")
        app = create_app(settings, pipeline=fake_pipeline(settings), warm_up=lambda: None)
        try:
            with TestClient(app) as client:  # migrates the database before the worker starts
                command = [*CELERY_WORKER, "--pool", "prefork", "--concurrency", "2"]
                command += ["--without-gossip", "--without-mingle", "--loglevel", "INFO"]
                worker.launch(
                    command,
                    lambda: "ready." in worker.log_path.read_text(errors="replace"),
                    60.0,
                )
                yield {"client": client, "port": port, "shared": shared}
                assert len([p for p in shared.iterdir() if p.is_dir()]) == 1  # its own
        finally:
            worker.stop()
            redis.Redis.from_url(REDIS_URL).delete(queue)
        assert [p.name for p in shared.iterdir()] == ["counter_1.db"]  # its own, removed


def test_a_worker_serves_the_counts_of_all_its_pool_processes(setup: dict[str, Any]) -> None:
    client, port = setup["client"], setup["port"]
    before = _samples(port)
    assert ("digest_jobs_ended_total", (("outcome", "done"),)) not in before

    done = client.post("/v1/digests", json={"articles": story_articles(4, 2)})
    body = wait_ended(client, done.headers["location"])
    assert body["status"] == "done", body
    # nothing reads articles from the web here: every address is refused, so the job fails
    failed = client.post("/v1/digests", json={"urls": ["http://127.0.0.1:9/story"]})
    failure = wait_ended(client, failed.headers["location"])
    assert failure["status"] == "failed", failure

    samples = _samples(port)
    assert samples[("digest_jobs_ended_total", (("outcome", "done"),))] == 1
    assert samples[("digest_jobs_ended_total", (("outcome", "failed"),))] == 1
    reason = failure["error"]["reason"]
    assert samples[("digest_job_failures_total", (("reason", reason),))] == 1
    assert samples[("digest_job_duration_seconds_count", (("outcome", "done"),))] == 1
    assert samples[("digest_job_duration_seconds_sum", (("outcome", "done"),))] > 0
    assert samples[("digest_stories_summarized_total", (("backend", "extractive"),))] == 4
    assert samples[("digest_story_duration_seconds_count", ())] == 4
    prompt = (("backend", "extractive"), ("kind", "prompt"))
    assert samples[("digest_llm_tokens_total", prompt)] == 4 * TOKENS_PER_STORY


@pytest.mark.parametrize(
    ("port_taken", "extra", "said"),
    [
        (True, {}, "cannot serve its metrics"),
        (False, {"PROMETHEUS_MULTIPROC_DIR": "a-file/metrics"}, "cannot count its metrics in"),
        (  # an LLM setting that cannot work: every story would have failed
            False,
            {"DIGEST_BACKEND": "openai/gpt-4o-mini", "DIGEST_LLM_CONTEXT_TOKENS": "1024"},
            "DIGEST_LLM_CONTEXT_TOKENS",
        ),
    ],
)
def test_a_worker_that_cannot_do_its_work_does_not_start(
    tmp_path: Path, port_taken: bool, extra: dict[str, str], said: str
) -> None:
    """A metrics directory it cannot write had let the worker start, then failed every
    story; so had an LLM context window too small for the prompt."""
    (tmp_path / "a-file").write_text("not a directory")
    extra = {
        k: str(tmp_path / v) if k == "PROMETHEUS_MULTIPROC_DIR" else v for k, v in extra.items()
    }
    with socket.socket() as taken, postgres_database() as url:
        taken.bind(("127.0.0.1", 0))
        if port_taken:
            taken.listen()
        port = taken.getsockname()[1] if port_taken else free_port()
        env = child_env(
            DIGEST_DATABASE_URL=url,
            BROKER_URL=REDIS_URL,
            DIGEST_WORKER_METRICS_PORT=str(port),
            DIGEST_WORKER_METRICS_HOST="127.0.0.1",
            **extra,
        )
        worker = run_worker_to_exit(env, tmp_path)
    assert worker.returncode != 0
    assert said in worker.stderr, worker.stderr[-2000:]
    assert "worker not started" in worker.stderr
