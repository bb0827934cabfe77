"""Command line: parse arguments, call the pipeline, render. No pipeline logic here."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from service.backends.embedders import warm_local_model
from service.backends.summarizers.registry import get_summarizer
from service.config import Settings, get_settings
from service.errors import EmptyInputError, InputError, ServiceError
from service.models import READ_ANYWAY, Article, Digest, InputFailure
from service.pipeline.ingest import (
    is_digest_file,
    load_paths,
)
from service.pipeline.render import llm_usage, render_markdown
from service.pipeline.run import DigestOptions, digest, embedder_for
from service.pipeline.verify import remembering

if TYPE_CHECKING:
    from service.web.page import PageKind

INTERRUPTED = 130  # the exit status of a run stopped by Ctrl-C (128 + SIGINT)
TERMINATED = 143  # and by SIGTERM (128 + 15): a batch scheduler's stop, `timeout`, `kill`
# every input a feed with no entry in the --since window: nothing new, no error. An hourly
# job had got status 2, a failure, for a quiet hour.
NOTHING_NEW = 4


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so the run stops as it does on Ctrl-C: with a
    line saying what became of the digest, and the status a shell reports for SIGTERM."""

    received = False  # set by the handler: 143 even where typer turned it into 130


app = typer.Typer(
    help="Cluster news articles into stories and write neutral, cited summaries.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True)


class _ProgressBars:
    """One rich progress bar per pipeline stage, shown on stderr; where stderr is not a
    terminal (a batch job's log) and not --quiet, a plain line at each quarter instead."""

    def __init__(self, progress: Progress, *, quiet: bool = False) -> None:
        self.progress = progress
        self.tasks: dict[str, int] = {}
        # why: a large input runs for minutes; a log with no line at all looks hung
        self.lines = progress.disable and not quiet
        self.quarters: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=max(total, 1))
        self.progress.update(self.tasks[stage], completed=done, total=max(total, 1))
        quarter = 4 * done // max(total, 1)
        if self.lines and quarter > self.quarters.get(stage, -1):
            self.quarters[stage] = quarter
            err.print(f"{stage}: {done}/{total}", highlight=False)


