"""The web package's logged warnings, said on a bare terminal as the CLI says its own.

The CLI sets up no logging, so Python's last-resort handler printed these records as a bare
line ("no page cache in ..."), where every other warning reads "warning: ...". Where
nothing else handles a record (no handler between its logger and the root), this handler
prints it with its level in front instead; where logging is set up (the API's JSON lines,
a worker, the tests) it stays quiet and those handlers have the record, as before.
"""

from __future__ import annotations

import logging
import sys


class UnhandledToStderr(logging.Handler):
    """Last resort for warnings and errors: "warning: <message>" on standard error."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        if _handled_elsewhere(logging.getLogger(record.name)):
            return
        try:  # sys.stderr as it is now: the CLI's tests replace it
            sys.stderr.write(f"{record.levelname.lower()}: {self.format(record)}\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def _handled_elsewhere(logger: logging.Logger | None) -> bool:
    """Whether a handler other than this one will get records of `logger` (where none
    would, Python's last resort had printed them bare)."""
    while logger is not None:
        if any(not isinstance(h, UnhandledToStderr) for h in logger.handlers):
            return True
        if not logger.propagate:
            return False
        logger = logger.parent
    return False


def install(name: str) -> None:
    """Put the handler on the logger `name` once (importing the package twice adds none)."""
    logger = logging.getLogger(name)
    if not any(isinstance(h, UnhandledToStderr) for h in logger.handlers):
        logger.addHandler(UnhandledToStderr())
