"""Against a real uvicorn server on 127.0.0.1 (a subprocess): a server killed with SIGKILL in
the middle of a job, started again on the same database, and the job's fate followed through
server-sent events on the new server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.jobs import JobStore, make_engine
from tests.test_api_fakes import Server, postgres_database, sqlite_url, story_articles

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def read_events(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs from a text/event-stream response."""
    event, data = "message", ""
    for line in response.iter_lines():
        if line.startswith("event:"):
            event = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data += line.removeprefix("data:").strip()
        elif line == "" and data:
            yield event, json.loads(data)
            event, data = "message", ""


def wait_for_progress(server: Server, location: str, clusters_done: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        progress = httpx.get(server.url + location).json()["progress"] or {}
        if progress.get("stage") == "summarize" and progress.get("done", 0) >= clusters_done:
            return
        assert time.monotonic() < deadline, "the job never got going"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("database", "max_attempts", "fate"),
    [("sqlite", 2, "done"), ("postgresql", 1, "failed")],
)
def test_a_job_survives_its_server_being_killed(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    servers: list[Server],
    database: str,
    max_attempts: int,
    fate: str,
) -> None:
    url = sqlite_url(tmp_path) if database == "sqlite" else request.getfixturevalue("pg_url")
    env = {
        "DIGEST_DATABASE_URL": url,
        "DIGEST_DATA_DIR": str(tmp_path),
        "DIGEST_ALLOW_OPEN_ACCESS": "true",
        "DIGEST_JOB_WORKERS": "1",
        "DIGEST_CONCURRENCY": "1",  # clusters one after another: one progress event each
        "DIGEST_JOB_LEASE_S": "1.5",
        "DIGEST_JOB_MAX_ATTEMPTS": str(max_attempts),
        "TEST_SUMMARY_DELAY_S": "0.5",
    }
    first = Server(env, tmp_path / "first.log").start()
    servers.append(first)
    created = httpx.post(f"{first.url}/v1/digests", json={"articles": story_articles(5)})
    assert created.status_code == 202
    location = created.headers["location"]
    wait_for_progress(first, location, clusters_done=1)
    first.kill()

    engine = make_engine(url)
    left = JobStore(engine).get(created.json()["id"], with_digest=False)
    engine.dispose()
    assert left is not None and left.status == "running"  # SIGKILL: nobody cleaned up

    second = Server(env, tmp_path / "second.log").start()
    servers.append(second)
    with httpx.stream("GET", second.url + f"{location}/events", timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        received = list(read_events(response))
    names = [name for name, _ in received]
    assert names[-1] == fate and set(names[:-1]) <= {"progress"}
    final = received[-1][1]
    assert final["links"]["self"] == location
    assert "recovered jobs whose server stopped" in (tmp_path / "second.log").read_text()

    if fate == "done":
        # the stream may open before the dead run's lease ran out: it then shows that run's
        # last progress (attempt 1) first, and the second run's from 0 after
        attempts = [data["attempts"] for name, data in received if name == "progress"]
        assert attempts == sorted(attempts)
        clusters_seen = [
            data["progress"]["done"]
            for name, data in received
            if name == "progress"
            and data["attempts"] == 2
            and (data["progress"] or {}).get("stage") == "summarize"
        ]
        assert clusters_seen == sorted(clusters_seen) and len(set(clusters_seen)) >= 3
        job = httpx.get(second.url + location).json()
        assert job["attempts"] == 2 and len(job["digest"]["clusters"]) == 5
    else:
        assert final["error"]["reason"] == "interrupted"
        assert "submit it again" in final["error"]["detail"]
