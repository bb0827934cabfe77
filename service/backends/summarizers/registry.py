"""Which summarizer a backend name means: 'extractive', or any litellm model string.

`check_backend` validates a name without a network call (litellm's own provider
resolution), so a front door can refuse a bad request before accepting a job.
`get_summarizer` builds the backend; LLM summarizers are kept per configuration,
so their Router (cooldowns, retry state) and cache outlive one digest. litellm is
imported only when an LLM backend is named: the extractive default never pays for it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from service.backends.embedders import Embedder, LiteLLMEmbedder, is_local_model
from service.backends.summarizers.base import Summarizer
from service.backends.summarizers.extractive import ExtractiveSummarizer
from service.config import Settings
from service.errors import ConfigError

EXTRACTIVE = "extractive"
_KEPT = 8
_llm_summarizers: OrderedDict[tuple[str, str, int], Summarizer] = OrderedDict()
_lock = threading.Lock()


def check_backend(backend: str) -> None:
    """Raise UnknownBackendError (with what to do) when `backend` names no usable summarizer."""
    if backend == EXTRACTIVE:
        return
    from service.backends.llm_client import provider_of

    provider_of(backend)


def check_settings(settings: Settings) -> None:
    """Check the configured LLM chain once, so that a setting it cannot work with (a
    context window too small for the prompt and its answer, a fallback litellm cannot
    route, a model whose key is not set) stops the server at start with why, instead of
    failing every job. The models offered to API clients too."""
    from service.backends.rate_limit import rate_limit_for
    from service.backends.summarizers.llm import chain_setup

    if not is_local_model(settings.embedding_model):  # a name litellm cannot route: at start
        LiteLLMEmbedder(settings.embedding_model)
    if settings.backend != EXTRACTIVE:
        chain_setup(settings.backend, settings)
        budget = rate_limit_for(settings)
        if budget is not None and not budget.reachable():
            raise ConfigError(  # else every story fell back, its note blaming the model
                "the shared LLM rate limit (DIGEST_LLM_RPM / DIGEST_LLM_TPM) cannot reach "
                "its Redis",
                hint="check DIGEST_REDIS_URL, or unset DIGEST_LLM_RPM / DIGEST_LLM_TPM",
            )
    for offered in settings.api_backends:  # models API clients may pick: their keys too
        if offered not in ("*", EXTRACTIVE, settings.backend):
            chain_setup(offered, settings)


def get_summarizer(backend: str, *, embedder: Embedder, settings: Settings) -> Summarizer:
    """The summarizer for `backend`, built from the settings; safe to call from threads."""
    check_backend(backend)
    if backend == EXTRACTIVE:
        return ExtractiveSummarizer(embedder)
    from service.backends.summarizers.llm import LLMSummarizer

    key = (backend, settings.model_dump_json(), id(embedder))
    with _lock:
        summarizer = _llm_summarizers.get(key)
        if summarizer is not None and getattr(summarizer, "embedder", embedder) is embedder:
            _llm_summarizers.move_to_end(key)
            return summarizer
        summarizer = LLMSummarizer(backend, settings=settings, embedder=embedder)
        _llm_summarizers[key] = summarizer
        while len(_llm_summarizers) > _KEPT:
            _llm_summarizers.popitem(last=False)
        return summarizer
