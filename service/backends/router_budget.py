"""Every call the litellm Router sends, its retries and fallbacks included, charged to the
shared rate limit (`rate_limit.py`).

Why: the Router retries a 429 or a 5xx and tries the fallback models on its own. Charging
only the first call of a summary let each one send up to (1 + retries) x models calls
outside the budget, and most of them exactly when the provider was over its limit. litellm
runs its callbacks' `pre_call_check` before each call the Router sends, in the calling
thread (the Router's synchronous path), so the charge is taken there: the thread says which
budget and how many tokens (`charging`), and the check takes them from the budget of the
model it is about to call (a fallback model has a budget of its own). Both checks, the stop
signal of `stopping.py` first, run from the one callback of `call_checks.py`.

A call that finds no room within the longest wait is not retried on the same model (a retry
would wait that long again); the Router goes on to the next model, as after any error.
Inside a running event loop the Router sends from a thread of its own, so the caller makes
the call from a helper thread then (`in_event_loop`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from service import stopping
from service.backends.call_checks import CallCheck, install_call_checks, register
from service.backends.rate_limit import LLMRateLimit, RateLimitTimeout, budget_key

_current = threading.local()  # the Charges of the summary call this thread is making


class NoRoomInBudget(RateLimitTimeout):
    """No room in a model's budget within the longest wait.

    `status_code` 400 tells the Router not to retry it on the same model (it retries what
    `litellm.should_retry` accepts: 408, 409, 429 and 5xx); it still tries the fallbacks.
    """

    status_code = 400


@dataclass
class Charges:
    """What one summary call spent in the budget, over every call the Router sent for it."""

    limit: LLMRateLimit
    tokens: int  # per call sent: the prompt plus the answer's max_tokens
    calls: int = 0
    waited_s: float = 0.0


def charge_next_call(deployment: dict[str, Any]) -> None:
    """Take one call's share from the budget of `deployment` for this thread's summary call,
    waiting for room; nothing when the thread is not inside `charging`."""
    charges: Charges | None = getattr(_current, "charges", None)
    if charges is None:
        return
    params = deployment.get("litellm_params") or {}
    key = budget_key(str(params.get("model")), params.get("api_base"))
    try:
        charges.waited_s += charges.limit.acquire(key, charges.tokens)
    except RateLimitTimeout as exc:
        refused = NoRoomInBudget(str(exc))
        refused.hint = exc.hint  # why: no room, or no store to count in
        raise refused from exc
    charges.calls += 1


def in_event_loop() -> bool:
    """Whether this thread runs an asyncio event loop (litellm's Router then sends its
    calls from another thread, out of reach of `charging`)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@contextmanager
def charging(limit: LLMRateLimit, tokens: int) -> Iterator[Charges]:
    """Charge every call the Router sends from this thread, inside the block, to `limit`."""
    install_call_checks()
    charges = Charges(limit, tokens)
    _current.charges = charges
    try:
        yield charges
    finally:
        _current.charges = None


def _stop_check(deployment: dict[str, Any]) -> None:
    """Before a call: a cancelled job's call gets not one more retry (`stopping.py`)."""
    stopping.check()


register(CallCheck("stop signal", _stop_check))
register(CallCheck("rate-limit charge", charge_next_call))
