"""Stopping a run from outside it: a cancelled job's model calls end with the call in flight.

Why: a job's pipeline only learned that it was cancelled when it next reported progress,
i.e. when a story ended; a story waiting on a slow model went on through its retries,
its repair request and its paid fallbacks first (3 more calls and 2 to the fallback, seen
after a DELETE). The job runner sets its "lost" event (cancelled, or the lease gone) as
the run's stop signal; the LLM summarizer checks it before every model call, the Router's
own retries included (`router_budget.py` runs the check before each call it sends). A context
variable carries it, so that no summarizer signature changes, and the pipeline's worker
threads run in a copy of the caller's context.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_STOP: ContextVar[threading.Event | None] = ContextVar("digest_stop", default=None)


class RunStopped(Exception):
    """The run was told to stop (its job was cancelled or lost): no more model calls.

    `status_code` 400 tells litellm's Router not to retry it (it retries 408, 409, 429 and
    5xx): raised before one of its retries, it ends them."""

    status_code = 400


@contextmanager
def stopping_on(event: threading.Event) -> Iterator[None]:
    """Within the block (and threads started in a copy of its context), `check` raises
    RunStopped once `event` is set."""
    token = _STOP.set(event)
    try:
        yield
    finally:
        _STOP.reset(token)


def check() -> None:
    """Raise RunStopped when the run this thread belongs to was told to stop."""
    event = _STOP.get()
    if event is not None and event.is_set():
        raise RunStopped
