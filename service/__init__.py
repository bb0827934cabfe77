"""Multi-document summarization: cluster articles into stories, write neutral cited summaries.

The public Python API is `digest(articles, options) -> Digest`; the CLI, the HTTP API
and the Slack bot all call it. Its names are imported on first use (PEP 562), so that
`import service.launch` is instant and a Ctrl-C while the pipeline loads can be caught.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from service.models import Article, Cluster, Digest, Summary, SummarySentence
    from service.pipeline.ingest import load_paths, load_text
    from service.pipeline.run import DigestOptions, digest

_HOMES = {
    "Article": "service.models",
    "Cluster": "service.models",
    "Digest": "service.models",
    "Summary": "service.models",
    "SummarySentence": "service.models",
    "load_paths": "service.pipeline.ingest",
    "load_text": "service.pipeline.ingest",
    "DigestOptions": "service.pipeline.run",
    "digest": "service.pipeline.run",
}

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


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'service' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
