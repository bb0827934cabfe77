"""A fake Slack Web API on 127.0.0.1: records every call and answers the way Slack does.

The real slack_sdk WebClient talks to it (`base_url`), so the code under test runs whole.
It checks what Slack checks, and answers with Slack's error codes: the bot token
(`invalid_auth`), channel membership (`not_in_channel`), message limits (`msg_too_long`
over 40,000 characters of text, `invalid_blocks` over 50 blocks, a section text over
3,000 characters, a header over 150, a context block over 10 elements), and unknown
messages for chat.update and chat.delete (`message_not_found`). `response_url`s point at `/response/<id>`.

The other direction, what Slack sends to the app, is here too: slash command, shortcut
and event payloads, and the request signature, made with slack_sdk's real signer.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from slack_sdk.signature import SignatureVerifier

BOT_TOKEN = "xoxb-fake-bot-token"
APP_TOKEN = "xapp-fake-app-token"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
SIGNING_SECRET = "fake-signing-secret"


def signed_headers(
    body: str, content_type: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """The headers Slack sends: a timestamp and the v0 HMAC signature of the body."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }


def command_payload(text: str, *, response_url: str, channel: str = "C1") -> dict[str, str]:
    """A slash command's fields, as Slack posts them."""
    return {
        "token": "deprecated-verification-token",
        "team_id": "T0001",
        "team_domain": "fake",
        "channel_id": channel,
        "channel_name": "news",
        "user_id": "U1",
        "user_name": "ana",
        "command": "/digest",
        "text": text,
        "api_app_id": "A0001",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }


def command_body(text: str, *, response_url: str, channel: str = "C1") -> str:
    """A slash command request body (form-encoded)."""
    return urlencode(command_payload(text, response_url=response_url, channel=channel))


def shortcut_payload(
    *, channel: str, message_ts: str, thread_ts: str | None, response_url: str
) -> dict[str, Any]:
    """A message shortcut's payload for callback_id summarize_thread."""
    message = {"type": "message", "user": "U2", "ts": message_ts, "text": "a message"}
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {
        "type": "message_action",
        "callback_id": "summarize_thread",
        "trigger_id": "1.2.3",
        "team": {"id": "T0001", "domain": "fake"},
        "user": {"id": "U1", "name": "ana"},
        "channel": {"id": channel, "name": "news"},
        "message_ts": message_ts,
        "message": message,
        "response_url": response_url,
        "token": "deprecated-verification-token",
        "api_app_id": "A0001",
    }


def event_payload(event: dict[str, Any]) -> dict[str, Any]:
    """An Events API envelope around `event`."""
    return {
        "token": "deprecated-verification-token",
        "team_id": "T0001",
        "api_app_id": "A0001",
        "type": "event_callback",
        "event_id": f"Ev{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "event": event,
        "authorizations": [{"team_id": "T0001", "user_id": BOT_USER_ID, "is_bot": True}],
    }


@dataclass
class Call:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    token: str | None


def check_message(text: str | None, blocks: list[dict[str, Any]] | None) -> str | None:
    """The error Slack would answer for this message, or None when Slack would take it."""
    if not text and not blocks:
        return "no_text"
    if text and len(text) > 40_000:
        return "msg_too_long"
    if blocks is None:
        return None
    if len(blocks) > 50:
        return "invalid_blocks"
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            body = block.get("text") or {}
            if not 0 < len(body.get("text", "")) <= 3000:
                return "invalid_blocks"
        elif kind == "header":
            body = block.get("text") or {}
            if body.get("type") != "plain_text" or not 0 < len(body.get("text", "")) <= 150:
                return "invalid_blocks"
        elif kind == "context":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 10:
                return "invalid_blocks"
            if any(not 0 < len(e.get("text", "")) <= 3000 for e in elements):
                return "invalid_blocks"
        elif kind != "divider":
            return "invalid_blocks"
    return None


