"""The HTTP API through FastAPI's TestClient: jobs, waiting, idempotency, cancel, auth, limits,
problem details for every bad input, metrics, logs, URLs fetched inside the job."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import logging
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.api import create_app
from service.api.logs import JsonFormatter
from service.config import Settings
from service.errors import ConfigError
from service.jobs import DigestFunction
from service.models import Usage
from service.pipeline.ingest import load_records
from tests.child_process import ROOT, child_env
from tests.conftest import EXAMPLE
from tests.test_api_fakes import fake_pipeline, sqlite_url, story_articles

KEY = "test-key-123"
OTHER_KEY = "other-key-456"
PROBLEM = "application/problem+json"


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": sqlite_url(tmp_path),
        "data_dir": tmp_path,
        "allow_open_access": True,
        "wait_timeout_s": 10,
        "job_workers": 2,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    """Build an app on a fresh SQLite file and enter its lifespan; closed after the test."""
    clients: list[TestClient] = []

    def build(
        pipeline: DigestFunction | None = None,
        delay_s: float = 0.0,
        warm_up: Callable[[], None] | None = None,
        **overrides: Any,
    ) -> TestClient:
        settings = settings_for(tmp_path, **overrides)
        app = create_app(
            settings,
            pipeline=pipeline or fake_pipeline(settings, delay_s),
            warm_up=warm_up or (lambda: None),
        )
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


def poll(client: TestClient, location: str, timeout_s: float = 20.0, **kw: Any) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        body = client.get(location, **kw).json()
        if body["status"] in ("done", "failed", "cancelled") or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def test_post_answers_202_with_location_and_the_job_ends_done(make_client: Callable) -> None:
    client = make_client()
    response = client.post("/v1/digests", json={"articles": story_articles(3)})
    assert response.status_code == 202
    location = response.headers["location"]
    assert location == f"/v1/digests/{response.json()['id']}"
    assert response.json()["links"]["events"] == f"{location}/events"
    job = poll(client, location)
    assert job["status"] == "done" and job["error"] is None
    assert len(job["digest"]["clusters"]) == 3
    assert job["progress"] == {"stage": "summarize", "done": 3, "total": 3}


def test_wait_true_returns_the_digest_in_the_response(make_client: Callable) -> None:
    client = make_client()
    response = client.post(
        "/v1/digests?wait=true",
        json={"articles": story_articles(2), "options": {"max_words": 30, "one_story": True}},
    )
    assert response.status_code == 200
    digest = response.json()["digest"]
    assert len(digest["clusters"]) == 1
    assert digest["options"]["max_words"] == 30
    for cluster in digest["clusters"]:
        words = sum(len(s["text"].split()) for s in cluster["summary"]["sentences"])
        assert 0 < words <= 30


def test_text_under_other_export_names_is_read(make_client: Callable) -> None:
    client = make_client()
    paragraphs = ["A storm closed three ports on Tuesday.", "Ships waited offshore for a day."]
    response = client.post(
        "/v1/digests?wait=true",
        json={"articles": [{"body": paragraphs, "headline": "Storm"}, {"content": "Ports shut."}]},
    )
    assert response.status_code == 200, response.text
    articles = response.json()["digest"]["articles"]
    assert articles[0]["text"] == "\n\n".join(paragraphs) and articles[0]["title"] == "Storm"


def test_articles_take_the_shapes_the_cli_reader_takes(make_client: Callable) -> None:
    """Numbers as ids, outlets as objects, Unix-second dates, paragraph lists: read as the
    CLI reads the same records, not refused as 'Input should be a valid string'."""
    records: list[dict[str, Any]] = [
        {
            "id": 1,
            "text": [
                "A storm closed three ports on the coast on Tuesday, officials said.",
                "Ships were told to wait offshore until the winds dropped on Wednesday.",
            ],
            "source": {"name": "Reuters"},
            "published_at": 1700000000,
        },
        {"id": 2, "body": ["Dock workers went on strike on Monday.", "Ships waited."]},
        {"id": "a-3", "text": story_articles(3, per_story=1)[2]["text"], "date": 1700000000.5},
    ]
    response = make_client().post("/v1/digests?wait=true", json={"articles": records})
    assert response.status_code == 200, response.text
    read = {a["id"]: a for a in response.json()["digest"]["articles"]}
    expected = load_records([(r, f"articles[{i}]") for i, r in enumerate(records)]).articles
    assert {a.id: (a.text, a.source) for a in expected} == {
        article_id: (article["text"], article["source"]) for article_id, article in read.items()
    }
    assert read["1"]["source"] == "Reuters" and "\n\n" in read["1"]["text"]
    assert read["1"]["published_at"] == "2023-11-14T22:13:20Z"
    assert read["a-3"]["published_at"].startswith("2023-11-14T22:13:20.5")


def test_wait_gives_up_after_the_timeout_with_202(make_client: Callable) -> None:
    client = make_client(delay_s=1.0)
    started = time.monotonic()
    response = client.post(
        "/v1/digests?wait=true&timeout=0.3", json={"articles": story_articles(3)}
    )
    assert response.status_code == 202
    assert response.json()["status"] in ("queued", "running")
    assert time.monotonic() - started < 2.5


def test_idempotency_key_replays_the_job_and_refuses_a_different_body(
    make_client: Callable,
) -> None:
    client = make_client()
    body = {"articles": story_articles(1)}
    first = client.post("/v1/digests", json=body, headers={"Idempotency-Key": "abc"})
    again = client.post("/v1/digests", json=body, headers={"Idempotency-Key": "abc"})
    assert first.json()["id"] == again.json()["id"]
    other = client.post(
        "/v1/digests", json={"articles": story_articles(2)}, headers={"Idempotency-Key": "abc"}
    )
    assert other.status_code == 422
    assert other.json()["type"].endswith(":invalid-input")
    assert "Idempotency-Key" in other.json()["detail"]


def test_delete_cancels_a_running_job_then_removes_it(make_client: Callable) -> None:
    client = make_client(delay_s=2.0)
    location = client.post("/v1/digests", json={"articles": story_articles(3)}).headers["location"]
    deadline = time.monotonic() + 10
    while client.get(location).json()["status"] != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    cancelled = client.delete(location)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    time.sleep(0.3)
    assert client.get(location).json()["status"] == "cancelled"  # the worker did not overwrite
    assert client.delete(location).status_code == 204
    gone = client.get(location)
    assert gone.status_code == 404 and gone.headers["content-type"] == PROBLEM


def test_api_keys_are_required_checked_and_scope_the_jobs(make_client: Callable) -> None:
    hashes = ",".join(hashlib.sha256(k.encode()).hexdigest() for k in (KEY, OTHER_KEY))
    client = make_client(allow_open_access=False, api_key_hashes=hashes)
    body = {"articles": story_articles(1)}
    missing = client.post("/v1/digests", json=body)
    assert missing.status_code == 401 and "X-API-Key" in missing.headers["www-authenticate"]
    assert client.post("/v1/digests", json=body, headers={"X-API-Key": "wrong"}).status_code == 401
    # a caller without a key learns nothing about the endpoint, not even its media type
    form = client.post("/v1/digests", data={"articles": "A storm closed three ports."})
    assert form.status_code == 401, form.text
    broken = client.post("/v1/digests", content=b"{", headers={"Content-Type": "application/json"})
    assert broken.status_code == 401, broken.text  # FastAPI reads JSON before any dependency
    assert "X-API-Key" in broken.headers["www-authenticate"]
    keyed_form = client.post("/v1/digests", data={"articles": "x"}, headers={"X-API-Key": KEY})
    assert keyed_form.status_code == 415
    created = client.post("/v1/digests", json=body, headers={"X-API-Key": KEY})
    assert created.status_code == 202
    location = created.headers["location"]
    assert client.get(location, headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    assert client.get(location, headers={"X-API-Key": OTHER_KEY}).status_code == 404
    assert client.get("/healthz").status_code == 200  # probes need no key
    assert client.head("/healthz").status_code == 200  # nor do HEAD probes
    assert client.head("/readyz").status_code == 200
    nan = client.post("/v1/digests?wait=true&timeout=nan", json=body, headers={"X-API-Key": KEY})
    assert nan.status_code == 422 and "finite" in nan.json()["detail"]


def test_the_app_refuses_to_start_without_keys_unless_open_access_is_chosen(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError) as refused:
        create_app(settings_for(tmp_path, allow_open_access=False))
    assert "DIGEST_API_KEY_HASHES" in refused.value.user_message
    assert "DIGEST_ALLOW_OPEN_ACCESS=true" in refused.value.user_message


def test_the_app_refuses_to_start_with_an_llm_setting_that_cannot_work(tmp_path: Path) -> None:
    """A context window too small for the prompt and the answer had let /readyz say 'ready'
    and then failed every job with reason 'config'."""
    too_small = settings_for(
        tmp_path,
        backend="openai/gpt-4o-mini",
        api_base="http://127.0.0.1:9/v1",
        llm_context_tokens=1024,
    )
    with pytest.raises(ConfigError) as refused:
        create_app(too_small)
    assert "DIGEST_LLM_CONTEXT_TOKENS" in refused.value.user_message
    create_app(
        settings_for(tmp_path, backend="openai/gpt-4o-mini", api_base="http://127.0.0.1:9/v1")
    )


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({}, "error: no API keys are configured (set DIGEST_API_KEY_HASHES"),
        (
            {"DIGEST_ALLOW_OPEN_ACCESS": "true", "DIGEST_BACKEND": "foo"},
            "error: unknown backend 'foo' (use 'extractive' or a litellm model string",
        ),
        (  # a database it cannot reach: said before the lifespan (a 150-line traceback there)
            {
                "DIGEST_ALLOW_OPEN_ACCESS": "true",
                "DIGEST_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/digest",
            },
            "error: cannot reach or migrate the job database",
        ),
        (
            {"DIGEST_ALLOW_OPEN_ACCESS": "true", "DIGEST_DATABASE_URL": "sqlite:////proc/x/j.db"},
            "error: cannot create the folder of the job database /proc/x",
        ),
    ],
)
def test_a_server_that_cannot_start_says_what_to_set_in_one_line(
    tmp_path: Path, env: dict[str, str], said: str
) -> None:
    """Not a 40- to 70-line traceback through uvicorn's loader, with the hint at its end."""
    env = child_env(
        **{"DIGEST_DATA_DIR": str(tmp_path), "DIGEST_DATABASE_URL": sqlite_url(tmp_path), **env}
    )
    command = [sys.executable, "-m", "uvicorn", "--factory", "service.api:create_app"]
    command += ["--host", "127.0.0.1", "--port", "0"]
    ended = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert ended.returncode == 2
    assert "Traceback" not in ended.stderr
    assert ended.stderr.strip().splitlines()[-1].startswith(said)


