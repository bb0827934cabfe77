"""HTTP mode: Slack's requests served by the FastAPI app at POST /slack/events.

Uses slack_bolt's Starlette adapter to translate requests and responses, and runs Bolt's
(synchronous) dispatch in the thread pool, so waiting for a listener's ack never blocks
the event loop that serves the rest of the API. Signature verification stays on: a bad
signature or a timestamp older than 5 minutes is answered 401 before any listener runs.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

from service.config import Settings
from service.errors import ConfigError

EVENTS_PATH = "/slack/events"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # Unix seconds; Bolt's int() raised on "abc" or 5000 digits


def slack_configured(settings: Settings) -> bool:
    """True when HTTP mode is asked for: a Slack credential is set, and no Socket Mode token
    without a signing secret (a Socket Mode bot sharing the API's settings needs no route)."""
    if settings.slack_app_token and not settings.slack_signing_secret:
        return False
    return bool(settings.slack_bot_token or settings.slack_signing_secret)


def mount_slack(app: FastAPI, settings: Settings, *, slack_app: App | None = None) -> None:
    """Add POST /slack/events to `app`; nothing when HTTP mode is not configured.

    Half a configuration (a token without the signing secret, or the reverse) is a
    ConfigError that names the missing setting, not a bot that silently never answers.
    """
    if slack_app is None and not slack_configured(settings):
        return
    if not settings.slack_signing_secret:
        raise ConfigError(
            "the Slack signing secret is not set, so Slack's requests cannot be verified",
            hint="set DIGEST_SLACK_SIGNING_SECRET (Basic Information > App Credentials), "
            "or DIGEST_SLACK_APP_TOKEN to run the bot in Socket Mode instead",
        )
    if slack_app is None:
        from service.slack.app import create_slack_app
        from service.slack.worker import DigestWorker

        worker = DigestWorker(settings)
        slack_app = create_slack_app(settings, worker=worker, start=False)
        app.state.slack_worker = worker  # the lifespan starts it, then stops it (queued handed on)
    bolt = slack_app
    router = APIRouter()

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        """Slash commands, shortcuts and events, verified and dispatched to the listeners."""
        if not _TIMESTAMP.fullmatch(request.headers.get("x-slack-request-timestamp", "").strip()):
            # Bolt's verifier raised on "abc" (a 500 and a traceback for anyone's request)
            return JSONResponse(
                {"error": "invalid_request", "detail": "missing or malformed Slack timestamp"},
                status_code=401,
            )
        body = await request.body()
        try:
            bolt_request = to_bolt_request(request, body)
        except ValueError:  # Bolt parses the body before it checks the signature: a 500 had
            # answered anyone's "{bad" (JSON, or a form's `payload`), with a traceback
            return JSONResponse(
                {"error": "invalid_request", "detail": "the body is not a Slack request"},
                status_code=400,
            )
        bolt_response = await run_in_threadpool(bolt.dispatch, bolt_request)
        return to_starlette_response(bolt_response)

    app.include_router(router)
