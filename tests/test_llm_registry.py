"""Backend names: validated offline by litellm's provider resolution; LLM backends built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.backends.embedders import Embedder
from service.backends.summarizers.extractive import ExtractiveSummarizer
from service.backends.summarizers.llm import LLMSummarizer
from service.backends.summarizers.registry import check_backend, get_summarizer
from service.config import Settings
from service.errors import ConfigError, UnknownBackendError
from service.pipeline.verify import remembering
from tests.fake_llm_server import Reply, answer, fake_llm  # noqa: F401
from tests.local_services import needs_redis
from tests.stories import comet_article


@pytest.mark.parametrize(
    "backend",
    ["extractive", "openai/gpt-4o-mini", "gpt-4o-mini", "ollama/llama3", "anthropic/x", "azure/d"],
)
def test_known_backends_pass(backend: str) -> None:
    check_backend(backend)


@pytest.mark.parametrize("backend", ["", "foo", "nope/x", "extractiv", "openai/", "ollama/ "])
def test_unknown_backend_is_a_422_with_a_hint(backend: str) -> None:
    with pytest.raises(UnknownBackendError) as info:
        check_backend(backend)
    assert info.value.status == 422
    assert "openai/gpt-4o-mini" in info.value.user_message


def test_get_summarizer_builds_and_keeps_backends(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(
        backend="openai/local",
        llm_cache="none",
        data_dir=tmp_path,
        api_base="http://127.0.0.1:9/v1",
    )
    assert isinstance(
        get_summarizer("extractive", embedder=embedder, settings=settings), ExtractiveSummarizer
    )
    first = get_summarizer("openai/local", embedder=embedder, settings=settings)
    assert isinstance(first, LLMSummarizer)
    assert get_summarizer("openai/local", embedder=embedder, settings=settings) is first
    other = settings.model_copy(update={"llm_temperature": 0.5})
    assert get_summarizer("openai/local", embedder=embedder, settings=other) is not first


def test_bad_settings_say_which_to_fix(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key-for-openai")
    settings = Settings(llm_cache="none", data_dir=tmp_path, fallback_models=["nope"])
    with pytest.raises(ConfigError, match="fallback model 'nope'") as bad:
        LLMSummarizer("openai/x", settings=settings, embedder=embedder)
    assert "DIGEST_FALLBACK_MODELS" in bad.value.user_message
    last = settings.model_copy(update={"fallback_models": ["extractive"]})
    with pytest.raises(ConfigError, match="always the last resort"):
        LLMSummarizer("openai/x", settings=last, embedder=embedder)
    with pytest.raises(ConfigError) as no_redis:
        LLMSummarizer("openai/x", settings=Settings(llm_cache="redis"), embedder=embedder)
    assert "DIGEST_REDIS_URL" in no_redis.value.user_message
    with pytest.raises(ConfigError, match=r"summarize\.v99 not found"):
        LLMSummarizer(
            "openai/x",
            settings=Settings(llm_cache="none", llm_prompt_version=99),
            embedder=embedder,
        )


def test_api_base_goes_to_the_primary_provider_only(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key-for-anthropic")
    settings = Settings(
        backend="openai/main",
        llm_cache="none",
        data_dir=tmp_path,
        api_base="http://127.0.0.1:9/v1",
        fallback_models=["openai/backup", "anthropic/claude-3-haiku-20240307"],
    )
    summarizer = LLMSummarizer("openai/main", settings=settings, embedder=embedder)
    params = {d["model_name"]: d["litellm_params"] for d in summarizer.router.model_list}
    assert params["openai/main"]["api_base"] == "http://127.0.0.1:9/v1"
    assert params["openai/backup"]["api_base"] == "http://127.0.0.1:9/v1"
    assert params["anthropic/claude-3-haiku-20240307"].get("api_base") is None
    assert summarizer.chain == ["openai/main", "openai/backup", "anthropic/claude-3-haiku-20240307"]


@needs_redis
def test_redis_cache_is_shared_between_summarizers(fake_llm, tmp_path, embedder) -> None:  # noqa: F811
    import redis

    url = "redis://127.0.0.1:6379/15"
    settings = Settings(
        backend="openai/gpt-4o-mini",
        llm_cache="auto",
        redis_url=url,
        api_base=fake_llm.base_url,
        data_dir=tmp_path,
    )
    fake_llm.script(
        Reply(
            answer(("Astronomers at the Altamira observatory reported a new comet on Friday.", [1]))
        )
    )
    try:
        for _ in range(2):  # two workers with their own summarizer, one Redis
            worker = LLMSummarizer(
                "openai/gpt-4o-mini", settings=settings, embedder=remembering(embedder)
            )
            assert worker.cache is not None and worker.cache.kind == "redis"
            summary = worker.summarize([comet_article()], max_words=60)
            assert summary.backend == "openai/gpt-4o-mini" and summary.sentences
        assert len(fake_llm.requests) == 1
        assert any("from the cache" in n for n in summary.notes)
    finally:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter("digest-llm*"):
            client.delete(key)


@pytest.mark.parametrize("written", ["2", "v2", "summarize.v2", "V2", "summarize.v2#a1b2c3"])
def test_a_prompt_version_may_be_written_as_digests_name_it(written: str, monkeypatch) -> None:
    monkeypatch.setenv("DIGEST_LLM_PROMPT_VERSION", written)
    assert Settings(_env_file=None).llm_prompt_version == 2


def test_a_prompt_version_that_names_none_is_refused(monkeypatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("DIGEST_LLM_PROMPT_VERSION", "v")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_a_models_missing_key_is_a_setting_to_fix_before_any_call(
    tmp_path: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It had read as "authentication failed (HTTP 401)" on every story, and the run went
    on with extractive summaries."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    settings = Settings(llm_cache="none", data_dir=tmp_path)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY") as missing:
        LLMSummarizer("anthropic/claude-3-5-haiku-latest", settings=settings, embedder=embedder)
    assert "set ANTHROPIC_API_KEY" in missing.value.user_message
    # a fallback's key too; a local server's model (an api base) needs none
    local = Settings(
        backend="openai/local",
        llm_cache="none",
        data_dir=tmp_path,
        api_base="http://127.0.0.1:9/v1",
    )
    assert LLMSummarizer("openai/local", settings=local, embedder=embedder)
    with pytest.raises(ConfigError, match="anthropic/claude-3-5-haiku-latest"):
        LLMSummarizer(
            "openai/local",
            settings=local.model_copy(
                update={"fallback_models": ["anthropic/claude-3-5-haiku-latest"]}
            ),
            embedder=embedder,
        )
    monkeypatch.setenv("ANTHROPIC_API_KEY", "")  # "ANTHROPIC_API_KEY=" in a shell: not set
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        LLMSummarizer("anthropic/claude-3-5-haiku-latest", settings=settings, embedder=embedder)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-key-for-anthropic")
    assert LLMSummarizer("anthropic/claude-3-5-haiku-latest", settings=settings, embedder=embedder)
