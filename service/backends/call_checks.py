"""Checks run before each call litellm's Router sends, its retries and fallbacks included.

In: checks (`register`), each a hook run before a call, which refuses the call by raising,
and optionally one told of each call that failed. Out: one litellm callback, installed once
per process (`install_call_checks`), whose `pre_call_check` and failure log run them in the
order registered. litellm runs both in the calling thread (the Router's synchronous path),
so a check reads what that thread is doing from a `threading.local`.

Why one callback: each feature (the stop signal and the rate-limit charge of
`router_budget.py`, the key gate of `llm.py`) had its own, with its own once-per-process
install. What stays true: a check that raises skips the ones after it, as litellm skips
the callbacks after one that raises, so the order registered is the order that counts (the
stop signal before the charge: a cancelled job takes no room in the budget).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from service.backends.llm_client import import_litellm

_lock = threading.Lock()
_checks: tuple[CallCheck, ...] = ()  # replaced whole, never changed: read without the lock


@dataclass(frozen=True)
class CallCheck:
    """One check: `before_call` gets the deployment about to be called and raises to refuse
    the call; `after_failure`, when set, gets the error of each call that failed."""

    name: str
    before_call: Callable[[dict[str, Any]], None]
    after_failure: Callable[[Exception], None] | None = None


def register(check: CallCheck, *, before: str | None = None) -> None:
    """Run `check` before each call, after those registered before it, or just before the
    check named `before` when that one is registered (a refusal must come before a charge:
    a call never sent takes no room in the budget). A check of the same name is replaced
    in its place: a module imported again must not charge a call twice."""
    global _checks
    with _lock:
        names = [c.name for c in _checks]
        if check.name in names:
            at = names.index(check.name)
            _checks = (*_checks[:at], check, *_checks[at + 1 :])
        elif before in names:
            at = names.index(before)
            _checks = (*_checks[:at], check, *_checks[at:])
        else:
            _checks = (*_checks, check)


def install_call_checks() -> None:
    """Add the callback that runs the registered checks to litellm's, once per process."""
    litellm = import_litellm()
    with _lock:
        if any(getattr(c, "digest_call_checks", False) for c in litellm.callbacks):
            return
        from litellm.integrations.custom_logger import CustomLogger

        class _CallChecks(CustomLogger):  # type: ignore[misc]
            digest_call_checks = True

            def pre_call_check(self, deployment: dict[str, Any]) -> dict[str, Any] | None:
                for check in _checks:
                    check.before_call(deployment)
                return None

            def log_failure_event(
                self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
            ) -> None:
                error = kwargs.get("exception")
                if not isinstance(error, Exception):
                    return
                for check in _checks:
                    if check.after_failure is not None:
                        check.after_failure(error)

        litellm.callbacks.append(_CallChecks())
