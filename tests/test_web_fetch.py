"""Fetching and extracting pages from a fake web on 127.0.0.1: articles, failures, SSRF, cache."""

from __future__ import annotations

import asyncio
import gzip
import importlib.util
import re
import ssl
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.web import Collected, acollect, collect
from service.web.addresses import Policy
from service.web.decode import BoundedDecoder, TooLarge
from service.web.extract import article_id, page_to_article
from service.web.failures import FetchFailure
from service.web.feeds import FeedEntry
from service.web.fetch import Fetcher
from service.web.page import Page
from tests.fake_web_server import TLS_CERT, FakeWeb, web_settings
from tests.test_api_fakes import free_port


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    with FakeWeb() as server:
        yield server


def _reasons(collected: Collected) -> dict[str, str]:
    return {f.input: f.reason for f in collected.failures}


def test_a_normal_article_is_extracted_with_its_metadata(web: FakeWeb, tmp_path: Path) -> None:
    collected = collect([web.url("/article")], settings=web_settings(tmp_path))
    assert collected.failures == []
    [article] = collected.articles
    assert article.title == "Council approves eastern tram extension"
    assert article.source == "Riverside Gazette"
    assert article.published_at is not None and article.published_at.date().isoformat() == (
        "2024-05-14"
    )
    assert article.language == "en"
    assert article.url == web.url("/article") and article.id == article_id(web.url("/article"))
    assert not article.text.startswith(article.title)  # the headline is not a sentence
    assert "voted 31 to 12" in article.text and "traffic diversions" in article.text.lower()
    assert "Contact the newsroom" not in article.text and "Sport" not in article.text
    assert web.headers["/article"]["user-agent"].startswith("digest-service/")


def test_boilerplate_is_left_out(web: FakeWeb, tmp_path: Path) -> None:
    [article] = collect([web.url("/boilerplate")], settings=web_settings(tmp_path)).articles
    assert article.source == "Harbour Post"
    assert "seven new stops" in article.text and "hospital junction" in article.text
    for junk in [
        "cookie",
        "ADVERTISEMENT",
        "Trending",
        "Most read",
        "Subscribe",
        "tramfan77",
        "newsletter",
        "Privacy policy",
        "You may also like",
        "Sponsored",
    ]:
        assert junk.lower() not in article.text.lower(), junk


def test_every_failure_has_its_reason_and_the_rest_still_load(web: FakeWeb, tmp_path: Path) -> None:
    expected = {
        "/missing": "http_404",
        "/huge": "too_large",
        "/huge-chunked": "too_large",
        "/report.pdf": "not_html",
        "/data.bin": "not_html",
        "/empty": "no_article_text",
        "/loop": "too_many_redirects",
        "/no-location": "http_302",
        "/slow-headers": "timeout",
        "/slow-drip": "timeout",
        "/to-file": "blocked_address",
        "/to-private": "blocked_address",
    }
    started = time.monotonic()
    settings = web_settings(tmp_path, web_concurrency=16)
    collected = collect([web.url("/storm"), *(web.url(p) for p in expected)], settings=settings)
    assert time.monotonic() - started < 8  # fetched at once; the slow ones cut at 1 s and 3 s
    assert [a.url for a in collected.articles] == [web.url("/storm")]
    assert _reasons(collected) == {web.url(p): reason for p, reason in expected.items()}
    for failure in collected.failures:
        assert len(failure.detail.split()) >= 4, failure  # words a user understands
    assert web.hits["/loop"] == 6  # the first request and 5 redirects, then it stops
    assert "secret" not in web.hits  # the private address was never asked for


def test_a_run_out_of_time_keeps_what_it_read_and_names_what_it_did_not(
    web: FakeWeb, tmp_path: Path
) -> None:
    """Each URL may take its own time (here up to 10 s), but the run as a whole has a
    budget: what is still loading then is reported, and what was read is kept, a feed's
    entries read so far included."""
    settings = web_settings(
        tmp_path, web_read_timeout_s=10.0, web_total_timeout_s=10.0, web_run_timeout_s=1.5
    )
    started = time.monotonic()
    inputs = [web.url("/article"), web.url("/slow-headers"), web.url("/slow-feed.rss")]
    collected = collect(inputs, settings=settings)
    assert time.monotonic() - started < 4  # not the 5 s the slow server takes
    assert sorted(a.url for a in collected.articles) == [web.url("/article"), web.url("/storm")]
    assert _reasons(collected) == {
        web.url("/slow-headers"): "run_timeout",
        web.url("/slow-feed.rss"): "run_timeout",
    }
    feed = next(f for f in collected.failures if f.input == web.url("/slow-feed.rss"))
    assert "1 of its entries were read" in feed.detail
    assert f"not read: {web.url('/slow-headers')}" in feed.detail  # which one, by name
    assert "DIGEST_WEB_RUN_TIMEOUT_S" in feed.detail


def test_nothing_listening_is_a_connection_error(tmp_path: Path) -> None:
    port = free_port()
    collected = collect([f"http://127.0.0.1:{port}/"], settings=web_settings(tmp_path))
    assert _reasons(collected) == {f"http://127.0.0.1:{port}/": "connection_error"}


