"""Worker-side fakes for the scale-out tests: `DIGEST_WORKER_COMPONENTS` names `components`.

A Celery worker subprocess loads them through the real lookup path, so the real
tasks, stores and pipeline phases run around a fast hash embedder and the real
extractive summarizer, slowed by `TEST_SUMMARY_DELAY_S` per story, marking
each story it starts and ends in `TEST_WORKER_MARKS` (so a test can kill it mid-story),
and reporting `TEST_SUMMARY_TOKENS` prompt tokens per story (for the metrics).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from service.backends.embedders import Embedder
from service.backends.summarizers.base import Summarizer
from service.config import Settings
from service.models import Article, Summary, Usage
from tests.test_api_fakes import HashEmbedder, SlowSummarizer


class MarkingSummarizer(SlowSummarizer):
    """Appends 'start <first article id>' and 'end <id>' lines around each summary."""

    def __init__(self, delay_s: float, marks: Path | None) -> None:
        super().__init__(delay_s)
        self.marks = marks

    def summarize(self, articles: list[Article], *, max_words: int) -> Summary:
        self._mark("start", articles)
        summary = super().summarize(articles, max_words=max_words)
        self._mark("end", articles)
        tokens = int(os.environ.get("TEST_SUMMARY_TOKENS", "0"))  # as if an LLM had answered
        summary.usage = Usage(prompt_tokens=tokens, completion_tokens=tokens // 10)
        return summary

    def _mark(self, event: str, articles: list[Article]) -> None:
        if self.marks is not None:
            with self.marks.open("a") as out:
                out.write(f"{event} {articles[0].id}\n")


def components(settings: Settings) -> tuple[Embedder, Summarizer]:
    """Hash embedder and a slowed, marking extractive summarizer (set by the environment)."""
    marks = os.environ.get("TEST_WORKER_MARKS")
    return HashEmbedder(), MarkingSummarizer(
        float(os.environ.get("TEST_SUMMARY_DELAY_S", "0")), Path(marks) if marks else None
    )


def test_components_mark_each_story_they_summarize(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TEST_SUMMARY_DELAY_S", "0.01")
    monkeypatch.setenv("TEST_WORKER_MARKS", str(tmp_path / "marks"))
    embedder, summarizer = components(Settings())
    story = [
        Article(
            id="a1",
            title="Storm",
            text="A storm closed three ports on the coast on Tuesday. Ships waited offshore.",
        )
    ]
    assert embedder.encode(["a storm closed ports"]).shape == (1, 256)
    assert summarizer.summarize(story, max_words=40).sentences
    assert (tmp_path / "marks").read_text().split("\n") == ["start a1", "end a1", ""]
