"""Which summarizer a backend name means: 'extractive', or a litellm model string."""

from __future__ import annotations

from service.backends.embedders import Embedder
from service.backends.summarizers.base import Summarizer
from service.backends.summarizers.extractive import ExtractiveSummarizer
from service.config import Settings
from service.errors import UnknownBackendError

EXTRACTIVE = "extractive"


def check_backend(backend: str) -> None:
    """Raise UnknownBackendError (with what to do) when `backend` names no usable summarizer."""
    if backend == EXTRACTIVE:
        return
    raise UnknownBackendError(
        f"unknown backend {backend!r}",
        hint="use 'extractive' (LLM backends through litellm are not built yet)",
    )


def get_summarizer(backend: str, *, embedder: Embedder, settings: Settings) -> Summarizer:
    """The summarizer for `backend`, built from the settings."""
    check_backend(backend)
    return ExtractiveSummarizer(embedder)
