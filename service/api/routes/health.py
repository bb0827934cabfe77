"""Liveness (/healthz: the process answers) and readiness (/readyz: model loaded, store up;
the broker, when Celery workers run the jobs, is reported as "degraded", not "not ready")."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from service.api.deps import ServicesDep
from service.api.schemas import Health
from service.jobs import JobStoreError

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness: the process answers")
async def healthz() -> Health:
    return Health(status="ok")


@router.head("/healthz", include_in_schema=False)  # uptime checkers often probe with HEAD
async def healthz_head() -> Response:
    return Response(status_code=200)


@router.get(
    "/readyz",
    response_model=Health,
    responses={503: {"model": Health, "description": "Not ready; `checks` says what is not."}},
    summary="Readiness: the model is loaded and the job store answers",
)
async def readyz(services: ServicesDep) -> Health | JSONResponse:
    checks: dict[str, object] = {}
    try:
        await run_in_threadpool(services.store.ping)
        checks["database"] = "ok"
    except JobStoreError as exc:
        checks["database"] = exc.user_message
    readiness = services.readiness
    if readiness.ready.is_set():
        checks["model"] = "ok"
    else:
        checks["model"] = f"failed: {readiness.error}" if readiness.error else "loading"
    # the broker is named, but does not take the replica out: jobs are stored and sent once
    # it answers, and a broker outage would otherwise take every replica (and job GETs) out
    degraded = await run_in_threadpool(services.executor.health)
    if all(value == "ok" for value in checks.values()):
        status = "ready" if all(v == "ok" for v in degraded.values()) else "degraded"
        return Health(status=status, checks={**checks, **degraded})
    checks.update(degraded)
    body = Health(status="not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": "5"})


@router.head("/readyz", include_in_schema=False)  # the same answer as GET, without a body
async def readyz_head(services: ServicesDep) -> Response:
    answer = await readyz(services)
    if isinstance(answer, Response):
        return Response(status_code=answer.status_code, headers={"Retry-After": "5"})
    return Response(status_code=200)
