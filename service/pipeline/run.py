"""The pipeline, in order: clean -> dedup -> embed -> cluster -> summarize -> verify -> Digest.

This is the only place the stages are put in order. Every front door (CLI,
HTTP API, Slack) calls `digest()`; none of them reaches into a stage.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from functools import partial

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from service.backends.embedders import Embedder, get_embedder
from service.backends.summarizers.base import LENGTH_REASONS, Summarizer, is_cpu_bound
from service.backends.summarizers.extractive import headlines
from service.backends.summarizers.registry import EXTRACTIVE, get_summarizer
from service.config import Settings, get_settings
from service.errors import EmptyInputError
from service.models import (
    READ_ANYWAY,
    Article,
    Cluster,
    Digest,
    InputFailure,
    Source,
    Summary,
)
from service.pipeline.cluster import by_centrality, cluster_articles
from service.pipeline.dates import anchor_relative_days
from service.pipeline.dedup import drop_duplicates
from service.pipeline.sentences import split_sentences
from service.pipeline.titles import (
    heading_from_summary,
    shown_headline,
    shown_title,
    story_title,
)
from service.pipeline.verify import MemoEmbedder, Verifier, remembering, verifier_for

ProgressCallback = Callable[[str, int, int], None]
"""Called as (stage, done, total) while a digest is made."""

# The lead an article is clustered on. 1000 characters (~200 tokens) cluster the dev pools
# at least as well as 1200 (ECB+ 0.938 vs 0.936, Multi-News 0.904 vs 0.901, NeuS and the
# example equal; deterministic vectors, 2026-11-23), and the article pass is ~40 % of a
# digest's embedding time: attention grows with the square of the length.
_CLUSTER_TEXT_CHARS = 1000
PROGRESS_STEPS = 20  # long stages report progress up to this many times
ARTICLES_PER_EMBED_STEP = 25  # article texts are long: fewer, larger steps keep threads busy
# How far the sentence embedding may run ahead of the extractive summaries, in articles:
# their vectors must still be in the memo (`MemoEmbedder`, 50,000 texts) when a story reads them
EMBED_AHEAD_ARTICLES = 200


class DigestOptions(BaseModel):
    """What the caller may choose per digest; defaults come from the settings."""

    # strict: "50" and "yes" had been read as 50 and true, `true` as max_words 1
    model_config = ConfigDict(extra="forbid", strict=True)

    backend: str | None = Field(
        default=None, min_length=1, description="'extractive' or a litellm model."
    )
    max_words: int | None = Field(default=None, ge=20, le=1000)
    cluster_threshold: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)
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
            title=shown_title(shown_headline(a.title, a.text)),
            source=a.outlet,
            url=a.url,
            published_at=a.published_at,
        )
        for n, a in enumerate(articles, start=1)
    ]


def embed_sentences(
    memo: MemoEmbedder, articles: list[Article], progress: ProgressCallback = _noop
) -> None:
    """Embed every sentence and headline of `articles` into `memo`, each once, reporting
    ("sentences", articles done, total) as it goes.

    Why: the extractive summarizer, its support evidence and the verifier each ask for
    these vectors story by story; embedded up front, every one of their requests is
    answered from the memo. The local model embeds one text per run, so embedding a few
    articles at a time (for the progress bar) changes no vector.
    """
    for start, end in _steps(len(articles)):
        _embed_part(memo, articles[start:end])
        progress("sentences", end, len(articles))


def _embed_part(memo: MemoEmbedder, articles: list[Article]) -> None:
    """Embed the sentences and headlines of `articles` into `memo`, in one call."""
    memo.encode(
        [s.text for a in articles for s in split_sentences(a.id, a.text)] + headlines(articles)
    )


def _steps(total: int, smallest: int = 1) -> list[tuple[int, int]]:
    """[start, end) ranges cutting `total` items into up to PROGRESS_STEPS steps of at least
    `smallest` items, for progress. Each step ends with the encoder's threads waiting for
    the last text, so steps of few long texts would cost time."""
    size = max(-(-total // PROGRESS_STEPS), smallest, 1)
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def _summarize_all(
    summarizer: Summarizer,
    stories: list[list[Article]],
    max_words: int,
    concurrency: int,
    progress: ProgressCallback,
    verify: Callable[[Summary, list[Article]], Summary] | None = None,
) -> list[Summary]:
    """Summaries in story order; up to `concurrency` stories at once, progress as each ends.

    Each story is verified in the worker that summarized it, so verification runs
    concurrently too; with `concurrency` 1 everything runs in the calling thread.
    When `progress` raises (a cancelled job), stories not yet started are cancelled
    and the error propagates.
    """

    def one(story: list[Article]) -> Summary:
        summary = summarizer.summarize(story, max_words=max_words)
        return verify(summary, story) if verify else summary

    progress("summarize", 0, len(stories))
    if concurrency <= 1 or len(stories) <= 1:
        summaries: list[Summary] = []
        for done, story in enumerate(stories, start=1):
            summaries.append(one(story))
            progress("summarize", done, len(stories))
        return summaries
    return _summarize_in_threads(one, stories, concurrency, progress)


def _summarize_embedding_ahead(
    summarizer: Summarizer,
    stories: list[list[Article]],
    max_words: int,
    progress: ProgressCallback,
    finish: Callable[[Summary, list[Article]], Summary],
    memo: MemoEmbedder,
) -> list[Summary]:
    """A CPU-bound backend's summaries, in story order, written in the calling thread while
    one thread embeds the sentences of the stories after it.

    Why: the model runs outside the GIL and a story's summary is mostly Python, so the two
    overlap on the cores; embedding every sentence first and summarizing after left the
    cores half idle for the second part (~2 s of a 100-article run). The thread runs at most
    `EMBED_AHEAD_ARTICLES` ahead, so the vectors are still in the memo when read (all of a
    20,000-article digest's sentences would not fit). Progress is reported from this thread
    only, as the sentences of each step of articles are in and as each story ends; an error
    in either thread (or raised by `progress`) cancels what is queued.
    """
    total = sum(len(story) for story in stories)
    size = min(max(-(-total // PROGRESS_STEPS), 1), EMBED_AHEAD_ARTICLES // 4)
    parts = [  # (story index, articles), in story order
        (index, story[start : start + size])
        for index, story in enumerate(stories)
        for start in range(0, len(story), size)
    ]
    progress("sentences", 0, total)
    progress("summarize", 0, len(stories))
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed-ahead")
    queued: list[Future[None]] = []
    fed = read = 0  # articles handed to the thread, and articles whose vectors were read

    def feed() -> None:
        nonlocal fed
        while len(queued) < len(parts) and fed - read < EMBED_AHEAD_ARTICLES:
            part = parts[len(queued)][1]
            queued.append(pool.submit(contextvars.copy_context().run, _embed_part, memo, part))
            fed += len(part)

    try:
        summaries: list[Summary] = []
        step = 0
        for done, story in enumerate(stories, start=1):
            while step < len(parts) and parts[step][0] == done - 1:
                feed()  # reading up to here leaves this step queued
                queued[step].result()
                read += len(parts[step][1])
                step += 1
                progress("sentences", read, total)
            feed()  # the thread embeds ahead while this story is written
            summaries.append(finish(summarizer.summarize(story, max_words=max_words), story))
            progress("summarize", done, len(stories))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return summaries


def _summarize_in_threads(
    one: Callable[[list[Article]], Summary],
    stories: list[list[Article]],
    concurrency: int,
    progress: ProgressCallback,
) -> list[Summary]:
    """`one` over the stories on up to `concurrency` threads, results in story order."""
    summaries: list[Summary | None] = [None] * len(stories)
    pool = ThreadPoolExecutor(max_workers=min(concurrency, len(stories)))
    try:
        futures = {  # each in a copy of this context: a job's stop signal goes along
            pool.submit(contextvars.copy_context().run, one, story): index
            for index, story in enumerate(stories)
        }
        for done, future in enumerate(as_completed(futures), start=1):
            summaries[futures[future]] = future.result()
            progress("summarize", done, len(stories))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return [s for s in summaries if s is not None]


_NO_MODEL_ANSWERED = "no model answered"  # how llm.py's note starts when every call failed


def _fallback_warning(backend: str, summaries: list[Summary]) -> list[str]:
    """Digest-level lines when some stories were not written by the backend asked for, or
    lost most of the model's sentences to the verifier: each says what happened, and the
    first story's reason, so that a batch log shows it without the digest."""
    if backend == EXTRACTIVE:
        return []
    lines = (
        _stand_in_warning(backend, summaries),
        _gutted_warning(summaries),
        _extractive_warning(backend, summaries),
    )
    return [line for line in lines if line]


def _stand_in_warning(backend: str, summaries: list[Summary]) -> str | None:
    """A fallback model wrote some stories: said, not only in each story's notes."""
    stand_ins = sorted({s.backend for s in summaries} - {backend, EXTRACTIVE})
    if not stand_ins:
        return None
    written = [s for s in summaries if s.backend in stand_ins]
    why = next((r for s in written if (r := _main_model_reason(s, backend))), None)
    first = f"; the first: {why}" if why else ""
    return (
        f"{len(written)} of {len(summaries)} stories were written by {', '.join(stand_ins)} "
        f"instead of {backend} (each story's notes say why{first})"
    )


def _gutted_warning(summaries: list[Summary]) -> str | None:
    """A model that invents: its summaries are short, and only the notes said so. Named by
    the model that wrote them, a fallback model too."""
    gutted = [s for s in summaries if s.backend != EXTRACTIVE and _mostly_dropped(s)]
    if not gutted:
        return None
    writers = ", ".join(sorted({s.backend for s in gutted}))
    return (
        f"{len(gutted)} of {len(summaries)} stories lost more than half of the sentences "
        f"{writers} wrote: the verifier dropped them (unsupported by the articles they cite, "
        "or loaded wording); each story's dropped sentences say why"
    )


def _extractive_warning(backend: str, summaries: list[Summary]) -> str | None:
    """Stories the extractive backend wrote instead of the model, and whether the model was
    never reached (a bad key, a timeout, a refused connection: it had read as "gave no
    usable answer") or answered with nothing usable."""
    fell_back = [s for s in summaries if s.backend == EXTRACTIVE]
    if not fell_back:
        return None
    reasons = [_fallback_reason(s) or "" for s in fell_back]
    failed = sum(r.startswith(_NO_MODEL_ANSWERED) for r in reasons)
    if failed == len(fell_back):
        because = f"every call to {backend} (and to any fallback model) failed: no answer came back"
    elif not failed:
        because = (
            f"the answers of {backend} (and of any fallback model) could not be used (invalid, "
            "or no sentence the articles support)"
        )
    else:
        because = (
            f"every call to {backend} failed for {failed} of them, and its answers could not "
            "be used for the others"
        )
    why = next((r for r in reasons if r), None)
    first = f" (the first: {why})" if why else ""
    return (
        f"{len(fell_back)} of {len(summaries)} stories fell back to the extractive summary "
        f"because {because}; each story's notes say why{first}"
    )


def _main_model_reason(summary: Summary, backend: str) -> str | None:
    """The last note about `backend` ("<model> failed (...); <fallback> answered instead",
    "<model>'s repaired answer was invalid too (...)"): why a fallback model wrote it."""
    about = [n for n in summary.notes if n.startswith((f"{backend} ", f"{backend}'s "))]
    return about[-1] if about else None


def _mostly_dropped(summary: Summary) -> bool:
    """Whether the verifier dropped more of the model's sentences than it kept (sentences
    over the word budget or repeated are the model's length, not its faithfulness)."""
    rejected = [d for d in summary.dropped if not d.reason.startswith(LENGTH_REASONS)]
    return len(rejected) > len(summary.sentences)


def _fallback_reason(summary: Summary) -> str | None:
    """The note just before "fell back to ...": why the last model failed. Notes before it
    may be about something else (an article cut to fit the context window), and the first
    note had been reported as the reason when the model was unreachable."""
    for position, note in enumerate(summary.notes):
        if note.startswith("fell back to") and position:
            return summary.notes[position - 1]
    return None


class StoryPlan(BaseModel):
    """One story of a planned digest: its articles, not yet summarized."""

    id: str
    title: str
    article_ids: list[str]


class DigestPlan(BaseModel):
    """A digest cut into stories, before any summary: what queue workers fan out over.

    Serializable, so one worker can plan and others summarize one story each;
    `assemble` turns the plan and the summaries into the Digest `digest()` returns.
    """

    articles: list[Article]
    stories: list[StoryPlan]
    failures: list[InputFailure] = Field(default_factory=list)
    backend: str
    max_words: int
    cluster_threshold: float
    one_story: bool
    dedup: bool
    embedding_model: str

    def story(self, index: int) -> list[Article]:
        """The articles of story `index`, in plan order."""
        by_id = {a.id: a for a in self.articles}
        return [by_id[i] for i in self.stories[index].article_ids]


def plan_digest(
    articles: Sequence[Article],
    options: DigestOptions | None = None,
    *,
    embedder: Embedder | None = None,
    progress: ProgressCallback = _noop,
    failures: Sequence[InputFailure] = (),
    settings: Settings | None = None,
) -> DigestPlan:
    """Dedup, embed and cluster: the stories to summarize, without summaries."""
    options = options or DigestOptions()
    settings = settings or get_settings()
    if not articles:
        raise EmptyInputError("no articles given", hint="pass at least one article with text")
    threshold = (
        options.cluster_threshold
        if options.cluster_threshold is not None
        else settings.cluster_threshold
    )
    embedder = embedder or embedder_for(settings)

    progress("dedup", 0, len(articles))
    if options.dedup:  # 20,000 articles take half a minute: the bar moves as it goes
        kept = drop_duplicates(list(articles), on_progress=partial(progress, "dedup"))
    else:
        kept = list(articles)
    progress("dedup", len(articles), len(articles))

    progress("embed", 0, len(kept))
    parts = []
    for start, end in _steps(len(kept), smallest=ARTICLES_PER_EMBED_STEP):
        parts.append(embedder.encode([cluster_text(a) for a in kept[start:end]]))
        progress("embed", end, len(kept))
    vectors = np.vstack(parts)

    if options.one_story:
        groups = [list(range(len(kept)))]
    else:
        groups = cluster_articles(vectors, [f"{a.title}\n{a.text}" for a in kept], threshold)
    return DigestPlan(
        articles=kept,
        stories=[
            StoryPlan(
                id=f"c{number}",
                title=story_title(
                    [
                        shown_headline(kept[i].title, kept[i].text)
                        for i in by_centrality(vectors, members)
                    ]
                ),
                article_ids=[kept[i].id for i in members],
            )
            for number, members in enumerate(groups, start=1)
        ],
        failures=list(failures),
        backend=options.backend or settings.backend,
        max_words=options.max_words or settings.max_words,
        cluster_threshold=threshold,
        one_story=options.one_story,
        dedup=options.dedup,
        embedding_model=embedder.name,
    )


def embedder_for(settings: Settings) -> Embedder:
    """The embedder the settings name."""
    return get_embedder(
        settings.embedding_model,
        api_base=settings.embedding_api_base,
        api_key=settings.embedding_api_key,
        model_dir=settings.model_dir,
        threads=settings.embedding_threads,
    )


def story_writer(
    plan: DigestPlan,
    embedder: Embedder,
    *,
    summarizer: Summarizer | None = None,
    settings: Settings | None = None,
) -> Callable[[list[Article]], Summary]:
    """Summarize-then-verify for one story of `plan`; safe to call from several threads."""
    settings = settings or get_settings()
    # The summarizer and the verifier share one memo of sentence vectors: verifying costs
    # no second embedding of the cluster.
    memo = remembering(embedder)
    summarizer = summarizer or get_summarizer(plan.backend, embedder=memo, settings=settings)
    finish = finisher(verifier_for(memo), plan.max_words)

    def write(story: list[Article]) -> Summary:
        if is_cpu_bound(summarizer):
            embed_sentences(memo, story)
        return finish(summarizer.summarize(story, max_words=plan.max_words), story)

    return write


def finisher(verifier: Verifier, max_words: int) -> Callable[[Summary, list[Article]], Summary]:
    """What every written summary goes through: verification, then its relative days
    anchored to dates (after, since a date put in place of "today" is not written in the
    articles the verifier checks against)."""

    def finish(summary: Summary, story: list[Article]) -> Summary:
        return anchor_relative_days(verifier.verify(summary, story), story, max_words)

    return finish


def assemble(plan: DigestPlan, summaries: Sequence[Summary]) -> Digest:
    """The Digest of a plan whose stories are all summarized (summaries in story order)."""
    if len(summaries) != len(plan.stories):
        raise ValueError(f"{len(summaries)} summaries for {len(plan.stories)} stories")
    clusters = [
        Cluster(
            id=story.id,
            title=story.title
            or heading_from_summary([s.text for s in summary.sentences])
            or f"Story {index + 1}",  # no neutral headline and no summary: numbered
            article_ids=list(story.article_ids),
            sources=_sources(plan.story(index)),
            summary=summary,
        )
        for index, (story, summary) in enumerate(zip(plan.stories, summaries, strict=True))
    ]
    return Digest(
        created_at=datetime.now(UTC),
        clusters=clusters,
        articles=plan.articles,
        failures=[f for f in plan.failures if f.reason not in READ_ANYWAY],
        options={
            "backend": plan.backend,
            "max_words": plan.max_words,
            "cluster_threshold": plan.cluster_threshold,
            "one_story": plan.one_story,
            "dedup": plan.dedup,
            "embedding_model": plan.embedding_model,
        },
        warnings=[
            *(f"{f.input}: {f.detail}" for f in plan.failures if f.reason in READ_ANYWAY),
            *_fallback_warning(plan.backend, list(summaries)),
        ],
    )


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
    may raise to cancel the run between stages or stories. The phases (`plan_digest`,
    `story_writer`, `assemble`) are public so queue workers can run them apart.
    """
    settings = settings or get_settings()
    embedder = embedder or embedder_for(settings)
    plan = plan_digest(
        articles,
        options,
        embedder=embedder,
        progress=progress,
        failures=failures,
        settings=settings,
    )
    memo = remembering(embedder)  # shared by summarizer and verifier: one embedding each
    summarizer = summarizer or get_summarizer(plan.backend, embedder=memo, settings=settings)
    stories = [plan.story(index) for index in range(len(plan.stories))]
    finish = finisher(verifier_for(memo), plan.max_words)
    if is_cpu_bound(summarizer):  # local work: one thread, the sentences embedded ahead of it
        summaries = _summarize_embedding_ahead(
            summarizer, stories, plan.max_words, progress, finish, memo
        )
    else:
        summaries = _summarize_all(
            summarizer, stories, plan.max_words, settings.concurrency, progress, finish
        )
    return assemble(plan, summaries)
