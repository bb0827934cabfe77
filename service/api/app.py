"""The app factory: `create_app(settings)` builds the FastAPI app; nothing happens at import.

    uvicorn --factory service.api:create_app --host 0.0.0.0 --port 8000

Startup (lifespan): JSON logs, database migrations, recovery of jobs a dead
process left behind, the executor's workers, the model warm-up in the
background. Shutdown: running jobs go back to the queue for the next process.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import NoReturn

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi_offline import FastAPIOffline

from service.api.logs import configure_logging
from service.api.metrics import Metrics
from service.api.middleware import (
    BodyGuardMiddleware,
    KeyGuardMiddleware,
    RequestContextMiddleware,
)
from service.api.problems import install_problem_handlers
from service.api.routes import digests, health, metrics
from service.api.security import require_auth_configured, warn_if_keys_are_optional
from service.api.state import Readiness, Services
from service.backends.embedders import warm_local_model
from service.backends.summarizers.registry import check_settings
from service.config import Settings, get_settings
from service.errors import ServiceError
from service.jobs import (
    DigestFunction,
    JobRunner,
    JobStore,
    database_url,
    default_pipeline,
    make_engine,
    make_executor,
    migrate,
    require_shared_database,
)
from service.pipeline.run import embedder_for

API_VERSION = "1.0.0"


def create_app(
    settings: Settings | None = None,
    *,
    pipeline: DigestFunction | None = None,
    warm_up: Callable[[], None] | None = None,
) -> FastAPI:
    """The HTTP API. `pipeline` and `warm_up` default to the real pipeline and model."""
    at_start = settings is None  # uvicorn's factory call: a process an operator started
    try:
        settings = settings or get_settings()
        require_auth_configured(settings)
        check_settings(settings)  # an LLM backend that cannot work fails here, not every job
        require_shared_database(settings)
    except ServiceError as exc:
        _refuse_to_start(exc, at_start)
    configure_logging()
    warn_if_keys_are_optional(settings)
    try:
        engine = make_engine(database_url(settings))
        if at_start:  # a database it cannot reach: one line now, not a traceback at startup
            migrate(engine)  # (the lifespan migrates again: a no-op then)
    except ServiceError as exc:
        _refuse_to_start(exc, at_start)
    store = JobStore(engine, lease_s=settings.job_lease_s, max_attempts=settings.job_max_attempts)
    app_metrics = Metrics(job_counts=store.counts)
    runner = JobRunner(
        store, pipeline or default_pipeline(settings), settings, listener=app_metrics
    )
    services = Services(
        settings=settings,
        store=store,
        executor=make_executor(settings, store, runner),
        metrics=app_metrics,
        readiness=Readiness(warm_up or _model_warm_up(settings)),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(migrate, engine)
        await run_in_threadpool(services.executor.start)  # recovers orphaned jobs first
        slack_worker = getattr(app.state, "slack_worker", None)
        if slack_worker is not None:  # Slack requests a stopped process left run again now
            from service.slack.app import web_client

            await run_in_threadpool(slack_worker.start, web_client(settings))
        services.readiness.start()
        try:
            yield
        finally:
            slack_worker = getattr(app.state, "slack_worker", None)
            if slack_worker is not None:  # hand queued Slack requests on; running ones finish
                await run_in_threadpool(slack_worker.shutdown)
            await run_in_threadpool(services.executor.shutdown)
            engine.dispose()

    # /docs and /redoc from assets packaged with the service: FastAPI's own pages load
    # them from a CDN, which a newsroom's closed network cannot reach
    app = FastAPIOffline(
        title="digest-service",
        version=API_VERSION,
        summary="Cluster news articles into stories and write neutral, cited summaries.",
        lifespan=lifespan,
        redirect_slashes=False,  # "/v1/digests/": 404, not a 307 that drops a POST body
    )
    app.state.services = services
    install_problem_handlers(app)
    app.add_middleware(BodyGuardMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(KeyGuardMiddleware, settings=settings)  # 401 before any body is read
    app.add_middleware(RequestContextMiddleware, metrics=app_metrics)  # outermost: ids first
    app.include_router(digests.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    try:
        _mount_slack(app, settings)  # issue 5: the Slack front door, when configured
    except ServiceError as exc:  # half a Slack configuration, or its database unreachable
        engine.dispose()
        _refuse_to_start(exc, at_start)
    return app


def _refuse_to_start(exc: ServiceError, at_start: bool) -> NoReturn:
    """Re-raise for a caller that built its own settings (tests, embedders); for a process
    an operator started, one line saying what to fix, not a 40-line traceback through
    uvicorn's loader."""
    if not at_start:
        raise exc
    sys.stderr.write(f"error: {exc.user_message}\n")
    raise SystemExit(2) from None


def _mount_slack(app: FastAPI, settings: Settings) -> None:
    """Mount the Bolt handler at /slack/events when `service.slack` exists and is configured."""
    if importlib.util.find_spec("service.slack") is None:
        return
    from service.slack import mount_slack

    mount_slack(app, settings)  # no-op without DIGEST_SLACK_*; half set: ConfigError naming it


def _model_warm_up(settings: Settings) -> Callable[[], None]:
    """Load the local embedding model (seconds on a cold start); remote models need nothing."""

    def warm_up() -> None:
        warm_local_model(embedder_for(settings))

    return warm_up
