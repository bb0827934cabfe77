"""Markdown rendering: notes stand apart from the sources, unread inputs are listed."""

from datetime import UTC, datetime

from service.models import Cluster, Digest, InputFailure, Source, Summary, SummarySentence
from service.pipeline.render import render_markdown


def _digest(notes: list[str], failures: list[InputFailure]) -> Digest:
    summary = Summary(
        sentences=[
            SummarySentence(text="Workers went on strike.", citations=[1], article_ids=["a"])
        ],
        backend="extractive",
        notes=notes,
    )
    cluster = Cluster(
        id="c1",
        title="Strike",
        article_ids=["a"],
        sources=[Source(number=1, article_id="a", title="Strike", url="https://x.example/a")],
        summary=summary,
    )
    return Digest(created_at=datetime.now(UTC), clusters=[cluster], articles=[], failures=failures)


def test_notes_are_a_block_of_their_own_before_the_sources() -> None:
    text = render_markdown(_digest(["the model failed; extractive fallback"], []))
    assert "Workers went on strike.[1]" in text
    assert "> the model failed; extractive fallback\n\n**Sources**" in text
    assert "1. [Strike](https://x.example/a)" in text


def test_an_empty_summary_shows_its_note_on_why() -> None:
    digest = _digest(["no summary: these articles hold no full sentence to quote"], [])
    digest.clusters[0].summary.sentences.clear()
    text = render_markdown(digest)
    assert "_No summary: the articles had no usable sentences._" in text
    assert "> no summary: these articles hold no full sentence to quote\n\n**Sources**" in text


def test_unread_inputs_are_listed_with_their_reason() -> None:
    failure = InputFailure(input="https://x.example/gone", reason="http_404", detail="not found")
    text = render_markdown(_digest([], [failure]))
    assert "## Not read" in text
    assert "- <https://x.example/gone>: not found (`http_404`)" in text
    assert "## Not read" not in render_markdown(_digest([], []))


def test_the_heading_counts_in_plain_english() -> None:
    assert render_markdown(_digest([], [])).startswith("# Digest: 1 story from 0 articles\n")


def test_input_text_is_shown_as_text_never_as_markdown() -> None:
    """A title with a newline added a heading, "[by](http://...)" a live link, and a URL
    with a space or parentheses broke its link; a "javascript:" URL is never a link."""
    digest = _digest([], [])
    cluster = digest.clusters[0]
    cluster.title = "Budget\n## Injected [by](http://evil.example)"
    cluster.sources = [
        Source(number=1, article_id="a", title="Odd *title*", url="https://x.example/a_(b)?q=1 y"),
        Source(number=2, article_id="b", title="Script", url="javascript:alert(1)"),
    ]
    cluster.summary.sentences[0].text = "Prices rose 5*3 _times_ over snake_case, a < b."
    text = render_markdown(digest)
    assert "## Budget ## Injected \\[by\\](http://evil.example)\n" in text
    assert text.count("\n## ") == 1
    assert "1. [Odd \\*title\\*](https://x.example/a_%28b%29?q=1%20y)" in text
    assert "2. Script\n" in text or text.rstrip().endswith("2. Script")
    assert "Prices rose 5\\*3 \\_times\\_ over snake_case, a < b.[1]" in text


def test_copies_folded_into_an_article_show_their_outlets() -> None:
    from service.models import Article, SourceRef

    digest = _digest([], [])
    kept = Article(
        id="a",
        text="Workers went on strike.",
        duplicates=[SourceRef(id="a2", source="Daily *Star*"), SourceRef(id="a3", title="Wire")],
    )
    digest.articles = [kept]
    assert "1. [Strike](https://x.example/a) (also: Daily \\*Star\\*, Wire)" in render_markdown(
        digest
    )
    # copies from the outlet the source already names are counted, not named again
    digest.clusters[0].sources[0].source = "Local Paper"
    kept.duplicates = [SourceRef(id="a2", source="Local Paper"), SourceRef(id="a3", source="Wire")]
    assert "Local Paper (also: Wire; 1 more copy)" in render_markdown(digest)
    kept.duplicates = [SourceRef(id="a2", source="Local Paper")] * 2
    assert "— Local Paper (2 more copies)" in render_markdown(digest)
    # a copy without an outlet, titled as the source is, is counted too
    kept.duplicates = [SourceRef(id="a2", title="Strike"), SourceRef(id="a3", title="Strike")]
    shown = render_markdown(digest)
    assert "— Local Paper (2 more copies)" in shown and "also: Strike" not in shown
    assert shown.startswith("# Digest: 1 story from 1 article (2 copies folded in)\n")


def test_a_source_title_that_reads_as_markdown_structure_stays_text() -> None:
    digest = _digest([], [])
    digest.clusters[0].sources = [Source(number=1, article_id="a", title="1. FC Köln win")]
    digest.clusters[0].title = "# Not a heading"
    bad_url = Source(number=2, article_id="b", title="Broken", url="https://[bad/story")
    digest.clusters[0].sources.append(bad_url)
    text = render_markdown(digest)
    assert "1. 1\\. FC Köln win\n" in text and "## \\# Not a heading" in text
    assert "2. Broken" in text  # an address that does not parse is no link, and no crash


def test_what_a_model_spent_is_counted_when_its_story_fell_back() -> None:
    from service.models import Usage
    from service.pipeline.render import llm_usage

    digest = _digest([], [])
    assert llm_usage(digest) is None  # the extractive summary spent nothing
    summary = digest.clusters[0].summary
    assert summary is not None
    digest.clusters[0].summary = summary.model_copy(
        update={"usage": Usage(prompt_tokens=1955, completion_tokens=40)}
    )
    assert llm_usage(digest) == "1,995 tokens (1,955 prompt, 40 answer) (no price known)"


def test_a_cost_no_price_is_known_for_is_said_so_not_summed_as_free() -> None:
    from service.models import Usage
    from service.pipeline.render import llm_usage

    digest = _digest([], [])
    summary = digest.clusters[0].summary
    assert summary is not None
    unknown = summary.model_copy(update={"usage": Usage(prompt_tokens=900, cost_usd=None)})
    digest.clusters[0].summary = unknown
    assert llm_usage(digest) == "900 tokens (900 prompt, 0 answer) (no price known)"
    priced = digest.clusters[0].model_copy(
        update={
            "summary": summary.model_copy(update={"usage": Usage(prompt_tokens=100, cost_usd=0.25)})
        }
    )
    digest.clusters.append(priced)
    assert llm_usage(digest) == (
        "1,000 tokens (1,000 prompt, 0 answer), $0.2500 and calls of no known price"
    )
