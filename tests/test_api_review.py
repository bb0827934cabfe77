"""An operator's and an API client's review: what a real uvicorn server answers while it is
told to stop (SIGTERM) with an event stream open or a `?wait=true` request waiting, and how
it refuses to start with half a Slack configuration."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.api import create_app
from service.config import Settings
from tests.child_process import ROOT, child_env
from tests.test_api_fakes import Server, fake_pipeline, sqlite_url, story_articles
from tests.test_api_server import read_events

pytestmark = pytest.mark.timeout(180)


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {
        "DIGEST_DATABASE_URL": sqlite_url(tmp_path),
        "DIGEST_DATA_DIR": str(tmp_path),
        "DIGEST_ALLOW_OPEN_ACCESS": "true",
        "DIGEST_JOB_WORKERS": "1",
        "DIGEST_CONCURRENCY": "1",
        "TEST_SUMMARY_DELAY_S": "1",  # 5 stories: a job of about 5 s
        **more,
    }


def _wait_running(server: Server, location: str) -> None:
    deadline = time.monotonic() + 30
    while httpx.get(server.url + location).json()["status"] != "running":
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)


def _stopped_cleanly(server: Server) -> bool:
    """Exited through its shutdown (uvicorn re-raises the SIGTERM it caught: -15)."""
    assert server.process is not None
    server.process.wait(timeout=30)
    return "Application shutdown complete" in server.log_tail()


def test_an_event_stream_open_at_sigterm_ends_cleanly_saying_to_reconnect(
    tmp_path: Path, servers: list[Server]
) -> None:
    """It was cut mid-body ("ASGI callable returned without completing response"): curl
    exited 18, httpx raised RemoteProtocolError, and nothing said what to do next."""
    server = Server(_env(tmp_path), tmp_path / "server.log").start()
    servers.append(server)
    created = httpx.post(f"{server.url}/v1/digests", json={"articles": story_articles(5)})
    location = created.headers["location"]
    _wait_running(server, location)
    received: list[tuple[str, dict[str, Any]]] = []
    with httpx.stream("GET", f"{server.url}{location}/events", timeout=30) as response:
        events = read_events(response)
        received.append(next(events))
        assert server.process is not None
        server.process.terminate()
        received.extend(events)  # raised RemoteProtocolError before the fix
    assert _stopped_cleanly(server)
    name, last = received[-1]
    assert name == "reconnect", received
    assert last["status"] in ("queued", "running") and last["retry_after_s"] > 0
    assert f"{location}/events" in last["detail"]
    assert "ASGI callable returned without completing response" not in server.log_tail()

    # nothing accepted is lost: the next server on the same database finishes the job once
    again = Server(_env(tmp_path), tmp_path / "again.log").start()
    servers.append(again)
    with httpx.stream("GET", f"{again.url}{location}/events", timeout=60) as response:
        names = [name for name, _ in read_events(response)]
    assert names[-1] == "done"
    job = httpx.get(again.url + location).json()
    assert job["attempts"] == 1 and len(job["digest"]["clusters"]) == 5


def test_a_waiting_post_answers_202_at_once_when_the_server_is_told_to_stop(
    tmp_path: Path, servers: list[Server]
) -> None:
    """`?wait=true` had held the shutdown until its job ended or DIGEST_WAIT_TIMEOUT_S ran
    out (past `docker stop`'s 10 s, whose SIGKILL leaves running jobs to their lease)."""
    env = _env(tmp_path, TEST_SUMMARY_DELAY_S="3", DIGEST_WAIT_TIMEOUT_S="60")
    server = Server(env, tmp_path / "server.log").start()
    servers.append(server)
    answers: list[httpx.Response] = []

    def post() -> None:
        answers.append(
            httpx.post(
                f"{server.url}/v1/digests?wait=true&timeout=60",
                json={"articles": story_articles(2)},  # about 6 s
                timeout=90,
            )
        )

    poster = threading.Thread(target=post)
    poster.start()
    deadline = time.monotonic() + 30
    while not _any_running(server):
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    told = time.monotonic()
    assert server.process is not None
    server.process.terminate()
    poster.join(timeout=60)
    answered_after = time.monotonic() - told
    assert answers and answers[0].status_code == 202, answers
    # the job runs 6 s; the answer had waited for its end (0.03 s seen with the fix)
    assert answered_after < 3, f"the waiting request held the shutdown {answered_after:.1f} s"
    assert _stopped_cleanly(server)
    location = answers[0].headers["location"]

    again = Server(env, tmp_path / "again.log").start()
    servers.append(again)
    deadline = time.monotonic() + 60
    while (job := httpx.get(again.url + location).json())["status"] != "done":
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["attempts"] == 1  # handed back at the stop, run once by the next server


def _any_running(server: Server) -> bool:
    text = httpx.get(f"{server.url}/metrics").text
    return any(
        line.startswith('digest_jobs{status="running"}') and not line.endswith(" 0.0")
        for line in text.splitlines()
    )


def test_half_a_slack_configuration_is_refused_in_one_line(tmp_path: Path) -> None:
    """`make serve` with DIGEST_SLACK_BOT_TOKEN and no signing secret printed a 40-line
    traceback through uvicorn's loader (exit 1), its hint at the very end."""
    env = child_env(
        DIGEST_DATA_DIR=str(tmp_path),
        DIGEST_DATABASE_URL=sqlite_url(tmp_path),
        DIGEST_ALLOW_OPEN_ACCESS="true",
        DIGEST_SLACK_BOT_TOKEN="xoxb-not-a-real-token",
    )
    command = [sys.executable, "-m", "uvicorn", "--factory", "service.api:create_app"]
    command += ["--host", "127.0.0.1", "--port", "0"]
    ended = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert ended.returncode == 2, ended.stderr
    assert "Traceback" not in ended.stderr
    last = ended.stderr.strip().splitlines()[-1]
    assert last.startswith("error: the Slack signing secret is not set")
    assert "DIGEST_SLACK_SIGNING_SECRET" in last


def test_a_wait_longer_than_the_server_allows_is_cut_not_refused(tmp_path: Path) -> None:
    """The README: "S is cut to DIGEST_WAIT_TIMEOUT_S"; `timeout=3600` had been a 422
    ("less than or equal to 600") for a client asking to wait as long as it may."""
    settings = Settings(
        database_url=sqlite_url(tmp_path),
        data_dir=tmp_path,
        allow_open_access=True,
        wait_timeout_s=5,
    )
    app = create_app(settings, pipeline=fake_pipeline(settings), warm_up=lambda: None)
    with TestClient(app) as client:
        body = {"articles": story_articles(1)}
        answer = client.post("/v1/digests?wait=true&timeout=3600", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "done"
        zero = client.post("/v1/digests?wait=true&timeout=0", json=body)
        assert zero.status_code == 422  # not a wait at all: still refused


def test_an_unknown_backend_is_answered_with_the_backends_this_server_offers(
    tmp_path: Path,
) -> None:
    """`options.backend: "zzz"` had been told to use "a litellm model string ..., e.g.
    'openai/gpt-4o-mini'"; sending that was then refused as not offered by this server."""
    settings = Settings(
        database_url=sqlite_url(tmp_path), data_dir=tmp_path, allow_open_access=True
    )
    app = create_app(settings, pipeline=fake_pipeline(settings), warm_up=lambda: None)
    with TestClient(app) as client:
        body = {"articles": story_articles(1), "options": {"backend": "zzz"}}
        answer = client.post("/v1/digests", json=body)
        assert answer.status_code == 422
        problem = answer.json()
        assert problem["type"].endswith(":unknown-backend")
        assert "unknown backend 'zzz'" in problem["detail"]
        assert "use one of extractive" in problem["detail"]
        assert "openai/gpt-4o-mini" not in problem["detail"]
        # the hint's advice works
        body["options"] = {"backend": "extractive"}
        assert client.post("/v1/digests", json=body).status_code == 202
