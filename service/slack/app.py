"""The Bolt app, built from the settings: one app for HTTP mode and Socket Mode alike.

In: Settings (bot token, signing secret, Web API base URL). Out: a slack_bolt `App` with
our listeners. Missing or refused credentials become ConfigError naming the setting.
"""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from service.config import Settings
from service.errors import ConfigError
from service.slack.listeners import register_listeners
from service.slack.worker import DigestWorker


def web_client(settings: Settings) -> WebClient:
    """The Web API client: Slack's, or the base URL of DIGEST_SLACK_API_BASE_URL (tests)."""
    base_url = settings.slack_api_base_url or WebClient.BASE_URL
    return WebClient(
        token=settings.slack_bot_token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        # Slack answers 429 when a channel gets more than about one message a second;
        # a long digest is several messages, so wait and retry rather than lose one.
        retry_handlers=[ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(2)],
    )


def create_slack_app(
    settings: Settings, *, worker: DigestWorker | None = None, verify_token: bool = False
) -> App:
    """The Bolt app with the /digest, shortcut and mention listeners.

    `verify_token` calls auth.test now (Socket Mode: fail at start); otherwise Bolt calls it
    on the first request, so the HTTP API starts even while Slack is unreachable.
    """
    if not settings.slack_bot_token:
        raise ConfigError(
            "the Slack bot token is not set",
            hint="set DIGEST_SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-...)",
        )
    try:
        app = App(
            name="digest",
            client=web_client(settings),
            signing_secret=settings.slack_signing_secret or "",
            token_verification_enabled=verify_token,
        )
    except BoltError as exc:  # auth.test refused the token
        raise ConfigError(
            "Slack refused the bot token",
            hint="check DIGEST_SLACK_BOT_TOKEN: the Bot User OAuth Token, xoxb-...",
        ) from exc
    register_listeners(app, worker or DigestWorker(settings))
    return app
