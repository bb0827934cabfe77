"""Scale-out: wall time of one 200-article digest on 1, 2, ... Celery workers.

Real Redis (broker) and PostgreSQL (jobs) on 127.0.0.1, a scripted OpenAI-compatible
server (tests/fake_llm_server.py) answering every chat call after `--delay` seconds,
and the real pipeline in each worker (MiniLM, LLM summarizer via litellm, verifier).
The input is examples/wikinews_100.jsonl twice (ids suffixed, dedup off): 200 articles.
Each worker runs one task at a time (solo pool), so N workers summarize N stories at
once. Per worker count: fresh workers, a small warm-up digest (loads the model in
each), then the timed digest: POST through the API until the job is done. The LLM
cache is off so every run pays for every call.

    .venv/bin/python bench/scaleout.py
    .venv/bin/python bench/scaleout.py --workers 1 2 4 --delay 1.0
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from service.api import create_app  # noqa: E402
from service.config import Settings  # noqa: E402
from tests.child_process import child_env  # noqa: E402
from tests.fake_llm_server import FakeLLMServer, RecordedRequest, Reply, echo_leads  # noqa: E402
from tests.test_scaleout_celery import Worker  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
MODEL = "openai/fake"


def articles(path: Path, copies: int) -> list[dict[str, Any]]:
    """`copies` copies of the file's articles, ids suffixed so none collide."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [
        {"id": f"{r['id']}-{n}", "title": r["title"], "text": r["text"]}
        for n in range(copies)
        for r in rows
    ]


def run_digest(client: TestClient, body: dict[str, Any], timeout_s: float) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.post("/v1/digests", json=body)
    response.raise_for_status()
    location = response.headers["location"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(location).json()
        if job["status"] in ("done", "failed", "cancelled"):
            return time.perf_counter() - started, job
        time.sleep(0.05)
    raise SystemExit(f"the digest did not finish in {timeout_s:g} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--input", type=Path, default=ROOT / "examples" / "wikinews_100.jsonl")
    parser.add_argument("--copies", type=int, default=2, help="copies of the input (2 = 200)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--delay", type=float, default=1.0, help="seconds per LLM answer")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--logs", type=Path, help="keep the workers' logs in this folder")
    args = parser.parse_args()
    logging.getLogger("service.api").setLevel(logging.WARNING)  # one line per poll otherwise

    def slow(request: RecordedRequest) -> Reply:
        reply = echo_leads(request)
        reply.delay_s = args.delay
        return reply

    body = {"articles": articles(args.input, args.copies), "options": {"backend": MODEL}}
    body["options"]["dedup"] = False
    warm = {"articles": body["articles"][:20], "options": body["options"]}
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    results: list[tuple[int, float, int, int]] = []
    with FakeLLMServer(slow) as llm, tempfile.TemporaryDirectory() as tmp:
        for count in args.workers:
            name = f"digest_bench_{uuid.uuid4().hex[:10]}"
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
            queue = f"digest-bench-{uuid.uuid4().hex[:10]}"
            env = child_env(
                DIGEST_DATABASE_URL=url,
                BROKER_URL=REDIS_URL,
                DIGEST_CELERY_QUEUE=queue,
                DIGEST_BACKEND=MODEL,  # the api base and key are for its provider
                DIGEST_API_BASE=llm.base_url,
                DIGEST_API_KEY="bench",
                DIGEST_LLM_CACHE="none",
                DIGEST_DATA_DIR=tmp,
            )
            settings = Settings(
                database_url=url,
                broker_url=REDIS_URL,
                celery_queue=queue,
                data_dir=Path(tmp),
                allow_open_access=True,
                backend=MODEL,
                api_base=llm.base_url,
                api_key="bench",
            )
            app = create_app(settings, warm_up=lambda: None)
            folder = (args.logs or Path(tmp)) / name
            folder.mkdir(parents=True)
            workers = [Worker(f"b{n}", env, folder) for n in range(count)]
            try:
                with TestClient(app) as client:
                    for worker in workers:
                        worker.start(timeout_s=120)
                    run_digest(client, warm, args.timeout)
                    calls_before = len(llm.requests)
                    wall, job = run_digest(client, body, args.timeout)
                    if job["status"] != "done":
                        raise SystemExit(f"the digest ended {job['status']}: {job.get('error')}")
                    stories = len(job["digest"]["clusters"])
                    results.append((count, wall, stories, len(llm.requests) - calls_before))
            finally:
                for worker in workers:
                    worker.stop()
                redis.Redis.from_url(REDIS_URL).delete(queue)
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()

    base = results[0][1]
    print(
        f"\n{datetime.now(UTC):%Y-%m-%d} · {platform.node()} · {os.cpu_count()} CPUs · "
        f"{len(body['articles'])} articles · LLM delay {args.delay:g} s\n"
    )
    print("| workers | wall s | stories | LLM calls | speed-up vs first |")
    print("|---|---|---|---|---|")
    for count, wall, stories, calls in results:
        print(f"| {count} | {wall:.1f} | {stories} | {calls} | {base / wall:.2f}x |")


if __name__ == "__main__":
    main()