def test_a_redirect_chain_is_followed_hop_by_hop(web: FakeWeb, tmp_path: Path) -> None:
    [article] = collect([web.url("/redirect/3")], settings=web_settings(tmp_path)).articles
    assert article.url == web.url("/article")
    assert [web.hits[f"/redirect/{n}"] for n in (3, 2, 1)] == [1, 1, 1]
    short = web_settings(tmp_path / "other", web_max_redirects=2)
    collected = collect([web.url("/redirect/3")], settings=short)
    assert _reasons(collected) == {web.url("/redirect/3"): "too_many_redirects"}


def test_internal_addresses_are_refused_without_the_allowlist(web: FakeWeb, tmp_path: Path) -> None:
    with FakeWeb("::1") as web6:
        inputs = [
            web.url("/article"),
            f"http://localhost:{web.port}/article",
            "http://10.0.0.1/",
            web6.url("/article"),
            "file:///etc/passwd",
            "http://127.0.0.1/",
        ]
        started = time.monotonic()
        collected = collect(inputs, settings=web_settings(tmp_path, allow=[]))
        assert time.monotonic() - started < 1.5  # refused before connecting, not timed out
        assert web6.total == 0
    assert collected.articles == []
    assert _reasons(collected) == {url: "blocked_address" for url in inputs}
    assert web.total == 0


def test_every_redirect_hop_is_checked(web: FakeWeb, tmp_path: Path) -> None:
    # The name is allowlisted; the loopback IP it redirects to is not.
    by_name = web_settings(tmp_path, allow=["localhost"])
    start = f"http://localhost:{web.port}/to-loopback-ip"
    collected = collect([start, f"http://localhost:{web.port}/storm"], settings=by_name)
    assert _reasons(collected) == {start: "blocked_address"}
    assert [a.title for a in collected.articles] == [
        "Storm closes coastal ferry routes for two days"
    ]
    assert web.hits["/to-loopback-ip"] == 1 and web.hits["/article"] == 0


def test_the_checked_address_is_the_one_connected_to(web: FakeWeb, tmp_path: Path) -> None:
    # A rebinding resolver: safe answer first, internal one afterwards. The name is
    # resolved once per connection and that answer is used, so the second never matters.
    calls: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"] if len(calls) == 1 else ["10.0.0.1"]

    policy = Policy.from_allowlist(["127.0.0.1"], resolver=rebinding)
    url = f"http://news.test:{web.port}/article"
    collected = asyncio.run(acollect([url], settings=web_settings(tmp_path), policy=policy))
    assert [a.url for a in collected.articles] == [url]
    assert calls == ["news.test"]
    assert web.headers["/article"]["host"] == f"news.test:{web.port}"

    calls.clear()
    calls.append("already resolved once")  # the next answer is the internal address
    again = asyncio.run(
        acollect(
            [f"http://news.test:{web.port}/storm"], settings=web_settings(tmp_path), policy=policy
        )
    )
    assert [f.reason for f in again.failures] == ["blocked_address"]
    assert web.hits["/storm"] == 0


def test_pages_are_cached_by_url_until_the_ttl(web: FakeWeb, tmp_path: Path) -> None:
    settings = web_settings(tmp_path, web_cache_ttl_s=1)
    first = collect([web.url("/article")], settings=settings)
    second = collect([web.url("/article")], settings=settings)
    assert first.articles == second.articles and web.hits["/article"] == 1
    assert (tmp_path / "web-cache").is_dir()
    time.sleep(1.2)
    collect([web.url("/article")], settings=settings)
    assert web.hits["/article"] == 2

    uncached = web_settings(tmp_path / "off", web_cache_ttl_s=0)
    collect([web.url("/storm")], settings=uncached)
    collect([web.url("/storm")], settings=uncached)
    assert web.hits["/storm"] == 2 and not (tmp_path / "off").exists()


def test_failures_are_not_cached(web: FakeWeb, tmp_path: Path) -> None:
    settings = web_settings(tmp_path)
    for _ in range(2):
        collect([web.url("/missing")], settings=settings)
    assert web.hits["/missing"] == 2


def test_concurrency_is_bounded(web: FakeWeb, tmp_path: Path) -> None:
    urls = [web.url(f"/pause?n={n}") for n in range(6)]
    collected = collect(urls, settings=web_settings(tmp_path, web_concurrency=2))
    assert len(collected.articles) == 6 and web.hits["/pause"] == 6
    assert web.peak == 2


def test_inputs_are_deduplicated_and_one_page_reached_twice_is_kept_once(
    web: FakeWeb, tmp_path: Path
) -> None:
    urls = [web.url("/article"), web.url("/article") + " ", web.url("/redirect/1")]
    collected = collect(urls, settings=web_settings(tmp_path, web_cache_ttl_s=0))
    assert len(collected.articles) == 1 and collected.failures == []


def test_collect_refuses_to_run_inside_an_event_loop(tmp_path: Path) -> None:
    async def inside() -> None:
        collect(["http://example.com/"], settings=web_settings(tmp_path))

    with pytest.raises(RuntimeError, match="acollect"):
        asyncio.run(inside())


