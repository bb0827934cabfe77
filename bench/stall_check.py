"""The scale-out stall check with many stalled fan-outs whose stories are only queued.

The situation of the known defect: `--jobs` fanned-out jobs of `--stories` stories each,
stalled (nothing stored for an hour), every story sent and not started since (queued),
while a worker is busy with an older job (a live run; it started a story sent before
them, so the queue has not moved past them). Nothing is lost: every tick of
`CeleryExecutor._resume_stalled` finds nothing to send, and should cost little.

The rows are written straight into the tables (no Celery, no pipeline); `--finished`
adds ended jobs whose story rows are still kept (an hour after they end). Timed, median
of `--ticks` runs after one warm-up: `FanoutStore.stalled` (every stalled job, with
what it misses) and `FanoutStore.resendable` when it exists (what the tick acts on).

    .venv/bin/python -m bench.stall_check
    .venv/bin/python -m bench.stall_check --postgres      # a throwaway database, dropped after
    .venv/bin/python -m bench.stall_check --database-url postgresql+psycopg://user@host/db
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from service.jobs import make_engine, migrate
from service.jobs.fanout import FanoutStore, fanout_owner, plans, story_results, story_runs
from service.jobs.tables import JobRecord

WINDOW = timedelta(minutes=5)  # the stall window
BATCH = 5_000


def machine() -> str:
    """The CPU's model name (lscpu), cores, load (other work shares them) and platform."""
    model = platform.processor() or platform.machine()
    try:
        for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True, check=True
        ).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{model}, {os.cpu_count()} CPUs, load average {load}, {platform.platform()}, "
        f"Python {platform.python_version()}"
    )


def _job(job_id: str, at: datetime, request: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": job_id,
        "status": "running",
        "client": "open",
        "idempotency_key": None,
        "request_hash": "0" * 64,
        "request": request,
        "created_at": at,
        "updated_at": at,
        "started_at": at,
        "finished_at": None,
        "attempts": 1,
        "lease_owner": fanout_owner(job_id, 1),
        "lease_expires_at": at + timedelta(hours=6),
        "progress_stage": "summarize",
        "progress_done": 0,
        "progress_total": None,
        "error": None,
        "result": None,
    }
    return row | values


def build(
    engine: sa.Engine, jobs: int, stories: int, finished: int, text_bytes: int = 20_000
) -> None:
    """Write the situation: stalled queued jobs, one busy job, `finished` ended jobs; each
    job's request and plan hold `text_bytes` characters (the articles' text)."""
    now = datetime.now(UTC)
    hour_ago = now - timedelta(hours=1)
    plan_text = "x" * text_bytes
    request = '{"articles": "' + "y" * text_bytes + '"}'
    job_rows: list[dict[str, Any]] = []
    plan_rows: list[dict[str, Any]] = []
    run_rows: list[dict[str, Any]] = []
    result_rows: list[dict[str, Any]] = []

    def plan(job_id: str) -> None:
        plan_rows.append(
            {
                "job_id": job_id,
                "attempt": 1,
                "plan": plan_text,
                "warnings": "[]",
                "deadline_at": now + timedelta(hours=6),
            }
        )

    # ended jobs (kept an hour): every story sent, run and stored
    for _ in range(finished):
        job_id = uuid.uuid4().hex
        job_rows.append(
            _job(
                job_id,
                hour_ago,
                request,
                status="done",
                finished_at=now - timedelta(minutes=30),
                lease_owner=None,
                progress_total=stories,
            )
        )
        plan(job_id)
        for i in range(stories):
            started = hour_ago - timedelta(minutes=50) + timedelta(seconds=i)
            run_rows.append(
                {
                    "job_id": job_id,
                    "story_index": i,
                    "attempt": 1,
                    "sent_at": hour_ago - timedelta(minutes=55),
                    "run_id": None,
                    "worker": "w",
                    "started_at": started,
                    "lease_expires_at": None,
                }
            )
            result_rows.append(
                {
                    "job_id": job_id,
                    "story_index": i,
                    "attempt": 1,
                    "worker": "w",
                    "summary": "{}",
                    "created_at": started,
                }
            )
    # the busy job: sent before the stalled ones, one story running now (a live lease)
    busy = uuid.uuid4().hex
    job_rows.append(_job(busy, now, request, progress_total=stories))
    plan(busy)
    for i in range(stories):
        run_rows.append(
            {
                "job_id": busy,
                "story_index": i,
                "attempt": 1,
                "sent_at": hour_ago - timedelta(seconds=10),
                "run_id": uuid.uuid4().hex if i == 0 else None,
                "worker": "w" if i == 0 else None,
                "started_at": now - timedelta(seconds=5) if i == 0 else None,
                "lease_expires_at": now + timedelta(hours=1) if i == 0 else None,
            }
        )
    # the stalled jobs: nothing stored for an hour, every story queued
    for n in range(jobs):
        job_id = uuid.uuid4().hex
        at = hour_ago + timedelta(milliseconds=n)
        job_rows.append(_job(job_id, at, request, progress_total=stories))
        plan(job_id)
        for i in range(stories):
            run_rows.append(
                {
                    "job_id": job_id,
                    "story_index": i,
                    "attempt": 1,
                    "sent_at": hour_ago + timedelta(milliseconds=n),
                    "run_id": None,
                    "worker": None,
                    "started_at": None,
                    "lease_expires_at": None,
                }
            )
    if "planned" in story_runs.c:  # revision 0005: `hand_over` marks the rows it writes
        for row in run_rows:
            row["planned"] = True
    with engine.begin() as conn:
        for table, rows in (
            (JobRecord.__table__, job_rows),
            (plans, plan_rows),
            (story_runs, run_rows),
            (story_results, result_rows),
        ):
            for start in range(0, len(rows), BATCH):
                conn.execute(sa.insert(table), rows[start : start + BATCH])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


