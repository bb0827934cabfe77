"""A service the tests run as a real subprocess: started, awaited until ready, stopped or killed.

The API server and the Celery workers of the end-to-end tests (and bench/scaleout.py) differ
only in their command line and in how they say they are ready; everything else is here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CELERY_WORKER = [sys.executable, "-m", "celery", "-A", "service.jobs.celery_app", "worker"]
"""`celery worker` for this project's app; callers add the pool and their own options."""


def run_worker_to_exit(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """A solo-pool `celery worker` run until it exits, its output captured: for the tests
    of workers that must refuse to start."""
    return subprocess.run(
        [*CELERY_WORKER, "--pool", "solo"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def child_env(**variables: str) -> dict[str, str]:
    """A small, offline environment for a child process of the tests, plus `variables`."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        **variables,
    }


class ChildProcess:
    """One subprocess writing to `log_path`; `what` names it in errors."""

    def __init__(self, what: str, env: dict[str, str], log_path: Path) -> None:
        self.what = what
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def launch(self, command: list[str], ready: Callable[[], bool], timeout_s: float) -> None:
        """Start `command` and return once `ready()` says so; raise with the log's tail if the
        process exits first or is not ready within `timeout_s`."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.what} exited early:\n{self.log_tail()}")
            if ready():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.what} did not become ready:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        """SIGKILL: the process dies mid-whatever, no cleanup at all."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within 15 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
