"""Every error leaves the API as RFC 9457 problem details (`application/problem+json`).

    ServiceError (ours)          -> its .status, .user_message as `detail`
    RequestValidationError       -> 422 with `errors` (where and what, never the input);
                                    400 when the body is not JSON at all
    HTTPException (404, 405...)  -> its status
    anything else                -> 500 with the request id to report (never for an input)

Body size and encoding are checked before FastAPI parses anything (middleware.py)
and answered with the same shape.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.staticfiles import StaticFiles

from service.errors import (
    BackendError,
    ConfigError,
    EmptyInputError,
    IngestError,
    InputError,
    ServiceError,
    UnknownBackendError,
)

log = logging.getLogger("service.api")

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:digest-service:problem:"
_MAX_LISTED_ERRORS = 20


class FieldError(BaseModel):
    """One invalid part of the request."""

    loc: str = Field(description="Where: 'body.articles[0].text', 'query.timeout', ...")
    message: str
    type: str = Field(description="Machine-readable kind, e.g. 'string_type', 'missing'.")


class Problem(BaseModel):
    """RFC 9457 problem details, with the request id to quote when asking for help."""

    type: str = Field(default="about:blank", examples=[f"{TYPE_PREFIX}validation"])
    title: str = Field(examples=["Invalid request"])
    status: int = Field(examples=[422])
    detail: str | None = Field(default=None, examples=["body.options.max_words: too small"])
    instance: str | None = Field(default=None, description="The request path.")
    request_id: str | None = None
    errors: list[FieldError] | None = None


class TooLargeError(InputError):
    """A request over one of the configured size limits."""

    status = 413


class UnsupportedMediaTypeError(InputError):
    """A body sent as something other than JSON (a form, plain text)."""

    status = 415


class UnauthorizedError(ServiceError):
    """No API key, or one that is not configured."""

    status = 401


class NotFoundError(ServiceError):
    """No such job for this client."""

    status = 404


class QueueFullError(ServiceError):
    """Too many jobs are waiting; the client should retry later."""

    status = 503


class ClientQueueFullError(QueueFullError):
    """This client has too many jobs waiting; it should wait for some to end."""

    status = 429


_SLUGS: list[tuple[type[ServiceError], str, str]] = [
    (EmptyInputError, "empty-input", "No articles given"),
    (IngestError, "invalid-article", "Invalid article"),
    (UnknownBackendError, "unknown-backend", "Unknown backend"),
    (TooLargeError, "too-large", "Request too large"),
    (UnsupportedMediaTypeError, "unsupported-media-type", "Unsupported media type"),
    (InputError, "invalid-input", "Invalid input"),
    (UnauthorizedError, "unauthorized", "Unauthorized"),
    (NotFoundError, "not-found", "Not found"),
    (ClientQueueFullError, "client-queue-full", "Too many of your jobs are queued"),
    (QueueFullError, "queue-full", "Too many queued jobs"),
    (BackendError, "backend-failed", "Backend failed"),
    (ConfigError, "misconfigured", "Server misconfigured"),
]


def problem_response(
    request_or_scope: Request | dict[str, Any],
    status: int,
    *,
    slug: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response; `slug` names our problem type, else 'about:blank'."""
    scope = request_or_scope.scope if isinstance(request_or_scope, Request) else request_or_scope
    problem = Problem(
        type=f"{TYPE_PREFIX}{slug}" if slug else "about:blank",
        title=title or _phrase(status),
        status=status,
        detail=detail,
        instance=scope.get("path"),
        request_id=(scope.get("state") or {}).get("request_id"),
        errors=errors,
    )
    headers = dict(headers or {})
    if status == 503:
        headers.setdefault("Retry-After", "5")
    elif status == 429:  # the client's own jobs must end first: not a quick retry
        headers.setdefault("Retry-After", "30")
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries saying these statuses answer with a Problem."""
    return {status: {"model": Problem, "description": _phrase(status)} for status in statuses}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _loc(parts: tuple[Any, ...] | list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def error_response(
    request_or_scope: Request | dict[str, Any],
    exc: ServiceError,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The problem+json answer to one of our errors: its status, type and title from
    `_SLUGS`, its message as the detail (also for middleware, which has only a scope)."""
    slug, title = next(((s, t) for cls, s, t in _SLUGS if isinstance(exc, cls)), ("error", None))
    return problem_response(
        request_or_scope,
        exc.status,
        slug=slug,
        title=title,
        detail=exc.user_message,
        headers=headers,
    )


