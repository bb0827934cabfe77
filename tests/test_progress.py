"""Long pipeline stages report progress as they go, not only at their start and end."""

from __future__ import annotations

import threading
import time

import pytest

from service.backends.summarizers.extractive import ExtractiveSummarizer
from service.pipeline.ingest import load_paths
from service.pipeline.run import ARTICLES_PER_EMBED_STEP, PROGRESS_STEPS, digest
from service.pipeline.sentences import split_sentences
from service.pipeline.verify import remembering
from tests.conftest import EXAMPLE


def test_embedding_stages_report_progress_step_by_step(embedder, tmp_path) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()[:60]
    sample = tmp_path / "forty.jsonl"
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")
    articles = list(load_paths([sample]).articles)
    reports: dict[str, list[tuple[int, int]]] = {}

    def record(stage: str, done: int, total: int) -> None:
        reports.setdefault(stage, []).append((done, total))

    result = digest(articles, embedder=embedder, progress=record)

    assert result.clusters
    for stage in ("embed", "sentences"):
        done = [d for d, _ in reports[stage]]
        totals = {t for _, t in reports[stage]}
        assert totals == {len(articles)}
        assert done == sorted(done) and done[0] == 0 and done[-1] == len(articles)
    # steps, not just 0 and the total: article texts in a few large steps, sentences in 20
    step = ARTICLES_PER_EMBED_STEP
    assert [d for d, _ in reports["embed"]] == [0, step, 2 * step, len(articles)]
    # 20 steps, cut at each story's end too: a story is summarized once its sentences are in
    steps = len({d for d, _ in reports["sentences"]})
    assert PROGRESS_STEPS + 1 <= steps <= PROGRESS_STEPS + len(result.clusters) + 1


class _Recorded:
    """The real embedder (through the session's memo of its vectors), recording which texts
    the pipeline asks it for, and able to hold one text back until an event is set."""

    def __init__(self, inner, hold: str | None = None, until: threading.Event | None = None):
        self.inner, self.name = inner, inner.name
        self.hold, self.until = hold, until
        self.calls: list[list[str]] = []
        self.held_in_time: bool | None = None

    def encode(self, texts: list[str]):
        self.calls.append(list(texts))
        if self.hold is not None and self.until is not None and self.hold in texts:
            self.held_in_time = self.until.wait(timeout=30)
        return remembering(self.inner).encode(texts)  # vectors from the session's memo


@pytest.fixture(scope="module")
def plain_digest(embedder, tmp_path_factory) -> tuple[list, object]:
    """The 60-article sample and its digest when nothing is held or slowed."""
    articles = _stories(tmp_path_factory.mktemp("plain"))
    return articles, digest(articles, embedder=embedder)


def _stories(tmp_path, count: int = 60) -> list:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()[:count]
    sample = tmp_path / "sample.jsonl"
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return list(load_paths([sample]).articles)


def test_later_stories_are_embedded_while_the_first_is_summarized(embedder, plain_digest) -> None:
    """The extractive backend writes story 1 while the model embeds the sentences of the
    stories after it: the last story's first sentence is held back until story 1's summary
    has begun, and the run still ends, with the same digest as when nothing is held."""
    articles, plain = plain_digest
    last = next(a for a in articles if a.id == plain.clusters[-1].article_ids[0])
    first_story = set(plain.clusters[0].article_ids)
    summarizing = threading.Event()

    def record(stage: str, done: int, total: int) -> None:
        if stage == "sentences" and done >= len(first_story):  # story 1 is summarized next
            summarizing.set()

    held = _Recorded(embedder, hold=split_sentences(last.id, last.text)[0].text, until=summarizing)
    result = digest(articles, embedder=held, progress=record)

    assert held.held_in_time is True  # embedding up front would have waited in vain
    assert [c.summary for c in result.clusters] == [c.summary for c in plain.clusters]


def test_an_embedding_error_of_a_later_story_ends_the_run(embedder, tmp_path) -> None:
    """An error in the embedding thread reaches the caller (no hang, no partial digest)."""
    articles = _stories(tmp_path, 30)

    class Failing(_Recorded):
        def encode(self, texts: list[str]):
            if len(self.calls) >= 3:
                raise RuntimeError("the embedding server went away")
            return super().encode(texts)

    with pytest.raises(RuntimeError, match="went away"):
        digest(articles, embedder=Failing(embedder))


def test_progress_that_raises_stops_the_embedding_ahead(embedder, tmp_path) -> None:
    """A cancelled job (its progress raises) leaves no sentences embedding behind it."""
    articles = _stories(tmp_path, 30)
    recorded = _Recorded(embedder)

    def cancel(stage: str, done: int, total: int) -> None:
        if stage == "summarize" and done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        digest(articles, embedder=recorded, progress=cancel)
    calls = len(recorded.calls)
    time.sleep(0.5)
    assert len(recorded.calls) == calls  # nothing queued ran after the cancellation


def test_the_embedding_runs_only_so_far_ahead_of_the_summaries(
    embedder, plain_digest, monkeypatch
) -> None:
    """The sentences of articles far ahead are not embedded yet: in a digest of thousands of
    articles their vectors would push the current story's out of the memo before it is read."""
    from service.pipeline import run

    articles, plain = plain_digest
    monkeypatch.setattr(run, "EMBED_AHEAD_ARTICLES", 4)  # one article a step, four ahead
    read = [0]
    leads: list[int] = []

    class Ahead(_Recorded):
        def encode(self, texts: list[str]):
            if threading.current_thread() is not threading.main_thread():
                leads.append(len(leads) + 1 - read[0])  # articles embedded minus articles read
            return super().encode(texts)

    def record(stage: str, done: int, total: int) -> None:
        if stage == "sentences":
            read[0] = done

    class Slow(ExtractiveSummarizer):
        """The extractive backend, slower than the model: the thread could run far ahead."""

        def summarize(self, story, **kwargs):
            time.sleep(0.3)
            return super().summarize(story, **kwargs)

    ahead = Ahead(embedder)
    result = digest(articles, embedder=ahead, summarizer=Slow(remembering(ahead)), progress=record)

    assert len(leads) == len(articles) and max(leads) <= 4 + 1
    assert [c.summary for c in result.clusters] == [c.summary for c in plain.clusters]
