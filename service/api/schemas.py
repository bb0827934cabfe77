"""The HTTP API's request and response bodies, as they appear in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.models import Job
from service.pipeline.run import DigestOptions

_TEXT_ALIASES = ("body", "content", "article", "maintext", "story", "description")
_ARTICLE_EXAMPLE = {
    "id": "reuters-1",
    "title": "Storm closes ports along the coast",
    "text": "A storm closed three ports on Tuesday, officials said. ...",
    "source": "Reuters",
    "url": "https://example.com/storm",
    "published_at": "2024-05-07T09:30:00Z",
}


class ArticleIn(BaseModel):
    """An article to summarize, read by the CLI's record reader (`pipeline.ingest`), so the
    shapes it takes are the CLI's: other field names of common exports (`body`/`content` for
    text, `headline`, `link`, `publisher`, `date`...), ids as numbers, outlets as objects,
    dates as Unix seconds, text as a list of paragraphs."""

    # strict: `true` had become the date 1970-01-01T00:00:01Z and the id "1"
    model_config = ConfigDict(
        extra="allow", strict=True, json_schema_extra={"examples": [_ARTICLE_EXAMPLE]}
    )

    id: Annotated[str, Field(max_length=256)] | int | None = Field(
        default=None, description="Default: a1, a2, ..."
    )
    title: str | None = Field(default=None, description="Default: the text's first line.")
    text: Annotated[str, Field(min_length=1)] | list[str] = Field(
        description="The article's text, or its paragraphs as a list; "
        "`body` or `content` are read as text too."
    )
    url: str | None = None
    source: str | dict[str, Any] | list[str] | None = Field(
        default=None,
        description='Outlet or publisher name, an object with its `name` ({"name": "Reuters"}), '
        'or a list of names (read "A, B").',
    )
    published_at: str | float | None = Field(
        default=None,
        description="ISO 8601 or RFC 2822 date, a date with its month's name (July 29, 2007), "
        "or Unix seconds.",
    )
    language: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _text_from_aliases(cls, data: Any) -> Any:
        """Exports name the text differently; the schema's required `text` holds for them too."""
        if not isinstance(data, dict) or data.get("text") not in (None, ""):
            return data
        for key in _TEXT_ALIASES:
            value = data.get(key)
            paragraphs = isinstance(value, list) and all(isinstance(v, str) for v in value)
            if value and (isinstance(value, str) or paragraphs):
                return {**data, "text": value}  # a list of paragraphs: the reader joins them
        return data


class DigestRequest(BaseModel):
    """Articles inline and/or URLs to fetch, plus options; at least one article or URL."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "articles": [_ARTICLE_EXAMPLE],
                    "urls": ["https://example.com/news/storm-update"],
                    "options": {"backend": "extractive", "max_words": 120},
                }
            ]
        },
    )

    articles: list[ArticleIn] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list, description="http(s) pages or feeds to fetch.")
    options: DigestOptions = Field(default_factory=DigestOptions)


class JobLinks(BaseModel):
    self: str = Field(examples=["/v1/digests/3f2c9a..."])
    events: str = Field(examples=["/v1/digests/3f2c9a.../events"])


class JobResponse(Job):
    """A digest job: its status, progress while running, the Digest when done."""

    links: JobLinks

    @classmethod
    def of(cls, job: Job, root_path: str = "") -> JobResponse:
        """The job with its links, under the prefix the app is served under."""
        base = f"{root_path}/v1/digests/{job.id}"
        return cls(**dict(job), links=JobLinks(self=base, events=f"{base}/events"))


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    checks: dict[str, Any] = Field(default_factory=dict)
