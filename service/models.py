"""Domain types shared by every stage and front door.

Articles go in; a Digest comes out. The Digest's JSON form is the product's
stable contract (CLI `--format json`, the HTTP API, stored jobs), so fields are
only ever added, never renamed. Citations in a summary sentence are 1-based
numbers into the cluster's `sources` list, the same numbers the Markdown and
Slack renderings show as `[n]`; `article_ids` says the same with ids.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = "1"


class SourceRef(BaseModel):
    """Another copy of an article (a syndicated wire story) folded into a kept one."""

    id: str
    title: str = ""
    source: str | None = None
    url: str | None = None


class Article(BaseModel):
    """One news article after ingest and cleaning."""

    model_config = ConfigDict(extra="ignore")

    id: str
    title: str = ""
    text: str
    url: str | None = None
    source: str | None = Field(default=None, description="Outlet or publisher name.")
    published_at: datetime | None = None
    language: str | None = None
    duplicates: list[SourceRef] = Field(
        default_factory=list,
        description="Exact or near-duplicate copies dropped in favour of this article.",
    )

    @field_validator("published_at")
    @classmethod
    def _in_utc(cls, moment: datetime | None) -> datetime | None:
        """A date without a zone is read as UTC, so every date of a digest carries one:
        "2007-07-29T00:00:00" beside "...Z" broke code that compares them."""
        if moment is None or moment.tzinfo is not None:
            return moment
        return moment.replace(tzinfo=UTC)

    @property
    def outlet(self) -> str | None:
        """The outlet's name, or the URL's host when no name was given."""
        if self.source:
            return self.source
        if self.url:
            from urllib.parse import urlparse

            host = urlparse(self.url).hostname or ""
            return host.removeprefix("www.") or None
        return None


class SummarySentence(BaseModel):
    """One sentence of a summary and the articles that support it."""

    text: str
    citations: list[int] = Field(description="1-based numbers into the cluster's sources.")
    article_ids: list[str] = Field(description="Ids of the articles that support the sentence.")


class DroppedSentence(BaseModel):
    """A sentence a backend proposed that the verifier removed, and why."""

    text: str
    reason: str


class Usage(BaseModel):
    """What an LLM call cost; zero for the built-in backend."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    # None: the model answered but litellm knows no price for it (not the same as free)
    cost_usd: float | None = 0.0
    latency_s: float = 0.0


class Summary(BaseModel):
    """A neutral cited summary of one cluster."""

    sentences: list[SummarySentence]
    backend: str = Field(description="'extractive' or the litellm model that answered.")
    prompt: str | None = Field(default=None, description="Prompt name and version, for LLMs.")
    usage: Usage = Field(default_factory=Usage)
    dropped: list[DroppedSentence] = Field(default_factory=list)
    notes: list[str] = Field(
        default_factory=list, description="What the user should know (fallbacks, repairs)."
    )

    @property
    def text(self) -> str:
        """The summary as prose with `[n]` citation markers."""
        return " ".join(s.text + "".join(f"[{n}]" for n in s.citations) for s in self.sentences)

    @property
    def word_count(self) -> int:
        return sum(len(s.text.split()) for s in self.sentences)


class Source(BaseModel):
    """A numbered source in a cluster's reference list."""

    number: int
    article_id: str
    title: str = ""
    source: str | None = None
    url: str | None = None
    published_at: datetime | None = None


class Cluster(BaseModel):
    """One story: the articles that cover it and their summary."""

    id: str
    title: str
    article_ids: list[str]
    sources: list[Source]
    summary: Summary | None = None


READ_FROM_FEED = "read_from_feed"
READ_ANYWAY = frozenset({READ_FROM_FEED})
"""Reasons of an input that was read after all, from other text (a feed entry whose page
could not be fetched, read from the text the feed carries): a warning, not a failure."""


class InputFailure(BaseModel):
    """An input (URL, feed, file record) that could not become an article, and why."""

    input: str = Field(description="The URL or location as the user gave it.")
    reason: str = Field(description="Short machine-readable reason, e.g. 'timeout', 'http_404'.")
    detail: str = Field(default="", description="What happened, in words a user understands.")


class Digest(BaseModel):
    """Everything one run produced: stories, their summaries, and the inputs."""

    schema_version: str = SCHEMA_VERSION
    created_at: datetime
    clusters: list[Cluster]
    articles: list[Article]
    failures: list[InputFailure] = Field(
        default_factory=list, description="Inputs that could not be read, with the reason."
    )
    options: dict[str, object] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)


JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
"""queued -> running -> done | failed; queued or running -> cancelled. Terminal: the last three."""

TERMINAL_STATUSES: frozenset[str] = frozenset({"done", "failed", "cancelled"})


class JobProgress(BaseModel):
    """How far a running job has got: `done` of `total` units of `stage` (clusters, for
    'summarize')."""

    stage: str = Field(description="'fetch', 'dedup', 'embed', 'sentences' or 'summarize'.")
    done: int = Field(ge=0)
    total: int = Field(ge=0)


class JobError(BaseModel):
    """Why a job failed, in words a user can act on."""

    reason: str = Field(
        description="Machine-readable: 'input', 'backend', 'config', 'interrupted', "
        "'deadline', 'no_worker', 'internal'."
    )
    detail: str = Field(description="What happened and what to do next.")
    status: int = Field(description="The HTTP status the same error would have had inline.")
    failures: list[InputFailure] = Field(
        default_factory=list,
        description="When no input gave an article: each URL that failed, and why.",
    )


class Job(BaseModel):
    """A digest request the service accepted, and where it stands."""

    id: str
    status: JobStatus
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = Field(default=0, description="Times a process started running it.")
    progress: JobProgress | None = None
    error: JobError | None = None
    digest: Digest | None = Field(default=None, description="Present when status is 'done'.")