def _article(**fields: Any) -> dict[str, Any]:
    return {"articles": [{"text": "A storm closed three ports on Tuesday.", **fields}]}


BAD_INPUTS: list[tuple[str, Any, int, str]] = [
    ("empty article list", {"articles": []}, 400, "empty-input"),
    ("no body fields", {}, 400, "empty-input"),
    ("article without text", {"articles": [{"title": "only a title"}]}, 422, "validation"),
    ("article of blanks only", {"articles": [{"text": " \n\t "}]}, 422, "invalid-article"),
    ("articles not a list", {"articles": "text"}, 422, "validation"),
    ("title of the wrong type", _article(title=5), 422, "validation"),
    ("article not an object", {"articles": [7]}, 422, "validation"),
    ("unknown top-level field", {"articles": [], "extra": 1}, 422, "validation"),
    ("unknown option", {**_article(), "options": {"colour": "red"}}, 422, "validation"),
    ("max_words too small", {**_article(), "options": {"max_words": 3}}, 422, "validation"),
    (
        "unknown model",
        {**_article(), "options": {"backend": "no-such-llm"}},
        422,
        "unknown-backend",
    ),
    ("date out of range", _article(date=1e300), 422, "invalid-article"),
    ("published_at out of range", _article(published_at=-1e300), 422, "invalid-article"),
    ("not a URL", {"urls": ["ftp://example.com/x"]}, 422, "invalid-input"),
    # a model the operator did not offer: the server would call it with its own credentials
    (
        "a model the server does not offer",
        {**_article(), "options": {"backend": "ollama/llama3"}},
        422,
        "invalid-input",
    ),
    ("empty backend", {**_article(), "options": {"backend": ""}}, 422, "validation"),
    # strict types: `true` had become the date 1970-01-01T00:00:01Z, "50" had been 50
    ("date as true", _article(published_at=True), 422, "validation"),
    ("id as true", _article(id=True), 422, "validation"),
    ("max_words as text", {**_article(), "options": {"max_words": "50"}}, 422, "validation"),
    ("one_story as a word", {**_article(), "options": {"one_story": "yes"}}, 422, "validation"),
    ("script link as url", _article(url="javascript:alert(1)"), 422, "invalid-article"),
    ("malformed URL", {"urls": ["http://[::1"]}, 422, "invalid-input"),
]