def _fetch_tls(url: str, tmp_path: Path, allow: list[str], trust: bool) -> str:
    """Fetch over TLS; the page's URL, or the failure reason and detail."""
    settings = web_settings(tmp_path, allow=allow)
    context = ssl.create_default_context(cafile=str(TLS_CERT)) if trust else None

    async def run() -> str:
        async with Fetcher(settings, Policy.from_allowlist(allow), ssl_context=context) as fetcher:
            try:
                return (await fetcher.fetch(url)).url
            except FetchFailure as failure:
                return f"{failure.reason}: {failure.detail}"

    return asyncio.run(run())


def test_tls_is_verified_for_the_url_host_not_the_address(tmp_path: Path) -> None:
    with FakeWeb(tls=True) as web:
        by_name = f"https://localhost:{web.port}/article"
        # Connected to the checked 127.0.0.1, certificate checked against 'localhost'.
        assert _fetch_tls(by_name, tmp_path, ["localhost"], trust=True) == by_name
        by_ip = f"https://127.0.0.1:{web.port}/article"  # the certificate does not name the IP
        assert _fetch_tls(by_ip, tmp_path, ["127.0.0.1"], trust=True).startswith("connection_error")
        untrusted = _fetch_tls(by_name, tmp_path, ["localhost"], trust=False)
        assert untrusted.startswith("connection_error") and "certificate" in untrusted.lower()
        assert web.hits["/article"] == 1


def _page(html: str) -> Page:
    return Page(
        url="https://x.example/p", kind="html", content_type="text/html", body=html.encode()
    )


def _paragraphs(count: int) -> str:
    return "".join(
        f"<p>The harbour council met on Tuesday for the {n}th time this year to discuss the "
        f"new tram line, the budget for repairs and the schedule of works at dock {n}.</p>"
        for n in range(count)
    )


def test_paywall_and_consent_walls_are_not_article_text() -> None:
    paywall = (
        f"<html><head><title>Tram</title></head><body><article>{_paragraphs(3)}<div><p>"
        "This article is for subscribers only. Subscribe now to continue reading. Already a "
        "subscriber? Log in here to keep reading the full story.</p></div></article></body></html>"
    )
    article = page_to_article(_page(paywall))
    assert "harbour council" in article.text and "subscriber" not in article.text
    consent = (
        "<html><head><title>Before you continue</title></head><body><h1>We value your "
        "privacy</h1><p>We and our 842 partners store and access information on your device, "
        "such as cookies, and process personal data such as unique identifiers for "
        "personalised advertising and content, measurement and audience research.</p><p>With "
        "your permission we and our partners may use precise geolocation data. Alternatively "
        "you may access more detailed information and change your preferences.</p>"
        "<button>Accept all</button></body></html>"
    )
    with pytest.raises(FetchFailure) as refused:
        page_to_article(_page(consent))
    assert refused.value.reason == "no_article_text"


def _front_page(og_type: str) -> str:
    teasers = "".join(
        f"<li><a href='/news/{n}'><h3>Harbour council story number {n} in the city</h3>"
        f"<p>The council met on Tuesday to discuss tram line {n} and its budget.</p></a></li>"
        for n in range(12)
    )
    return (
        f"<html><head><title>News</title><meta property='og:type' content='{og_type}'>"
        f"</head><body><nav><a href='/'>Home</a></nav><ul>{teasers}</ul></body></html>"
    )


def test_a_front_page_of_teasers_is_not_an_article() -> None:
    with pytest.raises(FetchFailure) as refused:
        page_to_article(_page(_front_page("website")))
    assert refused.value.reason == "not_an_article"
    assert "give the links of the stories themselves" in refused.value.detail
    # a page that says it is an article is read, however many links it has
    assert "tram line" in page_to_article(_page(_front_page("article"))).text
    # and so is an article page that calls itself a website, with menus of links around it
    menu = "".join(f"<a href='/s/{n}'>Section {n}</a> " for n in range(30))
    html = (
        "<html><head><title>Tram</title><meta property='og:type' content='website'></head>"
        f"<body><nav>{menu}</nav><article>{_paragraphs(4)}</article></body></html>"
    )
    assert "harbour council" in page_to_article(_page(html)).text


_CURLY = (
    "<p>The mayor said the \u201cnew bridge\u201d would open in June \u2014 three months late "
    "\u2013 at a cost of \u20ac12 million, and the caf\u00e9 would reopen.</p>"
    "<p>\u201cWe\u2019re proud of it,\u201d she said of the bridge over the river Aare.</p>"
)


