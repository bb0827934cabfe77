"""Command line: parse arguments, call the pipeline, render. No pipeline logic here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from service.errors import ServiceError
from service.pipeline.ingest import load_paths
from service.pipeline.render import render_markdown
from service.pipeline.run import DigestOptions, digest

app = typer.Typer(
    help="Cluster news articles into stories and write neutral, cited summaries.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True)


class _ProgressBars:
    """One rich progress bar per pipeline stage, shown on stderr."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=max(total, 1))
        self.progress.update(self.tasks[stage], completed=done, total=max(total, 1))


@app.callback()
def _root() -> None:
    """Multi-document news summarization."""


@app.command()
def summarize(
    paths: Annotated[list[Path], typer.Argument(help="JSON/JSONL/text files or folders.")],
    format: Annotated[str, typer.Option("--format", "-f", help="json or markdown")] = "markdown",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
    one_story: Annotated[bool, typer.Option(help="Summarize all articles as one story.")] = False,
    max_words: Annotated[int | None, typer.Option(help="Words per summary (20-1000).")] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Clustering similarity threshold (0-1).")
    ] = None,
    backend: Annotated[str | None, typer.Option(help="'extractive' or a litellm model.")] = None,
    skip_invalid: Annotated[
        bool, typer.Option(help="Skip unreadable records with a warning.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Summarize articles from files or folders into a cited digest."""
    if format not in ("json", "markdown"):
        _fail(f"unknown format {format!r}: use json or markdown")
    try:
        options = DigestOptions(
            backend=backend,
            max_words=max_words,
            cluster_threshold=threshold,
            one_story=one_story,
        )
    except ValueError as exc:
        _fail(f"invalid option: {exc}")
    try:
        ingested = load_paths(paths, skip_invalid=skip_invalid)
        for warning in ingested.warnings:
            err.print(f"[yellow]warning:[/] {warning}")
        with Progress(
            TextColumn("{task.description:>10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=quiet or not err.is_terminal,
            transient=True,
        ) as bars:
            result = digest(ingested.articles, options, progress=_ProgressBars(bars))
        result.warnings.extend(ingested.warnings)
    except ServiceError as exc:
        _fail(exc.user_message)

    rendered = (
        result.model_dump_json(indent=2) + "\n" if format == "json" else render_markdown(result)
    )
    if output:
        try:
            output.write_text(rendered, encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror}")
        err.print(f"wrote {len(result.clusters)} stories to {output}")
    else:
        sys.stdout.write(rendered)


def _fail(message: str) -> None:
    err.print(f"[red]error:[/] {message}", highlight=False)
    raise typer.Exit(code=2)


def main() -> None:
    """Console-script entry point."""
    app()
