import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from service.cli import app
from service.evaluation import bcubed
from service.models import Digest
from tests.conftest import EXAMPLE, ROOT
from tests.stories import STRIKE_A, STRIKE_B, STRIKE_C

runner = CliRunner()


@pytest.fixture
def digest_setting(monkeypatch) -> Iterator[Callable[[str, str], None]]:
    """Sets a DIGEST_* variable for the CLI: the cached settings are read afresh after each
    one is set, and once more when the test ends (monkeypatch then restores the variable)."""
    from service.config import get_settings

    def set_variable(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield set_variable
    get_settings.cache_clear()


def _strike_file(tmp_path: Path) -> Path:
    path = tmp_path / "strike.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"id": k, "title": f"Strike {k}", "text": t, "source": f"Outlet {k}"})
            for k, t in [("a", STRIKE_A), ("b", STRIKE_B), ("c", STRIKE_C)]
        )
    )
    return path


def test_json_digest_of_the_example(tmp_path: Path) -> None:
    out = tmp_path / "digest.json"
    result = runner.invoke(
        app, ["summarize", str(EXAMPLE), "--format", "json", "-o", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    digest = Digest.model_validate_json(out.read_text())
    gold = {json.loads(line)["id"]: json.loads(line)["gold_cluster"] for line in open(EXAMPLE)}
    found = {aid: cluster.id for cluster in digest.clusters for aid in cluster.article_ids}
    ids = sorted(found)
    assert bcubed([found[i] for i in ids], [gold[i] for i in ids]).f1 >= 0.95
    for cluster in digest.clusters:
        assert cluster.summary and cluster.summary.sentences
        for sentence in cluster.summary.sentences:
            assert sentence.article_ids and set(sentence.article_ids) <= set(cluster.article_ids)
            assert all(1 <= n <= len(cluster.sources) for n in sentence.citations)
        assert cluster.summary.word_count <= 120


def test_markdown_and_one_story(tmp_path: Path) -> None:
    result = runner.invoke(app, ["summarize", str(_strike_file(tmp_path)), "--one-story", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("## ") == 1
    assert "**Sources**" in result.stdout and "1. Strike a — Outlet a" in result.stdout
    assert "[1]" in result.stdout


def test_errors_exit_non_zero_with_a_message(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["summarize", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{broken\n')
    invalid = runner.invoke(app, ["summarize", str(bad)])
    assert invalid.exit_code == 2 and "bad.jsonl:2: invalid JSON" in invalid.stderr
    wrong_format = runner.invoke(app, ["summarize", str(bad), "--format", "pdf"])
    assert wrong_format.exit_code == 2 and "unknown format" in wrong_format.stderr
    bad_words = runner.invoke(app, ["summarize", str(_strike_file(tmp_path)), "--max-words", "5"])
    assert bad_words.exit_code == 2 and "invalid option" in bad_words.stderr


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "service",
            "summarize",
            str(_strike_file(tmp_path)),
            "-f",
            "json",
            "-q",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["clusters"][0]["summary"]["sentences"]


def test_stdin_input(tmp_path: Path) -> None:
    text = _strike_file(tmp_path).read_text()
    result = runner.invoke(app, ["summarize", "-", "-f", "json", "-q"], input=text)
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["articles"]) == 3


def test_problems_found_before_any_work_name_the_flag_or_variable(tmp_path: Path, digest_setting):
    """Checked up front: a bad model, output folder or setting fails in seconds, not after
    the digest is made (the input here does not even exist, and is never read)."""
    missing = str(tmp_path / "never-read.jsonl")
    model = runner.invoke(app, ["summarize", missing, "--model", "nonsense"])
    assert model.exit_code == 2 and "unknown backend 'nonsense'" in model.stderr
    output = runner.invoke(app, ["summarize", missing, "-o", str(tmp_path / "no" / "d.md")])
    assert output.exit_code == 2 and "the folder" in output.stderr
    assert "does not exist" in output.stderr
    words = runner.invoke(app, ["summarize", missing, "--max-words", "0"])
    assert words.exit_code == 2 and "--max-words 0: Input should be greater" in words.stderr
    nan = runner.invoke(app, ["summarize", missing, "--threshold", "nan"])
    assert nan.exit_code == 2 and "--threshold nan: Input should be a finite number" in nan.stderr

    def with_setting(name: str, value: str) -> Result:
        """The CLI run with `name` set (the settings read afresh)."""
        digest_setting(name, value)
        return runner.invoke(app, ["summarize", missing])

    setting = with_setting("DIGEST_MAX_WORDS", "5")
    assert setting.exit_code == 2 and "Traceback" not in setting.output
    assert "invalid setting DIGEST_MAX_WORDS='5'" in " ".join(setting.stderr.split())

    # a raw key pasted where its hash belongs is named, never printed
    secret = with_setting("DIGEST_API_KEY_HASHES", "KEY-ALICE-SECRET")
    assert secret.exit_code == 2 and "DIGEST_API_KEY_HASHES" in secret.stderr
    assert "KEY-ALICE-SECRET" not in secret.output


def test_error_text_with_brackets_is_printed_as_given(tmp_path: Path) -> None:
    """Rich would read '[item 0]' or 'br[ack]' as markup and drop it."""
    result = runner.invoke(app, ["summarize", str(tmp_path / "br[ack]" / "nope.txt")])
    assert result.exit_code == 2
    assert "br[ack]" in result.stderr


def test_flags_that_cannot_apply_are_refused_or_warned(tmp_path: Path) -> None:
    strike = str(_strike_file(tmp_path))
    api_base = runner.invoke(app, ["summarize", strike, "--api-base", "notaurl", "-q"])
    assert api_base.exit_code == 2 and "--api-base 'notaurl' is not a URL" in api_base.stderr
    twice = runner.invoke(app, ["summarize", "-", "-", "-q"], input=STRIKE_A)
    assert twice.exit_code == 2 and "given twice" in twice.stderr
    since = runner.invoke(app, ["summarize", strike, "--since", "24h", "-q"])
    assert since.exit_code == 0 and "--since applies to the entries of feeds" in since.stderr
    unused = runner.invoke(app, ["summarize", strike, "--fallback", "openai/gpt-4o", "-q"])
    assert unused.exit_code == 0 and "--fallback and --api-base apply to LLM" in unused.stderr


def test_a_web_address_without_https_gets_a_hint(tmp_path: Path) -> None:
    result = runner.invoke(app, ["summarize", "www.example.com/story", "-q"])
    assert result.exit_code == 2
    assert "give its full address: https://www.example.com/story" in result.stderr
    plain = runner.invoke(app, ["summarize", str(tmp_path / "notes.txt"), "-q"])
    assert plain.exit_code == 2 and "https://" not in plain.stderr


def test_progress_shows_as_lines_where_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    """A batch job's log gets a line per stage and quarter (no bars there), none with -q."""
    strike = str(_strike_file(tmp_path))
    logged = runner.invoke(app, ["summarize", strike, "-f", "json"])
    assert logged.exit_code == 0, logged.output
    lines = logged.stderr.splitlines()
    assert "dedup: 3/3" in lines and "embed: 0/3" in lines
    assert "summarize: 1/1" in lines
    assert len(lines) == len(set(lines))  # a quarter is told once
    quiet = runner.invoke(app, ["summarize", strike, "-f", "json", "-q"])
    assert quiet.exit_code == 0 and "dedup:" not in quiet.stderr


def test_a_failed_write_leaves_the_previous_digest_whole(tmp_path: Path, monkeypatch) -> None:
    import errno

    out = tmp_path / "digest.md"
    out.write_text("yesterday's digest\n")
    news = _strike_file(tmp_path)
    real_write = Path.write_text

    def disk_full(self: Path, data: str, *args: object, **kwargs: object) -> int:
        real_write(self, data[:10], *args, **kwargs)  # some bytes land, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    spare = tmp_path / "spare"
    spare.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spare))
    monkeypatch.setattr(Path, "write_text", disk_full)
    result = runner.invoke(app, ["summarize", str(news), "-o", str(out), "-q"])
    monkeypatch.undo()
    assert result.exit_code == 2
    assert "cannot write" in result.output and "No space left on device" in result.output
    assert out.read_text() == "yesterday's digest\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digest.md", "spare", "strike.jsonl"]
    # the work is not lost with it: the digest waits in the temporary folder, named
    [kept] = spare.iterdir()
    assert kept.read_text().startswith("# Digest") and kept.suffix == ".md"
    assert f"saved to {kept} instead" in " ".join(result.stderr.split())


def test_output_through_a_link_or_to_a_device_keeps_what_is_there(tmp_path: Path) -> None:
    """The temporary-file write replaced a link with a file (and, run as root, /dev/null
    with a text file); the link now stays and its target gets the digest, keeping its mode."""
    import os
    import stat

    news = str(_strike_file(tmp_path))
    (tmp_path / "pub").mkdir()
    target = tmp_path / "pub" / "real.md"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.md"
    link.symlink_to(target)
    result = runner.invoke(app, ["summarize", news, "-o", str(link), "-q"])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and target.read_text().startswith("# Digest")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        result = runner.invoke(app, ["summarize", news, "-o", str(fifo), "-q", "-f", "JSON"])
        assert result.exit_code == 0, result.output
        assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a pipe, not a file
        assert os.read(reader, 1 << 16).startswith(b"{")  # and the digest went through it
    finally:
        os.close(reader)


def test_output_to_the_process_streams_is_written_into_and_a_link_loop_is_refused(
    tmp_path: Path,
) -> None:
    """-o /dev/stdout into a pipe failed (its target is no file), and into a file opened
    with >> it replaced the file; a link loop was a traceback."""
    from service.cli import _output_target, _write_whole

    assert _output_target(Path("/dev/stdout")) == (Path("/dev/stdout"), True)
    assert _output_target(Path("/dev/shm/digest.md")) == (Path("/dev/shm/digest.md"), False)
    refused = runner.invoke(app, ["summarize", "-", "-o", "/dev/no_such_dir/out.md", "-q"])
    assert refused.exit_code == 2 and "does not exist" in refused.stderr  # before any work
    kept = tmp_path / "all.md"
    kept.write_text("PREVIOUS\n")
    link = tmp_path / "stream"
    link.symlink_to("/dev/null")
    assert _output_target(link) == (link, True)
    with open(kept, "a") as appended:  # what `>> all.md` hands the process
        _write_whole(Path(f"/proc/self/fd/{appended.fileno()}"), "NEW\n")
    assert kept.read_text() == "PREVIOUS\nNEW\n"
    (tmp_path / "loop_a").symlink_to(tmp_path / "loop_b")
    (tmp_path / "loop_b").symlink_to(tmp_path / "loop_a")
    news = str(_strike_file(tmp_path))
    result = runner.invoke(app, ["summarize", news, "-o", str(tmp_path / "loop_a"), "-q"])
    assert result.exit_code == 2 and "cannot be followed" in result.stderr


def test_an_output_path_under_a_file_says_it_is_a_file(tmp_path: Path) -> None:
    existing = tmp_path / "digest.md"
    existing.write_text("kept\n")
    refused = runner.invoke(
        app, ["summarize", str(_strike_file(tmp_path)), "-o", f"{existing}/x.md", "-q"]
    )
    assert refused.exit_code == 2
    assert "is a file, not a folder" in refused.stderr and existing.read_text() == "kept\n"


def test_an_article_over_the_size_limit_is_refused_or_left_out_as_the_api_does(
    tmp_path: Path, digest_setting
) -> None:
    """A 50 MB record took minutes and gigabytes, and folded the small ones in as copies."""
    digest_setting("DIGEST_MAX_ARTICLE_BYTES", "2000")
    path = _strike_file(tmp_path)
    lines = len(path.read_text().splitlines())
    with path.open("a") as out:
        out.write("\n" + json.dumps({"id": "huge", "text": "A long day at sea. " * 200}))
        out.write("\n" + json.dumps({"id": "vast", "text": "A long day at sea. " * 300}))
    refused = runner.invoke(app, ["summarize", str(path), "-q"])
    assert refused.exit_code == 2
    stderr = " ".join(refused.stderr.split())  # rich wraps long lines
    # both named at once, each with its file and line, as invalid records are
    assert f"{path}:{lines + 1}: article 'huge' has 3799 bytes of text; the limit is 2000" in stderr
    assert f"1 more invalid record(s): {path}:{lines + 2}" in stderr
    assert "leave such articles out" in stderr
    skipped = runner.invoke(app, ["summarize", str(path), "-q", "--skip-invalid", "-f", "json"])
    assert skipped.exit_code == 0, skipped.stderr
    digest = Digest.model_validate_json(skipped.stdout)
    assert "huge" not in {a.id for a in digest.articles}
    assert f"skipped {path}:{lines + 1}: article 'huge'" in " ".join(skipped.stderr.split())


def test_the_output_never_replaces_an_input_nor_is_read_back_as_one(tmp_path: Path) -> None:
    source = _strike_file(tmp_path)
    before = source.read_text()
    same = runner.invoke(app, ["summarize", str(source), "-o", str(source), "-q"])
    assert same.exit_code == 2 and "also an input" in same.stderr
    assert source.read_text() == before
    # a folder summarized twice: the first run's digest (either format) is no article
    folder = tmp_path / "in"
    folder.mkdir()
    source.rename(folder / "strike.jsonl")
    for name in ("out.json", "out.md"):
        for _ in range(2):
            run = runner.invoke(app, ["summarize", str(folder), "-o", str(folder / name), "-q"])
            assert run.exit_code == 0, run.output
        digest_text = (folder / name).read_text()
        assert "Digest:" not in digest_text.split("Sources")[-1]  # no digest among the sources
        if name == "out.md":
            assert "from 3 articles" in digest_text and "a digest this tool wrote" in run.stderr
        else:
            assert len(Digest.model_validate_json(digest_text).articles) == 3


def test_an_output_among_a_folders_files_is_refused_but_an_earlier_digest_there_is_not(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    articles = _strike_file(tmp_path).rename(folder / "articles.jsonl")
    before = articles.read_text()
    inside = runner.invoke(app, ["summarize", str(folder), "-o", str(articles), "-q"])
    assert inside.exit_code == 2 and "also an input" in inside.stderr
    assert articles.read_text() == before
    # an article of the user's own that opens "# Digest: ..." is an article, not a digest
    (folder / "notes.md").write_text("# Digest: what the board decided\n\nThe board voted.")
    read = runner.invoke(app, ["summarize", str(folder), "-f", "json", "-q"])
    assert len(Digest.model_validate_json(read.stdout).articles) == 4


def test_output_dash_is_standard_output_and_a_json_name_gets_json(tmp_path: Path) -> None:
    source = str(_strike_file(tmp_path))
    dash = runner.invoke(app, ["summarize", source, "-o", "-", "-q"])
    assert dash.exit_code == 0 and dash.stdout.startswith("# Digest:")
    assert not Path("-").exists()
    out = tmp_path / "digest.json"
    assert runner.invoke(app, ["summarize", source, "-o", str(out), "-q"]).exit_code == 0
    assert Digest.model_validate_json(out.read_text()).clusters
    md = tmp_path / "digest.json.md"
    assert runner.invoke(app, ["summarize", source, "-o", str(md), "-q"]).exit_code == 0
    assert md.read_text().startswith("# Digest:")


def test_a_full_standard_output_is_an_error_message_not_a_traceback(tmp_path: Path) -> None:
    source = str(_strike_file(tmp_path))
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, "-m", "service", "summarize", source, "-q"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
    assert run.returncode == 2, run.stderr
    assert "cannot write the digest to standard output" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_record_without_a_title_is_headed_by_its_first_sentence(tmp_path: Path) -> None:
    text = " ".join(STRIKE_B.split())  # one paragraph: its first line is all of it
    source = tmp_path / "untitled.jsonl"
    source.write_text(json.dumps({"id": "b", "text": text}) + "\n")
    shown = runner.invoke(app, ["summarize", str(source), "-q"]).stdout
    heading = "Dock workers at the port of Valmora went on strike on Monday, demanding better pay and safety rules."
    assert f"## {heading}\n" in shown and f"1. {heading}\n" in shown


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("digest 0.")


def test_the_default_data_folder_is_the_users_not_the_working_directory(
    tmp_path: Path, monkeypatch
) -> None:
    """A run from any folder had left a `data/` there, and kept one page cache per folder."""
    from service.config import Settings

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    assert Settings().data_dir == tmp_path / "xdg" / "digest-service"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert Settings().data_dir == tmp_path / "home" / ".local" / "share" / "digest-service"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/xdg")  # ignored, as XDG says
    assert Settings().data_dir == tmp_path / "home" / ".local" / "share" / "digest-service"
    monkeypatch.setenv("DIGEST_DATA_DIR", str(tmp_path / "mine"))
    assert Settings().data_dir == tmp_path / "mine"
    # a ./data holding the old default's job store is still used (its jobs, its LLM cache)
    monkeypatch.delenv("DIGEST_DATA_DIR")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "jobs.db").write_bytes(b"")
    assert Settings().data_dir == Path("data")


def test_ctrl_c_while_the_cli_loads_ends_quietly(monkeypatch, capsys) -> None:
    """Loading the pipeline takes a second or two; a Ctrl-C then printed a long traceback."""
    from service import launch

    class Interrupted:
        def find_spec(self, name: str, *args: object) -> None:
            if name == "service.cli":
                raise KeyboardInterrupt
            return None

    monkeypatch.delitem(sys.modules, "service.cli")
    monkeypatch.setattr(sys, "meta_path", [Interrupted(), *sys.meta_path])
    with pytest.raises(SystemExit) as stopped:
        launch.main()
    assert stopped.value.code == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_the_package_names_load_on_first_use() -> None:
    code = (
        "import sys, service; assert 'service.pipeline.run' not in sys.modules; "
        "from service import digest, Article; print(digest.__module__, Article.__name__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["service.pipeline.run", "Article"]


def test_an_embedding_model_litellm_cannot_route_is_refused_before_any_work(
    tmp_path: Path, digest_setting
) -> None:
    """It had failed after the inputs were read, with litellm's "LLM Provider NOT provided"."""
    from service.backends.summarizers.registry import check_settings
    from service.config import Settings
    from service.errors import ConfigError

    digest_setting("DIGEST_EMBEDDING_MODEL", "bogus")
    refused = runner.invoke(app, ["summarize", str(_strike_file(tmp_path)), "-q"])
    assert refused.exit_code == 2
    assert "unknown embedding model 'bogus'" in refused.stderr
    assert "DIGEST_EMBEDDING_MODEL" in refused.stderr
    with pytest.raises(ConfigError, match="unknown embedding model"):  # the server's check
        check_settings(Settings(_env_file=None, embedding_model="bogus"))
    check_settings(Settings(_env_file=None, embedding_model="openai/text-embedding-3-small"))


def test_an_output_ending_in_a_slash_or_empty_is_refused_before_any_work(tmp_path: Path) -> None:
    """ "-o out/" had written a file named "out"; "-o ''" said ". is a folder"."""
    news = str(_strike_file(tmp_path))
    folder = runner.invoke(app, ["summarize", news, "-o", f"{tmp_path}/out/", "-q"])
    assert folder.exit_code == 2 and "names a folder that does not exist" in folder.stderr
    assert not (tmp_path / "out").exists()
    (tmp_path / "out").write_text("an old digest")
    a_file = runner.invoke(app, ["summarize", news, "-o", f"{tmp_path}/out/", "-q"])
    assert a_file.exit_code == 2 and f"{tmp_path}/out is a file" in a_file.stderr
    assert (tmp_path / "out").read_text() == "an old digest"
    empty = runner.invoke(app, ["summarize", news, "-o", "", "-q"])
    assert empty.exit_code == 2 and "--output is empty" in empty.stderr


def test_an_output_folder_that_refuses_a_file_is_found_before_any_work(
    tmp_path: Path, monkeypatch
) -> None:
    """os.access says yes to root (and on some mounts) where creating a file fails: the
    failure had come after all the work."""
    real_open = os.open

    def refusing(path: object, *args: object, **kwargs: object) -> int:
        if ".digest-probe." in str(path):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing)
    monkeypatch.setattr("service.cli.digest", _no_work)
    refused = runner.invoke(app, ["summarize", "-", "-o", str(tmp_path / "d.md"), "-q"])
    assert refused.exit_code == 2, refused.output
    assert f"cannot write in {tmp_path} (Permission denied)" in " ".join(refused.stderr.split())


def _no_work(*args: object, **kwargs: object) -> None:
    raise AssertionError("the run went on to summarize")


@pytest.mark.parametrize(
    ("stop", "status", "said"), [("ctrl-c", 130, "interrupted"), ("sigterm", 143, "SIGTERM")]
)
def test_a_run_stopped_midway_says_no_digest_was_written(
    tmp_path: Path, monkeypatch, stop: str, status: int, said: str
) -> None:
    """A Ctrl-C had ended the run without a word, a batch log showing nothing."""
    from service.cli import Terminated

    def stopped(*args: object, **kwargs: object) -> None:
        raise Terminated if stop == "sigterm" else KeyboardInterrupt

    out = tmp_path / "digest.md"
    out.write_text("yesterday's digest\n")
    monkeypatch.setattr("service.cli.digest", stopped)
    result = runner.invoke(app, ["summarize", str(_strike_file(tmp_path)), "-o", str(out)])
    assert result.exit_code == status
    message = " ".join(result.stderr.split())
    assert said in message and "no digest was written" in message
    assert f"{out} is as it was" in message and out.read_text() == "yesterday's digest\n"


def test_sigterm_stops_the_cli_with_status_143_and_a_message(tmp_path: Path) -> None:
    """SIGTERM (a batch scheduler's stop) had killed the run without a word."""
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("needs /proc to see when the CLI waits on its input")
    child = subprocess.Popen(
        [sys.executable, "-m", "service", "summarize", "-", "-q"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _waits_on_its_input(child.pid):
            time.sleep(0.05)
        child.send_signal(signal.SIGTERM)
        _, stderr = child.communicate(timeout=60)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 143, stderr
    assert b"stopped (SIGTERM): no digest was written" in stderr


def _waits_on_its_input(pid: int) -> bool:
    """Whether the process has its SIGTERM handler and is blocked reading a pipe."""
    caught = Path(f"/proc/{pid}/status").read_text().split("SigCgt:")[1].split()[0]
    handled = int(caught, 16) & (1 << (signal.SIGTERM - 1))
    return bool(handled) and "pipe" in Path(f"/proc/{pid}/wchan").read_text()


def test_reading_shows_progress_where_stderr_is_not_a_terminal(tmp_path: Path, monkeypatch) -> None:
    """50 MB of JSONL took half a minute to read without a line in the log."""
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(json.dumps({"text": f"Story {n} text."}) for n in range(8)))
    monkeypatch.setattr("service.cli.digest", _no_work)
    result = runner.invoke(app, ["summarize", str(path), "-o", str(tmp_path / "d.md")])
    lines = result.stderr.splitlines()
    assert lines[:5] == [f"read: {n}/8" for n in (0, 2, 4, 6, 8)]


def test_nothing_read_from_the_inputs_says_what_to_do(tmp_path: Path) -> None:
    feed = tmp_path / "feed.rss"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item>'
        "<title>A</title><link>ftp://example.invalid/a</link></item></channel></rss>"
    )
    result = runner.invoke(app, ["summarize", str(feed), "-q"])
    assert result.exit_code == 2
    assert "fix or replace the inputs the warnings name" in " ".join(result.stderr.split())


def test_reading_a_pasted_article_from_a_terminal_says_how_to_end_it(monkeypatch, capsys) -> None:
    """`digest summarize -` on a terminal had sat silent, waiting, looking hung."""
    from service.cli import _tell_how_to_end_pasting

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    _tell_how_to_end_pasting()
    assert "press Ctrl-D" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # piped in: nothing to say
    _tell_how_to_end_pasting()
    assert capsys.readouterr().err == ""
