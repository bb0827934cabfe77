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
    assert "- https://x.example/gone: not found (`http_404`)" in text
    assert "## Not read" not in render_markdown(_digest([], []))


def test_the_heading_counts_in_plain_english() -> None:
    assert render_markdown(_digest([], [])).startswith("# Digest: 1 story from 0 articles\n")
