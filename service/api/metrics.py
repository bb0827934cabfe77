"""Prometheus metrics, one registry per app (so tests can build many apps in one process).

HTTP: requests and latency by route template (never the raw path, which holds
job ids). Jobs: outcomes, durations, failure reasons, and how many jobs are in
each status right now (read from the store at scrape time, so it is true across
replicas). LLM: tokens and cost from every finished digest's summaries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from service.jobs.store import JobStoreError
from service.models import Digest, JobError

_JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")
# any token is an HTTP method to the server, and every label value is a new series kept
# forever: unknown methods (sent by anyone, with no key) are counted together
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class _JobStatusCollector(Collector):
    """digest_jobs{status}: counted in the database when scraped."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("digest_jobs", "Jobs in the store by status.", labels=["status"])
        try:
            counts = self.counts()
        except JobStoreError:
            return
        for status in _JOB_STATUSES:
            gauge.add_metric([status], counts.get(status, 0))
        yield gauge


class Metrics:
    """Every metric the API exports; also the job runner's `JobListener`."""

    def __init__(self, job_counts: Callable[[], dict[str, int]] | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "digest_http_requests",
            "HTTP requests by method, route and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "digest_http_request_duration_seconds",
            "HTTP request latency by method and route.",
            ["method", "route"],
            registry=r,
        )
        self.errors = Counter(
            "digest_http_errors",
            "Responses with a 4xx or 5xx status, by status.",
            ["status"],
            registry=r,
        )
        self.jobs = Counter(
            "digest_jobs_ended", "Jobs that ended, by outcome.", ["outcome"], registry=r
        )
        self.job_failures = Counter(
            "digest_job_failures", "Failed jobs by reason.", ["reason"], registry=r
        )
        self.job_duration = Histogram(
            "digest_job_duration_seconds",
            "Time from claim to end of a job run, by outcome.",
            ["outcome"],
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800),
            registry=r,
        )
        self.llm_tokens = Counter(
            "digest_llm_tokens",
            "LLM tokens used, by backend and kind.",
            ["backend", "kind"],
            registry=r,
        )
        self.llm_cost = Counter(
            "digest_llm_cost_usd", "LLM cost in US dollars, by backend.", ["backend"], registry=r
        )
        if job_counts is not None:
            r.register(_JobStatusCollector(job_counts))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in _METHODS else "other"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if status >= 400:
            self.errors.labels(str(status)).inc()

    def job_ended(
        self, outcome: str, duration_s: float, digest: Digest | None, error: JobError | None
    ) -> None:
        self.jobs.labels(outcome).inc()
        self.job_duration.labels(outcome).observe(duration_s)
        if error is not None:
            self.job_failures.labels(error.reason).inc()
        for cluster in digest.clusters if digest else []:
            summary = cluster.summary
            if summary is None:
                continue
            usage = summary.usage
            if usage.prompt_tokens:
                self.llm_tokens.labels(summary.backend, "prompt").inc(usage.prompt_tokens)
            if usage.completion_tokens:
                self.llm_tokens.labels(summary.backend, "completion").inc(usage.completion_tokens)
            if usage.cost_usd:
                self.llm_cost.labels(summary.backend).inc(usage.cost_usd)

    def render(self) -> bytes:
        return generate_latest(self.registry)
