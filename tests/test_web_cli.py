"""`digest summarize` with URLs and feeds next to files: failures warned and kept in the Digest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.config import get_settings
from service.models import Digest
from tests.fake_web_server import FakeWeb
from tests.stories import STRIKE_A

runner = CliRunner()


@pytest.fixture
def web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeb]:
    monkeypatch.setenv("DIGEST_WEB_ALLOWLIST", "127.0.0.1")
    monkeypatch.setenv("DIGEST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DIGEST_WEB_TOTAL_TIMEOUT_S", "5")
    get_settings.cache_clear()
    with FakeWeb() as server:
        yield server
    get_settings.cache_clear()


def test_urls_and_a_file_make_one_digest(web: FakeWeb, tmp_path: Path) -> None:
    strike = tmp_path / "strike.jsonl"
    strike.write_text(json.dumps({"id": "s1", "title": "Strike", "text": STRIKE_A}) + "\n")
    args = [web.url("/article"), web.url("/boilerplate"), web.url("/missing"), str(strike)]
    result = runner.invoke(app, ["summarize", *args, "-f", "json", "-q"])
    assert result.exit_code == 0, result.output
    assert f"warning: {web.url('/missing')}: the page was not found" in result.stderr
    assert "[http_404]" in result.stderr
    digest = Digest.model_validate_json(result.stdout)
    assert [(f.input, f.reason) for f in digest.failures] == [(web.url("/missing"), "http_404")]
    assert not any("/missing" in w for w in digest.warnings)  # said once, as a failure
    assert len(digest.articles) == 3
    tram = next(c for c in digest.clusters if "tram" in c.title.lower())
    assert {s.source for s in tram.sources} == {"Riverside Gazette", "Harbour Post"}
    assert {s.url for s in tram.sources} == {web.url("/article"), web.url("/boilerplate")}


def test_a_feed_with_a_window(web: FakeWeb) -> None:
    result = runner.invoke(
        app, ["summarize", web.url("/feed.rss"), "--since", "24h", "-f", "json", "-q"]
    )
    assert result.exit_code == 0, result.output
    digest = Digest.model_validate_json(result.stdout)
    assert {a.url for a in digest.articles} == {web.url("/article"), web.url("/storm")}
    assert digest.failures == [] and web.hits["/old-news"] == 0


def test_nothing_readable_exits_2_with_the_reasons(web: FakeWeb) -> None:
    args = ["summarize", web.url("/empty"), "file:///etc/passwd", "http://10.0.0.1/"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "no_article_text" in result.stderr and result.stderr.count("blocked_address") == 2
    assert "no article could be read" in result.stderr
    assert web.hits["/empty"] == 1


def test_a_bad_window_is_refused_before_fetching(web: FakeWeb) -> None:
    result = runner.invoke(app, ["summarize", web.url("/feed.rss"), "--since", "yesterday"])
    assert result.exit_code == 2 and "invalid time window" in result.stderr
    assert web.total == 0


def test_a_file_of_invalid_records_does_not_stop_the_urls(web: FakeWeb, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x", "text": "  "}\nnot json\n')
    args = ["summarize", str(broken), web.url("/article"), "--skip-invalid", "-f", "json", "-q"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert web.hits["/article"] == 1
    digest = Digest.model_validate_json(result.stdout)
    assert [a.url for a in digest.articles] == [web.url("/article")]
    assert "broken.jsonl" in result.stderr  # why the file gave nothing is still said