@pytest.mark.parametrize(
    ("meta", "header", "encoding"),
    [
        ('<meta charset="iso-8859-1">', "text/html", "cp1252"),  # browsers read cp1252
        ("", "text/html; charset=ISO-8859-1", "cp1252"),
        ("", "text/html; charset=windows-1252", "cp1252"),
        (
            '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
            "",
            "cp1252",
        ),
        ("", "text/html", "utf-8"),  # undeclared UTF-8
        ('<meta charset="iso-8859-1">', "text/html; charset=iso-8859-1", "utf-8"),  # mislabelled
    ],
)
def test_a_page_is_decoded_as_its_header_or_markup_declares(
    meta: str, header: str, encoding: str
) -> None:
    """A Latin-1 label on Windows-1252 bytes lost quotes, dashes and the euro sign ("Were
    proud", "cost of 12 million"), and the headline of an undeclared page was guessed as
    another code page ("Café ŕ Zürich")."""
    html = (
        f"<html><head>{meta}<title>Caf\u00e9 \u00e0 Z\u00fcrich: mayor\u2019s bridge</title>"
        f"</head><body><article>{_CURLY * 4}</article></body></html>"
    )
    page = Page("https://x.example/p", "html", header, html.encode(encoding))
    article = page_to_article(page)
    assert article.title == "Caf\u00e9 \u00e0 Z\u00fcrich: mayor\u2019s bridge"
    assert "We\u2019re proud" in article.text and "\u20ac12 million" in article.text
    assert "\u2014 three months late \u2013" in article.text


def test_an_undeclared_latin_1_page_and_an_xhtml_prolog_are_read() -> None:
    title = "Caf\u00e9 \u00e0 Z\u00fcrich: Gr\u00f6\u00dfte Br\u00fccke er\u00f6ffnet"
    text = "".join(
        f"<p>Die {n}. Br\u00fccke \u00fcber den Fluss in Z\u00fcrich wurde am Montag "
        "er\u00f6ffnet, sagte der B\u00fcrgermeister der Stadt.</p>"
        for n in range(8)
    )
    html = f"<html><head><title>{title}</title></head><body><article>{text}</article></body></html>"
    assert (
        page_to_article(Page("https://x.example/p", "html", "", html.encode("latin-1"))).title
        == title
    )
    prolog = f'<?xml version="1.0" encoding="iso-8859-1"?>\n{html}'
    assert (
        page_to_article(Page("https://x.example/p", "html", "", prolog.encode("latin-1"))).title
        == title
    )


def _teasers(count: int) -> str:
    return "".join(
        f"<article class='teaser'><h2><a href='/story{n}'>Story {n}: council votes on parks"
        f"</a></h2><p>The council met on Monday to discuss item {n} of the agenda. "
        f"<a href='/story{n}'>Read more</a></p></article>"
        for n in range(count)
    )


def test_a_list_of_teasers_is_not_an_article_without_saying_it_is_a_website() -> None:
    """A section page with no og:type became a story: "The council met on Monday to
    discuss item 0 of the agenda.[1]"."""
    section = f"<html><head><title>Norland Post</title></head><body><main>{_teasers(15)}</main></body></html>"
    # stories listed by query on one script ("/news.php?id=3", WordPress's "/?p=3")
    by_query = section.replace("href='/story", "href='/p?id=")
    with pytest.raises(FetchFailure):
        page_to_article(_page(by_query))
    with pytest.raises(FetchFailure) as refused:
        page_to_article(_page(section))
    assert refused.value.reason == "not_an_article"
    # an article whose page ends with cards of related stories is an article
    story = (
        "<html><head><title>Tram</title></head><body><div class='story'>"
        f"{_paragraphs(4)}</div><aside>{_teasers(6)}</aside></body></html>"
    )
    assert "harbour council" in page_to_article(_page(story)).text
    # a live blog: short updates, each in an <article> with a link, on a page that says
    # it is an article (or whose updates link only to themselves)
    updates = "".join(
        f"<article id='u{n}'><p>Update {n}: the harbour council voted on tram line {n} and "
        f"its budget for repairs at dock {n}.</p><a href='{{href}}{n}'>Link</a></article>"
        for n in range(10)
    )
    head = "<meta property='og:type' content='article'>"
    live = f"<html><head><title>Live</title>{head}</head><body><main>{updates}</main></body></html>"
    assert "tram line" in page_to_article(_page(live.replace("{href}", "/live/u"))).text
    for self_link in ("#u", "/p#u", "https://x.example/p#u", "p/#u"):
        anchors = live.replace(head, "").replace("{href}", self_link)
        assert "tram line" in page_to_article(_page(anchors)).text, self_link


def test_a_japanese_page_counts_its_words_by_characters() -> None:
    sentences = "".join(
        f"<p>東京で月曜日に記録的な大雨が降り、多くの電車が運転を見合わせた。気象庁は第{n}報で警報を発表した。</p>"
        for n in range(4)
    )
    html = f"<html lang='ja'><head><title>東京で大雨</title></head><body><article>{sentences}</article></body></html>"
    assert "気象庁" in page_to_article(_page(html)).text


def test_tracking_parameters_and_fragments_do_not_fetch_a_page_twice(
    web: FakeWeb, tmp_path: Path
) -> None:
    given = [
        web.url("/article?id=7&utm_source=newsletter&utm_medium=email"),
        web.url("/article?id=7#comments"),
        web.url("/article?fbclid=abc&id=7&gclid=xyz"),
        web.url("/article?id=8"),  # another parameter: another page
    ]
    collected = collect(given, settings=web_settings(tmp_path, web_cache_ttl_s=0))
    assert collected.failures == []
    fetched = [given[0].removeprefix(web.base), "/article?id=8"]  # the first address as given
    assert sorted(web.requested) == sorted(fetched)
    assert [a.url for a in collected.articles] == [given[0], web.url("/article?id=8")]


