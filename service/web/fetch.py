"""Fetch: one URL in, one `Page` (an HTML page or a feed, by content) out, or a FetchFailure.

What stays true: every connection goes through `_GuardedBackend`, which resolves
the host with the SSRF policy and connects only to an address the policy
allowed; redirects are followed one hop at a time and each new URL is checked
again; no body larger than `web_max_bytes` is read or inflated (decompressed bytes count,
and a gzip bomb never holds more than that in memory: `decode.py`);
one URL never takes longer than `web_total_timeout_s`; environment proxies are
ignored (a proxy would connect on our behalf, past the address check).
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType

import httpcore
import httpx

from service.config import Settings
from service.web.addresses import Policy, blocked_detail, canonical_url
from service.web.cache import PageCache
from service.web.decode import BoundedDecoder, TooLarge, Undecodable
from service.web.failures import FetchFailure
from service.web.page import Page, PageKind

_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml"}
_SNIFFED_TYPES = {"", "text/plain", "application/octet-stream", "application/xml", "text/xml"}
_CODINGS = {"br": ("brotli-compressed", "brotli"), "zstd": ("zstd-compressed", "zstandard")}
"""Content codings httpx decodes only with an optional package: (words, package)."""
_DEFAULT_PORTS = {"http": 80, "https": 443}
# a host that timed out this often in a run is not asked again in it: a feed of 50 links
# to one server that had stopped answering held a run 212 s, 30 s per 8 links
HOST_TIMEOUTS = 2
_RAW_CHUNK = 16_384  # bytes read off the wire at a time, then inflated within the limit
_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,*/*;q=0.1"
)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses the policy resolved and allowed (closes DNS rebinding)."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        error: Exception | None = None
        for address in await self._policy.resolve(host, port):
            try:  # TLS is set up later on this stream with the URL's host name (SNI, cert check)
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error or FetchFailure("connection_error", f"no address to connect to for {host}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise FetchFailure("blocked_address", "local sockets are never used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with its connection pool built on the guarded backend."""

    def __init__(
        self, policy: Policy, limits: httpx.Limits, ssl_context: ssl.SSLContext | None
    ) -> None:
        super().__init__(trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(policy),
        )


