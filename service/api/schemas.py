"""The HTTP API's request and response bodies, as they appear in the OpenAPI document."""

from __future__ import annotations

from typing import Any

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
    """An article to summarize. Other field names of common exports are understood too
    (`body`/`content` for text, `headline`, `link`, `publisher`, `date`...)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [_ARTICLE_EXAMPLE]})

    id: str | None = Field(default=None, max_length=256, description="Default: a1, a2, ...")
    title: str | None = Field(default=None, description="Default: the text's first line.")
    text: str = Field(
        min_length=1, description="The article's text; `body` or `content` are read as text too."
    )
    url: str | None = None
    source: str | None = Field(default=None, description="Outlet or publisher name.")
    published_at: str | None = Field(default=None, description="ISO 8601 or RFC 2822 date.")
    language: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _text_from_aliases(cls, data: Any) -> Any:
        """Exports name the text differently; read it as the file reader does."""
        if not isinstance(data, dict) or data.get("text") not in (None, ""):
            return data
        for key in _TEXT_ALIASES:
            value = data.get(key)
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                value = "\n\n".join(value)  # paragraphs as a list
            if isinstance(value, str) and value:
                return {**data, "text": value}
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
    def of(cls, job: Job) -> JobResponse:
        base = f"/v1/digests/{job.id}"
        return cls(**dict(job), links=JobLinks(self=base, events=f"{base}/events"))


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    checks: dict[str, Any] = Field(default_factory=dict)