def _print_version(asked: bool) -> None:
    if asked:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("digest-service")
        except PackageNotFoundError:  # run from a source tree that is not installed
            number = "unknown (not installed)"
        sys.stdout.write(f"digest {number}\n")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Multi-document news summarization."""


@app.command()
def summarize(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="JSON/JSONL/CSV/text files, folders, '-', or URLs of pages and feeds.",
            metavar="FILE|FOLDER|URL|-",
        ),
    ],
    format: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="json or markdown (default: json for a .json --output)"
        ),
    ] = None,
    output_given: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Write here ('-': standard output).", metavar="FILE"),
    ] = None,
    one_story: Annotated[bool, typer.Option(help="Summarize all articles as one story.")] = False,
    max_words: Annotated[int | None, typer.Option(help="Words per summary (20-1000).")] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Clustering similarity threshold (0-1).")
    ] = None,
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            "--model",
            help="'extractive' (the default, DIGEST_BACKEND) or a litellm model string.",
        ),
    ] = None,
    api_base: Annotated[
        str | None,
        typer.Option(
            help="LLM server URL, e.g. http://127.0.0.1:8080/v1; for every model of the main "
            "model's provider (DIGEST_API_BASE)."
        ),
    ] = None,
    fallback: Annotated[
        list[str] | None,
        typer.Option(
            help="Fallback litellm model (repeatable, in order); the extractive summary is "
            "always the last resort."
        ),
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option(help="Skip unreadable records with a warning.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bars (or lines in a log).")
    ] = False,
    since: Annotated[
        str | None, typer.Option(help="Feeds: only entries from this window, e.g. 24h, 7d.")
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            help="Exit with status 3 when a story fell back to the extractive summary "
            "(the digest is still written)."
        ),
    ] = False,
) -> None:
    """Summarize articles from files, folders, standard input or URLs into a cited digest.

    Example: digest summarize news.jsonl -o digest.md
    """
    output = _output_path(output_given)
    if format is None:
        format = "json" if output and output.suffix.lower() == ".json" else "markdown"
    format = {"md": "markdown"}.get(format.lower(), format.lower())  # "JSON", "md" too
    if format not in ("json", "markdown"):
        _fail(f"unknown format {format!r}: use json or markdown")
    if output is not None:
        _refuse_overwriting_an_input(output, paths)
    try:
        options = DigestOptions(
            backend=backend,
            max_words=max_words,
            cluster_threshold=threshold,
            one_story=one_story,
        )
    except ValidationError as exc:
        _fail(_option_problems(exc))
    with _interruptible(output):
        try:
            settings = _llm_settings(api_base, fallback, backend)
            embedder = embedder_for(settings)
            # built before any work: a bad model name or a context window too small for the
            # prompt is reported now, not after the inputs were read and clustered
            summarizer = get_summarizer(
                options.backend or settings.backend,
                embedder=remembering(embedder),
                settings=settings,
            )
            if output:
                _check_writable(output)
            if (fallback or api_base) and (options.backend or settings.backend) == "extractive":
                err.print(
                    "[yellow]warning:[/] --fallback and --api-base apply to LLM backends; the "
                    "extractive backend is used (choose a model with --model)"
                )
            articles, failures, warnings = _read_inputs(paths, skip_invalid, since, quiet)
            with _bars(quiet) as bars:
                result = digest(
                    articles,
                    options,
                    embedder=embedder,
                    summarizer=summarizer,
                    progress=_ProgressBars(bars, quiet=quiet),
                    failures=failures,
                    settings=settings,
                )
        except _NothingNew as exc:
            err.print(f"nothing new: {escape(exc.message)}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=NOTHING_NEW) from None
        except ServiceError as exc:
            _fail(exc.user_message)
    for warning in result.warnings:  # LLM fallbacks: say why on the terminal too
        err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    result.warnings.extend(warnings)

    rendered = (
        result.model_dump_json(indent=2) + "\n" if format == "json" else render_markdown(result)
    )
    if output:
        try:
            _write_whole(output, rendered)
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror}" + _kept_elsewhere(rendered, format))
        stories = len(result.clusters)
        err.print(
            f"wrote {stories} {'story' if stories == 1 else 'stories'} to {escape(str(output))}"
        )
    else:
        _to_standard_output(rendered)
    if spent := llm_usage(result):  # a batch log shows what the run cost
        err.print(f"LLM use: {escape(spent)}")
    if strict:
        _exit_if_fallen_back(result, options.backend or settings.backend)


def _exit_if_fallen_back(result: Digest, requested: str) -> None:
    """`--strict`: a batch job learns from the exit status that an LLM backend did not
    write every story (the digest, written anyway, says which in each summary's notes)."""
    if requested == "extractive":
        return
    fell_back = [
        c.title for c in result.clusters if c.summary and c.summary.backend == "extractive"
    ]
    if fell_back:
        err.print(
            f"[red]error:[/] {len(fell_back)} of {len(result.clusters)} stories fell back to "
            f"the extractive summary instead of {escape(requested)} (--strict); the warnings "
            "above say why",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(code=3)


@app.command()
def prepare() -> None:
    """Prepare the local embedding model (an ONNX export, once, ~15 s) ahead of the first run."""
    try:
        embedder = embedder_for(get_settings())
        folder = warm_local_model(embedder)
    except ServiceError as exc:
        _fail(exc.user_message)
    if folder is None:
        err.print(f"nothing to prepare: {embedder.name} is a remote embedding model")
    else:
        err.print(f"local embedding model ready in {folder}")


# "www.example.com", "example.com/story": a web address without its https://
_ADDRESS_WITHOUT_SCHEME = re.compile(r"^(?:www\.[\w.-]+(?:/\S*)?|[\w-]+(?:\.[\w-]+)+/\S*)$")
# This process's own output streams, whatever the shell pointed them at (a pipe, or a file
# opened with >> that must be appended to, not replaced)
_PROCESS_STREAM = re.compile(r"^/(?:dev/(?:stdout|stderr|fd/\d+)|proc/(?:self|\d+)/fd/\d+)$")
_OPTION_FLAGS = {
    "backend": "--model",
    "max_words": "--max-words",
    "cluster_threshold": "--threshold",
}


def _output_path(given: str | None) -> Path | None:
    """`--output` as a path; None for standard output ('-'). A name ending in '/' means a
    folder: "out/" had been written as a file named "out"."""
    if given is None or given == "-":
        return None
    if not given.strip():
        _fail("--output is empty: give a file name, or '-' for standard output")
    if given.endswith(("/", os.sep)) and not Path(given).is_dir():
        name = given.rstrip("/" + os.sep)
        if Path(name).exists():
            _fail(f"--output {given} names a folder, but {name} is a file: give it as {name}")
        _fail(
            f"--output {given} names a folder that does not exist: create it first, or "
            f"give a file name ({name}.md)"
        )
    return Path(given)


@contextlib.contextmanager
def _interruptible(output: Path | None) -> Iterator[None]:
    """Ctrl-C or SIGTERM while the inputs are read or summarized: a line that says no
    digest was written and the old one is as it was (a run had ended without a word, a
    batch log showing nothing), then status 130 or 143."""
    try:
        yield
    except KeyboardInterrupt as exc:
        stopped = isinstance(exc, Terminated)
        where = f"{output} is as it was" if output else "nothing went to standard output"
        err.print(
            f"{'stopped (SIGTERM)' if stopped else 'interrupted'}: no digest was written "
            f"({escape(where)}); run the command again to start over",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(code=TERMINATED if stopped else INTERRUPTED) from None


def _kept_elsewhere(rendered: str, format: str) -> str:
    """The digest saved in the temporary folder when its --output could not be written
    after the work: minutes of summarizing were lost with it. Says where, or ""."""
    suffix = ".json" if format == "json" else ".md"
    try:
        handle, name = tempfile.mkstemp(prefix="digest-", suffix=suffix)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(rendered)
    except OSError:
        return ""
    return f"; the digest was saved to {name} instead"


def _option_problems(exc: ValidationError) -> str:
    """'--max-words 0: Input should be greater than or equal to 20', per bad option."""
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        flag = _OPTION_FLAGS.get(field, f"--{field.replace('_', '-')}")
        value = f" {error['input']}" if "input" in error else ""
        problems.append(f"{flag}{value}: {error['msg']}")
    return "invalid option " + "; ".join(problems)


def _to_standard_output(text: str) -> None:
    """The digest on standard output; a full disk or a closed stream is an error message,
    not a traceback, and a reader that stopped early (`| head`) ends the run quietly."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        raise typer.Exit(code=0) from None
    except OSError as exc:
        _fail(f"cannot write the digest to standard output: {exc.strerror or exc}")


def _refuse_overwriting_an_input(output: Path, paths: list[str]) -> None:
    """`--output` naming one of the input files would replace the articles with the digest."""
    try:
        target = output.resolve()
    except (OSError, RuntimeError):
        return
    for given in paths:
        candidate = Path(given)
        if given == "-" or not candidate.exists():
            continue
        inside = candidate.is_dir() and target.is_relative_to(candidate.resolve())
        if candidate.resolve() == target or (
            inside and target.is_file() and not is_digest_file(target)
        ):  # a folder's own file is read as articles; an earlier digest in it is skipped
            _fail(
                f"--output {output} is also an input: the digest would replace its articles; "
                "write the digest to another file"
            )


def _check_writable(output: Path) -> None:
    """Refuse an --output the digest could not be written to, before minutes of work."""
    if output.is_dir():
        raise InputError(f"--output {output} is a folder", hint="give a file name in it")
    target, straight = _output_target(output)
    if straight:  # a device or a pipe: written into as it is
        if target.exists() and not os.access(target, os.W_OK):
            raise InputError(f"--output {output}: not writable", hint="choose another place")
        return
    folder = target.parent if str(target.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise InputError(
            f"--output {output}: {folder} is a file, not a folder",
            hint="give a file name in a folder",
        )
    if not folder.is_dir():
        raise InputError(
            f"--output {output}: the folder {folder} does not exist", hint="create it first"
        )
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise InputError(f"--output {output}: not writable", hint="choose another place")
    _try_writing_in(folder, output)


def _try_writing_in(folder: Path, output: Path) -> None:
    """Create and remove a file in `folder`: os.access says yes to root (and on some
    mounts) where writing fails, and the failure had come after all the work."""
    probe = folder / f".digest-probe.{os.getpid()}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as exc:
        raise InputError(
            f"--output {output}: cannot write in {folder} ({exc.strerror})",
            hint="choose another place",
        ) from exc


def _llm_settings(
    api_base: str | None, fallback: list[str] | None, model: str | None = None
) -> Settings:
    """The settings with the LLM flags applied (flags win over DIGEST_* variables);
    `--model` is the backend that `--api-base` and the key are for."""
    updates: dict[str, object] = {}
    if model:
        updates["backend"] = model
    if api_base:
        if not api_base.lower().startswith(("http://", "https://")):
            raise InputError(
                f"--api-base {api_base!r} is not a URL",
                hint="give the server's base URL, e.g. http://127.0.0.1:8080/v1",
            )
        updates["api_base"] = api_base
    if fallback:
        updates["fallback_models"] = list(fallback)
    return get_settings().model_copy(update=updates)


class _NothingNew(EmptyInputError):
    """Every input is a feed with no entry in the --since window: nothing new, exit 4."""


def _read_inputs(
    args: list[str], skip_invalid: bool, since: str | None, quiet: bool
) -> tuple[list[Article], list[InputFailure], list[str]]:
    """Files through ingest, saved pages and feeds and URLs through web ingestion; warnings
    (failed URLs too) printed."""
    with tempfile.TemporaryDirectory(prefix="digest-stdin-") as scratch:
        return _read_inputs_with(args, skip_invalid, since, quiet, Path(scratch))


def _piped_page(scratch: Path) -> tuple[Path, PageKind] | None:
    """Standard input, when it holds a web page or a feed, saved in `scratch` to be read
    as a saved page is; otherwise it is left for ingest to read as articles. Piped in, a
    feed had been one article titled with its XML, and a page titled with its menu."""
    from service.web.saved import page_kind

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # replaced by a text stream (tests): articles
        return None
    data = stream.read()
    kind = page_kind(data)
    if kind is None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")  # read again by ingest
        return None
    path = scratch / ("stdin.xml" if kind == "feed" else "stdin.html")
    path.write_bytes(data)
    return path, kind


def _tell_how_to_end_pasting() -> None:
    """`-` read from a terminal: say that it waits for a pasted article and how to end it;
    the run had sat silent, looking hung."""
    with contextlib.suppress(ValueError, OSError):  # a closed or replaced stream
        if sys.stdin.isatty():
            err.print(
                "reading standard input: paste the articles (JSON, JSONL or one article's "
                "text), then press Ctrl-D on a line of its own (Ctrl-Z, Enter on Windows)",
                highlight=False,
                soft_wrap=True,
            )


def _as_stdin(
    articles: list[Article], failures: list[InputFailure], scratch: Path
) -> tuple[list[Article], list[InputFailure]]:
    """What was read from a page or feed piped in, named "stdin" rather than by the file it
    was kept in for the run (a link to a deleted file would have been its source's link)."""
    address = scratch.resolve().as_uri()
    articles = [  # a page's id from its text, not from the run's random folder
        a.model_copy(update={"url": None, "id": f"stdin-{_digits(a.text)}"})
        if (a.url or "").startswith(address)
        else a
        for a in articles
    ]
    failures = [f.model_copy(update={"input": _stdin_named(f.input, scratch)}) for f in failures]
    return articles, failures


def _stdin_named(name: str, scratch: Path) -> str:
    """A name with the file a piped page or feed was kept in shown as "stdin"."""
    kept = re.compile(re.escape(f"{scratch}{os.sep}") + r"stdin\.(?:xml|html)")  # as read
    return kept.sub("stdin", name)


def _digits(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _read_inputs_with(
    args: list[str], skip_invalid: bool, since: str | None, quiet: bool, scratch: Path
) -> tuple[list[Article], list[InputFailure], list[str]]:
    from service import web  # only runs that fetch pay for importing the web stack
    from service.web.feeds import FeedEntry
    from service.web.saved import read_saved, saved_kind

    urls = [a for a in args if web.looks_like_url(a)]
    files = [Path(a) for a in args if not web.looks_like_url(a)]
    for path in files:
        if not path.exists() and _ADDRESS_WITHOUT_SCHEME.match(str(path)):
            raise InputError(
                f"{path}: no such file or folder",
                hint=f"for a web page, give its full address: https://{path}",
            )
    if args.count("-") > 1:
        raise InputError("'-' (standard input) is given twice", hint="give it once")
    kinds = {p: saved_kind(p) for p in files if str(p) != "-" and p.is_file()}
    if "-" in args:
        _tell_how_to_end_pasting()
    if "-" in args and (piped := _piped_page(scratch)) is not None:
        files.remove(Path("-"))  # a page or a feed piped in: read as its saved file would be
        kinds[piped[0]] = piped[1]
    pages = [(p, kind) for p, kind in kinds.items() if kind is not None]
    files = [p for p in files if kinds.get(p) is None]
    if since and not urls and not pages:
        err.print(  # a page given directly is read whatever its date: only entries are
            "[yellow]warning:[/] --since applies to the entries of feeds; no URL or saved "
            "feed was given"
        )
    window = web.parse_since(since) if since else None
    articles: list[Article] = []
    warnings: list[str] = []
    failures: list[InputFailure] = []
    entries: list[tuple[str, FeedEntry]] = []  # a saved feed's entries to fetch
    if pages:  # saved web pages and feeds, read as their URLs would be
        settings = get_settings()
        saved = read_saved(
            pages,
            since=window,
            max_entries=settings.web_max_feed_entries,
            max_bytes=settings.web_max_bytes,
        )
        articles, failures = _as_stdin(saved.articles, saved.failures, scratch)
        entries = [
            (_stdin_named(feed, scratch), e) for feed, e in saved.entries if e.link not in urls
        ]
    if files:
        try:
            with _bars(quiet) as bars:  # 50 MB of JSONL takes half a minute to read
                progress = _ProgressBars(bars, quiet=quiet)
                ingested = load_paths(
                    files,
                    skip_invalid=skip_invalid,
                    progress=progress,
                    max_text_bytes=get_settings().max_article_bytes,  # far over: not cleaned
                )
        except EmptyInputError as exc:
            if not urls and not articles and not entries:
                raise
            warnings.append(exc.user_message)  # the URLs or saved pages may still give some
        else:
            articles += ingested.articles  # one over DIGEST_MAX_ARTICLE_BYTES was invalid
            warnings = list(ingested.warnings) + warnings
    if urls or entries:
        with _bars(quiet) as bars:
            progress = _ProgressBars(bars, quiet=quiet)
            collected = web.collect(urls, since=window, progress=progress, entries=entries)
        articles += collected.articles
        failures += collected.failures
    # failed URLs are printed here and listed in the digest's failures, not its warnings;
    # one read after all from other text is a warning of the digest, printed with those
    unread = [
        f"{f.input}: {f.detail} [{f.reason}]" for f in failures if f.reason not in READ_ANYWAY
    ]
    for warning in warnings + unread:  # escaped: '[http_404]' is not rich markup
        err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    quiet_feeds = since is not None and not warnings and failures  # every input a feed ...
    if not articles and quiet_feeds and all(f.reason == "no_entries" for f in failures):
        raise _NothingNew(  # ... with no entry in the window
            f"no feed has an entry of the last {since}; no digest was written "
            "(an --output is as it was)"
        )
    if not articles:
        raise EmptyInputError(
            "no article could be read from the inputs given (see the warnings)",
            hint="fix or replace the inputs the warnings name",
        )
    return articles, failures, warnings


def _output_target(path: Path) -> tuple[Path, bool]:
    """Where `--output` writes, and whether straight into it (True) rather than through a
    temporary file. A device, a pipe or the process's own streams (/dev/stdout, even when
    the shell pointed it at a file with `>>`) are written into as they are, appended, never
    replaced by a file; a link to a file is followed, so its target is replaced and the
    link stays."""
    if _PROCESS_STREAM.match(str(path)) or (path.exists() and not path.is_file()):
        return path, True
    if not path.is_symlink():
        return path, False
    try:
        return path.resolve(strict=False), False
    except (RuntimeError, OSError) as exc:  # a link that leads back to itself
        raise InputError(
            f"--output {path}: a link that cannot be followed ({exc})", hint="give a file name"
        ) from exc


def _write_whole(path: Path, text: str) -> None:
    """Write the digest through a temporary file beside its target: a full disk or a kill
    leaves the previous digest (or none), never half of one, and the target keeps its
    permissions. Devices and pipes are written into (`_output_target`)."""
    target, straight = _output_target(path)
    if straight:
        with target.open("a", encoding="utf-8") as stream:
            stream.write(text)
        return
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        if target.exists():
            shutil.copymode(target, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _bars(quiet: bool) -> Progress:
    """Progress bars on stderr, off when quiet or when stderr is not a terminal."""
    return Progress(
        TextColumn("{task.description:>10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=quiet or not err.is_terminal,
        transient=True,
    )


def _fail(message: str) -> None:
    # soft_wrap: no hard line breaks inside a path or a URL the user may copy
    err.print(f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def main() -> None:
    """Console-script entry point. Ctrl-C (and SIGTERM, as a batch scheduler stops a job)
    ends the process at once: threads waiting on a model would otherwise have finished
    their stories first, sending their next (billed) calls, and the exit took three times
    the model's latency."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except SystemExit as exc:
        if exc.code in (INTERRUPTED, TERMINATED):
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os._exit(TERMINATED if Terminated.received else INTERRUPTED)
        raise


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM handled as Ctrl-C is (`Terminated`)."""
    Terminated.received = True
    raise Terminated