def timed(call: Callable[[], Any], ticks: int) -> tuple[float, float, Any]:
    """(median ms, max ms, last result) of `ticks` calls after one warm-up call."""
    result = call()
    spent = []
    for _ in range(ticks):
        start = time.perf_counter()
        result = call()
        spent.append((time.perf_counter() - start) * 1000)
    return statistics.median(spent), max(spent), result


def run(url: str, jobs: int, stories: int, finished: int, ticks: int, text_bytes: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    build(engine, jobs, stories, finished, text_bytes)
    fanout = FanoutStore(engine)
    now = datetime.now(UTC)
    before = now - WINDOW
    rows: list[tuple[str, float, float, str]] = []
    median, worst, stalled = timed(lambda: fanout.stalled(before, now), ticks)
    lost = sum(len(s.lost) for s in stalled)
    rows.append(("stalled()", median, worst, f"{len(stalled)} stalled, {lost} lost"))
    resendable = getattr(fanout, "resendable", None)
    if resendable is not None:
        median, worst, acted = timed(lambda: resendable(before, now), ticks)
        rows.append(("resendable() (the tick)", median, worst, f"{len(acted)} to send"))
    engine.dispose()
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {machine()}")
    print(
        f"database: {engine.dialect.name}; {jobs} stalled jobs x {stories} queued stories, "
        f"1 busy job, {finished} ended jobs kept; requests and plans of {text_bytes} "
        f"characters; median of {ticks} ticks"
    )
    print()
    print("| call | median ms | max ms | result |")
    print("|---|---:|---:|---|")
    for name, median, worst, what in rows:
        print(f"| {name} | {median:.1f} | {worst:.1f} | {what} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="a throwaway database on 127.0.0.1:5432, dropped after (tests' postgres_database)",
    )
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--stories", type=int, default=20)
    parser.add_argument("--finished", type=int, default=0, help="ended jobs still kept")
    parser.add_argument("--ticks", type=int, default=7)
    parser.add_argument("--text-bytes", type=int, default=20_000, help="request and plan size")
    args = parser.parse_args()
    options = (args.jobs, args.stories, args.finished, args.ticks, args.text_bytes)
    if args.database_url:
        run(args.database_url, *options)
        return
    if args.postgres:
        from tests.test_api_fakes import postgres_database

        with postgres_database() as url:
            run(url, *options)
        return
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'jobs.db'}", *options)


if __name__ == "__main__":
    main()
