"""The Bolt app, built from the settings: one app for HTTP mode and Socket Mode alike.

In: Settings (bot token, signing secret, Web API base URL). Out: a slack_bolt `App` with
our listeners. Missing or refused credentials become ConfigError naming the setting.
"""

from __future__ import annotations

import logging
import threading

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from service.config import Settings
from service.errors import ConfigError
from service.slack.listeners import register_listeners
from service.slack.worker import DigestWorker


def web_client(settings: Settings, *, with_token: bool = True) -> WebClient:
    """The Web API client: Slack's, or the base URL of DIGEST_SLACK_API_BASE_URL (tests).
    Without the token for Bolt's App, which gives each request a copy holding the token
    its `authorize` returns."""
    base_url = settings.slack_api_base_url or WebClient.BASE_URL
    return WebClient(
        token=settings.slack_bot_token if with_token else None,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        # Slack answers 429 when a channel gets more than about one message a second;
        # a long digest is several messages, so wait and retry rather than lose one.
        retry_handlers=[ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(2)],
    )


log = logging.getLogger(__name__)


class BotIdentity:
    """Who the bot is (auth.test), learned off the request path.

    Why: Bolt's own single-workspace authorization calls auth.test on each request until
    one call succeeds, with the client's 30 s timeout, so a slow Slack API made every
    command (`/digest help` too) miss Slack's 3 s deadline. Here a request never waits: it
    gets the token at once, and the bot's ids as soon as a background auth.test has
    answered (until then, the bot's own earlier digests in a thread are read like any
    other message).
    """

    def __init__(self, client: WebClient, token: str) -> None:
        self._client = client
        self._token = token
        self._ids: tuple[str | None, str | None, str | None] | None = None  # team, bot, user
        self._asking = threading.Lock()

    def learn(self) -> None:
        """Ask auth.test now; raises SlackApiError when Slack refuses the token."""
        answer = self._client.auth_test()
        self._ids = (answer.get("team_id"), answer.get("bot_id"), answer.get("user_id"))

    def _learn_in_background(self) -> None:
        if not self._asking.acquire(blocking=False):
            return  # one question at a time

        def ask() -> None:
            try:
                self.learn()
            except Exception as exc:  # asked again on the next request
                log.warning("Slack auth.test failed (%s); the bot's ids are not known yet", exc)
            finally:
                self._asking.release()

        threading.Thread(target=ask, name="slack-auth-test", daemon=True).start()

    def authorize(self, enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        """Bolt's `authorize`: the token, and the bot's ids when known."""
        if self._ids is None:
            self._learn_in_background()
        team, bot_id, bot_user_id = self._ids or (None, None, None)
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id or team,
            bot_token=self._token,
            bot_id=bot_id,
            bot_user_id=bot_user_id,
        )


def create_slack_app(
    settings: Settings,
    *,
    worker: DigestWorker | None = None,
    verify_token: bool = False,
    start: bool = True,
) -> App:
    """The Bolt app with the /digest, shortcut and mention listeners.

    `verify_token` calls auth.test now (Socket Mode: fail at start); otherwise it is asked
    in the background (`BotIdentity`), so the HTTP API starts, and acks, even while Slack
    is unreachable. The worker is started with the bot-token client (`start`; the HTTP API
    starts it in its lifespan instead, so that an app built and never served takes over no
    request): accepted requests are stored in the job database, and those a stopped process
    left are run again.
    """
    if not settings.slack_bot_token:
        raise ConfigError(
            "the Slack bot token is not set",
            hint="set DIGEST_SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-...)",
        )
    identity = BotIdentity(web_client(settings), settings.slack_bot_token)
    if verify_token:
        try:
            identity.learn()
        except SlackApiError as exc:
            raise ConfigError(
                "Slack refused the bot token",
                hint="check DIGEST_SLACK_BOT_TOKEN: the Bot User OAuth Token, xoxb-...",
            ) from exc
    app = App(
        name="digest",
        client=web_client(settings, with_token=False),
        signing_secret=settings.slack_signing_secret or "",
        # a function of its own: Bolt passes arguments by the names it finds, `self` too
        authorize=lambda enterprise_id, team_id: identity.authorize(enterprise_id, team_id),
    )
    worker = worker or DigestWorker(settings)
    if start:  # durable from here: what was accepted before a crash or a deploy runs again now
        worker.start(web_client(settings))
    register_listeners(app, worker)
    return app
