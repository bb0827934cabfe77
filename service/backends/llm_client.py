"""The one door to litellm: imported lazily and offline, plus what we ask of it without a call.

In: a litellm model string ("openai/gpt-4o-mini", "ollama/llama3", ...). Out: its
provider, context window and token counts, all from litellm's bundled tables:
import never fetches the price map and token counting never downloads a
tokenizer (tiktoken is used where litellm would fetch one from the hub).
Chat calls themselves live in `summarizers/llm.py` only.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

from service.errors import UnknownBackendError

DEFAULT_CONTEXT_TOKENS = 8192
"""Context window assumed for a model litellm has no table entry for (a local server, say)."""


def import_litellm() -> ModuleType:
    """Import litellm so that import never touches the network."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.telemetry = False
    litellm.disable_hf_tokenizer_download = True  # llama/cohere tokenizers come from the hub
    litellm.suppress_debug_info = True  # no "Provider List: https://..." banners on stderr
    # The Router logs every failed call with a debug dump; the summary's notes already say
    # what failed and what to do, in words for users, so keep stderr for our own output.
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return litellm


def provider_of(model: str) -> str:
    """The litellm provider that routes `model`; UnknownBackendError when none does."""
    litellm = import_litellm()
    try:
        name, provider, _, _ = litellm.get_llm_provider(model)
        if not str(name).strip():  # "openai/": a provider and no model (a 404 per story)
            raise ValueError(f"{model!r} names no model")
    except Exception as exc:  # litellm raises BadRequestError, sometimes ValueError
        raise UnknownBackendError(
            f"unknown backend {model!r}",
            hint="use 'extractive' or a litellm model string with its provider, "
            "e.g. 'openai/gpt-4o-mini', 'anthropic/claude-3-5-haiku-latest', 'ollama/llama3'",
        ) from exc
    return str(provider)


@dataclass(frozen=True)
class ModelLimits:
    """Token limits of a model: what fits in, what may come out."""

    input_tokens: int
    output_tokens: int | None
    known: bool


@lru_cache(maxsize=64)
def model_limits(model: str) -> ModelLimits:
    """The model's context window from litellm's table, or a safe default when it is unknown."""
    litellm = import_litellm()
    try:
        info = litellm.get_model_info(model)
    except Exception:  # not in the table: a local or private model
        return ModelLimits(DEFAULT_CONTEXT_TOKENS, None, known=False)
    window = info.get("max_input_tokens") or info.get("max_tokens") or DEFAULT_CONTEXT_TOKENS
    return ModelLimits(int(window), info.get("max_output_tokens"), known=True)


def count_tokens(model: str, text: str) -> int:
    """Tokens `text` takes for `model` (tiktoken where the model's own tokenizer is not local)."""
    litellm = import_litellm()
    return int(litellm.token_counter(model=model, text=text))


def response_format_for(model: str, schema: dict[str, object]) -> dict[str, object] | None:
    """A JSON-schema response_format where the model supports it, JSON mode, or None."""
    litellm = import_litellm()
    try:
        if litellm.supports_response_schema(model=model):
            return {
                "type": "json_schema",
                "json_schema": {"name": "summary", "schema": schema, "strict": True},
            }
        params = litellm.get_supported_openai_params(model=model) or []
    except Exception:
        return None
    return {"type": "json_object"} if "response_format" in params else None
