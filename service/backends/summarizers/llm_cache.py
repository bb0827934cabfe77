"""The LLM answer cache: litellm's own cache (keys and storage) held around our calls.

In: the arguments of a chat call. Out: the stored response of an identical earlier
call, or None. Backends: disk under `data_dir/llm-cache` (the default), Redis when
`redis_url` is set (shared by every worker), or none. Only answers that passed the
output contract are stored, so a garbled answer is never replayed.

Why not `litellm.cache` with `caching=True`: that cache is process-global (every
summarizer would share one setting), and in the pinned litellm a synchronous cache
hit imports proxy-only modules that the package does not install.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

from service.backends.llm_client import import_litellm
from service.errors import ConfigError

CacheKind = Literal["auto", "disk", "redis", "none"]
_NAMESPACE = "digest-llm"


class AnswerCache:
    """Looks up and stores chat responses by litellm's cache key of the call's arguments."""

    def __init__(self, cache: Any, kind: str) -> None:
        self._cache = cache
        self.kind = kind

    def key(self, api_base: str | None, **call: Any) -> str:
        """litellm's key of the call, tied to the server: litellm's own key leaves api_base out."""
        base = self._cache.get_cache_key(**call)
        return hashlib.sha256(f"{api_base or ''}\0{base}".encode()).hexdigest()

    def get(self, api_base: str | None, **call: Any) -> Any | None:
        """The cached ModelResponse for these call arguments, or None."""
        litellm = import_litellm()
        try:
            stored = self._cache.get_cache(cache_key=self.key(api_base, **call), **call)
        except Exception:  # an unreachable cache must never fail a summary
            return None
        if not isinstance(stored, dict):
            return None
        return litellm.ModelResponse(**stored)

    def put(self, response: Any, api_base: str | None, **call: Any) -> None:
        """Store a response under these call arguments (errors are ignored)."""
        try:
            self._cache.add_cache(response, cache_key=self.key(api_base, **call), **call)
        except Exception:
            return None


def make_cache(
    kind: CacheKind, *, data_dir: Path, redis_url: str | None, ttl_s: float | None = None
) -> AnswerCache | None:
    """The cache the settings ask for: 'auto' is Redis when redis_url is set, else disk."""
    if kind == "none":
        return None
    if kind == "auto":
        kind = "redis" if redis_url else "disk"
    litellm = import_litellm()
    if kind == "redis":
        if not redis_url:
            raise ConfigError(
                "the LLM cache is set to 'redis' but no Redis URL is configured",
                hint="set DIGEST_REDIS_URL (redis://host:6379/0) or DIGEST_LLM_CACHE=disk",
            )
        cache = litellm.Cache(type="redis", url=redis_url, namespace=_NAMESPACE, ttl=ttl_s)
        return AnswerCache(cache, "redis")
    directory = data_dir / "llm-cache"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the LLM cache folder {directory}: {exc.strerror}",
            hint="set DIGEST_DATA_DIR to a writable folder or DIGEST_LLM_CACHE=none",
        ) from exc
    cache = litellm.Cache(type="disk", disk_cache_dir=str(directory), ttl=ttl_s)
    return AnswerCache(cache, "disk")
