"""A fake news web on 127.0.0.1 (or ::1): pages, feeds and every failure web ingestion handles.

Routes (all written for the tests, see tests/web_fixtures/):
  /article /boilerplate /storm /empty     HTML pages (normal, heavy boilerplate, 2nd story, no text)
  /feed.rss /feed.atom                    feeds: recent entries and one old entry each
  /slow-feed.rss                          a feed of /storm and /slow-headers
  /redirect/N                             a chain of N redirects ending at /article
  /loop                                   redirects to itself forever
  /no-location                            302 without a Location header
  /to-private /to-file /to-loopback-ip    redirects to http://10.0.0.1/, file:///etc/passwd,
                                          http://127.0.0.1:<port>/article
  /missing /old-news                      404
  /huge /huge-chunked                     3 MB, with and without Content-Length
  /slow-headers /slow-drip                no answer for 5 s; headers then a byte every 0.1 s
  /to-slow-ip                             redirects to http://127.0.0.1:<port>/slow-headers
  /report.pdf /data.bin                   a PDF; bytes with no content type
  /pause?n                                /article after 0.3 s (to see how many run at once)
  /busy /busy-seconds /busy-date          429, without Retry-After, "120", an HTTP date 120 s on
  /brotli /zstd                           HTML sent with Content-Encoding br / zstd (undecodable)
  /no-content /blank                      204 No Content; 200 text/html with an empty body
  /gzip /deflate /raw-deflate             /article sent gzip-, zlib- and raw-deflate-encoded
  /gzip-bomb /bad-gzip                    64 MB of zeros gzipped (~64 KB); bytes that are not gzip
Every request is counted by path (query left out) in `hits`, with its headers in `headers`;
`requested` lists every request target as sent (query included), `peak` is the most requests
the server was answering at the same time.
"""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from types import TracebackType

from service.config import Settings

FIXTURES = Path(__file__).resolve().parent / "web_fixtures"
TLS_CERT = FIXTURES / "tls-test-only.crt"  # self-signed, made for these tests, never trusted
HUGE_BYTES = 3_000_000
_PAGES = {
    "/article": "article.html",
    "/boilerplate": "boilerplate.html",
    "/storm": "storm.html",
    "/empty": "empty.html",
}
_FEEDS = {
    "/feed.rss": ("feed.rss", "application/rss+xml"),
    "/feed.atom": ("feed.atom", ""),
    "/slow-feed.rss": ("slow-feed.rss", "application/rss+xml"),
}