def test_a_failure_is_reported_under_the_address_the_user_gave(
    web: FakeWeb, tmp_path: Path
) -> None:
    given = [web.url("/missing?utm_campaign=spring#top"), web.url("/missing")]
    collected = collect(given, settings=web_settings(tmp_path))
    assert _reasons(collected) == {given[0]: "http_404"} and web.hits["/missing"] == 1


def _failure(web: FakeWeb, path: str, tmp_path: Path) -> tuple[str, str]:
    [failure] = collect([web.url(path)], settings=web_settings(tmp_path)).failures
    return failure.reason, failure.detail


def test_credentials_in_an_address_are_sent_but_never_shown(web: FakeWeb, tmp_path: Path) -> None:
    """A digest posted to a channel showed "http://user:s3cret@..." in its sources."""
    secret = web.url("/article").replace("://", "://editor:s3cret@")
    missing = web.url("/missing").replace("://", "://editor:s3cr@t@")  # split at the last @
    collected = collect([secret, missing], settings=web_settings(tmp_path))
    assert web.headers["/article"].get("authorization", "").startswith("Basic ")
    [article] = collected.articles
    assert article.url == web.url("/article")
    [failure] = collected.failures
    assert failure.input == web.url("/missing") and failure.reason == "http_404"
    assert "s3cr" not in repr(collected.articles) + repr(collected.failures)
    # a page that names no outlet is named by its host: without the credentials
    html = f"<html><head><title>Tram</title></head><body><article>{_paragraphs(4)}</article></body></html>"
    page = Page("https://editor:s3cret@x.example/p", "html", "text/html", html.encode())
    assert page_to_article(page).source == "x.example"
    # nor is the id a hash of the password: the page keeps one id with or without it
    plain = Page("https://x.example/p", "html", "text/html", html.encode())
    assert page_to_article(page).id == page_to_article(plain).id


def test_a_rate_limit_says_when_to_retry(web: FakeWeb, tmp_path: Path) -> None:
    assert _failure(web, "/busy-seconds", tmp_path) == (
        "http_429",
        "rate limited by 127.0.0.1 (HTTP 429); it asks to retry after 120 s",
    )
    reason, detail = _failure(web, "/busy-date", tmp_path)
    assert reason == "http_429"
    assert re.fullmatch(
        r"rate limited by 127\.0\.0\.1 \(HTTP 429\); it asks to retry after "
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in 1[12]\d s\)",
        detail,
    ), detail
    assert _failure(web, "/busy", tmp_path) == (
        "http_429",
        "rate limited by 127.0.0.1 (HTTP 429); try again later",
    )


def test_gone_and_unavailable_pages_say_what_the_site_said() -> None:
    import httpx

    from service.web.fetch import _status_detail

    def detail(status: int, **headers: str) -> str:
        request = httpx.Request("GET", "https://x.example/p")
        return _status_detail(httpx.Response(status, headers=headers, request=request))

    assert "removed for good (HTTP 410)" in detail(410)
    assert "not found (HTTP 404)" in detail(404)
    assert detail(503, **{"Retry-After": "120"}).endswith("it asks to retry after 120 s")
    assert detail(500).endswith("try again later")


@pytest.mark.parametrize(
    ("path", "module", "expected"),
    [
        ("/brotli", "brotli", "the server answered with brotli-compressed content"),
        ("/zstd", "zstandard", "the server answered with zstd-compressed content"),
    ],
)
def test_content_this_install_cannot_decode_says_so(
    web: FakeWeb, tmp_path: Path, path: str, module: str, expected: str
) -> None:
    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{module} is installed here, so httpx decodes {path[1:]} itself")
    reason, detail = _failure(web, path, tmp_path)
    assert reason == "undecodable"
    assert detail.startswith(f"{expected}, which this install cannot decode"), detail
    assert f"'{module}'" in detail  # what an operator installs to read such pages


def test_an_answer_without_content_says_there_is_nothing_to_read(
    web: FakeWeb, tmp_path: Path
) -> None:
    assert _failure(web, "/no-content", tmp_path) == (
        "no_content",
        "the server answered 204 No Content: nothing to read; check the link",
    )
    assert _failure(web, "/blank", tmp_path) == (
        "no_content",
        "the server answered HTTP 200 with an empty page: nothing to read; check the link",
    )


