"""Durable digest jobs: a SQL job store, a runner, and executors that decide where jobs run.

create_app / CLI / Slack ──JobStore.create──► digest_jobs row (queued)
                                               │ Executor.submit(job_id): "there is work"
InProcessExecutor threads (or queue workers) ──JobStore.claim──► JobRunner.run
                                               │ progress, lease renewals, cancel checks
                                               ▼
                                     done (Digest) | failed (JobError) | cancelled
"""

from service.jobs.db import database_url, make_engine, migrate
from service.jobs.executor import (
    Executor,
    InProcessExecutor,
    make_executor,
    require_shared_database,
)
from service.jobs.runner import DigestFunction, JobListener, JobRunner, default_pipeline
from service.jobs.spec import JobRequest
from service.jobs.store import (
    ClaimedJob,
    IdempotencyConflictError,
    JobStore,
    JobStoreError,
    Recovery,
)

__all__ = [
    "ClaimedJob",
    "DigestFunction",
    "Executor",
    "IdempotencyConflictError",
    "InProcessExecutor",
    "JobListener",
    "JobRequest",
    "JobRunner",
    "JobStore",
    "JobStoreError",
    "Recovery",
    "database_url",
    "default_pipeline",
    "make_engine",
    "make_executor",
    "migrate",
    "require_shared_database",
]
