"""/v1/digests: submit a digest job, read it, follow its progress, cancel or remove it."""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.concurrency import run_in_threadpool
from sse_starlette import EventSourceResponse, ServerSentEvent
from sse_starlette.sse import AppStatus

from service.api.deps import ClientDep, RootPathDep, ServicesDep, require_json_body
from service.api.intake import to_job_request
from service.api.problems import (
    ClientQueueFullError,
    NotFoundError,
    QueueFullError,
    problem_responses,
)
from service.api.schemas import DigestRequest, JobResponse
from service.api.security import OPEN_CLIENT
from service.api.state import Services
from service.jobs import JobRequest, JobStore
from service.models import TERMINAL_STATUSES, Job

router = APIRouter(prefix="/v1/digests", tags=["digests"])

_JOB_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")  # what the store writes: uuid4().hex
_EVENTS_POLL_S = 0.2
_FIRST_POLL_S = 0.02
_MAX_POLL_S = 0.25
_SHUTDOWN_GRACE_S = 2.0  # for the `reconnect` event, well within uvicorn's graceful stop
_RECONNECT_S = 5
_JOB_RESPONSES = {
    200: {"model": JobResponse, "description": "The job has ended (done, failed or cancelled)."},
    202: {"model": JobResponse, "description": "Accepted; poll `Location` or follow `events`."},
}


@router.post(
    "",
    status_code=202,
    response_model=JobResponse,
    responses={**_JOB_RESPONSES, **problem_responses(400, 401, 413, 415, 422, 429, 503)},
    dependencies=[Depends(require_json_body)],  # before the body is validated
    summary="Submit articles and/or URLs for a digest",
)
async def create_digest(
    body: DigestRequest,
    response: Response,
    services: ServicesDep,
    client: ClientDep,
    root_path: RootPathDep,
    wait: Annotated[
        bool, Query(description="Wait for the result (up to `timeout`) instead of 202 at once.")
    ] = False,
    timeout: Annotated[
        float | None,
        Query(
            gt=0,  # no upper bound: a longer wait is cut to DIGEST_WAIT_TIMEOUT_S, as documented
            allow_inf_nan=False,
            description="Seconds to wait; capped by DIGEST_WAIT_TIMEOUT_S.",
        ),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            description="Resending the same body with the same key returns the first job.",
        ),
    ] = None,
) -> JobResponse:
    """Store a job and start it. 202 with `Location`; with `wait=true`, 200 once it ended."""
    settings = services.settings
    job_request = await run_in_threadpool(to_job_request, body, settings)
    job = await run_in_threadpool(_submit, services, job_request, client, idempotency_key)
    if wait and job.status not in TERMINAL_STATUSES:
        limit = min(timeout or settings.wait_timeout_s, settings.wait_timeout_s)
        job = await _wait_for_end(services.store, job.id, limit)
    response.status_code = 200 if job.status in TERMINAL_STATUSES else 202
    answer = JobResponse.of(job, root_path)
    response.headers["Location"] = answer.links.self
    return answer


@router.get(
    "/{job_id}",
    response_model=JobResponse,
    responses=problem_responses(401, 404, 503),
    summary="A job's status, progress, and Digest when done",
)
async def get_digest(
    job_id: str, services: ServicesDep, client: ClientDep, root_path: RootPathDep
) -> JobResponse:
    return JobResponse.of(await _job(services.store, job_id, client), root_path)


@router.delete(
    "/{job_id}",
    response_model=JobResponse,
    responses={
        200: {"model": JobResponse, "description": "It was queued or running: now cancelled."},
        204: {"description": "It had ended: removed."},
        **problem_responses(401, 404, 503),
    },
    summary="Cancel a queued or running job; remove an ended one",
)
async def delete_digest(
    job_id: str, services: ServicesDep, client: ClientDep, root_path: RootPathDep
) -> JobResponse | Response:
    store = services.store
    job = await _job(store, job_id, client)
    if job.status not in TERMINAL_STATUSES and await run_in_threadpool(
        store.cancel, job_id, client=client
    ):
        return JobResponse.of(await _job(store, job_id, client), root_path)
    if await run_in_threadpool(store.delete, job_id, client=client):
        return Response(status_code=204)
    raise NotFoundError("no such digest job", hint="it was removed meanwhile")


@router.get(
    "/{job_id}/events",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "`progress` events while it runs; then one `done`, `failed` or "
            "`cancelled` event (`deleted` when the job is removed meanwhile, `reconnect` when "
            "this server stops first: reconnect after `retry_after_s`), and the stream ends.",
        },
        **problem_responses(401, 404, 503),
    },
    summary="Server-sent events with the job's progress",
)
async def digest_events(
    job_id: str, services: ServicesDep, client: ClientDep, root_path: RootPathDep
) -> EventSourceResponse:
    job = await _job(services.store, job_id, client, with_digest=False)
    # set by sse_starlette when the server is told to stop: the stream then says so and
    # ends cleanly, instead of being cut mid-body (curl: exit 18; httpx: RemoteProtocolError)
    stopping = anyio.Event()
    return EventSourceResponse(
        _events(services.store, job, client, stopping, root_path),
        ping=15,
        shutdown_event=stopping,
        shutdown_grace_period=_SHUTDOWN_GRACE_S,
    )


