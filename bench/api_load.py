"""HTTP load test: a uvicorn server in a second process on 127.0.0.1, a load generator here.

Two scenarios, each for a bounded time: `GET /healthz` (the HTTP stack alone) and
small `POST /v1/digests?wait=true` digests (3 short articles, 2 stories, the real
default pipeline: MiniLM + extractive). Prints requests/s and p50/p99 latency.

    .venv/bin/python bench/api_load.py                      # starts its own server
    .venv/bin/python bench/api_load.py --duration 20 --health-concurrency 32
    .venv/bin/python bench/api_load.py --url http://127.0.0.1:8000 --api-key KEY
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SMALL_DIGEST = {
    "articles": [
        {
            "id": "storm-a",
            "source": "Outlet A",
            "text": "A storm closed three ports on the coast on Tuesday, officials said. "
            "Ships were told to wait offshore until the winds dropped.",
        },
        {
            "id": "storm-b",
            "source": "Outlet B",
            "text": "Three coastal ports were shut by a storm on Tuesday, according to officials. "
            "Dozens of ships waited offshore for the wind to ease.",
        },
        {
            "id": "comet",
            "source": "Outlet C",
            "text": "Astronomers spotted a new comet passing close to Jupiter this week. "
            "It will be visible with binoculars from the southern hemisphere in May.",
        },
    ],
    "options": {"max_words": 60},
}


@dataclass
class Result:
    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def row(self) -> dict[str, object]:
        ordered = sorted(self.latencies)
        return {
            "scenario": self.name,
            "ok": len(ordered),
            "errors": sum(self.errors.values()),
            "requests_per_s": round(len(ordered) / self.seconds, 1),
            "p50_ms": round(_percentile(ordered, 50) * 1000, 1) if ordered else None,
            "p99_ms": round(_percentile(ordered, 99) * 1000, 1) if ordered else None,
            "error_kinds": self.errors,
        }


def _percentile(ordered: list[float], pct: float) -> float:
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(pct) - 1]


async def _load(
    name: str,
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, object] | None,
    seconds: float,
    concurrency: int,
    expect: int,
) -> Result:
    result = Result(name, seconds)
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                response = await client.request(method, path, json=body)
                ok = response.status_code == expect
                kind = str(response.status_code)
            except httpx.HTTPError as exc:
                ok, kind = False, type(exc).__name__
            if ok:
                result.latencies.append(time.perf_counter() - started)
            else:
                result.errors[kind] = result.errors.get(kind, 0) + 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return result


async def run(args: argparse.Namespace, base_url: str) -> list[Result]:
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    limits = httpx.Limits(max_connections=max(args.health_concurrency, args.digest_concurrency))
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=120, limits=limits
    ) as client:
        await client.post("/v1/digests?wait=true", json=SMALL_DIGEST)  # warm the pipeline
        health = await _load(
            "GET /healthz",
            client,
            "GET",
            "/healthz",
            None,
            args.duration,
            args.health_concurrency,
            200,
        )
        digests = await _load(
            "POST /v1/digests?wait=true (3 articles)",
            client,
            "POST",
            "/v1/digests?wait=true",
            SMALL_DIGEST,
            args.duration,
            args.digest_concurrency,
            200,
        )
    return [health, digests]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def local_server(workers: int, startup_s: float) -> Iterator[str]:
    """The real app under uvicorn in a subprocess, on a fresh SQLite file; stopped after."""
    port = _free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {
            **os.environ,
            "DIGEST_ALLOW_OPEN_ACCESS": "true",
            "DIGEST_DATA_DIR": data,
            "DIGEST_DATABASE_URL": f"sqlite:///{data}/jobs.db",
            "DIGEST_JOB_WORKERS": str(workers),
            "HF_HUB_OFFLINE": "1",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        }
        log = open(Path(data) / "server.log", "wb")  # closed in the finally below
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "service.api:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url, process, startup_s)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


def _wait_ready(url: str, process: subprocess.Popen[bytes], startup_s: float) -> None:
    deadline = time.monotonic() + startup_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited during startup")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server was not ready within {startup_s:.0f} s")


def _print_table(rows: list[dict[str, object]]) -> None:
    columns = ["scenario", "ok", "errors", "requests_per_s", "p50_ms", "p99_ms"]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in columns))
    for row in rows:
        if row["error_kinds"]:
            print(f"errors in {row['scenario']}: {row['error_kinds']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="benchmark this running server instead of starting one")
    parser.add_argument("--api-key", default=os.environ.get("DIGEST_BENCH_API_KEY"))
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    parser.add_argument("--health-concurrency", type=int, default=16)
    parser.add_argument("--digest-concurrency", type=int, default=4)
    parser.add_argument("--job-workers", type=int, default=2, help="for the server started here")
    parser.add_argument("--startup-timeout", type=float, default=180.0)
    parser.add_argument("--json", action="store_true", help="print JSON rows instead")
    args = parser.parse_args()
    if args.duration <= 0 or args.duration > 600:
        parser.error("--duration must be in (0, 600] seconds")

    if args.url:
        results = asyncio.run(run(args, args.url.rstrip("/")))
    else:
        with local_server(args.job_workers, args.startup_timeout) as url:
            results = asyncio.run(run(args, url))
    rows = [r.row() for r in results]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(
            f"cpus={os.cpu_count()}  duration={args.duration:.0f}s per scenario  "
            f"concurrency: healthz={args.health_concurrency} digests={args.digest_concurrency}"
        )
        _print_table(rows)


if __name__ == "__main__":
    main()
