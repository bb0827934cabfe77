"""Multi-document summarization: cluster articles into stories, write neutral cited summaries.

The public Python API is `digest(articles, options) -> Digest`; the CLI, the HTTP API
and the Slack bot all call it.
"""

from service.models import Article, Cluster, Digest, Summary, SummarySentence
from service.pipeline.ingest import load_paths, load_text
from service.pipeline.run import DigestOptions, digest

__all__ = [
    "Article",
    "Cluster",
    "Digest",
    "DigestOptions",
    "Summary",
    "SummarySentence",
    "digest",
    "load_paths",
    "load_text",
]
