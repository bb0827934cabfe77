"""The CLI with an LLM backend: --model/--api-base/--fallback against a local scripted server."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.config import get_settings
from service.models import Digest
from tests.fake_llm_server import Reply, echo_leads, fake_llm, garbage  # noqa: F401
from tests.stories import COMET, STRIKE_A, STRIKE_B, STRIKE_C

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("DIGEST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DIGEST_LLM_CACHE", "none")
    monkeypatch.setenv("DIGEST_LLM_MAX_RETRIES", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _news(tmp_path: Path) -> Path:
    path = tmp_path / "news.jsonl"
    rows = [("a", STRIKE_A), ("b", STRIKE_B), ("c", STRIKE_C), ("comet", COMET)]
    path.write_text(
        "\n".join(
            json.dumps({"id": k, "title": f"Story {k}", "text": t, "source": f"Outlet {k}"})
            for k, t in rows
        )
    )
    return path


def test_model_flag_gives_verified_cited_summaries(fake_llm, tmp_path) -> None:  # noqa: F811
    args = ["summarize", str(_news(tmp_path)), "-f", "json", "-q"]
    args += ["--model", "openai/gpt-4o-mini", "--api-base", fake_llm.base_url]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    digest = Digest.model_validate_json(result.stdout)
    assert len(digest.clusters) >= 2 and digest.options["backend"] == "openai/gpt-4o-mini"
    assert len(fake_llm.requests) == len(digest.clusters)  # one request per story
    for cluster in digest.clusters:
        summary = cluster.summary
        assert summary and summary.backend == "openai/gpt-4o-mini" and summary.sentences
        assert summary.usage.prompt_tokens > 0 and summary.usage.cost_usd > 0
        for sentence in summary.sentences:
            assert sentence.citations
            assert all(1 <= n <= len(cluster.sources) for n in sentence.citations)
            assert set(sentence.article_ids) <= set(cluster.article_ids)


def test_garbage_still_yields_a_digest_and_says_why(fake_llm, tmp_path) -> None:  # noqa: F811
    fake_llm.default = garbage
    args = ["summarize", str(_news(tmp_path)), "-q", "--model", "openai/gpt-4o-mini"]
    result = runner.invoke(app, [*args, "--api-base", fake_llm.base_url])
    assert result.exit_code == 0, result.output
    assert "fell back to the extractive summary" in result.stderr
    assert "> openai/gpt-4o-mini gave an invalid answer (the answer is not JSON" in result.stdout
    assert "[1]" in result.stdout


def test_strict_exits_3_when_a_story_fell_back_and_still_writes_the_digest(
    fake_llm,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_llm.default = garbage
    out = tmp_path / "digest.json"
    args = ["summarize", str(_news(tmp_path)), "-q", "-f", "json", "-o", str(out), "--strict"]
    result = runner.invoke(
        app, [*args, "--model", "openai/gpt-4o-mini", "--api-base", fake_llm.base_url]
    )
    assert result.exit_code == 3, result.output
    assert "fell back to the extractive summary instead of openai/gpt-4o-mini" in result.stderr
    digest = Digest.model_validate_json(out.read_text())  # nothing lost
    assert digest.clusters and all(c.summary and c.summary.sentences for c in digest.clusters)
    # the extractive backend asked for, or an LLM that answered: status 0
    plain = runner.invoke(app, ["summarize", str(_news(tmp_path)), "-q", "--strict"])
    assert plain.exit_code == 0, plain.output
    fake_llm.default = echo_leads
    answered = runner.invoke(
        app, [*args, "--model", "openai/gpt-4o-mini", "--api-base", fake_llm.base_url]
    )
    assert answered.exit_code == 0, answered.output


def test_fallback_flag_is_used_in_order(fake_llm, tmp_path) -> None:  # noqa: F811
    fake_llm.behave("gpt-4o-mini", Reply(status=500))
    args = ["summarize", str(_news(tmp_path)), "-f", "json", "-q", "--one-story"]
    args += ["--model", "openai/gpt-4o-mini", "--api-base", fake_llm.base_url]
    args += ["--fallback", "openai/second", "--fallback", "openai/third"]
    fake_llm.behave("second", Reply(status=500))
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = Digest.model_validate_json(result.stdout).clusters[0].summary
    assert summary and summary.backend == "openai/third"
    assert [r.model for r in fake_llm.requests] == ["gpt-4o-mini", "second", "third"]


def test_unknown_model_is_refused(tmp_path) -> None:
    result = runner.invoke(app, ["summarize", str(_news(tmp_path)), "--model", "nope"])
    assert result.exit_code == 2
    assert "unknown backend 'nope'" in result.stderr


def test_a_cached_run_reports_no_tokens_spent(
    fake_llm,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The digest's usage is what this run spent: answers from the cache spent nothing."""
    monkeypatch.setenv("DIGEST_LLM_CACHE", "disk")
    get_settings.cache_clear()
    args = ["summarize", str(_news(tmp_path)), "-f", "json", "-q", "--one-story"]
    args += ["--model", "openai/gpt-4o-mini", "--api-base", fake_llm.base_url]
    runs = [runner.invoke(app, args) for _ in range(2)]
    assert all(r.exit_code == 0 for r in runs), [r.output for r in runs]
    first, second = (Digest.model_validate_json(r.stdout).clusters[0].summary for r in runs)
    assert len(fake_llm.requests) == 1  # the second run was answered from the cache
    assert first and first.usage.prompt_tokens > 0 and first.usage.cost_usd > 0
    assert second and second.backend == "openai/gpt-4o-mini"
    assert second.usage.prompt_tokens == second.usage.completion_tokens == 0
    assert second.usage.cost_usd == 0 and any("from the cache" in n for n in second.notes)


