"""A request and token budget per LLM model, shared by every process through Redis.

Providers limit requests and tokens per minute per API key. Every API replica and Celery
worker builds its own litellm Router, whose counters live in that one process, so N processes
would together spend N times the budget and collect 429s. Here every call first takes its
share from one budget: in Redis when `redis_url` is configured (all replicas and workers
count together), in memory otherwise (the embedded default: one process).

A call that finds the budget spent waits for room (up to `max_wait_s`) instead of failing: a
summary that arrives a little later beats a fallback one. The counting is the `limits`
library's sliding-window counter, which keeps two counters per window (cheap in Redis even
for token budgets of millions).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

if TYPE_CHECKING:
    from service.config import Settings

KEY_PREFIX = "digest-llm-rate"


def _store_errors() -> tuple[type[BaseException], ...]:
    """What a budget's store raises when it cannot be asked: the network's errors, and
    redis' own when the redis client is installed (the in-memory store raises none)."""
    errors: tuple[type[BaseException], ...] = (OSError, ConnectionError, TimeoutError)
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - redis ships with the service
        return errors
    return (*errors, RedisError)


_STORE_ERRORS = _store_errors()


def budget_key(model: str, api_base: str | None) -> str:
    """The budget a model's calls share: one per model and server."""
    return f"{model}@{api_base or 'default'}"


class RateLimitTimeout(Exception):
    """The budget had no room for a call within the longest wait allowed."""

    hint = "raise DIGEST_LLM_RPM / DIGEST_LLM_TPM or DIGEST_LLM_RATE_MAX_WAIT_S"


class RateLimitUnavailable(RateLimitTimeout):
    """The budget's store (Redis) could not be asked: no call is sent uncounted. Its own
    words: an unreachable DIGEST_REDIS_URL had read as the model's own connection error."""

    hint = "check DIGEST_REDIS_URL, or unset DIGEST_LLM_RPM / DIGEST_LLM_TPM"


@dataclass
class LLMRateLimit:
    """Requests and tokens per window, per model key; `acquire` blocks until a call fits.

    `tokens` counts what providers count: the prompt plus the answer's `max_tokens`. A call
    larger than the whole token budget is charged the whole budget (it could never fit).
    """

    requests: int | None
    tokens: int | None
    window_s: int = 60
    max_wait_s: float = 120.0
    storage_url: str = "memory://"
    key_prefix: str = KEY_PREFIX
    _limiter: SlidingWindowCounterRateLimiter = field(init=False, repr=False)
    _items: list[tuple[RateLimitItem, bool]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        storage: Storage = storage_from_string(self.storage_url, key_prefix=self.key_prefix)
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._items = []  # (limit, counts tokens?)
        if self.requests:
            item = RateLimitItemPerSecond(self.requests, self.window_s, namespace="requests")
            self._items.append((item, False))
        if self.tokens:
            item = RateLimitItemPerSecond(self.tokens, self.window_s, namespace="tokens")
            self._items.append((item, True))

    def acquire(self, key: str, tokens: int) -> float:
        """Take one request and `tokens` from `key`'s budget; the seconds spent waiting for
        room: 0 when there was room at once, however long the store took to say so (a busy
        Redis's first answer had been noted as "waited 0.1 s for room").

        Raises RateLimitTimeout when no room opened within `max_wait_s`.
        """
        started = time.monotonic()
        deadline = started + self.max_wait_s
        try:
            if self._take(key, tokens):
                return 0.0
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RateLimitTimeout(
                        f"the shared rate limit for {key} ({self.describe()}) had no room "
                        f"for {self.max_wait_s:g} s"
                    )
                time.sleep(min(self._until_room(key), left))
                if self._take(key, tokens):
                    break
        except _STORE_ERRORS as exc:  # the store's own errors, not a bug of ours
            raise RateLimitUnavailable(
                f"the shared LLM rate limit could not reach its store ({type(exc).__name__}: "
                f"{str(exc)[:120]})"
            ) from exc
        return time.monotonic() - started

    def reachable(self) -> bool:
        """Whether the budget's store answers (always, in memory)."""
        try:
            return bool(self._limiter.storage.check())
        except Exception:
            return False

    def describe(self) -> str:
        """The budget in words, for notes and errors."""
        parts = []
        if self.requests:
            parts.append(f"{self.requests} requests")
        if self.tokens:
            parts.append(f"{self.tokens} tokens")
        return f"{' and '.join(parts) or 'unlimited'} per {self.window_s} s"

    def _cost(self, counts_tokens: bool, tokens: int) -> int:
        if not counts_tokens:
            return 1
        return max(1, min(tokens, self.tokens or tokens))

    def _take(self, key: str, tokens: int) -> bool:
        """Charge every budget, or none when one has no room (checked first).

        Another process may take the last room between the check and the charge; then the
        request budget may be charged for a call that waits: a slightly cautious error.
        """
        costs = [(item, self._cost(counts, tokens)) for item, counts in self._items]
        if not all(self._limiter.test(item, key, cost=cost) for item, cost in costs):
            return False
        return all(self._limiter.hit(item, key, cost=cost) for item, cost in costs)

    def _until_room(self, key: str) -> float:
        """How long to sleep before trying again: until the fullest budget frees some room,
        polled between 1 % and 10 % of the window (with jitter, so waiters do not stampede)."""
        now = time.time()
        stats = [self._limiter.get_window_stats(item, key) for item, _ in self._items]
        waits = [window.reset_time - now for window in stats]
        shortest, longest = self.window_s / 100, self.window_s / 10
        wait = min(max(max(waits, default=shortest), shortest), longest)
        return wait + random.uniform(0, shortest)


def rate_limit_for(settings: Settings) -> LLMRateLimit | None:
    """The budget the settings ask for (`llm_rpm` / `llm_tpm`), or None when unlimited."""
    if not settings.llm_rpm and not settings.llm_tpm:
        return None
    return LLMRateLimit(
        requests=settings.llm_rpm,
        tokens=settings.llm_tpm,
        window_s=settings.llm_rate_window_s,
        max_wait_s=settings.llm_rate_max_wait_s,
        storage_url=settings.redis_url or "memory://",
    )