@pytest.mark.parametrize(
    ("name", "body", "status", "slug"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_json_inputs_get_problem_details(
    make_client: Callable, name: str, body: Any, status: int, slug: str
) -> None:
    client = make_client()
    response = client.post("/v1/digests", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == f"urn:digest-service:problem:{slug}"
    assert problem["status"] == status and problem["detail"]
    assert problem["request_id"] == response.headers["x-request-id"]


RAW_INPUTS: list[tuple[str, bytes, dict[str, str], int, str]] = [
    ("not UTF-8", b'{"articles": [{"text": "caf\xe9"}]}', {}, 400, "not-utf8"),
    ("malformed JSON", b'{"articles": [', {}, 400, "malformed-json"),
    (
        "lone surrogate in text",
        b'{"articles": [{"text": "A storm \\ud800 closed ports."}]}',
        {},
        422,
        "validation",
    ),
    (
        "lone surrogate in another field",
        b'{"articles": [{"text": "A storm closed ports.", "author": "\\udc00"}]}',
        {},
        422,
        "invalid-article",
    ),
    ("bad wait flag", b'{"articles": []}', {"x-query": "wait=maybe"}, 422, "validation"),
    ("idempotency key too long", b"{}", {"Idempotency-Key": "k" * 300}, 422, "validation"),
    (
        "compressed body",
        gzip.compress(json.dumps(_article()).encode()),
        {"content-encoding": "gzip"},
        415,
        "unsupported-media-type",
    ),
]


def test_the_operator_can_offer_more_models_to_api_clients(
    make_client: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key-for-openai")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key-for-anthropic")
    body = {**_article(), "options": {"backend": "ollama/llama3"}}
    offered = make_client(api_backends=["ollama/llama3"])
    assert offered.post("/v1/digests", json=body).status_code == 202
    anything = make_client(api_backends=["*"])
    other = {**_article(), "options": {"backend": "anthropic/claude-3-5-haiku-latest"}}
    assert anything.post("/v1/digests", json=other).status_code == 202
    fallback = make_client(backend="openai/gpt-4o-mini", fallback_models=["ollama/llama3"])
    assert fallback.post("/v1/digests", json=body).status_code == 202  # its own fallback
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):  # offered, and cannot work
        make_client(api_backends=["anthropic/claude-3-5-haiku-latest"])


@pytest.mark.parametrize(
    ("name", "raw", "headers", "status", "slug"), RAW_INPUTS, ids=[r[0] for r in RAW_INPUTS]
)
def test_bad_raw_bodies_get_problem_details(
    make_client: Callable, name: str, raw: bytes, headers: dict[str, str], status: int, slug: str
) -> None:
    client = make_client()
    query = headers.pop("x-query", "")
    response = client.post(
        f"/v1/digests?{query}",
        content=raw,
        headers={"content-type": "application/json", **headers},
    )
    assert response.status_code == status, response.text
    assert response.json()["type"] == f"urn:digest-service:problem:{slug}"


def test_a_bad_article_is_named_and_its_hint_is_for_http_callers(make_client: Callable) -> None:
    client = make_client()
    blank = client.post("/v1/digests", json={"articles": [*story_articles(1), {"text": "  "}]})
    assert blank.status_code == 422 and blank.json()["type"].endswith(":invalid-article")
    detail = blank.json()["detail"]
    assert detail.startswith("articles[2]: empty article")
    assert "--" not in detail and "fix articles[2] or remove it from 'articles'" in detail
    dated = client.post("/v1/digests", json=_article(published_at=1e300))
    assert dated.status_code == 422
    assert dated.json()["detail"].startswith("articles[0]: date 1e+300 is not a Unix timestamp")
    assert "give an ISO 8601 date (2007-07-29), an RFC 822 one" in dated.json()["detail"]
    # a date that cannot be read is refused, not dropped without a word
    vague = client.post("/v1/digests", json=_article(published_at="yesterday"))
    assert vague.status_code == 422
    assert vague.json()["detail"].startswith("articles[0]: date 'yesterday' is not a date")


NOT_JSON: list[tuple[str, dict[str, Any]]] = [
    ("plain text", {"content": json.dumps(_article()), "headers": {"content-type": "text/plain"}}),
    ("form", {"data": {"articles": "A storm closed three ports on Tuesday."}}),
    ("multipart", {"files": {"articles": ("a.json", json.dumps(_article()), "application/json")}}),
    ("no content type", {"content": json.dumps(_article()).encode()}),
]


@pytest.mark.parametrize("request_kw", [n[1] for n in NOT_JSON], ids=[n[0] for n in NOT_JSON])
def test_bodies_that_are_not_json_get_415(make_client: Callable, request_kw: Any) -> None:
    response = make_client().post("/v1/digests", **request_kw)
    assert response.status_code == 415, response.text
    problem = response.json()
    assert problem["type"] == "urn:digest-service:problem:unsupported-media-type"
    assert "Content-Type: application/json" in problem["detail"]


def test_json_with_a_charset_or_a_json_suffix_is_accepted(make_client: Callable) -> None:
    client = make_client()
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = client.post(
            "/v1/digests", content=json.dumps(_article()), headers={"content-type": content_type}
        )
        assert response.status_code == 202, (content_type, response.text)


def test_limits_answer_413(make_client: Callable) -> None:
    client = make_client(max_articles=3, max_article_bytes=500, max_body_bytes=5_000)
    too_many = client.post(
        "/v1/digests", json={"articles": story_articles(2), "urls": ["https://a.example/x"]}
    )
    assert too_many.status_code == 413 and "limit is 3" in too_many.json()["detail"]
    too_long = client.post("/v1/digests", json={"articles": [{"id": "big", "text": "word " * 200}]})
    assert too_long.status_code == 413 and "'big'" in too_long.json()["detail"]
    body = json.dumps({"articles": [{"text": "x" * 6_000}]}).encode()
    declared = client.post(
        "/v1/digests", content=body, headers={"content-type": "application/json"}
    )
    assert declared.status_code == 413 and declared.json()["type"].endswith(":too-large")
    streamed = client.post(
        "/v1/digests",
        content=iter([body[:3000], body[3000:]]),  # chunked: no Content-Length to trust
        headers={"content-type": "application/json"},
    )
    assert streamed.status_code == 413


def test_a_full_queue_answers_503_with_retry_after(make_client: Callable) -> None:
    client = make_client(delay_s=2.0, job_workers=1, max_queued_jobs=1)
    body = {"articles": story_articles(2)}
    first = client.post("/v1/digests", json=body).headers["location"]
    deadline = time.monotonic() + 10
    while client.get(first).json()["status"] != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.post("/v1/digests", json=body).status_code == 202  # queued
    full = client.post("/v1/digests", json=body)
    assert full.status_code == 503 and full.headers["retry-after"]
    assert full.json()["type"].endswith(":queue-full")


def test_one_key_cannot_fill_the_queue_for_every_other(make_client: Callable) -> None:
    hashes = ",".join(hashlib.sha256(k.encode()).hexdigest() for k in (KEY, OTHER_KEY))
    client = make_client(
        delay_s=2.0,
        job_workers=1,
        max_queued_jobs_per_client=1,
        allow_open_access=False,
        api_key_hashes=hashes,
    )
    body = {"articles": story_articles(2)}
    mine, theirs = {"X-API-Key": KEY}, {"X-API-Key": OTHER_KEY}
    first = client.post("/v1/digests", json=body, headers=mine).headers["location"]
    deadline = time.monotonic() + 10
    while client.get(first, headers=mine).json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert client.post("/v1/digests", json=body, headers=mine).status_code == 202  # queued
    over = client.post("/v1/digests", json=body, headers=mine)
    assert over.status_code == 429 and over.headers["retry-after"] == "30"
    assert over.json()["type"].endswith(":client-queue-full")
    assert "DIGEST_MAX_QUEUED_JOBS_PER_CLIENT" in over.json()["detail"]
    assert client.post("/v1/digests", json=body, headers=theirs).status_code == 202


def test_open_access_callers_share_only_the_global_queue_limit(make_client: Callable) -> None:
    client = make_client(delay_s=2.0, job_workers=1, max_queued_jobs_per_client=1)
    body = {"articles": story_articles(2)}
    first = client.post("/v1/digests", json=body).headers["location"]
    deadline = time.monotonic() + 10
    while client.get(first).json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert [client.post("/v1/digests", json=body).status_code for _ in range(2)] == [202, 202]


def test_keyless_callers_beside_keyed_ones_share_one_clients_queue_limit(
    make_client: Callable,
) -> None:
    client = make_client(
        delay_s=2.0,
        job_workers=1,
        max_queued_jobs_per_client=1,
        allow_open_access=True,
        api_key_hashes=hashlib.sha256(KEY.encode()).hexdigest(),
    )
    body = {"articles": story_articles(2)}
    first = client.post("/v1/digests", json=body, headers={"X-API-Key": KEY}).headers["location"]
    deadline = time.monotonic() + 10
    while client.get(first, headers={"X-API-Key": KEY}).json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert [client.post("/v1/digests", json=body).status_code for _ in range(2)] == [202, 429]
    assert client.post("/v1/digests", json=body, headers={"X-API-Key": KEY}).status_code == 202


def test_a_retry_with_its_idempotency_key_gets_its_job_while_the_queue_is_full(
    make_client: Callable,
) -> None:
    client = make_client(delay_s=2.0, job_workers=1, max_queued_jobs=1)
    running = client.post("/v1/digests", json={"articles": story_articles(2)})
    deadline = time.monotonic() + 10
    while client.get(running.headers["location"]).json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    body = {"articles": story_articles(1)}
    queued = client.post("/v1/digests", json=body, headers={"Idempotency-Key": "k1"})
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    retry = client.post("/v1/digests", json=body, headers={"Idempotency-Key": "k1"})
    assert retry.status_code == 202, retry.text
    assert retry.json()["id"] == queued.json()["id"]
    assert client.post("/v1/digests", json=body).status_code == 503  # a new job: still full


def test_unknown_job_and_unknown_route_are_404_problems(make_client: Callable) -> None:
    client = make_client()
    for path in ("/v1/digests/0123456789abcdef0123456789abcdef", "/nowhere"):
        response = client.get(path)
        assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
    wrong_method = client.put("/v1/digests")
    assert wrong_method.status_code == 405 and wrong_method.json()["status"] == 405
    job_path = "/v1/digests/0123456789abcdef0123456789abcdef"
    put_job = client.put(job_path)
    assert put_job.status_code == 405 and put_job.headers["allow"] == "DELETE, GET"
    assert "use DELETE, GET" in put_job.json()["detail"]
    # an id no job can have is not looked up (PostgreSQL refused a NUL with a 503)
    for odd in ("%00", "x" * 300, "a%20b"):
        response = client.get(f"/v1/digests/{odd}")
        assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
    # a trailing slash is its own path: no 307 to http:// that drops the POST body
    slash = client.post(
        "/v1/digests/", json={"articles": story_articles(1)}, follow_redirects=False
    )
    assert slash.status_code in (404, 405) and slash.headers["content-type"] == PROBLEM
    assert "detail" in client.get("/nowhere").json()


def test_json_nested_too_deep_is_a_malformed_json_problem(make_client: Callable) -> None:
    client = make_client()
    body = b"[" * 5000 + b"]" * 5000
    response = client.post(
        "/v1/digests", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("malformed-json")
    # valid JSON with an integer Python will not read: said so, not "not JSON at all"
    body = b'{"articles": [{"id": ' + b"9" * 5000 + b', "text": "A storm closed ports."}]}'
    response = client.post(
        "/v1/digests", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "a number in it has thousands of digits" in response.json()["detail"]


def test_request_ids_are_echoed_or_made(make_client: Callable) -> None:
    client = make_client()
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32


def test_readyz_waits_for_the_model(make_client: Callable) -> None:
    loaded = threading.Event()
    client = make_client(warm_up=lambda: loaded.wait(10) and None)
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"] == {"database": "ok", "model": "loading"}
    assert client.head("/readyz").status_code == 503  # HEAD probes get the same answer
    loaded.set()
    deadline = time.monotonic() + 5
    while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get("/readyz").json()["status"] == "ready"


def test_readyz_names_a_broker_that_does_not_answer_without_leaving_the_pool(
    make_client: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client()
    executor = client.app.state.services.executor
    monkeypatch.setattr(executor, "health", lambda: {"broker": "unreachable (OperationalError)"})
    answer = client.get("/readyz")  # jobs are still stored, and sent once it answers
    assert answer.status_code == 200 and answer.json()["status"] == "degraded"
    assert answer.json()["checks"]["broker"] == "unreachable (OperationalError)"


def _pipeline_with_usage(settings: Settings) -> DigestFunction:
    """The fake pipeline, as if an LLM had answered: usage on every summary."""
    inner = fake_pipeline(settings)

    def run(articles, options, *, progress, failures):  # type: ignore[no-untyped-def]
        digest = inner(articles, options, progress=progress, failures=failures)
        for cluster in digest.clusters:
            assert cluster.summary is not None
            cluster.summary.backend = "fake/llm"
            cluster.summary.usage = Usage(prompt_tokens=100, completion_tokens=20, cost_usd=0.5)
        return digest

    return run


def test_metrics_count_requests_jobs_and_llm_usage(make_client: Callable, tmp_path: Path) -> None:
    client = make_client(pipeline=_pipeline_with_usage(settings_for(tmp_path)))
    assert (
        client.post("/v1/digests?wait=true", json={"articles": story_articles(2)}).status_code
        == 200
    )
    client.post("/v1/digests", json={"articles": []})
    text = client.get("/metrics").text
    assert 'digest_http_requests_total{method="POST",route="/v1/digests",status="200"} 1.0' in text
    assert 'digest_http_errors_total{status="400"} 1.0' in text
    assert 'digest_jobs_ended_total{outcome="done"} 1.0' in text
    assert 'digest_jobs{status="done"} 1.0' in text
    assert 'digest_llm_tokens_total{backend="fake/llm",kind="prompt"} 200.0' in text
    assert 'digest_llm_cost_usd_total{backend="fake/llm"} 1.0' in text
    assert "digest_job_duration_seconds_bucket" in text


def test_made_up_http_methods_do_not_grow_the_metrics(make_client: Callable) -> None:
    """Anyone can send any method token; each would otherwise be a new series forever."""
    client = make_client()
    for n in range(3):
        assert client.request(f"FOO{n}", "/v1/digests").status_code == 405
        assert client.request(f"BAR{n}", "/nowhere").status_code == 404
    text = client.get("/metrics").text
    assert "FOO" not in text and "BAR" not in text
    assert 'digest_http_requests_total{method="other",route="/v1/digests",status="405"} 3.0' in text


def test_logs_are_json_with_request_ids_and_hold_no_article_text_or_key(
    make_client: Callable,
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("service")
    logger.addHandler(handler)
    try:
        client = make_client(
            api_key_hashes=hashlib.sha256(KEY.encode()).hexdigest(), allow_open_access=False
        )
        secret_text = "Zanzibar quartermaster unveiled the clockwork heron on Tuesday."
        body = {"articles": [{"text": secret_text, "title": "Heron"}]}
        response = client.post("/v1/digests?wait=true", json=body, headers={"X-API-Key": KEY})
        assert response.json()["status"] == "done"
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any(
        line["msg"] == "request" and line["request_id"] == response.headers["x-request-id"]
        for line in lines
    )
    assert any(line["msg"] == "job ended" and line["outcome"] == "done" for line in lines)
    logged = stream.getvalue()
    assert "clockwork heron" not in logged and KEY not in logged


class _ArticlePage(http.server.BaseHTTPRequestHandler):
    """A tiny news site on 127.0.0.1: one article page; everything else is 404."""

    PAGE = (
        "<html><head><title>Ports close as storm hits</title></head><body><article>"
        "<h1>Ports close as storm hits the coast</h1>"
        + "".join(
            f"<p>Paragraph {n}: a storm closed three ports on the coast on Tuesday, officials "
            "said, and ships were told to wait offshore until the winds dropped.</p>"
            for n in range(6)
        )
        + "</article></body></html>"
    ).encode()

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/storm":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(self.PAGE)))
            self.end_headers()
            self.wfile.write(self.PAGE)
        else:
            self.send_error(404)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def news_site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ArticlePage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_urls_are_fetched_inside_the_job_and_failures_reported(
    make_client: Callable, news_site: str
) -> None:
    client = make_client(web_allowlist=["127.0.0.1"], web_cache_ttl_s=0)
    response = client.post(
        "/v1/digests?wait=true",
        json={
            "articles": story_articles(1, per_story=1),
            "urls": [f"{news_site}/storm", f"{news_site}/missing"],
        },
    )
    assert response.status_code == 200
    job = response.json()
    assert job["status"] == "done", job
    digest = job["digest"]
    assert any(a["url"] == f"{news_site}/storm" for a in digest["articles"])
    assert [f["input"] for f in digest["failures"]] == [f"{news_site}/missing"]


def test_only_unreadable_urls_fail_the_job_with_the_reasons(
    make_client: Callable, news_site: str
) -> None:
    client = make_client(web_allowlist=["127.0.0.1"], web_cache_ttl_s=0)
    response = client.post("/v1/digests?wait=true", json={"urls": [f"{news_site}/missing"]})
    job = response.json()
    assert job["status"] == "failed"
    assert job["error"]["reason"] == "input" and "/missing" in job["error"]["detail"]
    # the reasons also come one per URL, as a digest's failures do
    assert [(f["input"], f["reason"]) for f in job["error"]["failures"]] == [
        (f"{news_site}/missing", "http_404")
    ]


def test_the_openapi_document_shows_the_contract_with_examples(make_client: Callable) -> None:
    spec = make_client().get("/openapi.json").json()
    assert {"/v1/digests", "/v1/digests/{job_id}", "/v1/digests/{job_id}/events"} <= set(
        spec["paths"]
    )
    post = spec["paths"]["/v1/digests"]["post"]
    assert {"200", "202", "400", "401", "413", "415", "422", "503"} <= set(post["responses"])
    assert spec["components"]["schemas"]["DigestRequest"]["examples"]
    fields = spec["components"]["schemas"]["ArticleIn"]["properties"]

    def types(name: str) -> set[str]:
        return {option.get("type") for option in fields[name]["anyOf"]}

    assert types("text") == {"string", "array"} and types("id") == {"string", "integer", "null"}
    assert {"number", "string"} <= types("published_at") and "object" in types("source")


def test_keys_with_open_access_let_a_keyless_caller_in_and_the_log_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`DIGEST_API_KEY_HASHES=... make serve` looked like it required keys."""
    hashes = hashlib.sha256(KEY.encode()).hexdigest()
    settings = settings_for(tmp_path, allow_open_access=True, api_key_hashes=hashes)
    with caplog.at_level(logging.WARNING, logger="service.api"):
        app = create_app(settings, pipeline=fake_pipeline(settings, 0.0), warm_up=lambda: None)
    assert any("DIGEST_ALLOW_OPEN_ACCESS=false" in r.getMessage() for r in caplog.records)
    with TestClient(app) as client:
        assert client.get("/v1/digests/abc").status_code == 404  # let in, as documented
        assert client.get("/v1/digests/abc", headers={"X-API-Key": "wrong"}).status_code == 401
    # 'auto' (make serve): open only while no key is configured, .env included
    assert Settings(allow_open_access="auto", api_key_hashes=[]).open_access
    assert Settings(allow_open_access=" AUTO ").allow_open_access == "auto"
    assert not Settings(allow_open_access="").open_access
    assert not Settings(allow_open_access="auto", api_key_hashes=hashes).open_access
    caplog.clear()
    closed = settings_for(tmp_path, allow_open_access="auto", api_key_hashes=hashes)
    with caplog.at_level(logging.WARNING, logger="service.api"):
        create_app(closed, pipeline=fake_pipeline(closed, 0.0), warm_up=lambda: None)
    assert not [r for r in caplog.records if "OPEN_ACCESS" in r.getMessage()]
    app = create_app(closed, pipeline=fake_pipeline(closed, 0.0), warm_up=lambda: None)
    with TestClient(app) as client:
        assert client.get("/v1/digests/abc").status_code == 401


def test_the_docs_pages_load_their_scripts_from_the_service_not_a_cdn(tmp_path: Path) -> None:
    """A closed newsroom network reaches no CDN: /docs and /redoc must be whole offline,
    also behind a proxy's root path and with API keys required (the docs need none)."""
    hashes = hashlib.sha256(KEY.encode()).hexdigest()
    settings = settings_for(tmp_path, allow_open_access=False, api_key_hashes=hashes)
    app = create_app(settings, pipeline=fake_pipeline(settings, 0.0), warm_up=lambda: None)
    with TestClient(app, root_path="/api") as client:
        for page in ("/api/docs", "/api/redoc"):
            html = client.get(page)
            assert html.status_code == 200, page
            assets = re.findall(r'(?:src|href)="([^"]+)"', html.text)
            scripts = [a for a in assets if a.endswith((".js", ".css"))]
            assert scripts and all(a.startswith("/api/") for a in scripts), assets
            for asset in scripts:
                loaded = client.get(asset)
                assert loaded.status_code == 200 and len(loaded.content) > 10_000, asset
            assert "openapi.json" in html.text
        assert client.get("/api/openapi.json").json()["info"]["title"] == "digest-service"
        refused = client.post(scripts[0], headers={"X-API-Key": KEY})
        assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"
        assert refused.json()["detail"].endswith("use GET, HEAD")


def test_the_real_default_pipeline_end_to_end(tmp_path: Path, embedder: object) -> None:
    """No fakes: MiniLM, the extractive backend, SQLite, the in-process executor."""
    records = [json.loads(line) for line in EXAMPLE.read_text().splitlines()]
    by_event: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_event.setdefault(record["gold_cluster"], []).append(record)
    chosen = [r for event in list(by_event.values())[:2] for r in event[:3]]
    app = create_app(settings_for(tmp_path, wait_timeout_s=120))
    with TestClient(app) as client:
        response = client.post("/v1/digests?wait=true", json={"articles": chosen})
        assert response.status_code == 200, response.text
        digest = response.json()["digest"]
        assert client.get("/readyz").status_code == 200
    assert digest["options"]["embedding_model"] == "local/all-MiniLM-L6-v2"
    assert 2 <= len(digest["clusters"]) <= 4
    ids = {r["id"] for r in chosen}
    for cluster in digest["clusters"]:
        sentences = cluster["summary"]["sentences"]
        assert sentences
        for sentence in sentences:
            assert sentence["citations"] and set(sentence["article_ids"]) <= ids
            assert max(sentence["citations"]) <= len(cluster["sources"])


def test_the_key_is_checked_first_under_a_root_path_too(tmp_path: Path) -> None:
    hashes = hashlib.sha256(KEY.encode()).hexdigest()
    settings = settings_for(tmp_path, allow_open_access=False, api_key_hashes=hashes)
    app = create_app(settings, pipeline=fake_pipeline(settings, 0.0), warm_up=lambda: None)
    with TestClient(app, root_path="/api") as client:
        broken = client.post(
            "/api/v1/digests", content=b"{", headers={"Content-Type": "application/json"}
        )
        assert broken.status_code == 401, broken.text
        assert client.get("/api/healthz").status_code == 200


def test_a_field_that_takes_several_shapes_is_named_as_the_caller_wrote_it(
    make_client: Callable,
) -> None:
    """Errors read "body.articles[0].text.constrained-str ... (and 3 more)": pydantic's
    names for a union's branches, each counted as another error."""
    client = make_client()
    response = client.post("/v1/digests", json={"articles": [{"text": 5, "id": [1]}]})
    assert response.status_code == 422
    problem = response.json()
    assert problem["detail"] == (
        "body.articles[0].id: Input should be a valid string or a valid integer (and 1 more)"
    )
    assert [e["loc"] for e in problem["errors"]] == ["body.articles[0].id", "body.articles[0].text"]
    many = client.post("/v1/digests", json={"articles": [{"text": 5}] * 40})
    assert many.json()["detail"].endswith("(and 39 more)")  # counted before the list is cut


def test_a_job_names_the_servers_backend_when_the_client_names_none(tmp_path: Path) -> None:
    """A worker started with another DIGEST_BACKEND (or none) had used its own, silently:
    the API's choice travels in the job."""
    from service.api.intake import to_job_request
    from service.api.schemas import DigestRequest

    body = DigestRequest.model_validate({"articles": [{"text": "A storm closed ports."}]})
    served = settings_for(tmp_path, backend="openai/gpt-4o-mini", api_base="http://127.0.0.1:9/v1")
    assert to_job_request(body, served).options.backend == "openai/gpt-4o-mini"
    chosen = DigestRequest.model_validate(
        {"articles": [{"text": "A storm closed ports."}], "options": {"backend": "extractive"}}
    )
    assert to_job_request(chosen, served).options.backend == "extractive"


def test_every_bad_url_is_named_in_one_answer(make_client: Callable) -> None:
    """The 422 had named only the first: one round trip per bad URL to find them all."""
    client = make_client()
    urls = ["https://ok.example/a", "ftp://x.example/b", "https://ok.example/c", "notaurl"]
    response = client.post("/v1/digests", json={"urls": urls})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("urls[1] is not an http(s) URL") and "so are urls[3]" in detail


def test_an_invalid_port_is_refused_at_intake(make_client: Callable) -> None:
    """ "example.com:abc" was accepted (202) and failed inside the job; ":99999" failed as a
    DNS error."""
    client = make_client()
    for url in ("http://example.com:abc/x", "http://example.com:99999/x", "http://e.com:0/"):
        response = client.post("/v1/digests", json={"urls": [url]})
        assert response.status_code == 422, url
        assert response.json()["detail"].startswith("urls[0] has an invalid port"), url
