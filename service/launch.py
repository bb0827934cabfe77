"""The `digest` command's entry point: loads the CLI, and ends quietly (exit 130) on a
Ctrl-C while it loads, instead of a traceback from deep inside an import."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from service.cli import main as run_cli
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    run_cli()
