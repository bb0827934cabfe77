"""The Celery app: Redis broker from the settings, tasks acknowledged only after they finish.

    celery -A service.jobs.celery_app worker --concurrency 4 --hostname w1@%h

`acks_late` with `task_reject_on_worker_lost` means a worker killed mid-task
leaves the message unacknowledged; Redis hands it to another worker after the
visibility timeout (`DIGEST_BROKER_VISIBILITY_TIMEOUT_S`). Prefetch 1 keeps a
busy worker from hoarding stories another could summarize. Results live in the
job database, never in Celery's result backend.

`app` (for the `celery` command) reads the settings only when first configured.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from service.config import Settings, get_settings
from service.errors import ConfigError

TASKS = "service.jobs.tasks"
RUN_JOB = "digest.run_job"
SUMMARIZE_STORY = "digest.summarize_story"
BROKER_SOCKET_TIMEOUT_S = 5


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings for this service's settings."""
    if not settings.broker_url:
        raise ConfigError(
            "no broker configured for the Celery workers",
            hint="set BROKER_URL (e.g. redis://127.0.0.1:6379/0)",
        )
    visibility = settings.broker_visibility_timeout_s
    return {
        "broker_url": settings.broker_url,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "visibility_timeout": visibility,
            # look for abandoned messages often enough to honour a short timeout
            "unacked_restore_interval": max(1, min(10, visibility // 2)),
            "unacked_restore_throttle": 1,
            # a Redis that takes connections but never answers held /readyz, job submits
            # and the recovery loop for good (redis-py waits on a reply without a limit)
            "socket_timeout": BROKER_SOCKET_TIMEOUT_S,
            "socket_connect_timeout": BROKER_SOCKET_TIMEOUT_S,
        },
        "broker_connection_timeout": BROKER_SOCKET_TIMEOUT_S,
        "task_default_queue": settings.celery_queue,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_ignore_result": True,
        "worker_prefetch_multiplier": 1,
        "worker_hijack_root_logger": False,
        "include": [TASKS],
    }


def make_celery(settings: Settings) -> Celery:
    """A Celery app for these settings (the API uses it to send tasks)."""
    config = celery_config(settings)
    app = Celery("digest", set_as_current=False, include=config.pop("include"))
    app.config_from_object(config)
    return app


class _SettingsCelery(Celery):
    """Reads the settings when the worker first needs them, not at import.

    A method, not a receiver of the `on_configure` signal: Celery logs a receiver's
    exception and goes on, so a worker without BROKER_URL started on Celery's default
    (RabbitMQ on localhost) and waited on a queue no digest task is sent to."""

    def on_configure(self) -> None:  # type: ignore[override]
        try:
            config = celery_config(get_settings())
        except ConfigError as exc:  # one line, not a 65-line traceback through Celery's CLI
            raise SystemExit(f"worker not started: {exc}") from None
        config.pop("include")
        self.config_from_object(config)


app = _SettingsCelery("digest", include=[TASKS])
