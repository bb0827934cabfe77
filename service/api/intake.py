"""A DigestRequest in, a JobRequest out, or a 4xx error that says which part to fix.

Inline articles go through the same reader and cleaning as files
(`pipeline.ingest.load_records`), so the API reads the fields and shapes the CLI
does (`schemas.ArticleIn` documents them); only the reader's hints are reworded,
since they name CLI flags.
Everything that can be checked without fetching or summarizing is checked here,
before a job is stored: limits, text encoding, URLs, the backend name.
"""

from __future__ import annotations

import importlib.util
import re
from typing import Any
from urllib.parse import urlsplit

from service.api.problems import TooLargeError
from service.api.schemas import DigestRequest
from service.backends.summarizers.registry import check_backend
from service.config import Settings
from service.errors import (
    EmptyInputError,
    IngestError,
    InputError,
    TextTooLargeError,
    UnknownBackendError,
)
from service.jobs.spec import JobRequest
from service.pipeline.ingest import first_few, load_records

_MAX_URL_CHARS = 2048
_CLI_FLAG = re.compile(r"(?<![\w-])--[a-z]")


def to_job_request(body: DigestRequest, settings: Settings) -> JobRequest:
    """Validate and clean a request; raise an InputError subclass naming the bad part."""
    if not body.articles and not body.urls:
        raise EmptyInputError(
            "no articles or URLs given",
            hint="send at least one article with text in 'articles', or a link in 'urls'",
        )
    count = len(body.articles) + len(body.urls)
    if count > settings.max_articles:
        raise TooLargeError(
            f"{count} articles and URLs in one request; the limit is {settings.max_articles}",
            hint="split them over several requests",
        )
    _check_backend(body.options.backend, settings)
    records = []
    limit = settings.max_article_bytes
    for index, article in enumerate(body.articles):
        record = (article.model_dump(exclude_none=True), f"articles[{index}]")
        try:
            _check_record(*record, max_text_bytes=limit)
        except TextTooLargeError as exc:  # over the limit (far over: before cleaning)
            raise _too_large(index, exc.article_id, exc.size, limit) from exc
        records.append(record)
    loaded = load_records(records)  # each was refused above when over the size limit
    articles = loaded.articles
    urls = _checked_urls(body.urls)
    if urls and importlib.util.find_spec("service.web") is None:
        raise InputError(
            "this server cannot fetch URLs", hint="send the articles' text in 'articles' instead"
        )
    # the backend is this server's, named in the job: a worker started with another
    # DIGEST_BACKEND (or none) had summarized with its own, silently
    options = body.options.model_copy(update={"backend": body.options.backend or settings.backend})
    return JobRequest(articles=articles, urls=urls, options=options, warnings=loaded.warnings)


def _check_backend(backend: str | None, settings: Settings) -> None:
    """A name no summarizer has is refused with the backends a client may use: the reader's
    hint ("a litellm model string ..., e.g. 'openai/gpt-4o-mini'") sent the client to models
    this server then refused as not offered."""
    try:
        check_backend(backend or settings.backend)
    except UnknownBackendError as exc:
        if not backend or "*" in settings.api_backends:
            raise
        raise UnknownBackendError(exc.message, hint=_offered_hint(settings)) from exc
    _check_offered(backend, settings)


def _offered(settings: Settings) -> list[str]:
    offered = ["extractive", settings.backend, *settings.fallback_models, *settings.api_backends]
    return list(dict.fromkeys(offered))


def _offered_hint(settings: Settings) -> str:
    return (
        f"use one of {', '.join(_offered(settings))}, or leave options.backend out; "
        "the operator can offer more in DIGEST_API_BACKENDS"
    )


def _check_offered(backend: str | None, settings: Settings) -> None:
    """A client may ask for the server's own backends only: any litellm model it named would
    be called with the server's credentials and from its network (`ollama/...` reaches the
    server's localhost), unless the operator offers it in DIGEST_API_BACKENDS."""
    if not backend:
        return
    if backend in _offered(settings) or "*" in settings.api_backends:
        return
    raise InputError(
        f"backend {backend!r} is not offered by this server", hint=_offered_hint(settings)
    )


def _too_large(index: int, article_id: str, size: int, limit: int) -> TooLargeError:
    return TooLargeError(
        f"articles[{index}] ({article_id!r}) has {size} bytes of text; the limit is {limit}",
        hint="send the story's text without page furniture, or split it",
    )


def _check_record(record: dict[str, Any], location: str, max_text_bytes: int) -> None:
    """Read one record alone, so that any failure names its place in the list; a text far
    over `max_text_bytes` raises TextTooLargeError before it is cleaned."""
    _check_unicode(record, location)
    try:
        load_records([(record, location)], max_text_bytes=max_text_bytes)
    except TextTooLargeError:
        raise
    except IngestError as exc:
        raise _for_http(exc, location) from exc
    except (ValueError, TypeError, OverflowError, OSError) as exc:  # e.g. a date out of range
        raise IngestError(
            f"a field cannot be read ({exc})", location=location, hint="check its date and types"
        ) from exc


def _for_http(exc: IngestError, location: str) -> IngestError:
    """The reader's error with a hint an HTTP caller can follow: its hints may name CLI
    flags (`--skip-invalid`), which mean nothing here, so those say 'fix or remove it'."""
    hint = exc.hint
    if not hint or _CLI_FLAG.search(hint):
        hint = f"fix {location} or remove it from 'articles'"
    return IngestError(exc.message.removeprefix(f"{location}: "), location=location, hint=hint)


def _checked_urls(given: list[str]) -> list[str]:
    """The URLs, stripped; an InputError naming every bad one at once (a request with
    several had needed one round trip per bad URL to find them all)."""
    urls: list[str] = []
    bad: list[str] = []
    for index, url in enumerate(given):
        try:
            urls.append(_check_url(url, index))
        except InputError as exc:
            if not bad:
                first = exc
            bad.append(f"urls[{index}]")
    if len(bad) > 1:
        raise InputError(f"{first.message}; so are {first_few(bad[1:])}", hint=first.hint)
    if bad:
        raise first
    return urls


def _check_url(url: str, index: int) -> str:
    url = url.strip()
    _check_unicode(url, f"urls[{index}]")
    try:
        parts = urlsplit(url)
        valid = (
            len(url) <= _MAX_URL_CHARS
            and parts.scheme.lower() in ("http", "https")
            and bool(parts.hostname)
        )
    except ValueError:  # a malformed IPv6 host
        valid = False
    if valid:
        try:
            if parts.port == 0:  # reading it checks it: ":abc" or ":99999" raise here
                raise ValueError("Port 0 is no port")
        except ValueError as exc:  # urllib's words ("Port out of range 0-65535") mislead
            raise InputError(
                f"urls[{index}] has an invalid port: not a number from 1 to 65535",
                hint="write the port as a number from 1 to 65535, or leave it out",
            ) from exc
    if not valid:
        raise InputError(
            f"urls[{index}] is not an http(s) URL of at most {_MAX_URL_CHARS} characters",
            hint="give full links like https://example.com/story",
        )
    return url


def _check_unicode(value: Any, location: str) -> None:
    """Reject lone surrogates (JSON '\\ud800' escapes): they cannot be stored or returned."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise IngestError(
                f"invalid Unicode at character {exc.start} (a lone surrogate escape)",
                location=location,
                hint="send text as valid UTF-8",
            ) from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_unicode(key, location)
            _check_unicode(item, f"{location}.{key}")
    elif isinstance(value, list):
        for item in value:
            _check_unicode(item, location)
