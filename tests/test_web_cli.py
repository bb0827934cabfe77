"""`digest summarize` with URLs and feeds next to files: failures warned and kept in the Digest."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.config import get_settings
from service.models import Digest
from tests.fake_web_server import FIXTURES, FakeWeb
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


def test_a_feed_with_nothing_new_in_the_window_exits_4_not_2(web: FakeWeb, tmp_path: Path) -> None:
    """An hourly job got status 2, a failure, for a quiet hour: the feed's newest entry is an
    hour old, and the window 30 minutes."""
    kept = tmp_path / "digest.md"
    kept.write_text("the last hour's digest\n")
    args = ["summarize", web.url("/feed.rss"), "--since", "30m", "-q", "-o", str(kept)]
    result = runner.invoke(app, args)
    assert result.exit_code == 4, result.output
    assert "nothing new: no feed has an entry of the last 30m" in " ".join(result.stderr.split())
    assert "error" not in result.stderr and kept.read_text() == "the last hour's digest\n"
    # a feed that cannot be read, beside it, is a failure as before
    result = runner.invoke(app, [*args[:-2], web.url("/missing")])
    assert result.exit_code == 2 and "no article could be read" in result.stderr


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


def test_a_saved_page_and_a_saved_feed_are_read_as_their_urls_would_be(
    web: FakeWeb, tmp_path: Path
) -> None:
    """A page or a feed kept as a file is no plain-text article ("<html><head>..." as its
    headline); a saved feed's linked entries are fetched like URLs the user gave."""
    page = tmp_path / "storm.html"
    page.write_bytes((FIXTURES / "storm.html").read_bytes())
    feed = tmp_path / "city.xml"
    body = (FIXTURES / "feed.rss").read_text().replace("$base", web.base)
    feed.write_text(body.replace("$recent_rfc822", "").replace("$old_rfc822", ""))
    result = runner.invoke(app, ["summarize", str(page), str(feed), "-f", "json", "-q"])
    assert result.exit_code == 0, result.output
    digest = Digest.model_validate_json(result.stdout)
    titles = {a.title for a in digest.articles}
    assert not any("<" in t for t in titles)
    urls = {a.url for a in digest.articles}
    assert page.resolve().as_uri() in urls  # the page, read from the file
    assert web.url("/article") in urls and web.hits["/article"] == 1  # a linked entry
    # its relative link "storm" resolves against the site the channel names, not the
    # folder (it read "file://tmp/storm" and was refused)
    assert web.hits["/storm"] == 1  # (its article is the saved page's: folded as a copy)
    assert [f.input for f in digest.failures] == [web.url("/old-news")]
    # read as the fetched feed's entries are: a failure says it came from the feed
    assert digest.failures[0].detail.endswith(f"(from the feed {feed})")
    # a saved feed that names no site cannot resolve it: said, with what to do
    feed.write_text(feed.read_text().replace(f"<link>{web.base}/</link>", ""))
    result = runner.invoke(app, ["summarize", str(feed), "-f", "json", "-q"])
    failures = {f.reason: f for f in Digest.model_validate_json(result.stdout).failures}
    assert (
        failures["relative_link"].input
        == f"{feed} (Storm closes coastal ferry routes for two days)"
    )
    assert "give the feed's web address" in failures["relative_link"].detail


def test_a_saved_feed_of_nothing_readable_says_so(tmp_path: Path) -> None:
    feed = tmp_path / "empty.rss"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
    )
    result = runner.invoke(app, ["summarize", str(feed), "-q"])
    assert result.exit_code == 2
    assert "the feed has no entries" in result.stderr and "no_entries" in result.stderr


def test_only_a_file_that_opens_as_a_page_or_feed_is_read_as_one(tmp_path: Path) -> None:
    from service.web.saved import saved_kind

    html5 = tmp_path / "a.html"
    html5.write_text("<!DOCTYPE html><meta charset=utf-8><title>Storm</title><p>Text")
    feed = tmp_path / "b.xml"
    feed.write_text('<?xml version="1.0"?>\n<!-- saved -->\n<rss version="2.0"></rss>')
    story = tmp_path / "c.txt"
    story.write_text("Publishers moved their <rss> feeds and <html> pages to the new host.")
    export = tmp_path / "d.jsonl"
    export.write_text('{"text": "A story.", "raw_html": "<html><body>x</body></html>"}\n')
    assert [saved_kind(p) for p in (html5, feed, story, export)] == ["html", "feed", None, None]


