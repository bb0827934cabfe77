"""What the routes share, built once per app: settings, store, executor, metrics, readiness."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from service.api.metrics import Metrics
from service.config import Settings
from service.jobs import Executor, JobStore

log = logging.getLogger("service.api")


class Readiness:
    """Warms the model in the background; /readyz says 'not ready' until it is loaded."""

    def __init__(self, warm_up: Callable[[], None]) -> None:
        self.warm_up = warm_up
        self.ready = threading.Event()
        self.error: str | None = None

    def start(self) -> None:
        threading.Thread(target=self._run, name="model-warm-up", daemon=True).start()

    def _run(self) -> None:
        try:
            self.warm_up()
        except Exception as exc:  # reported by /readyz; the process stays up for diagnosis
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("model warm-up failed")
            return
        self.ready.set()


@dataclass
class Services:
    """Everything a request handler may need; lives on `app.state.services`."""

    settings: Settings
    store: JobStore
    executor: Executor
    metrics: Metrics
    readiness: Readiness
    extras: dict[str, object] = field(default_factory=dict)