class FakeWeb:
    """Start with `with FakeWeb() as web:`; `web.url('/article')` is a full URL."""

    def __init__(self, host: str = "127.0.0.1", *, tls: bool = False) -> None:
        self.host = host
        self.scheme = "https" if tls else "http"
        self.hits: Counter[str] = Counter()
        self.headers: dict[str, dict[str, str]] = {}
        self.requested: list[str] = []
        self.peak = 0
        self._in_flight = 0
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        server_class = _IPv6Server if ":" in host else ThreadingHTTPServer
        self._server = server_class((host, 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        if tls:  # a certificate for the name 'localhost' only, not for 127.0.0.1
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(TLS_CERT, FIXTURES / "tls-test-only.key")
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def total(self) -> int:
        return sum(self.hits.values())

    def url(self, path: str) -> str:
        return self.base + path

    def record(self, target: str, headers: dict[str, str]) -> None:
        path = target.split("?")[0]
        with self._lock:
            self.requested.append(target)
            self.hits[path] += 1
            self.headers[path] = headers
            self._in_flight += 1
            self.peak = max(self.peak, self._in_flight)

    def finished(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def __enter__(self) -> FakeWeb:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _feed(name: str, base: str) -> bytes:
    now = datetime.now(UTC)
    recent, old = now - timedelta(hours=1), now - timedelta(days=3)
    text = Template((FIXTURES / name).read_text(encoding="utf-8")).substitute(
        base=base,
        recent_rfc822=format_datetime(recent),
        old_rfc822=format_datetime(old),
        recent_iso=recent.isoformat(timespec="seconds"),
        old_iso=old.isoformat(timespec="seconds"),
    )
    return text.encode("utf-8")


def _handler(web: FakeWeb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            return None

        def _send(self, status: int, body: bytes = b"", content_type: str = "text/html") -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _send_with(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in {"Content-Type": "text/html", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            web.record(self.path, {k.lower(): v for k, v in self.headers.items()})
            try:
                self._route(path)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up on purpose (too large, too slow)
            finally:
                web.finished()

        def _route(self, path: str) -> None:
            if path in _PAGES:
                body = (FIXTURES / _PAGES[path]).read_bytes()
                self._send(200, body, "text/html; charset=utf-8")
            elif path in _FEEDS:
                name, content_type = _FEEDS[path]
                self._send(200, _feed(name, web.base), content_type)
            elif path.startswith("/redirect/"):
                left = int(path.rsplit("/", 1)[1])
                self._redirect(f"/redirect/{left - 1}" if left > 1 else "/article")
            elif path == "/loop":
                self._redirect("/loop")
            elif path == "/no-location":  # a 3xx that names no place to go
                self._send(302, b"", "")
            elif path == "/to-private":
                self._redirect("http://10.0.0.1/secret")
            elif path == "/to-file":
                self._redirect("file:///etc/passwd")
            elif path == "/to-slow-ip":  # another host name for the same server, which hangs
                self._redirect(f"http://127.0.0.1:{web.port}/slow-headers")
            elif path == "/to-loopback-ip":
                self._redirect(f"http://127.0.0.1:{web.port}/article")
            elif path == "/huge":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(HUGE_BYTES))
                self.end_headers()
                self._stream(HUGE_BYTES)
            elif path == "/huge-chunked":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()  # HTTP/1.0: the body ends when the connection closes
                self._stream(HUGE_BYTES)
            elif path == "/slow-headers":
                web.stopping.wait(5)
                self._send(200, b"<html><body>late</body></html>")
            elif path == "/slow-drip":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                for _ in range(50):
                    if web.stopping.wait(0.1):
                        break
                    self.wfile.write(b"<p>")
                    self.wfile.flush()
            elif path == "/pause":
                web.stopping.wait(0.3)
                self._send(200, (FIXTURES / "article.html").read_bytes())
            elif path == "/report.pdf":
                self._send(200, b"%PDF-1.4\n%fake\n", "application/pdf")
            elif path == "/data.bin":
                self._send(200, b"\x00\x01\x02binary", "")
            elif path == "/busy":
                self._send(429, b"<html><body>Too many requests</body></html>")
            elif path == "/busy-seconds":
                self._send_with(429, b"slow down", {"Retry-After": "120"})
            elif path == "/busy-date":
                when = datetime.now(UTC) + timedelta(seconds=120)
                self._send_with(429, b"slow down", {"Retry-After": format_datetime(when, True)})
            elif path in ("/brotli", "/zstd"):
                # bytes only the named decoder could read; the client has none installed
                coding = "br" if path == "/brotli" else "zstd"
                self._send_with(
                    200, b"\x1b\x2a\x00\xf8\x8f\x14garbled", {"Content-Encoding": coding}
                )
            elif path in ("/gzip", "/deflate", "/raw-deflate"):
                page = (FIXTURES / "article.html").read_bytes()
                coding, body = {
                    "/gzip": ("gzip", lambda: gzip.compress(page)),
                    "/deflate": ("deflate", lambda: zlib.compress(page)),
                    "/raw-deflate": ("deflate", lambda: _raw_deflate(page)),
                }[path]
                self._send_with(200, body(), {"Content-Encoding": coding})
            elif path == "/gzip-bomb":
                self._send_with(200, _gzip_bomb(), {"Content-Encoding": "gzip"})
            elif path == "/bad-gzip":
                self._send_with(200, b"this is not gzip at all" * 10, {"Content-Encoding": "gzip"})
            elif path == "/no-content":  # a 204 carries no body and no Content-Length
                self.send_response(204)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
            elif path == "/blank":
                self._send(200, b"", "text/html; charset=utf-8")
            else:
                self._send(404, b"<html><body>Not found</body></html>")

        def _stream(self, size: int) -> None:
            chunk = b"<p>" + b"x" * 65_533
            sent = 0
            while sent < size and not web.stopping.is_set():
                self.wfile.write(chunk)
                sent += len(chunk)

    return Handler


def _raw_deflate(data: bytes) -> bytes:
    """deflate without zlib's wrapper, as some servers send it."""
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@lru_cache(maxsize=1)
def _gzip_bomb() -> bytes:
    """64 MB of zeros, gzipped to ~64 KB: the body inflates to 64 times the page limit."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    return b"".join(packer.compress(zeros) for _ in range(64)) + packer.flush()


def web_settings(
    data_dir: Path, *, allow: list[str] | None = None, **overrides: object
) -> Settings:
    """Settings for web tests: this server allowlisted, short limits, the cache in `data_dir`."""
    values: dict[str, object] = {
        "web_allowlist": ["127.0.0.1"] if allow is None else allow,
        "data_dir": data_dir,
        "web_connect_timeout_s": 2.0,
        "web_read_timeout_s": 1.0,
        "web_total_timeout_s": 3.0,
        "web_max_bytes": 1_000_000,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]