def _media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def _sniff(media_type: str, body: bytes) -> PageKind | None:
    """HTML, a feed, or neither: the header first, the first bytes where the header is vague."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    looks_like_feed = any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf"))
    looks_like_html = head.startswith((b"<!doctype html", b"<html")) or b"<html" in head
    if media_type in _FEED_TYPES or (looks_like_feed and not looks_like_html):
        return "feed"
    if media_type in _HTML_TYPES or looks_like_html:
        return "html"
    return None


def _status_detail(response: httpx.Response) -> str:
    status = response.status_code
    if status == 404:
        return "the page was not found (HTTP 404); check the link"
    if status == 410:
        return "the page was removed for good (HTTP 410); find the story elsewhere"
    if status in (401, 403):
        return f"the site refused access (HTTP {status}); the page may need a login"
    if status == 429:
        wait = _retry_after(response.headers.get("retry-after", ""), datetime.now(UTC))
        advice = f"it asks to retry after {wait}" if wait else "try again later"
        return f"rate limited by {response.url.host} (HTTP 429); {advice}"
    if status >= 500:
        wait = _retry_after(response.headers.get("retry-after", ""), datetime.now(UTC))
        advice = f"it asks to retry after {wait}" if wait else "try again later"
        return f"the site had a server error (HTTP {status}); {advice}"
    return f"the site answered HTTP {status} instead of a page"


def _retry_after(value: str, now: datetime) -> str | None:
    """A Retry-After header (seconds or an HTTP date) in words; None when absent or invalid."""
    value = value.strip()
    if value.isdigit():
        return f"{int(value)} s"
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)  # HTTP dates: GMT
    seconds = max(0, round((when - now).total_seconds()))
    return f"{when:%Y-%m-%d %H:%M:%S} UTC (in {seconds} s)"


def _undecodable_detail(response: httpx.Response) -> str | None:
    """Words for a content coding we did not ask for (httpx passes its bytes on undecoded)."""
    accepted = {c.strip() for c in response.request.headers.get("accept-encoding", "").split(",")}
    codings = [c.strip() for c in response.headers.get("content-encoding", "").lower().split(",")]
    for coding in codings:
        if coding and coding not in accepted | {"identity"}:
            name, package = _CODINGS.get(coding, (f"{coding}-encoded", None))
            install = f", or ask the operator to install the '{package}' package" if package else ""
            return (
                f"the server answered with {name} content, which this install cannot decode; "
                f"give another link to the story{install}"
            )
    return None


def _empty_detail(status: int) -> str:
    if status == 204:
        return "the server answered 204 No Content: nothing to read; check the link"
    return f"the server answered HTTP {status} with an empty page: nothing to read; check the link"


class Fetcher:
    """Fetches URLs with bounded concurrency; use as `async with Fetcher(...) as f`.

    `ssl_context` replaces the system's certificate store (tests trust their own CA).
    """

    def __init__(
        self,
        settings: Settings,
        policy: Policy,
        cache: PageCache | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._settings = settings
        self._policy = policy
        self._cache = cache
        # one fetch per page per run: a feed's entry and the same page given directly (other
        # tracking parameters or #fragment aside) share it
        self._fetches: dict[str, asyncio.Task[Page]] = {}
        self._slots = asyncio.Semaphore(settings.web_concurrency)
        self._timeouts: dict[str, int] = {}  # host -> fetches that timed out in this run
        limits = httpx.Limits(max_connections=settings.web_concurrency * 2)
        self._client = httpx.AsyncClient(
            transport=_GuardedTransport(policy, limits, ssl_context),
            timeout=httpx.Timeout(
                settings.web_read_timeout_s, connect=settings.web_connect_timeout_s
            ),
            headers={"User-Agent": settings.web_user_agent, "Accept": _ACCEPT},
            follow_redirects=False,
            trust_env=False,
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for task in self._fetches.values():
            task.cancel()
        await asyncio.gather(*self._fetches.values(), return_exceptions=True)
        await self._client.aclose()

    async def fetch(self, url: str) -> Page:
        """The page or feed at `url`, fetched once per run however often it is asked for;
        HTML pages come from the cache while it is fresh."""
        target = self._policy.check_url(url)
        key = canonical_url(str(target))
        if key not in self._fetches:
            self._fetches[key] = asyncio.ensure_future(self._fetch(target))
        # shielded: one caller running out of time does not stop the fetch another awaits
        return await asyncio.shield(self._fetches[key])

    async def _fetch(self, target: httpx.URL) -> Page:
        if self._cache is not None and (cached := self._cache.get(str(target))) is not None:
            if self._still_allowed(cached):
                return cached
        total = self._settings.web_total_timeout_s
        at = [target.host]  # the host being asked when a timeout fires
        async with self._slots:
            try:
                async with asyncio.timeout(total):
                    page = await self._follow(target, at)
            except (TimeoutError, httpx.TimeoutException) as exc:
                self._timeouts[at[0]] = self._timeouts.get(at[0], 0) + 1
                raise FetchFailure("timeout", _timeout_detail(exc, self._settings)) from exc
            except httpx.HTTPError as exc:
                raise FetchFailure("connection_error", _network_detail(exc)) from exc
        if self._cache is not None and page.kind == "html":  # feeds change: always refetched
            self._cache.put(str(target), page)
        return page

    def _still_allowed(self, page: Page) -> bool:
        """Whether this run's address policy lets it read a cached page: the address each
        hop of its fetch connected to (recorded then, not looked up again: a name that now
        resolves elsewhere proves nothing) must be allowed, or the host allowlisted by name;
        FetchFailure('blocked_address') when one is not. The cache is shared: a page an
        allowlisted run fetched from an intranet host had been handed to a run, or an API
        client, whose policy refuses that host. A page stored without its addresses is
        fetched again."""
        if not page.hops:
            return False
        for url, address in page.hops:
            parsed = self._policy.check_url(url)
            if self._policy.host_allowed(parsed.host):
                continue
            if address is None:
                return False
            if not self._policy.address_allowed(ipaddress.ip_address(address)):
                raise FetchFailure("blocked_address", blocked_detail(parsed.host))
        return True

    async def _follow(self, target: httpx.URL, at: list[str]) -> Page:
        """Follow redirects hop by hop, checking each new URL before it is requested; `at`
        holds the host being asked (a timeout is that host's, not the first link's)."""
        hops: list[tuple[str, str | None]] = []
        for _hop in range(self._settings.web_max_redirects + 1):
            at[:] = [target.host]
            self._refuse_if_unanswering(target.host)
            async with self._client.stream("GET", target) as response:
                hops.append((str(target), _server_address(response)))
                if response.has_redirect_location:  # a 3xx without Location is an answer
                    target = self._policy.check_url(_next_url(response))
                    continue
                return replace(await self._read(response), hops=tuple(hops))
        raise FetchFailure(
            "too_many_redirects",
            f"more than {self._settings.web_max_redirects} redirects; the link may loop",
        )

    def _refuse_if_unanswering(self, host: str) -> None:
        if self._timeouts.get(host, 0) >= HOST_TIMEOUTS:
            raise FetchFailure(
                "timeout",
                f"{host} did not answer {HOST_TIMEOUTS} other links in time in this run, "
                "so its other links were not asked; try later",
            )

    async def _read(self, response: httpx.Response) -> Page:
        if not 200 <= response.status_code < 300:
            raise FetchFailure(f"http_{response.status_code}", _status_detail(response))
        media_type = _media_type(response)
        if media_type not in _HTML_TYPES | _FEED_TYPES | _SNIFFED_TYPES:
            raise FetchFailure(
                "not_html", f"the link is a file of type {media_type}, not a web page"
            )
        if (undecodable := _undecodable_detail(response)) is not None:
            raise FetchFailure("undecodable", undecodable)
        limit = self._settings.web_max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchFailure("too_large", _too_large(limit))
        coding = response.headers.get("content-encoding", "")
        chunks: list[bytes] = []
        try:
            if BoundedDecoder.reads(coding):
                decoder = BoundedDecoder(coding, limit)
                async for raw in response.aiter_raw(_RAW_CHUNK):
                    chunks.append(decoder.feed(raw))
            else:  # br or zstd with its package installed: httpx decodes, we count
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge
                    chunks.append(chunk)
        except TooLarge as exc:
            raise FetchFailure("too_large", _too_large(limit)) from exc
        except Undecodable as exc:
            raise FetchFailure(
                "undecodable", f"the server sent {exc}; give another link to the story"
            ) from exc
        body = b"".join(chunks)
        if not body.strip():
            raise FetchFailure("no_content", _empty_detail(response.status_code))
        kind = _sniff(media_type, body)
        if kind is None:
            shown = f"file of type {media_type}" if media_type else "file without a content type"
            raise FetchFailure("not_html", f"the link is a {shown}, not a web page or feed")
        content_type = response.headers.get("content-type", "")  # with its charset
        return Page(url=str(response.url), kind=kind, content_type=content_type, body=body)


def _server_address(response: httpx.Response) -> str | None:
    """The IP address the response came from (the guarded backend's choice), or None."""
    stream = response.extensions.get("network_stream")
    try:
        found = stream.get_extra_info("server_addr") if stream is not None else None
    except Exception:  # a transport without the information: the page is not cached as safe
        return None
    return str(found[0]) if found else None


def _timeout_detail(exc: Exception, settings: Settings) -> str:
    """Which limit ran out: connecting, waiting for data, or the whole page."""
    if isinstance(exc, httpx.ConnectTimeout):
        return (
            f"the site could not be reached within {settings.web_connect_timeout_s:g}s; try later"
        )
    if isinstance(exc, httpx.TimeoutException):
        return f"the site sent nothing for {settings.web_read_timeout_s:g}s; try later"
    return f"the page took longer than {settings.web_total_timeout_s:g}s to load; try later"


def _next_url(response: httpx.Response) -> str:
    try:
        return str(response.url.join(response.headers["location"]))
    except httpx.InvalidURL as exc:
        raise FetchFailure("invalid_url", "the site redirected to an invalid address") from exc


def _network_detail(exc: httpx.HTTPError) -> str:
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate" in text.lower():
        return f"the site's TLS certificate is not valid for this address ({text})"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect to the site; check the address or try later ({text})"
    return f"the connection to the site failed while reading ({text})"


def _too_large(limit: int) -> str:
    return f"the page is larger than {limit:,} bytes (DIGEST_WEB_MAX_BYTES)"