CHALLENGE = {"WWW-Authenticate": 'Bearer, ApiKey header="X-API-Key"'}  # with every 401


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    if exc.status >= 500:
        log.warning("request failed", extra={"error": type(exc).__name__, "status": exc.status})
    return error_response(request, exc, CHALLENGE if exc.status == 401 else None)


# The names pydantic gives the branches of a union ("text" may be a string or a list of
# paragraphs): "body.articles[0].text.constrained-str" is, to a caller, "...text"
_UNION_BRANCH = re.compile(r"^(?:constrained-\w+|str|int|float|bool|none|[\w-]+\[.*\])$")
_SHOULD_BE = "Input should be "


def _field_errors(raw: list[Any]) -> list[FieldError]:
    """One error per field, as the caller named it: a union's branches merged into one
    message ("Input should be a valid string or a valid integer")."""
    merged: dict[str, FieldError] = {}
    for error in raw:
        parts = [p for p in error.get("loc", ()) if not _UNION_BRANCH.match(str(p))]
        loc, message = _loc(parts), str(error.get("msg", ""))
        known = merged.get(loc)
        if known is None:
            merged[loc] = FieldError(loc=loc, message=message, type=error["type"])
        elif message.startswith(_SHOULD_BE) and message not in known.message:
            known.message += " or " + message.removeprefix(_SHOULD_BE)
    return list(merged.values())


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    invalid_json = next((e for e in raw if e.get("type") == "json_invalid"), None)
    if invalid_json is not None:
        reason = (invalid_json.get("ctx") or {}).get("error", "syntax error")
        return problem_response(
            request,
            400,
            slug="malformed-json",
            title="Body is not valid JSON",
            detail=f"the request body is not valid JSON ({reason}); send application/json",
        )
    everything = _field_errors(raw)
    errors = everything[:_MAX_LISTED_ERRORS]
    first = errors[0] if errors else FieldError(loc="body", message="invalid", type="invalid")
    more = f" (and {len(everything) - 1} more)" if len(everything) > 1 else ""
    return problem_response(
        request,
        422,
        slug="validation",
        title="Invalid request",
        detail=f"{first.loc}: {first.message}{more}",
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 400 and detail == _UNPARSED_BODY:  # e.g. JSON nested too deep
        why = "nested too deep, or not JSON at all"
        if "digits" in str(exc.__cause__):  # Python reads at most 4,300 digits of an integer
            why = "a number in it has thousands of digits"
        return problem_response(
            request,
            400,
            slug="malformed-json",
            title="Body is not valid JSON",
            detail=f"the request body could not be read as JSON ({why}); send a flat "
            "application/json object as the API reference shows",
        )
    if detail == _phrase(exc.status_code):
        detail = None
    if exc.status_code == 404 and detail is None:
        detail = f"no such path {request.url.path[:200]!r}; the API reference is at /docs"
    headers = exc.headers
    if exc.status_code == 405:
        allowed = ", ".join(sorted(_allowed_methods(request)))
        headers = {**(exc.headers or {}), "Allow": allowed}
        detail = detail or f"{request.method} is not allowed here; use {allowed}"
    return problem_response(request, exc.status_code, detail=detail, headers=headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> set[str]:
    """Every method some route serves at this path: Starlette names only the first route's
    (GET for /v1/digests/{id}, which DELETE serves too). Asked of the routes one method at
    a time, through their public `matches`. The docs' static files (a mount) serve only
    what StaticFiles does."""
    if isinstance(request.scope.get("endpoint"), StaticFiles):
        return {"GET", "HEAD"}
    routes = request.app.router.routes
    return {
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    }


_UNPARSED_BODY = "There was an error parsing the body"  # FastAPI's words for what it could not read


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """The last resort (runs outside the request middleware, so it sets the id header)."""
    request_id = (request.scope.get("state") or {}).get("request_id")
    log.error(
        "unhandled error",
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"request_id": request_id},
    )
    headers = {"X-Request-ID": request_id} if request_id else None
    return problem_response(
        request,
        500,
        slug="internal",
        title="Internal error",
        detail="an unexpected error happened and was logged; quote the request id to report it",
        headers=headers,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error through the handlers above, and document them as they are sent."""
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.openapi = lambda: _openapi_with_problems(app)  # type: ignore[method-assign]


def _openapi_with_problems(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with every error answer as `application/problem+json` only
    (FastAPI would also list `application/json`, and its own 422 shape, which we never send)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    spec = FastAPI.openapi(app)
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    replaced = {"#/components/schemas/Problem", "#/components/schemas/HTTPValidationError"}
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                refs = {media.get("schema", {}).get("$ref") for media in content.values()}
                if refs & replaced:
                    response["content"] = {MEDIA_TYPE: problem}
    schemas = spec.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    app.openapi_schema = spec
    return spec
