"""What a job is asked to do, as stored: cleaned articles, URLs to fetch, digest options.

Inline articles are cleaned and validated before the job is stored, so a job
never fails on input the API could have rejected at once; URLs are fetched
inside the job because that takes time and may partly fail.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, Field

from service.models import Article
from service.pipeline.run import DigestOptions


class JobRequest(BaseModel):
    """Everything a worker needs to run one digest; stored as JSON in the job row."""

    model_config = ConfigDict(extra="forbid")

    articles: list[Article] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)
    options: DigestOptions = Field(default_factory=DigestOptions)
    warnings: list[str] = Field(default_factory=list, description="From reading the input.")

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON: equal requests, equal fingerprints."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()