@pytest.mark.parametrize(
    "markup",
    [
        '<meta property="article:published_time" content="2026-11-20T09:00:00-05:00">',
        '<meta itemprop="datePublished" content="2026-11-20T09:00:00-05:00">',
        '<script type="application/ld+json">'
        '{"@type": "NewsArticle", "datePublished": "2026-11-20T09:00:00-05:00"}</script>',
    ],
)
def test_a_page_date_keeps_its_time_zone(markup: str) -> None:
    html = (
        f"<html><head><title>Tram</title>{markup}</head><body><article>{_paragraphs(4)}"
        "</article></body></html>"
    )
    published = page_to_article(_page(html)).published_at
    assert published is not None and published.utcoffset() is not None, published
    assert published == datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def test_a_footer_copyright_year_is_no_publication_date() -> None:
    """htmldate's last resort was January 1 of "Copyright 2025": a made-up date that
    moved the page's citations. A real January 1 in the page's metadata stays."""
    footer = "<footer><p>Copyright 2025 Example Media Group. All rights reserved.</p></footer>"

    def published(head: str) -> datetime | None:
        html = (
            f"<html><head><title>Tram</title>{head}</head><body><article>{_paragraphs(4)}"
            f"</article>{footer}</body></html>"
        )
        return page_to_article(_page(html)).published_at

    assert published("") is None
    meta = '<meta property="article:published_time" content="2025-01-01">'
    assert published(meta) == datetime(2025, 1, 1, tzinfo=UTC)
    meta = '<meta property="article:published_time" content="2025-03-04T09:30:00+00:00">'
    assert published(meta) == datetime(2025, 3, 4, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("path", ["/gzip", "/deflate", "/raw-deflate"])
def test_compressed_pages_are_read(web: FakeWeb, tmp_path: Path, path: str) -> None:
    collected = collect([web.url(path)], settings=web_settings(tmp_path))
    assert collected.failures == []
    [article] = collected.articles
    plain = collect([web.url("/article")], settings=web_settings(tmp_path / "plain"))
    assert article.text == plain.articles[0].text


def test_a_gzip_bomb_is_refused_without_inflating_it(web: FakeWeb, tmp_path: Path) -> None:
    """~64 KB that inflate to 64 MB: refused as too large, and never more than about the
    page limit (1 MB here) is held: httpx inflated each network chunk whole (~60 MB)."""
    settings = web_settings(tmp_path)
    tracemalloc.start()
    try:
        reason, detail = _failure(web, "/gzip-bomb", tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reason == "too_large" and "1,000,000 bytes" in detail
    assert peak < 4 * settings.web_max_bytes, peak


def test_content_that_does_not_decode_as_it_says_is_named(web: FakeWeb, tmp_path: Path) -> None:
    reason, detail = _failure(web, "/bad-gzip", tmp_path)
    assert reason == "undecodable"
    assert detail.startswith("the server sent gzip content that does not decompress"), detail


def test_only_gzip_and_deflate_are_inflated_here() -> None:
    """br and zstd are asked for only when their package is installed, and then httpx
    decodes them; this decoder takes gzip and deflate, in any case and any number."""
    assert BoundedDecoder.reads("gzip") and BoundedDecoder.reads("GZIP, deflate")
    assert BoundedDecoder.reads("") and BoundedDecoder.reads("identity")
    assert not BoundedDecoder.reads("br") and not BoundedDecoder.reads("gzip, zstd")
    decoder = BoundedDecoder("gzip", limit=10)
    packed = gzip.compress(b"0123456789" * 2)
    with pytest.raises(TooLarge):
        decoder.feed(packed)
    assert BoundedDecoder("gzip", limit=20).feed(packed) == b"0123456789" * 2


def test_a_page_cache_that_cannot_be_made_is_no_cache_not_a_crash(tmp_path: Path) -> None:
    from service.web.cache import open_page_cache

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert open_page_cache(blocker / "web-cache", 60) is None
    cache = open_page_cache(tmp_path / "web-cache", 60)
    assert cache is not None
    cache.close()


def test_a_cached_page_is_read_only_where_this_runs_policy_allows_its_addresses(
    web: FakeWeb, tmp_path: Path
) -> None:
    """The cache is shared by the CLI and the server: an intranet page one run fetched
    with an allowlist had been handed, from the cache, to a run that refuses the host,
    and so had a page reached through a redirect to a refused address."""
    url = f"http://localhost:{web.port}/article"
    first = collect([url], settings=web_settings(tmp_path, allow=["localhost"]))
    assert len(first.articles) == 1 and web.hits["/article"] == 1
    again = collect([url], settings=web_settings(tmp_path, allow=["localhost"]))
    assert again.articles == first.articles and web.hits["/article"] == 1  # from the cache
    refused = collect([url], settings=web_settings(tmp_path, allow=[]))
    assert _reasons(refused) == {url: "blocked_address"} and web.hits["/article"] == 1

    hop = f"http://localhost:{web.port}/to-loopback-ip"  # redirects to 127.0.0.1
    both = web_settings(tmp_path, allow=["localhost", "127.0.0.1"])
    assert len(collect([hop], settings=both).articles) == 1
    hits = web.hits["/to-loopback-ip"]
    by_name = collect([hop], settings=web_settings(tmp_path, allow=["localhost"]))
    assert _reasons(by_name) == {hop: "blocked_address"}
    assert web.hits["/to-loopback-ip"] == hits  # refused from the cache, not refetched


def test_a_page_over_the_article_size_limit_is_refused_as_a_file_would_be(
    web: FakeWeb, tmp_path: Path
) -> None:
    """A 1.4 MB page had been kept and took 40 s; files and API bodies were held to the limit."""
    collected = collect(
        [web.url("/article")], settings=web_settings(tmp_path, max_article_bytes=200)
    )
    assert _reasons(collected) == {web.url("/article"): "too_large"}
    assert "DIGEST_MAX_ARTICLE_BYTES" in collected.failures[0].detail
    assert collect([web.url("/article")], settings=web_settings(tmp_path / "b")).articles


_FILLER = (
    "<p>The page you were looking for may have been moved, deleted or possibly never "
    "existed. Please check the address for typing mistakes, or use the search box above to "
    "find what you were looking for, or return to our home page for the latest news.</p>"
)
_CONSENT = (
    "<p>We and our 842 partners store and access information on your device, such as "
    "cookies, and process personal data, such as unique identifiers, to provide personalised "
    "advertising and content. You may click to consent to our and our partners' processing, "
    "or change your preferences before consenting. You can change your preferences at any "
    "time by visiting our privacy policy.</p>"
)


@pytest.mark.parametrize(
    ("html", "said"),
    [
        (
            "<title>Page not found | Halden Herald</title><h1>Sorry, we couldn't find that "
            f"page</h1>{_FILLER}",
            "says it was not found",
        ),
        (
            f"<title>Before you continue</title><h1>We value your privacy</h1>{_CONSENT * 2}",
            "consent",
        ),
    ],
)
def test_a_not_found_notice_or_a_consent_wall_sent_as_a_page_is_no_article(
    html: str, said: str
) -> None:
    """Each had become a story of its own, headed by the notice, with no summary."""
    page = Page("https://news.test/a", "html", "text/html", f"<html>{html}</html>".encode())
    with pytest.raises(FetchFailure) as refused:
        page_to_article(page)
    assert refused.value.reason == "no_article_text" and said in refused.value.detail


def test_a_host_that_stopped_answering_is_not_asked_again_in_the_run(
    web: FakeWeb, tmp_path: Path
) -> None:
    """A feed of 50 links to one server that had stopped answering held a run 212 s."""
    from service.web.fetch import HOST_TIMEOUTS

    urls = [web.url(f"/slow-headers?n={n}") for n in range(6)]
    started = time.monotonic()
    collected = collect(urls, settings=web_settings(tmp_path, web_concurrency=1))
    assert set(_reasons(collected).values()) == {"timeout"}
    assert web.hits["/slow-headers"] == HOST_TIMEOUTS  # the others were not asked
    assert "its other links were not asked" in collected.failures[-1].detail
    assert time.monotonic() - started < 4 * HOST_TIMEOUTS  # not 6 timeouts of ~1-3 s each


def test_a_feeds_entries_count_against_the_articles_limit(web: FakeWeb, tmp_path: Path) -> None:
    """One request of 500 feed URLs had meant up to 25,000 page fetches: the limit on
    articles (DIGEST_MAX_ARTICLES) counted the URLs given, not what their feeds held. The
    room is shared out evenly over the inputs, whichever answers first."""
    feed = web.url("/feed.rss")  # three entries
    two = collect([feed], settings=web_settings(tmp_path, max_articles=2, web_cache_ttl_s=0))
    assert len(two.articles) == 2
    [cut] = [f for f in two.failures if f.reason == "feed_truncated"]
    assert "DIGEST_MAX_ARTICLES" in cut.detail
    shared = web_settings(tmp_path, max_articles=4, web_cache_ttl_s=0)
    with_page = collect([web.url("/boilerplate"), feed], settings=shared)
    assert len(with_page.articles) == 3  # the page, and the feed's share: (4 - 2) // 2 + 1
    # an API job's inline articles take their room first
    one = collect([feed], settings=web_settings(tmp_path, web_cache_ttl_s=0), room=1)
    assert len(one.articles) == 1


def test_a_lower_cache_ttl_applies_to_pages_already_cached(web: FakeWeb, tmp_path: Path) -> None:
    collect([web.url("/article")], settings=web_settings(tmp_path, web_cache_ttl_s=3600))
    time.sleep(1.1)
    collect([web.url("/article")], settings=web_settings(tmp_path, web_cache_ttl_s=1))
    assert web.hits["/article"] == 2  # stored for an hour, but older than this run's 1 s


def test_a_cached_page_is_judged_by_the_address_it_came_from_not_a_new_lookup(
    web: FakeWeb, tmp_path: Path
) -> None:
    """A name that resolves elsewhere now (rebinding, split-horizon DNS) had let an
    intranet page fetched by an allowlisted run through to a run that refuses it."""

    async def internal(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    async def public(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    url = f"http://rebind.test:{web.port}/article"
    writer = Policy.from_allowlist(["127.0.0.0/8"], resolver=internal)
    settings = web_settings(tmp_path)
    assert asyncio.run(acollect([url], settings=settings, policy=writer)).articles
    reader = Policy.from_allowlist([], resolver=public)
    refused = asyncio.run(acollect([url], settings=settings, policy=reader))
    assert _reasons(refused) == {url: "blocked_address"} and web.hits["/article"] == 1


def test_a_timeout_counts_against_the_host_that_did_not_answer_not_the_redirector(
    web: FakeWeb, tmp_path: Path
) -> None:
    """Links through a redirector (feedproxy, t.co) that landed twice on a slow site had
    got every later link through the redirector refused, naming the redirector."""
    slow = [f"http://localhost:{web.port}/to-slow-ip?n={n}" for n in range(2)]
    fine = f"http://localhost:{web.port}/article"
    settings = web_settings(tmp_path, allow=["localhost", "127.0.0.1"], web_concurrency=1)
    collected = collect([*slow, fine, web.url("/slow-headers?n=9")], settings=settings)
    assert [a.url for a in collected.articles] == [fine]  # the redirector's host still asked
    reasons = _reasons(collected)
    assert all(reasons[url] == "timeout" for url in slow)
    assert web.hits["/slow-headers"] == 2  # the slow host was not asked a third time
    assert "127.0.0.1 did not answer" in collected.failures[-1].detail


def test_a_headline_about_404_people_or_a_verdict_is_no_not_found_notice() -> None:
    from service.web.extract import _NOT_FOUND

    for notice in (
        "Page not found | Halden Herald",
        "Error 404 - Not Found",
        "404 Not Found",
        "Not Found",
        "The page you requested does not exist",
    ):
        assert _NOT_FOUND.search(notice), notice
    for news in (
        "404 migrants rescued off Libya",
        "Not found guilty: jury clears officer",
        "Not Found: The 43 Students",
        "Not found yet: missing hiker",
    ):
        assert not _NOT_FOUND.search(news), news


def test_a_run_told_to_stop_stops_its_fetches_at_once(web: FakeWeb, tmp_path: Path) -> None:
    """A cancelled API job had held its worker, and its connections, until every fetch
    timed out (a page that trickles in takes the whole 3 s total here)."""
    import threading

    from service import stopping

    told = threading.Event()
    threading.Timer(0.3, told.set).start()
    started = time.monotonic()
    with stopping.stopping_on(told), pytest.raises(stopping.RunStopped):
        collect([web.url("/slow-drip"), web.url("/slow-drip?n=2")], settings=web_settings(tmp_path))
    assert time.monotonic() - started < 1.5


def test_a_failed_input_is_listed_once() -> None:
    """A page given directly and linked from a feed is fetched once; it was listed twice."""
    from service.models import InputFailure
    from service.web.collector import _listed_once

    direct = InputFailure(input="https://x.test/a", reason="http_404", detail="gone")
    via_feed = InputFailure(
        input="https://x.test/a", reason="http_404", detail="gone (from the feed f)"
    )
    other = InputFailure(input="https://x.test/b", reason="timeout", detail="slow")
    assert _listed_once([direct, other, via_feed]) == [direct, other]


def test_an_address_that_is_a_name_is_not_called_a_scheme_address(tmp_path: Path) -> None:
    """A feed entry's id "urn:1" had been refused as "urn:// addresses are never
    fetched", an address no one wrote; it is no web address at all."""
    inputs = ["urn:1", "mailto:desk@news.example", "ftp://news.example/a"]
    collected = collect(inputs, settings=web_settings(tmp_path))
    said = {f.input: f.detail for f in collected.failures}
    assert said["urn:1"].startswith("not a web address: a urn: name points to no page")
    assert "give the story's http(s):// link" in said["urn:1"]
    assert "mailto://" not in said["mailto:desk@news.example"]
    assert said["ftp://news.example/a"].startswith("ftp:// addresses are never fetched")
    assert set(_reasons(collected).values()) == {"blocked_address"}


def test_an_entry_the_run_had_no_time_for_is_read_from_its_text_in_the_feed(
    web: FakeWeb, tmp_path: Path
) -> None:
    """A saved feed's entry whose page was still loading when the run's time ran out was
    lost with the text the feed carried for it; one with only a teaser is still reported."""
    story = " ".join(f"word{n}" for n in range(60))
    slow = FeedEntry(web.url("/slow-headers"), "Slow", None, None, "Ledger", own_text=story)
    teaser = FeedEntry(web.url("/slow-headers?n=2"), "Teaser", None, text=None, source=None)
    settings = web_settings(
        tmp_path, web_read_timeout_s=10.0, web_total_timeout_s=10.0, web_run_timeout_s=1.0
    )
    collected = collect([], settings=settings, entries=[("f.xml", slow), ("f.xml", teaser)])
    [article] = collected.articles
    assert article.url == web.url("/slow-headers") and "word59" in article.text
    assert _reasons(collected) == {
        web.url("/slow-headers"): "read_from_feed",
        web.url("/slow-headers?n=2"): "run_timeout",
    }
    assert "not fetched within the run's 1 s" in collected.failures[0].detail


def test_a_fetched_feeds_entries_left_by_the_run_are_read_from_their_text() -> None:
    """Those of a fetched feed too, and only the others are named as not read."""
    from service.web.collector import _Run

    feed = "https://news.example/feed.xml"
    story = " ".join(f"word{n}" for n in range(60))
    slow = FeedEntry("https://news.example/a", "Slow", None, None, None, own_text=story)
    teaser = FeedEntry("https://news.example/b", "Teaser", None, text=None, source=None)
    run = _Run(None, web_settings(Path("unused")), None, lambda *_: None)  # type: ignore[arg-type]
    run.feeds_open[feed] = ([slow, teaser], [])
    [article], failures = run.out_of_time(feed, 2.0)
    assert article.url == "https://news.example/a"
    assert [(f.input, f.reason) for f in failures] == [
        ("https://news.example/a", "read_from_feed"),
        (feed, "run_timeout"),
    ]
    assert "1 of its entries were read" in failures[1].detail
    assert failures[1].detail.count("not read: https://news.example/b;") == 1