def test_a_context_window_too_small_for_the_prompt_is_told_before_any_work(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DIGEST_LLM_CONTEXT_TOKENS", "1024")
    monkeypatch.setenv("DIGEST_LLM_MAX_OUTPUT_TOKENS", "1000")
    get_settings.cache_clear()
    missing = tmp_path / "not-written-yet.jsonl"  # the inputs are not even read
    args = ["summarize", str(missing), "--model", "openai/gpt-4o-mini", "--api-base"]
    result = runner.invoke(app, [*args, "http://127.0.0.1:9/v1"])
    assert result.exit_code != 0
    assert "1024-token window" in result.output and "DIGEST_LLM_CONTEXT_TOKENS" in result.output
    assert "not-written-yet" not in result.output


def test_ctrl_c_stops_at_once_and_sends_no_more_calls(fake_llm, tmp_path) -> None:  # noqa: F811
    """Threads waiting on the model had finished their stories first: the exit took three
    times the model's latency, and the stories' next calls were still sent (and billed)."""
    import signal
    import subprocess
    import time

    from tests.child_process import child_env

    def slow(request):  # noqa: ANN001, ANN202
        time.sleep(4)
        return echo_leads(request)

    fake_llm.behave("slow", slow)
    command = [sys.executable, "-m", "service", "summarize", str(_news(tmp_path)), "-q"]
    command += ["--model", "openai/slow", "--api-base", fake_llm.base_url]
    env = child_env(
        DIGEST_DATA_DIR=str(tmp_path / "data"), DIGEST_LLM_CACHE="none", OPENAI_API_KEY="x"
    )
    cli = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not fake_llm.requests and time.monotonic() < deadline:  # a call is in flight
        time.sleep(0.05)
    assert fake_llm.requests, cli.communicate(timeout=30)
    stopped, signalled_at = time.monotonic(), time.time()
    cli.send_signal(signal.SIGINT)
    cli.communicate(timeout=30)
    assert cli.returncode == 130
    assert time.monotonic() - stopped < 3  # not the 4 s the model takes, nor more
    time.sleep(5)  # the calls in flight would have been answered by now
    # Several stories' first calls go out together, so one may reach the server a moment after
    # the signal; a call sent after the stop would come later (its story's previous call took 4 s).
    late = [r for r in fake_llm.requests if r.received_at > signalled_at + 0.5]
    assert not late, [r.received_at - signalled_at for r in late]


def test_markdown_and_the_log_say_which_model_wrote_each_story_and_what_it_cost(
    fake_llm,  # noqa: F811
    tmp_path,
) -> None:
    args = ["summarize", str(_news(tmp_path)), "-q"]
    args += ["--model", "openai/gpt-4o-mini", "--api-base", fake_llm.base_url]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    written = [line for line in result.stdout.splitlines() if line.startswith("_Written by")]
    assert written and all(
        line.startswith("_Written by openai/gpt-4o-mini (") and "tokens, $" in line
        for line in written
    )
    assert "_LLM use: " in result.stdout and "prompt" in result.stdout
    assert "LLM use: " in result.stderr
    extractive = runner.invoke(app, ["summarize", str(_news(tmp_path)), "-q"])
    assert "Written by" not in extractive.stdout and "LLM use" not in extractive.stderr