class FakeSlackApi:
    """Start with `start()`; point `WebClient(base_url=fake.base_url)` at it."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.member_of: set[str] | None = None  # None: the bot is in every channel
        self.refusals: dict[str, str] = {}  # method -> the error Slack answers it with
        self.delays: dict[str, float] = {}  # method -> seconds before Slack answers it
        # method -> how many more calls get a 502 with an HTML page (a proxy's), as in an outage
        self.server_errors: dict[str, int] = {}
        self.socket_url = ""
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._changed = threading.Condition()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle and assertions ---------------------------------------------------
    def start(self) -> FakeSlackApi:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, name: str = "1") -> str:
        return f"{self.url}/response/{name}"

    def calls_to(self, method: str) -> list[Call]:
        with self._changed:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 30.0) -> list[Call]:
        """The calls to `method` once there are `count` of them; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len([c for c in self.calls if c.method == method]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"{count} x {method} not seen in {timeout}s: {seen}")
                self._changed.wait(left)
            return [c for c in self.calls if c.method == method]

    # --- the HTTP side ---------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parsed = urlparse(request.path)
        params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length).decode() if length else ""
        if "json" in (request.headers.get("Content-Type") or ""):
            params.update(json.loads(raw or "{}"))
        elif raw:
            params.update({k: v[-1] for k, v in parse_qs(raw).items()})
        if isinstance(params.get("blocks"), str):
            params["blocks"] = json.loads(params["blocks"])
        auth = request.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else params.get("token")

        if parsed.path.startswith("/response/"):
            call = Call("response_url", params | {"_path": parsed.path}, token)
            error = check_message(params.get("text"), params.get("blocks"))
            self._record(call)
            self._reply(request, 400 if error else 200, error or "ok", content_type="text/plain")
            return
        method = parsed.path.removeprefix("/api/")
        time.sleep(self.delays.get(method, 0.0))
        self._record(Call(method, params, token))
        with self._changed:
            failing = self.server_errors.get(method, 0) > 0
            if failing:
                self.server_errors[method] -= 1
        if failing:
            self._reply(request, 502, "<html>502 Bad Gateway</html>", content_type="text/html")
            return
        self._reply(request, 200, json.dumps(self._answer(method, params, token)))

    def _record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    @staticmethod
    def _reply(
        request: BaseHTTPRequestHandler,
        status: int,
        body: str,
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        data = body.encode()
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _member(self, channel: str | None) -> bool:
        return self.member_of is None or channel in self.member_of

    def _answer(self, method: str, p: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "apps.connections.open":
            if token != APP_TOKEN:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.socket_url}
        if token != BOT_TOKEN:
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake Team",
                "user": "digest",
                "team_id": "T0001",
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        channel = p.get("channel")
        if method in self.refusals:  # "restricted_action" (announcement-only channels) ...
            return {"ok": False, "error": self.refusals[method]}
        if method == "chat.delete":
            if not self._member(channel):
                return {"ok": False, "error": "not_in_channel"}
            if self.messages.pop((channel, p.get("ts")), None) is None:
                return {"ok": False, "error": "message_not_found"}
            return {"ok": True, "channel": channel, "ts": p["ts"]}
        if method in {"chat.postMessage", "chat.postEphemeral", "chat.update"}:
            if not self._member(channel):
                return {"ok": False, "error": "not_in_channel"}
            error = check_message(p.get("text"), p.get("blocks"))
            if error:
                return {"ok": False, "error": error}
            if method == "chat.update":
                key = (channel, p.get("ts"))
                if key not in self.messages:
                    return {"ok": False, "error": "message_not_found"}
                self.messages[key].update(text=p.get("text"), blocks=p.get("blocks"))
                return {"ok": True, "channel": channel, "ts": p["ts"], "text": p.get("text")}
            ts = f"1700000000.{next(self._ts):06d}"
            message = {"type": "message", "text": p.get("text"), "blocks": p.get("blocks")}
            message |= {"ts": ts, "bot_id": BOT_ID, "user": BOT_USER_ID}
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            self.messages[(channel, ts)] = message
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "conversations.replies":
            if not self._member(channel):
                return {"ok": False, "error": "not_in_channel"}
            thread = self.threads.get((channel, p.get("ts")))
            if thread is None:
                return {"ok": False, "error": "thread_not_found"}
            start = int(p.get("cursor") or 0)
            end = start + int(p.get("limit") or 1000)
            more = end < len(thread)
            return {
                "ok": True,
                "messages": thread[start:end],
                "has_more": more,
                "response_metadata": {"next_cursor": str(end) if more else ""},
            }
        return {"ok": False, "error": "unknown_method"}
