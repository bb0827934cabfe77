"""The Slack bot in Socket Mode: the same listeners over a WebSocket the bot opens.

A fake Socket Mode endpoint (aiohttp, on 127.0.0.1) plays Slack's side: the fake Web API
answers apps.connections.open with its ws:// URL, it says hello, pushes a slash command
envelope, and receives the bot's ack; the digest is then posted to the fake Web API.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import WSMsgType, web
from slack_bolt.adapter.socket_mode import SocketModeHandler

from service.backends.embedders import Embedder
from service.config import Settings
from service.errors import ConfigError
from service.slack import create_slack_app
from service.slack import socket_mode as socket_mode_module
from service.slack.socket_mode import main, run_socket_mode, socket_mode_handler
from service.slack.worker import DigestWorker
from tests.fake_slack_api import (
    APP_TOKEN,
    BOT_TOKEN,
    FakeSlackApi,
    command_payload,
    event_payload,
)
from tests.stories import STRIKE_B, STRIKE_C


class FakeSocketModeServer:
    """Slack's end of a Socket Mode connection, on its own event loop thread."""

    def __init__(self) -> None:
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self.connected = threading.Event()
        self._socket: web.WebSocketResponse | None = None
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.port = 0

    def start(self) -> FakeSocketModeServer:
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        assert ready.wait(10)
        return self

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/link", self._connection)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        self._loop.run_forever()

    async def _connection(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001"}}
        await socket.send_str(json.dumps(hello))
        self.connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.received.put(json.loads(message.data))
        return socket

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link"

    def send(self, envelope: dict[str, Any]) -> None:
        assert self._socket is not None
        future = asyncio.run_coroutine_threadsafe(
            self._socket.send_str(json.dumps(envelope)), self._loop
        )
        future.result(5)

    def stop(self) -> None:
        async def close() -> None:
            if self._socket is not None:
                await self._socket.close()
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)


@pytest.fixture
def slack() -> Iterator[tuple[FakeSlackApi, FakeSocketModeServer]]:
    api = FakeSlackApi().start()
    socket = FakeSocketModeServer().start()
    api.socket_url = socket.url
    yield api, socket
    socket.stop()
    api.stop()


def _settings(api: FakeSlackApi, app_token: str = APP_TOKEN) -> Settings:
    return Settings(
        _env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_app_token=app_token,
        slack_api_base_url=api.base_url,
    )


def _handler(api: FakeSlackApi, embedder: Embedder) -> tuple[SocketModeHandler, DigestWorker]:
    """A Socket Mode handler (not yet connected) for the bot against the fake Slack."""
    settings = _settings(api)
    worker = DigestWorker(settings, embedder=embedder)
    app = create_slack_app(settings, worker=worker, verify_token=True)
    return socket_mode_handler(settings, slack_app=app), worker


def test_socket_mode_acks_the_command_and_posts_the_digest(slack, embedder):
    """The real default pipeline behind a Socket Mode slash command."""
    api, socket = slack
    handler, worker = _handler(api, embedder)
    handler.connect()
    try:
        assert socket.connected.wait(10)
        payload = command_payload(f"{STRIKE_B}\n---\n{STRIKE_C}", response_url="unused")
        socket.send(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": payload,
            }
        )
        ack = socket.received.get(timeout=10)
        assert ack["envelope_id"] == "env-1"
        assert ack["payload"]["text"] == "Summarizing 2 pasted texts…"
        [call] = api.wait_for("chat.postMessage", timeout=60)
    finally:
        handler.close()
        worker.shutdown()
    assert [c.token for c in api.calls_to("apps.connections.open")] == [APP_TOKEN]
    assert call.params["channel"] == "C1"
    assert "Valmora" in json.dumps(call.params["blocks"])
    assert "[1]" in json.dumps(call.params["blocks"])


def test_socket_mode_without_app_token_says_which_setting(monkeypatch, capsys):
    with pytest.raises(ConfigError) as info:
        socket_mode_handler(Settings(_env_file=None, slack_bot_token=BOT_TOKEN))
    assert "DIGEST_SLACK_APP_TOKEN" in info.value.user_message
    monkeypatch.setattr(socket_mode_module, "get_settings", lambda: Settings(_env_file=None))
    assert main() == 2
    said = capsys.readouterr().err
    # both missing tokens named at once, not one per run
    assert "DIGEST_SLACK_APP_TOKEN" in said and "DIGEST_SLACK_BOT_TOKEN" in said


def test_socket_mode_without_a_network_says_so_in_one_line(monkeypatch, capsys):
    """No network had ended in an 89-line urllib traceback."""
    unreachable = Settings(
        _env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_app_token=APP_TOKEN,
        slack_api_base_url="http://127.0.0.1:9/api/",  # nothing listens on port 9
    )
    monkeypatch.setattr(socket_mode_module, "get_settings", lambda: unreachable)
    assert main() == 1
    said = capsys.readouterr().err
    assert said.startswith("error: cannot reach Slack (") and "Traceback" not in said


def test_socket_mode_first_delivery_of_a_mention_is_digested_and_a_retry_is_not(slack, embedder):
    """Socket Mode sends every event with retry_attempt 0; only a number above 0 is a retry."""
    api, socket = slack
    api.threads[("C2", "100.000")] = [
        {"type": "message", "user": "U2", "ts": "100.000", "text": STRIKE_B},
        {"type": "message", "user": "U3", "ts": "100.001", "text": STRIKE_C},
    ]
    handler, worker = _handler(api, embedder)
    event = {
        "type": "app_mention",
        "user": "U1",
        "channel": "C2",
        "ts": "100.002",
        "thread_ts": "100.000",
        "text": "<@UBOT> summarize",
    }
    handler.connect()
    try:
        assert socket.connected.wait(10)
        for attempt in (0, 1):  # the first delivery, then Slack's retry of it
            socket.send(
                {
                    "envelope_id": f"env-{attempt}",
                    "type": "events_api",
                    "accepts_response_payload": False,
                    "retry_attempt": attempt,
                    "retry_reason": "timeout" if attempt else "",
                    "payload": event_payload(event),
                }
            )
            assert socket.received.get(timeout=10)["envelope_id"] == f"env-{attempt}"
        [update] = api.wait_for("chat.update", timeout=60)
    finally:
        handler.close()
        worker.shutdown()
    assert len(api.calls_to("conversations.replies")) == 1
    assert "Valmora" in json.dumps(update.params["blocks"])


def test_refused_app_token_is_a_config_error_not_a_traceback(slack, monkeypatch, capsys):
    api, _ = slack
    settings = _settings(api, app_token="xapp-not-the-right-one")
    with pytest.raises(ConfigError) as refused:
        run_socket_mode(settings, threading.Event())
    assert "Slack refused the app-level token (invalid_auth)" in refused.value.user_message
    assert "DIGEST_SLACK_APP_TOKEN" in refused.value.user_message
    monkeypatch.setattr(socket_mode_module, "get_settings", lambda: settings)
    assert main() == 2
    assert "Slack refused the app-level token" in capsys.readouterr().err
