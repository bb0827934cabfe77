"""The job and LLM metrics, counted wherever jobs run: the API's in-process executor or
a Celery worker (`worker_metrics.py`). One definition, so both export the same names and
a dashboard sums their series alike."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from service.models import Digest, JobError, Summary

JOB_DURATION_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800)


class JobMetrics:
    """Job outcomes, durations and failure reasons; LLM tokens and cost."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.jobs = Counter(
            "digest_jobs_ended", "Jobs that ended, by outcome.", ["outcome"], registry=registry
        )
        self.job_failures = Counter(
            "digest_job_failures", "Failed jobs by reason.", ["reason"], registry=registry
        )
        self.job_duration = Histogram(
            "digest_job_duration_seconds",
            "Job run time by outcome (a worker counts from the job's first start).",
            ["outcome"],
            buckets=JOB_DURATION_BUCKETS,
            registry=registry,
        )
        self.llm_tokens = Counter(
            "digest_llm_tokens",
            "LLM tokens used, by backend and kind.",
            ["backend", "kind"],
            registry=registry,
        )
        self.llm_cost = Counter(
            "digest_llm_cost_usd",
            "LLM cost in US dollars, by backend.",
            ["backend"],
            registry=registry,
        )

    def job_ended(
        self,
        outcome: str,
        duration_s: float | None,
        digest: Digest | None,
        error: JobError | None,
    ) -> None:
        """A job ended (its duration unknown: None); its summaries' usage is counted here
        unless counted per story."""
        self.jobs.labels(outcome).inc()
        if duration_s is not None:
            self.job_duration.labels(outcome).observe(max(duration_s, 0.0))
        if error is not None:
            self.job_failures.labels(error.reason).inc()
        for cluster in digest.clusters if digest else []:
            if cluster.summary is not None:
                self.count_usage(cluster.summary)

    def count_usage(self, summary: Summary) -> None:
        """One summary's LLM tokens and cost (nothing for the extractive backend)."""
        usage = summary.usage
        if usage.prompt_tokens:
            self.llm_tokens.labels(summary.backend, "prompt").inc(usage.prompt_tokens)
        if usage.completion_tokens:
            self.llm_tokens.labels(summary.backend, "completion").inc(usage.completion_tokens)
        if usage.cost_usd:
            self.llm_cost.labels(summary.backend).inc(usage.cost_usd)
