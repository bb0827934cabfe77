"""SSRF policy, allowlist parsing, URL finding and time windows: no network at all."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from service.config import Settings
from service.errors import ConfigError, InputError
from service.web import find_urls, looks_like_url, parse_since
from service.web.addresses import Policy, canonical_url
from service.web.failures import FetchFailure


def _reason(policy: Policy, url: str) -> str | None:
    try:
        policy.check_url(url)
    except FetchFailure as failure:
        assert failure.detail
        return failure.reason
    return None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.8.9.10:8080/x",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://0.0.0.0/",
        "http://224.0.0.1/",  # multicast
        "http://255.255.255.255/",
        "http://240.0.0.1/",  # reserved
        "http://[::1]/",
        "http://[::]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[ff02::1]/",
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
        "http://[2002:a00:1::1]/",  # 6to4 around 10.0.0.1
        "http://[64:ff9b::a00:1]/",  # NAT64 around 10.0.0.1
        "file:///etc/passwd",
        "ftp://example.com/file",
        "gopher://example.com/",
        "javascript:alert(1)",
        "data:text/html,<p>hi</p>",
    ],
)
def test_internal_addresses_and_other_schemes_are_refused(url: str) -> None:
    assert _reason(Policy(), url) == "blocked_address"


@pytest.mark.parametrize("url", ["", "not a url", "http://", "https:///path", "www.example.com"])
def test_invalid_urls(url: str) -> None:
    assert _reason(Policy(), url) == "invalid_url"


@pytest.mark.parametrize(
    "url", ["http://93.184.216.34/", "https://[2606:4700:4700::1111]/", "https://example.com/a?b=1"]
)
def test_public_addresses_pass_the_static_check(url: str) -> None:
    assert _reason(Policy(), url) is None


def test_allowlist_networks_and_names() -> None:
    policy = Policy.from_allowlist(["10.0.0.0/8", "[::1]", "Intranet.Example", "*.corp.example"])
    assert _reason(policy, "http://10.1.2.3/") is None
    assert _reason(policy, "http://[::1]:8000/") is None
    assert _reason(policy, "http://192.168.0.1/") == "blocked_address"
    assert policy.host_allowed("intranet.example") and policy.host_allowed("news.corp.example")
    assert not policy.host_allowed("corp.example.evil.com")
    assert not policy.host_allowed("evilcorp.example")


@pytest.mark.parametrize("entry", ["http://x", "a b", "10.0.0.0/33", "-bad-.example"])
def test_invalid_allowlist_entries_name_the_setting(entry: str) -> None:
    with pytest.raises(ConfigError, match="DIGEST_WEB_ALLOWLIST"):
        Policy.from_allowlist([entry])


def _answers(*addresses: str):  # type: ignore[no-untyped-def]
    async def resolver(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolver


def _resolve(policy: Policy, host: str) -> list[str] | str:
    try:
        return asyncio.run(policy.resolve(host, 80))
    except FetchFailure as failure:
        return failure.reason


def test_resolved_addresses_are_checked_not_the_name() -> None:
    assert _resolve(Policy(resolver=_answers("10.0.0.7")), "innocent.example") == "blocked_address"
    mixed = Policy(resolver=_answers("10.0.0.7", "93.184.216.34"))
    assert _resolve(mixed, "mixed.example") == ["93.184.216.34"]  # only the public one is used
    mapped = Policy(resolver=_answers("::ffff:169.254.169.254"))
    assert _resolve(mapped, "meta.example") == "blocked_address"
    named = Policy.from_allowlist(["intranet.example"], resolver=_answers("10.0.0.7"))
    assert _resolve(named, "intranet.example") == ["10.0.0.7"]


def test_unresolvable_host_is_a_connection_error() -> None:
    async def failing(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    assert _resolve(Policy(resolver=failing), "nowhere.invalid") == "connection_error"


def test_allowlist_setting_takes_commas_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_WEB_ALLOWLIST", "127.0.0.1, Intranet.Example ,")
    assert Settings().web_allowlist == ["127.0.0.1", "intranet.example"]
    monkeypatch.setenv("DIGEST_WEB_ALLOWLIST", '["10.0.0.0/8"]')
    assert Settings().web_allowlist == ["10.0.0.0/8"]
    monkeypatch.delenv("DIGEST_WEB_ALLOWLIST")
    assert Settings().web_allowlist == []


def test_find_urls_in_free_text_and_slack_markup() -> None:
    text = (
        "Read <https://news.example/a?id=1|the council story> and https://other.example/b. "
        "Also (https://third.example/c), again https://news.example/a?id=1 "
        "but not ftp://files.example/x or <mailto:someone@example.com|mail>."
    )
    assert find_urls(text) == [
        "https://news.example/a?id=1",
        "https://other.example/b",
        "https://third.example/c",
    ]
    assert find_urls("no links here") == []


def test_looks_like_url() -> None:
    assert looks_like_url("https://x.example/") and looks_like_url("file:///etc/passwd")
    assert not looks_like_url("articles.jsonl") and not looks_like_url("-")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", timedelta(hours=24)),
        ("30m", timedelta(minutes=30)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1h30m", timedelta(minutes=90)),
        ("90s", timedelta(seconds=90)),
    ],
)
def test_parse_since(text: str, expected: timedelta) -> None:
    assert parse_since(text) == expected


@pytest.mark.parametrize("text", ["", "24", "h", "yesterday", "5x", "0h", "-3h"])
def test_parse_since_refuses_other_forms(text: str) -> None:
    with pytest.raises(InputError, match="invalid time window"):
        parse_since(text)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example/a?utm_source=x&utm_medium=y", "https://news.example/a"),
        ("https://news.example/a#comments", "https://news.example/a"),
        (
            "https://news.example/a?b=2&utm_campaign=c&a=1&UTM_TERM=t&fbclid=f#top",
            "https://news.example/a?b=2&a=1",
        ),
        ("https://news.example/a?utm_content=z&gclid=g&id=%2F7", "https://news.example/a?id=%2F7"),
        ("https://news.example/a?b=2&a=1", "https://news.example/a?b=2&a=1"),  # order kept
        (
            "https://news.example/a?flag&x=&utm_sourcery=1",
            "https://news.example/a?flag&x=&utm_sourcery=1",
        ),
        ("https://News.Example:8443/A/b", "https://News.Example:8443/A/b"),  # nothing else changed
    ],
)
def test_canonical_url_drops_tracking_parameters_and_the_fragment(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_leaves_what_it_cannot_parse() -> None:
    assert canonical_url("http://[::1") == "http://[::1"
