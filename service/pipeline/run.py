"""The pipeline, in order: clean -> dedup -> embed -> cluster -> summarize -> Digest.

This is the only place the stages are put in order. Every front door (CLI,
HTTP API, Slack) calls `digest()`; none of them reaches into a stage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from service.backends.embedders import Embedder, get_embedder
from service.backends.summarizers.base import Summarizer
from service.backends.summarizers.registry import get_summarizer
from service.config import Settings, get_settings
from service.errors import EmptyInputError
from service.models import Article, Cluster, Digest, InputFailure, Source, Summary
from service.pipeline.cluster import central_index, cluster_articles
from service.pipeline.dedup import drop_duplicates

ProgressCallback = Callable[[str, int, int], None]
"""Called as (stage, done, total) while a digest is made."""

_CLUSTER_TEXT_CHARS = 1200


class DigestOptions(BaseModel):
    """What the caller may choose per digest; defaults come from the settings."""

    model_config = ConfigDict(extra="forbid")

    backend: str | None = Field(default=None, description="'extractive' or a litellm model.")
    max_words: int | None = Field(default=None, ge=20, le=1000)
    cluster_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    one_story: bool = Field(default=False, description="Treat all articles as one story.")
    dedup: bool = True


def _noop(stage: str, done: int, total: int) -> None:
    return None


def cluster_text(article: Article) -> str:
    """What an article is clustered on: its title and lead."""
    return f"{article.title}\n{article.text[:_CLUSTER_TEXT_CHARS]}"


def _sources(articles: list[Article]) -> list[Source]:
    return [
        Source(
            number=n,
            article_id=a.id,
            title=a.title,
            source=a.outlet,
            url=a.url,
            published_at=a.published_at,
        )
        for n, a in enumerate(articles, start=1)
    ]


def _summarize_all(
    summarizer: Summarizer,
    stories: list[list[Article]],
    max_words: int,
    concurrency: int,
    progress: ProgressCallback,
) -> list[Summary]:
    """Summaries in story order; up to `concurrency` stories at once, progress as each ends."""
    summaries: list[Summary | None] = [None] * len(stories)
    progress("summarize", 0, len(stories))
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(stories)))) as pool:
        futures = {
            pool.submit(summarizer.summarize, story, max_words=max_words): index
            for index, story in enumerate(stories)
        }
        for done, future in enumerate(as_completed(futures), start=1):
            summaries[futures[future]] = future.result()
            progress("summarize", done, len(stories))
    return [s for s in summaries if s is not None]


def digest(
    articles: Sequence[Article],
    options: DigestOptions | None = None,
    *,
    embedder: Embedder | None = None,
    summarizer: Summarizer | None = None,
    progress: ProgressCallback = _noop,
    failures: Sequence[InputFailure] = (),
    settings: Settings | None = None,
) -> Digest:
    """Cluster articles into stories and write one neutral cited summary per story.

    `failures` are inputs the caller could not turn into articles (a URL that did not
    load, say); they are reported in the Digest, never dropped silently. `progress`
    may raise to cancel the run between stages or stories.
    """
    options = options or DigestOptions()
    settings = settings or get_settings()
    if not articles:
        raise EmptyInputError("no articles given", hint="pass at least one article with text")
    backend = options.backend or settings.backend
    max_words = options.max_words or settings.max_words
    threshold = (
        options.cluster_threshold
        if options.cluster_threshold is not None
        else settings.cluster_threshold
    )
    embedder = embedder or get_embedder(
        settings.embedding_model,
        api_base=settings.embedding_api_base,
        api_key=settings.embedding_api_key,
    )
    summarizer = summarizer or get_summarizer(backend, embedder=embedder, settings=settings)

    kept = drop_duplicates(list(articles)) if options.dedup else list(articles)
    progress("dedup", len(articles), len(articles))

    progress("embed", 0, len(kept))
    vectors = embedder.encode([cluster_text(a) for a in kept])
    progress("embed", len(kept), len(kept))

    if options.one_story:
        groups = [list(range(len(kept)))]
    else:
        groups = cluster_articles(vectors, [f"{a.title}\n{a.text}" for a in kept], threshold)
    clusters: list[Cluster] = []
    progress("summarize", 0, len(groups))
    for number, members in enumerate(groups, start=1):
        story = [kept[i] for i in members]
        title = kept[central_index(vectors, members)].title
        summary = summarizer.summarize(story, max_words=max_words)
        clusters.append(
            Cluster(
                id=f"c{number}",
                title=title,
                article_ids=[a.id for a in story],
                sources=_sources(story),
                summary=summary,
            )
        )
        progress("summarize", number, len(groups))

    return Digest(
        created_at=datetime.now(UTC),
        clusters=clusters,
        articles=kept,
        failures=list(failures),
        options={
            "backend": backend,
            "max_words": max_words,
            "cluster_threshold": threshold,
            "one_story": options.one_story,
            "dedup": options.dedup,
            "embedding_model": embedder.name,
        },
    )
