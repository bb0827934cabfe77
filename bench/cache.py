"""An on-disk memo of embeddings for benchmark re-runs (never used by the product).

Why: the eval pools hold ~40,000 sentences; re-encoding them on 2 CPU cores
takes many minutes per run. Vectors are stored per model name and build, keyed by the
SHA-1 of the text, so a changed text is simply encoded again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from pathlib import Path

import numpy as np

from service.backends.embedders import Embedder

_PROBE = "A probe sentence whose vector tells one model build and CPU code path from another."


class CachedEmbedder:
    """Wraps an embedder; remembers every vector in `folder` across runs."""

    def __init__(self, inner: Embedder, folder: Path) -> None:
        self.inner = inner
        self.name = inner.name
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", inner.name)
        # named after the vector of a probe text too: another export of the model, another
        # package version or another CPU code path (int8 with or without VNNI) gives other
        # vectors, and must not read this machine's
        probe = np.ascontiguousarray(inner.encode([_PROBE]), dtype=np.float32).tobytes()
        self.path = folder / f"embeddings-{safe}-{hashlib.sha1(probe).hexdigest()[:12]}.pkl"
        self._vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            with self.path.open("rb") as handle:
                self._vectors = pickle.load(handle)
        self._dirty = False

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def encode(self, texts: list[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}
        if missing:
            fresh = self.inner.encode(list(missing.values()))
            self._vectors.update(zip(missing, fresh, strict=True))
            self._dirty = True
        if not texts:
            return self.inner.encode([])
        return np.stack([self._vectors[k] for k in keys])

    def save(self) -> None:
        """Write new vectors to disk (atomically)."""
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        with partial.open("wb") as handle:
            pickle.dump(self._vectors, handle)
        os.replace(partial, self.path)
        self._dirty = False