async def _events(
    store: JobStore, job: Job | None, client: str, stopping: anyio.Event, root_path: str = ""
) -> AsyncIterator[ServerSentEvent]:
    """A `progress` event per change of status or progress; a last event named by the end,
    or `reconnect` when this server stops first (the job is kept: the next server, or
    another replica, carries on with it)."""
    last: str | None = None
    while job is not None:
        state = {
            "status": job.status,
            "progress": job.progress.model_dump() if job.progress else None,
            "attempts": job.attempts,
        }
        if job.status in TERMINAL_STATUSES:
            final = JobResponse.of(job, root_path).model_dump(mode="json", exclude={"digest"})
            yield ServerSentEvent(json.dumps(final), event=job.status)
            return
        encoded = json.dumps(state)
        if encoded != last:
            yield ServerSentEvent(encoded, event="progress")
            last = encoded
        with anyio.move_on_after(_EVENTS_POLL_S):
            await stopping.wait()
        if stopping.is_set():
            yield _reconnect_event(state, f"{root_path}/v1/digests/{job.id}")
            return
        job = await run_in_threadpool(store.get, job.id, client=client, with_digest=False)
    yield ServerSentEvent(json.dumps({"status": "deleted"}), event="deleted")


def _reconnect_event(state: dict[str, object], job_url: str) -> ServerSentEvent:
    """The last event of a stream cut short by this server stopping: what to do next."""
    detail = (
        "this server is shutting down; the job is kept and carries on when the service is "
        f"back: reconnect to {job_url}/events (or GET the job) in a few seconds"
    )
    data = {**state, "detail": detail, "retry_after_s": _RECONNECT_S}
    return ServerSentEvent(json.dumps(data), event="reconnect", retry=_RECONNECT_S * 1000)


def server_stopping() -> bool:
    """Whether the uvicorn server running this app was told to stop (SIGTERM, Ctrl-C): the
    same checks sse_starlette makes to end its streams."""
    if AppStatus.should_exit:
        return True
    handler = signal.getsignal(signal.SIGTERM)
    server = getattr(handler, "__self__", None)
    return bool(getattr(server, "should_exit", False))


def _submit(
    services: Services, request: JobRequest, client: str, idempotency_key: str | None
) -> Job:
    """Store the job unless the queue is full; wake the executor for a new one."""
    store = services.store
    if idempotency_key is not None:  # a retry of an accepted request gets its job, full or not
        earlier = store.replay(request, client=client, idempotency_key=idempotency_key)
        if earlier is not None:
            return earlier
    settings = services.settings
    # open access with no keys: every caller is one client, and only the global limit holds;
    # with keys too, the keyless callers share one client's share
    shared = client == OPEN_CLIENT and not settings.api_key_hashes
    if (
        not shared
        and store.counts(client=client).get("queued", 0) >= settings.max_queued_jobs_per_client
    ):
        raise ClientQueueFullError(
            f"{settings.max_queued_jobs_per_client} of your digest jobs are already waiting",
            hint="wait for some to end (GET them, or their /events) before sending more; "
            "whoever runs the service can raise DIGEST_MAX_QUEUED_JOBS_PER_CLIENT",
        )
    if store.counts().get("queued", 0) >= settings.max_queued_jobs:
        raise QueueFullError(
            "too many digest jobs are waiting",
            hint="retry after the seconds Retry-After gives; if it keeps happening, whoever runs "
            "the service can raise DIGEST_JOB_WORKERS or DIGEST_MAX_QUEUED_JOBS",
        )
    job, created = store.create(request, client=client, idempotency_key=idempotency_key)
    if created:
        services.executor.submit(job.id)
    return job


async def _job(store: JobStore, job_id: str, client: str, *, with_digest: bool = True) -> Job:
    # an id no job can have is not looked up: PostgreSQL refuses a NUL in it (DataError),
    # which read as "database unavailable, retry" instead of 404
    job = None
    if _JOB_ID.fullmatch(job_id):
        job = await run_in_threadpool(store.get, job_id, client=client, with_digest=with_digest)
    if job is None:
        raise NotFoundError(
            f"no digest job {job_id[:64]!r}", hint="check the id; ended jobs can be deleted"
        )
    return job


async def _wait_for_end(store: JobStore, job_id: str, seconds: float) -> Job:
    """Poll the store (it is shared with other processes) until the job ends or time is up."""
    deadline = time.monotonic() + seconds
    delay = _FIRST_POLL_S
    while True:
        job = await run_in_threadpool(store.get, job_id, with_digest=False)
        remaining = deadline - time.monotonic()
        if job is None or job.status in TERMINAL_STATUSES or remaining <= 0:
            break
        # stopping: answer 202 and Location now (the job is stored, the next server runs
        # it); waiting on had held the shutdown up to DIGEST_WAIT_TIMEOUT_S, past a
        # container's stop deadline, and a SIGKILL leaves running jobs to the lease
        if server_stopping():
            break
        await anyio.sleep(min(delay, remaining))
        delay = min(delay * 1.5, _MAX_POLL_S)
    full = await run_in_threadpool(store.get, job_id)
    if full is None:
        raise NotFoundError("the job was removed while waiting for it")
    return full
