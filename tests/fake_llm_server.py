"""A scriptable OpenAI-compatible chat-completions server on 127.0.0.1, for tests and benches.

litellm talks to it as to any OpenAI-compatible server (`openai/<name>` with
`api_base=server.base_url`), so the real client, retries, fallbacks and caching
all run. What it answers is scripted:

    with FakeLLMServer() as server:                  # or the `fake_llm` fixture
        server.script(Reply(status=429), Reply(answer(("A fact.", [1]))))  # next two calls
        server.behave("primary", Reply(status=500))  # model "primary" always fails
        server.behave("backup", echo_leads)          # "backup" answers from the prompt
        ...                                          # point litellm at server.base_url
        server.requests                              # every request, in arrival order

Per call the server takes, in order: the next reply queued for that model, the
next reply queued for any model, the model's behaviour, the default behaviour
(`echo_leads` unless given). A behaviour is a `Reply` or a function of the
`RecordedRequest` that returns one. `Reply.delay_s` sleeps before answering
(slow servers, timeouts); a status other than 200 sends an OpenAI error body.
`Reply.body` is sent as it is instead (an HTML page, `{"choices": []}`), and
`Reply.cut_body` sends half of it and closes the connection (a proxy that broke off).

Run it by hand for the CLI: `python -m tests.fake_llm_server --port 8765 [--garbage]`.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Reply:
    """One scripted answer: assistant text, or an HTTP error, after an optional delay."""

    content: str = ""
    status: int = 200
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str = "stop"  # "length": the answer was cut at max_tokens
    body: str | None = None  # sent as it is, with `status`: what no OpenAI server sends
    content_type: str = "application/json"
    cut_body: bool = False  # the whole length is announced, half of `body` is sent


@dataclass
class RecordedRequest:
    """A request as the server received it."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    received_at: float

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def text(self, role: str) -> str:
        """All messages of one role, joined (the user prompt, the system prompt)."""
        parts = [m.get("content") for m in self.messages if m.get("role") == role]
        return "\n".join(p if isinstance(p, str) else json.dumps(p) for p in parts)


Behaviour = Reply | Callable[[RecordedRequest], Reply]


def answer(*sentences: tuple[str, list[int]]) -> str:
    """The JSON content of a well-formed summary answer: (text, citations) per sentence."""
    return json.dumps({"sentences": [{"text": t, "citations": c} for t, c in sentences]})


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


def _first_sentence(text: str) -> str | None:
    for line in text.splitlines():
        for piece in _SENTENCE_END.split(line.strip()):
            if piece.endswith(".") and len(piece.split()) >= 6:
                return piece
    return None


def _json_lines(text: str) -> list[dict[str, Any]]:
    objects = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                objects.append(value)
    return objects


def echo_leads(request: RecordedRequest) -> Reply:
    """A well-behaved model: the first sentence of each numbered article, citing it.

    Reads the JSON lines of the user prompt: articles (`{"n": 1, "text": ...}`) or,
    in a merge request, partial summary sentences (`{"text": ..., "citations": [...]}`),
    which it returns unchanged.
    """
    objects = _json_lines(request.text("user"))
    partial = [(o["text"], list(o["citations"])) for o in objects if "citations" in o]
    if partial:
        return Reply(answer(*partial[:6]))
    leads = []
    for obj in objects:
        if "n" in obj and isinstance(obj.get("text"), str):
            sentence = _first_sentence(obj["text"])
            if sentence:
                leads.append((sentence, [int(obj["n"])]))
    return Reply(answer(*leads[:4]))


def garbage(request: RecordedRequest) -> Reply:
    """A broken model: prose where JSON was asked for."""
    return Reply("Sure! Here is a lovely summary of the news, without any JSON at all.")


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        return None

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": []})
        else:
            self._send(404, {"error": {"message": "not found", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send(400, {"error": {"message": "invalid JSON body", "type": "invalid"}})
            return
        request = RecordedRequest(self.path, body, dict(self.headers.items()), time.time())
        fake = self.server.fake
        reply = fake._next_reply(request)
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if reply.body is not None:
            self._send_raw(reply)
            return
        if reply.status != 200:
            error = {"message": reply.content or f"scripted {reply.status}", "type": "scripted"}
            self._send(reply.status, {"error": error}, reply.headers)
            return
        prompt = reply.prompt_tokens
        if prompt is None:
            prompt = sum(len(str(m.get("content", "")).split()) for m in request.messages)
        completion = reply.completion_tokens
        if completion is None:
            completion = len(reply.content.split())
        self._send(
            200,
            {
                "id": f"chatcmpl-fake-{len(fake.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.content},
                        "finish_reason": reply.finish_reason,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            },
            reply.headers,
        )

    def _send_raw(self, reply: Reply) -> None:
        data = (reply.body or "").encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2] if reply.cut_body else data)
        if reply.cut_body:
            self.close_connection = True

    def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None):
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeLLMServer


class FakeLLMServer:
    """The server and its script; see the module docstring for the order of answers."""

    def __init__(self, default: Behaviour = echo_leads, *, port: int = 0) -> None:
        self.default = default
        self.requests: list[RecordedRequest] = []
        self._queues: dict[str | None, deque[Behaviour]] = {}
        self._behaviours: dict[str, Behaviour] = {}
        self._lock = threading.Lock()
        self._http = _HTTPServer(("127.0.0.1", port), _Handler)
        self._http.fake = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    @property
    def base_url(self) -> str:
        """The api_base to give litellm."""
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Behaviour, model: str | None = None) -> None:
        """Queue replies for the next calls (to `model`, or to any model when None)."""
        with self._lock:
            self._queues.setdefault(model, deque()).extend(replies)

    def behave(self, model: str, behaviour: Behaviour) -> None:
        """What `model` answers whenever nothing is queued for it."""
        with self._lock:
            self._behaviours[model] = behaviour

    def requests_for(self, model: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.model == model]

    def reset(self) -> None:
        """Forget queues, behaviours and recorded requests."""
        with self._lock:
            self._queues.clear()
            self._behaviours.clear()
            self.requests.clear()

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            behaviour: Behaviour | None = None
            for key in (request.model, None):
                queue = self._queues.get(key)
                if queue:
                    behaviour = queue.popleft()
                    break
            if behaviour is None:
                behaviour = self._behaviours.get(request.model, self.default)
        return behaviour if isinstance(behaviour, Reply) else behaviour(request)

    def start(self) -> FakeLLMServer:
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    """A fresh fake server per test (import this fixture into the test module)."""
    with FakeLLMServer() as server:
        yield server


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible chat server.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--garbage", action="store_true", help="answer prose, not JSON")
    args = parser.parse_args()
    inner = garbage if args.garbage else echo_leads

    def behaviour(request: RecordedRequest) -> Reply:
        reply = inner(request)
        reply.delay_s = args.delay
        return reply

    server = FakeLLMServer(behaviour, port=args.port)
    print(f"fake LLM server on {server.base_url} (Ctrl-C to stop)", flush=True)
    try:
        server._http.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