def test_a_page_or_a_feed_piped_in_is_read_as_its_saved_file_would_be(web: FakeWeb) -> None:
    """Piped in, a feed had been one article titled with its XML, and a page one titled
    with its menu."""
    body = (FIXTURES / "feed.rss").read_text().replace("$base", web.base)
    feed = body.replace("$recent_rfc822", "").replace("$old_rfc822", "")
    result = runner.invoke(app, ["summarize", "-", "-f", "json", "-q"], input=feed)
    assert result.exit_code == 0, result.output
    digest = Digest.model_validate_json(result.stdout)
    assert web.url("/article") in {a.url for a in digest.articles}  # a linked entry, fetched
    assert not any("<" in a.title for a in digest.articles)
    page = (FIXTURES / "storm.html").read_text()
    result = runner.invoke(app, ["summarize", "-", "-f", "json", "-q"], input=page)
    assert result.exit_code == 0, result.output
    (article,) = Digest.model_validate_json(result.stdout).articles
    assert "<" not in article.title and "Storm" in article.title
    assert article.url is None  # not the file it was kept in for the run
    again = runner.invoke(app, ["summarize", "-", "-f", "json", "-q"], input=page)
    assert Digest.model_validate_json(again.stdout).articles[0].id == article.id  # each run
    empty = "<html><head><title>x</title></head><body><nav>Home</nav></body></html>"
    nothing = runner.invoke(app, ["summarize", "-", "-q"], input=empty)
    assert nothing.exit_code == 2 and "stdin" in nothing.stderr
    assert "digest-stdin-" not in nothing.stderr  # not the run's scratch file
    plain = runner.invoke(app, ["summarize", "-", "-q"], input=STRIKE_A)
    assert plain.exit_code == 0 and plain.stdout.startswith("# Digest: 1 story from 1 article")


def test_a_saved_atom_feed_reads_the_entries_text_where_their_links_cannot_be(
    web: FakeWeb, tmp_path: Path
) -> None:
    """A saved Atom file of entries carrying their stories gave no article: an entry with
    no <link> was fetched at its id ("urn:// addresses are never fetched"), and one whose
    link failed was lost with the text the feed held for it."""
    feed = tmp_path / "notes.atom"
    feed.write_text((FIXTURES / "notes.atom").read_text().replace("$base", web.base))
    result = runner.invoke(app, ["summarize", str(feed), "-f", "json", "-q"])
    assert result.exit_code == 0, result.output
    digest = Digest.model_validate_json(result.stdout)
    by_title = {a.title: a for a in digest.articles}
    assert by_title["Ferry timetable cut for the spring"].source == "Lakeside Ledger"
    reservoir = by_title["Reservoir levels back to normal after wet winter"]
    assert reservoir.url == web.url("/missing") and "spillway" in reservoir.text
    assert web.hits["/article"] == 1  # a link that works is read from its page
    assert web.url("/article") in {a.url for a in digest.articles}
    assert "nine stops" not in " ".join(a.text for a in digest.articles)  # not the feed's
    reasons = {f.input: f.reason for f in digest.failures}
    assert reasons == {  # what was read from the feed is no input "not read"
        web.url("/old-news"): "http_404",  # only a teaser: not read from the feed
        str(feed): "entry_without_link",
    }
    [note] = [w for w in digest.warnings if w.startswith(web.url("/missing"))]
    assert "were read instead" in note
    warned = f"warning: {web.url('/missing')}: the page was not found (HTTP 404)"
    assert warned in result.stderr and result.stderr.count("were read instead") == 1
    assert "urn" not in result.stderr


def test_a_page_cache_that_cannot_be_opened_is_warned_as_every_warning_is(
    web: FakeWeb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no logging set up (the CLI's case), it was printed bare: "no page cache in"."""
    monkeypatch.setenv("DIGEST_DATA_DIR", "/dev/null/data")  # under a file: cannot be made
    get_settings.cache_clear()
    with monkeypatch.context() as bare:
        for name in ("", "service", "service.web.cache"):  # pytest's handlers, an API test's
            bare.setattr(logging.getLogger(name), "handlers", [])
        result = runner.invoke(app, ["summarize", web.url("/article"), "-q"])
    assert result.exit_code == 0, result.output
    assert "warning: no page cache in /dev/null/data" in result.stderr
    assert "point DIGEST_DATA_DIR at a writable folder" in result.stderr


def test_a_piped_feeds_entry_that_links_nowhere_is_named_stdin(web: FakeWeb) -> None:
    """Its article pointed at the run's scratch file (/tmp/digest-stdin-.../stdin.xml),
    deleted when the run ended, and its id changed with it each run."""
    feed = (FIXTURES / "notes.atom").read_text().replace("$base", web.base)
    ids = []
    for _ in range(2):
        result = runner.invoke(app, ["summarize", "-", "-f", "json", "-q"], input=feed)
        assert result.exit_code == 0, result.output
        digest = Digest.model_validate_json(result.stdout)
        [ferry] = [a for a in digest.articles if a.title.startswith("Ferry timetable")]
        assert ferry.url is None and "digest-stdin-" not in result.stdout
        ids.append(ferry.id)
    assert ids[0] == ids[1]
