"""Fakes for the API and job tests, plus the app factory the uvicorn subprocesses load.

The fake embedder (hashed bag of words) stands in for MiniLM where the pipeline
itself is not under test; the real pipeline, the real extractive summarizer
and the real job machinery run around it. `make_test_app` is what
`uvicorn --factory tests.test_api_fakes:make_test_app` builds in a subprocess.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from service.api import create_app
from service.backends.summarizers.extractive import ExtractiveSummarizer
from service.config import Settings, get_settings
from service.jobs import DigestFunction, make_engine, migrate
from service.models import Article, Digest, InputFailure, Summary
from service.pipeline.run import DigestOptions, ProgressCallback, digest
from tests.child_process import ChildProcess, child_env

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
_WORD = re.compile(r"[a-z0-9]{4,}")  # words of 4+ letters: skips most function words


class HashEmbedder:
    """Bag of longer words hashed into 256 dimensions, L2-normalised: same words, close
    vectors. Texts without such words get a vector of their own, never zeros."""

    name = "test/hash-bow"

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), 256), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()) or [text]:
                vectors[row, int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % 256] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


class SlowSummarizer:
    """The real extractive summarizer, `delay_s` slower per cluster (to catch a job mid-run)."""

    name = "extractive"

    def __init__(self, delay_s: float) -> None:
        self.inner = ExtractiveSummarizer(HashEmbedder())
        self.delay_s = delay_s

    def summarize(self, articles: list[Article], *, max_words: int) -> Summary:
        time.sleep(self.delay_s)
        return self.inner.summarize(articles, max_words=max_words)


def fake_pipeline(settings: Settings, delay_s: float = 0.0) -> DigestFunction:
    """`service.digest` with the hash embedder (and a per-cluster delay)."""

    def run(
        articles: Sequence[Article],
        options: DigestOptions,
        *,
        progress: ProgressCallback,
        failures: Sequence[InputFailure],
    ) -> Digest:
        return digest(
            articles,
            options,
            embedder=HashEmbedder(),
            summarizer=SlowSummarizer(delay_s),
            progress=progress,
            failures=failures,
            settings=settings,
        )

    return run


def make_test_app() -> FastAPI:
    """The app a uvicorn subprocess serves: settings from its environment, fake embedder."""
    settings = get_settings()
    delay = float(os.environ.get("TEST_SUMMARY_DELAY_S", "0"))
    return create_app(settings, pipeline=fake_pipeline(settings, delay), warm_up=lambda: None)


def story_articles(n_stories: int = 3, per_story: int = 2) -> list[dict[str, str]]:
    """Small inline articles: `n_stories` distinct topics, `per_story` outlets each."""
    topics = [
        (
            "storm",
            "A storm closed three ports on the coast on Tuesday, officials said. "
            "Ships were told to wait offshore until the winds dropped on Wednesday.",
        ),
        (
            "strike",
            "Dock workers at the port of Valmora went on strike on Monday over pay. "
            "About forty container ships were left waiting because loading stopped.",
        ),
        (
            "comet",
            "Astronomers spotted a new comet passing close to Jupiter this week. "
            "The comet will be visible with binoculars from the southern hemisphere in May.",
        ),
        (
            "election",
            "Voters in the northern province elected a new governor on Sunday. "
            "Turnout was the highest in twenty years, the electoral commission said.",
        ),
        (
            "vaccine",
            "Health officials approved a new malaria vaccine for children on Friday. "
            "The vaccine cut severe cases by half in a trial across four countries.",
        ),
    ]
    articles = []
    for topic, text in topics[:n_stories]:
        for outlet in range(per_story):
            articles.append(
                {
                    "id": f"{topic}-{outlet}",
                    "title": f"{topic} report {outlet}",
                    "text": text,
                    "source": f"Outlet {outlet}",
                }
            )
    return articles


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'jobs.db'}"


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test module, dropped after; skip when unreachable."""
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError:
        admin.dispose()
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432 (scripts/start-services.sh)")
    name = f"digest_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def wait_ended(client: Any, location: str, timeout_s: float = 40) -> dict[str, Any]:
    """Poll a job's `location` with a TestClient until it ends (or `timeout_s` passes)."""
    deadline = time.monotonic() + timeout_s
    while True:
        body = client.get(location).json()
        if body["status"] in ("done", "failed", "cancelled") or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server(ChildProcess):
    """`uvicorn --factory tests.test_api_fakes:make_test_app` on 127.0.0.1, as a subprocess."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        super().__init__("server", child_env(**env), log_path)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> Server:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "tests.test_api_fakes:make_test_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--no-access-log",
        ]
        self.launch(command, self._ready, timeout_s)
        return self

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200
        except httpx.TransportError:
            return False


def test_hash_embedder_is_deterministic_and_normalised() -> None:
    embedder = HashEmbedder()
    a, b, c = embedder.encode(["storm closes ports", "storm closes ports", "comet near Jupiter"])
    assert np.allclose(a, b)
    assert abs(float(np.linalg.norm(a)) - 1.0) < 1e-5
    assert float(a @ c) < float(a @ b)


def test_fake_pipeline_clusters_stories_apart() -> None:
    settings = Settings(allow_open_access=True)
    articles = [Article(id=a["id"], title=a["title"], text=a["text"]) for a in story_articles(3)]
    calls: list[tuple[str, int, int]] = []
    result = fake_pipeline(settings)(
        articles, DigestOptions(), progress=lambda *p: calls.append(p), failures=[]
    )
    assert len(result.clusters) == 3
    assert ("summarize", 3, 3) in calls


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for the module (skips when PostgreSQL is absent)."""
    with postgres_database() as url:
        yield url


@contextlib.contextmanager
def emptied_database(
    request: pytest.FixtureRequest, tmp_path: Path, tables: Sequence[str]
) -> Iterator[sa.Engine]:
    """A migrated job database of the kind a fixture's param names ("sqlite", or
    "postgresql": the module's `pg_url`), with `tables` emptied; disposed after."""
    url = sqlite_url(tmp_path) if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        for table in tables:
            conn.execute(sa.text(f"DELETE FROM {table}"))
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """A migrated, empty job store on SQLite and on PostgreSQL."""
    with emptied_database(request, tmp_path, ["digest_jobs"]) as emptied:
        yield emptied
