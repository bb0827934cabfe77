"""Prometheus metrics of a Celery worker, served by the worker's main process.

A Celery worker forks its pool processes. Each counts into files under
`PROMETHEUS_MULTIPROC_DIR` (prometheus_client's multiprocess mode, as under
gunicorn), and the main process serves their sum on `DIGEST_WORKER_METRICS_PORT`.
The job metrics carry the API's names (`digest_jobs_ended_total`, ...), so a
dashboard adds the API's and the workers' series alike; stories add their own.
Off unless the port is set.

prometheus_client picks its multiprocess mode when first imported, so this module
imports it only after `serve()` has set the directory: nothing else in a worker
imports it.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from service.config import Settings, get_settings
from service.errors import ConfigError
from service.models import JobError, Summary

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram

    from service.jobs.job_metrics import JobMetrics

log = logging.getLogger("service.jobs")
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
STORY_DURATION_BUCKETS = (0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600)


def serve(settings: Settings) -> None:
    """In the worker's main process, before the pool forks: serve the metrics if asked."""
    port = settings.worker_metrics_port
    if port is None:
        return
    directory = _multiprocess_directory()
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))
    try:
        start_http_server(port, addr=settings.worker_metrics_host, registry=registry)
    except OSError as exc:
        raise ConfigError(
            f"the worker cannot serve its metrics on "
            f"{settings.worker_metrics_host}:{port}: {exc.strerror or exc}",
            hint="give each worker on a host its own DIGEST_WORKER_METRICS_PORT, or unset it",
        ) from exc
    log.info("worker metrics on http://%s:%d/metrics", settings.worker_metrics_host, port)


def _multiprocess_directory() -> Path:
    """The directory the pool processes count in: the operator's, emptied of an earlier
    run's counts, or a new one. Set before prometheus_client is first imported."""
    given = os.environ.get(MULTIPROC_DIR)
    if "prometheus_client" in sys.modules and not given:
        raise ConfigError(
            "prometheus_client was imported before the worker could set up its metrics",
            hint=f"set {MULTIPROC_DIR} to an empty directory for the worker",
        )
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):  # counts of an earlier run would add up
            stale.unlink(missing_ok=True)
        return directory
    directory = Path(tempfile.mkdtemp(prefix="digest-worker-metrics-"))
    os.environ[MULTIPROC_DIR] = str(directory)  # inherited by the pool processes
    return directory


class WorkerMetrics:
    """What a pool process counts: jobs that end here, and each story it summarizes."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        from service.jobs.job_metrics import JobMetrics

        registry = CollectorRegistry()  # in multiprocess mode the values go to files
        self.jobs: JobMetrics = JobMetrics(registry)
        self.stories: Counter = Counter(
            "digest_stories_summarized",
            "Stories summarized on this worker, by backend.",
            ["backend"],
            registry=registry,
        )
        self.story_duration: Histogram = Histogram(
            "digest_story_duration_seconds",
            "Time to summarize one story on a worker.",
            buckets=STORY_DURATION_BUCKETS,
            registry=registry,
        )

    def job_ended(self, outcome: str, started: datetime | None, error: JobError | None) -> None:
        """A job this process finished or failed; its duration counts from its first start."""
        seconds = (datetime.now(UTC) - started).total_seconds() if started else 0.0
        self.jobs.job_ended(outcome, seconds, None, error)  # tokens were counted per story

    def story_summarized(self, summary: Summary, seconds: float) -> None:
        self.stories.labels(summary.backend).inc()
        self.story_duration.observe(seconds)
        self.jobs.count_usage(summary)


@lru_cache(maxsize=1)
def worker_metrics() -> WorkerMetrics | None:
    """This process's metrics, or None when the worker serves none (nothing is counted)."""
    if get_settings().worker_metrics_port is None or not os.environ.get(MULTIPROC_DIR):
        return None
    return WorkerMetrics()
