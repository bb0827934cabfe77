"""Prometheus metrics of a Celery worker, served by the worker's main process.

A Celery worker forks its pool processes. Each counts into files of a directory of
this worker's own (prometheus_client's multiprocess mode, as under gunicorn), and
the main process serves their sum on `DIGEST_WORKER_METRICS_PORT`. The job metrics
carry the API's names (`digest_jobs_ended_total`, ...), so a dashboard adds the
API's and the workers' series alike; stories add their own. Off unless the port is set.

prometheus_client picks its multiprocess mode when first imported, so this module
imports it only after `serve()` has set the directory: nothing else in a worker
imports it. Counting never fails a task: a metrics error is logged and ignored.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime
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
_created: list[Path] = []  # the directory serve() made, removed at shutdown


def serve(settings: Settings) -> None:
    """In the worker's main process, before the pool forks: serve the metrics if asked."""
    port = settings.worker_metrics_port
    if port is None:
        return
    directory = _counting_directory()
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))
    try:
        start_http_server(port, addr=settings.worker_metrics_host, registry=registry)
    except OSError as exc:
        remove_counting_directory()
        raise ConfigError(
            f"the worker cannot serve its metrics on "
            f"{settings.worker_metrics_host}:{port}: {exc.strerror or exc}",
            hint="give each worker on a host its own DIGEST_WORKER_METRICS_PORT, or unset it",
        ) from exc
    log.info("worker metrics on http://%s:%d/metrics", settings.worker_metrics_host, port)


def _counting_directory() -> Path:
    """A new directory this worker alone counts in, set for its pool processes before
    prometheus_client is first imported. Inside the operator's PROMETHEUS_MULTIPROC_DIR
    when given: two workers sharing one directory would each serve the other's counts."""
    given = os.environ.get(MULTIPROC_DIR)
    if "prometheus_client" in sys.modules:
        raise ConfigError(
            "prometheus_client was imported before the worker could set up its metrics",
            hint="report this; meanwhile unset DIGEST_WORKER_METRICS_PORT",
        )
    try:
        if given:
            base = Path(given)
            base.mkdir(parents=True, exist_ok=True)
            directory = base / f"{socket.gethostname()}-{os.getpid()}"
            shutil.rmtree(directory, ignore_errors=True)  # a crashed run's, with this pid
            directory.mkdir()
        else:
            directory = Path(tempfile.mkdtemp(prefix="digest-worker-metrics-"))
        _created.append(directory)
        (directory / ".writable").touch()  # the pool processes will write here
    except OSError as exc:
        raise ConfigError(
            f"the worker cannot count its metrics in {given or tempfile.gettempdir()}: "
            f"{exc.strerror or exc}",
            hint=f"set {MULTIPROC_DIR} to a directory the worker can write, or unset "
            "DIGEST_WORKER_METRICS_PORT",
        ) from exc
    os.environ[MULTIPROC_DIR] = str(directory)  # inherited by the pool processes
    return directory


def remove_counting_directory() -> None:
    """At the worker's shutdown: the counts go with the process that served them."""
    while _created:
        shutil.rmtree(_created.pop(), ignore_errors=True)


class WorkerMetrics:
    """What a pool process counts: jobs that end here, and each story it summarizes."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        from service.jobs.job_metrics import JobMetrics

        registry = CollectorRegistry()  # in multiprocess mode the values go to files
        self.jobs: JobMetrics = JobMetrics(registry)
        self.stories: Counter = Counter(
            "digest_stories_summarized",
            "Stories summarized and stored on this worker, by backend.",
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
        seconds = (datetime.now(UTC) - started).total_seconds() if started else None
        self.jobs.job_ended(outcome, seconds, None, error)  # tokens were counted per story

    def summarized(self, summary: Summary) -> None:
        """A summary was written, stored or not (a redelivered story is paid twice)."""
        self.jobs.count_usage(summary)

    def stored(self, summary: Summary, seconds: float) -> None:
        self.stories.labels(summary.backend).inc()
        self.story_duration.observe(seconds)


_LOCK = threading.Lock()
_metrics: list[WorkerMetrics] = []


def count(action: Callable[[WorkerMetrics], None]) -> None:
    """Apply `action` to this process's metrics, if the worker serves any; an error in
    counting is logged, never raised into the task."""
    if get_settings().worker_metrics_port is None or not os.environ.get(MULTIPROC_DIR):
        return
    try:
        with _LOCK:
            if not _metrics:
                _metrics.append(WorkerMetrics())
        action(_metrics[0])
    except Exception:
        log.warning("could not count a worker metric", exc_info=True)
