"""Pure-ASGI middlewares (streaming-safe, so SSE passes through untouched).

RequestContext (outermost): gives every request an id (the caller's valid
`X-Request-ID`, else a new one), returns it as a header, logs one line per
request and records its metrics.

BodyGuard: reads a request body before FastAPI does, answering 413 when it is
over the limit (by Content-Length or by counting), 415 when it is compressed
(Content-Encoding) and 400 when a JSON body is not UTF-8; then replays the body
to the app.

KeyGuard: answers 401 to a /v1 request without a valid key before anything else.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import MutableHeaders

from service.api.logs import request_id_var
from service.api.metrics import Metrics
from service.api.problems import (
    CHALLENGE,
    TooLargeError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
    error_response,
    problem_response,
)
from service.api.security import identify
from service.config import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("service.api")
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_BODY_METHODS = {"POST", "PUT", "PATCH"}
_PROBES = {"/healthz", "/readyz", "/metrics"}


class RequestContextMiddleware:
    """Request id, access log and metrics for every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _VALID_ID.fullmatch(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe_request(scope["method"], route, status, seconds)
            quiet = route in _PROBES and status < 400  # probes every few seconds: debug only
            log.log(
                logging.DEBUG if quiet else logging.INFO,
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope.get("path", ""),
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
            request_id_var.reset(token)


class BodyGuardMiddleware:
    """Size limit and UTF-8 check on request bodies, before any parsing."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        encoding = _header(scope, b"content-encoding")
        if encoding and encoding.lower() != "identity":  # else a gzip body reads as "not UTF-8"
            compressed = UnsupportedMediaTypeError(
                f"the request body is sent with Content-Encoding {encoding[:32]!r}, "
                "which this server does not decode; send it uncompressed"
            )
            response = error_response(scope, compressed, {"Accept-Encoding": "identity"})
            await response(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if _is_json(scope):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                response = problem_response(
                    scope,
                    400,
                    slug="not-utf8",
                    title="Body is not UTF-8",
                    detail=f"the request body is not UTF-8 (invalid byte at offset {exc.start}); "
                    "encode the JSON as UTF-8",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, _replay(body, receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        too_large = TooLargeError(
            f"the request body is over {self.max_body_bytes} bytes; "
            "send fewer or shorter articles per request"
        )
        response = error_response(scope, too_large, {"Connection": "close"})
        await response(scope, receive, send)


class KeyGuardMiddleware:
    """401 for a /v1 request without a valid key, before its body is read or parsed.

    Why: FastAPI parses a JSON body before any dependency runs, so a caller without a
    key sending broken JSON was told 400 "malformed JSON" instead of 401. The routes
    still check the key themselves (`deps.get_client`): this only answers earlier.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        root = scope.get("root_path", "")
        if root and path.startswith(root):  # served under a prefix (--root-path)
            path = path[len(root) :]
        if path == "/v1" or path.startswith("/v1/"):
            authorization = _header(scope, b"authorization") or ""
            scheme, _, credentials = authorization.partition(" ")
            bearer = credentials.strip() if scheme.lower() == "bearer" else None
            try:
                identify(self.settings, _header(scope, b"x-api-key"), bearer or None)
            except UnauthorizedError as exc:
                await error_response(scope, exc, CHALLENGE)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


def _is_json(scope: Scope) -> bool:
    return is_json_media_type(_header(scope, b"content-type"))


def is_json_media_type(content_type: str | None) -> bool:
    """What FastAPI parses as JSON: `application/json` or `application/*+json` (without a
    Content-Type it reads no JSON: its `strict_content_type` is on by default)."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )
