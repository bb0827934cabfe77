"""Socket Mode: the same Bolt app over a WebSocket that the bot opens to Slack.

For workspaces without a public URL. Needs the app-level token (xapp-..., scope
connections:write) in DIGEST_SLACK_APP_TOKEN and the bot token; no signing secret, since
Slack's messages arrive on the bot's own authenticated connection.
Run it with `python -m service.slack`; SIGTERM or Ctrl-C stops it cleanly (requests not
started yet are left in the job database for the next process).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.error import URLError

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError

from service.config import Settings, get_settings
from service.errors import ConfigError, ServiceError
from service.slack.worker import DigestWorker

log = logging.getLogger(__name__)


def socket_mode_handler(
    settings: Settings, *, slack_app: App | None = None, worker: DigestWorker | None = None
) -> SocketModeHandler:
    """A handler ready to connect(); raises ConfigError when a token is missing or refused.
    `worker` runs the digests of the app built here (the caller shuts it down)."""
    missing = [
        f"{name} ({what})"
        for name, value, what in (
            (
                "DIGEST_SLACK_APP_TOKEN",
                settings.slack_app_token,
                "xapp-..., with connections:write",
            ),
            (
                "DIGEST_SLACK_BOT_TOKEN",
                settings.slack_bot_token,
                "the Bot User OAuth Token, xoxb-...",
            ),
        )
        if not value
    ]
    if missing:  # both named at once: one run per missing token had been needed
        raise ConfigError(
            "Socket Mode needs the app-level token and the bot token; "
            + ("neither is" if len(missing) == 2 else "one is not")
            + " set",
            hint="set " + " and ".join(missing),
        )
    if slack_app is None:
        from service.slack.app import create_slack_app

        slack_app = create_slack_app(settings, worker=worker, verify_token=True)
    return SocketModeHandler(slack_app, settings.slack_app_token)


def run_socket_mode(settings: Settings, stop: threading.Event | None = None) -> None:
    """Connect and serve until `stop` is set (or forever); then stop taking requests,
    hand the queued ones to the next process and let the running ones finish."""
    worker = DigestWorker(settings)
    try:
        handler = socket_mode_handler(settings, worker=worker)
        try:
            handler.connect()
        except SlackApiError as exc:  # apps.connections.open refused the app-level token
            raise ConfigError(
                f"Slack refused the app-level token ({exc.response.get('error')})",
                hint="check DIGEST_SLACK_APP_TOKEN: an app-level token (xapp-...) with the "
                "connections:write scope, not the bot token",
            ) from exc
        log.info("connected to Slack in Socket Mode; Ctrl-C to stop")
        try:
            (stop or threading.Event()).wait()
        finally:
            handler.close()
    finally:
        worker.shutdown()


@contextmanager
def _stopped_by_sigterm(stop: threading.Event) -> Iterator[None]:
    """SIGTERM (a deploy, `docker stop`) sets `stop`, so the bot shuts down cleanly: it
    had died at once, with the digests it had acknowledged."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main() -> int:
    """CLI entry point: `python -m service.slack`; exit status 2 on a configuration error."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    stop = threading.Event()
    try:
        with _stopped_by_sigterm(stop):
            run_socket_mode(get_settings(), stop)
    except ServiceError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    except URLError as exc:  # no network, DNS, a proxy, TLS (not a local file's error)
        reason = exc.reason
        print(
            f"error: cannot reach Slack ({reason}); check this machine's network, DNS or "
            "proxy (HTTPS_PROXY), then start the bot again",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 0
    return 0
