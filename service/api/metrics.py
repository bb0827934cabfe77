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

from service.jobs.job_metrics import JobMetrics
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
        self.job_metrics = JobMetrics(r)
        if job_counts is not None:
            r.register(_JobStatusCollector(job_counts))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in _METHODS else "other"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if status >= 400:
            self.errors.labels(str(status)).inc()

    def job_ended(
        self,
        outcome: str,
        duration_s: float | None,
        digest: Digest | None,
        error: JobError | None,
    ) -> None:
        self.job_metrics.job_ended(outcome, duration_s, digest, error)

    def render(self) -> bytes:
        return generate_latest(self.registry)
