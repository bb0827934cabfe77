"""The shared LLM rate limit: calls over the budget wait, the budget is one across processes
(through the machine's real Redis), and the LLM backend waits instead of failing."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from service.backends.rate_limit import LLMRateLimit, RateLimitTimeout, rate_limit_for
from service.backends.summarizers.llm import LLMSummarizer
from service.config import Settings
from service.pipeline.verify import remembering
from tests.fake_llm_server import Reply, answer, fake_llm  # noqa: F401
from tests.local_services import REDIS_URL, needs_redis
from tests.stories import comet_article

ROOT = Path(__file__).resolve().parent.parent


def _key() -> str:
    return f"test-model-{uuid.uuid4().hex[:8]}"  # a budget no other test touches


def _clear_of_a_window_edge(window_s: int, margin_s: float = 5.0) -> None:
    """Wait out the end of a counting window when a test that spends a whole budget starts
    near it: the sliding-window counter weighs the previous window down as the next one
    begins, so a call just past the edge finds room that a test of "no room" must not see.
    With an hour's window the wait is needed in one run of 720, and lasts at most `margin_s`."""
    left = window_s - time.time() % window_s
    if left < margin_s:
        time.sleep(left + 0.05)


def test_calls_over_the_request_budget_wait_for_room() -> None:
    limit = LLMRateLimit(requests=2, tokens=None, window_s=1, max_wait_s=10)
    key = _key()
    waits = [limit.acquire(key, tokens=10) for _ in range(3)]
    assert waits[0] < 0.1 and waits[1] < 0.1
    # The third call waits. How long depends on where in the 1 s window the first two
    # fell (the sliding-window counter weighs the previous window down as time passes),
    # so only "it waited, and not for long" is certain: a refused call sleeps at least 1 %
    # of the window before it asks again.
    assert 0.01 <= waits[2] < 3.0


def test_a_slow_answer_from_the_store_is_no_wait_for_room(monkeypatch) -> None:
    """A busy Redis's first answer (a connection, a script loaded) had been counted as a
    wait, and noted on the summary as "waited 0.1 s for room" (a CI run failed on it)."""
    limit = LLMRateLimit(requests=2, tokens=None, window_s=1, max_wait_s=10)
    take = limit._take

    def slow_take(key: str, tokens: int) -> bool:
        time.sleep(0.15)
        return take(key, tokens)

    monkeypatch.setattr(limit, "_take", slow_take)
    key = _key()
    assert limit.acquire(key, tokens=10) == 0.0  # room at once, however slow the answer
    assert limit.acquire(key, tokens=10) == 0.0
    assert limit.acquire(key, tokens=10) >= 0.15  # no room: the wait counts, asking included


def test_the_token_budget_counts_every_call() -> None:
    limit = LLMRateLimit(requests=None, tokens=100, window_s=1, max_wait_s=10)
    key = _key()
    assert limit.acquire(key, tokens=60) < 0.1
    assert limit.acquire(key, tokens=60) >= 0.01  # 120 tokens do not fit one window: it waits
    # A call larger than the whole budget is charged the whole budget, so it can run at all.
    assert limit.acquire(_key(), tokens=500) < 0.1


def test_no_room_within_the_longest_wait_is_an_error_that_says_why() -> None:
    limit = LLMRateLimit(requests=1, tokens=None, window_s=3600, max_wait_s=0.3)
    key = _key()
    _clear_of_a_window_edge(3600)
    limit.acquire(key, tokens=1)
    started = time.monotonic()
    with pytest.raises(RateLimitTimeout) as error:
        limit.acquire(key, tokens=1)
    assert time.monotonic() - started < 2.0
    assert "1 requests per 3600 s" in str(error.value) and key in str(error.value)


def test_settings_choose_the_budget_and_its_storage() -> None:
    assert rate_limit_for(Settings()) is None  # unlimited unless asked
    limit = rate_limit_for(Settings(llm_rpm=500, llm_tpm=200_000, redis_url=REDIS_URL))
    assert limit is not None and limit.storage_url == REDIS_URL
    assert limit.describe() == "500 requests and 200000 tokens per 60 s"
    local = rate_limit_for(Settings(llm_tpm=1000))
    assert local is not None and local.storage_url == "memory://" and local.requests is None


_CLIENT = """
import json, sys, time
from service.backends.rate_limit import LLMRateLimit
storage, key = sys.argv[1], sys.argv[2]
limit = LLMRateLimit(requests=4, tokens=None, window_s=2, max_wait_s=30, storage_url=storage)
print(json.dumps([limit.acquire(key, tokens=1) for _ in range(4)]))
"""


def _two_replicas(storage: str) -> list[float]:
    """Two processes that each make 4 calls against one budget of 4 calls per 2 s."""
    key = _key()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _CLIENT, storage, key],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    waits: list[float] = []
    for process in processes:
        out, _ = process.communicate(timeout=60)
        assert process.returncode == 0
        waits += json.loads(out)
    return waits


@needs_redis
def test_replicas_share_one_budget_through_redis() -> None:
    # Each process alone would fit its 4 calls in the budget; together they must wait.
    assert sum(_two_replicas("memory://")) < 0.5
    shared = _two_replicas(REDIS_URL)
    assert sum(w > 0.2 for w in shared) >= 3, shared
    assert max(shared) > 0.4


@needs_redis
def test_the_llm_backend_waits_for_room_instead_of_failing(
    fake_llm,  # noqa: F811
    tmp_path: Path,
    embedder,
) -> None:
    fake_llm.script(
        *[
            Reply(answer(("Astronomers at the Altamira observatory reported a new comet.", [1])))
            for _ in range(3)
        ]
    )
    settings = Settings(
        backend="openai/rate-test",  # the api base is for its provider's models
        api_base=fake_llm.base_url,
        llm_cache="none",
        data_dir=tmp_path,
        redis_url=REDIS_URL,
        llm_rpm=2,
        llm_rate_window_s=2,
    )
    model = f"openai/rate-test-{uuid.uuid4().hex[:6]}"  # a budget of its own in Redis
    # Two replicas, each with its own Router, one budget.
    replicas = [
        LLMSummarizer(model, settings=settings, embedder=remembering(embedder)) for _ in range(2)
    ]
    with ThreadPoolExecutor(3) as pool:  # three stories at once
        summaries = list(
            pool.map(lambda i: replicas[i % 2].summarize([comet_article()], max_words=60), range(3))
        )
    assert all(s.backend == model and s.sentences for s in summaries)
    assert len(fake_llm.requests) == 3
    # The third call waited for the window to slide. How long depends on where in the 2 s
    # window the first two fell (0.71-2.1 s seen between the first and third requests'
    # arrivals); a call that had not waited would arrive within a few hundredths of a second.
    times = sorted(request.received_at for request in fake_llm.requests)
    assert times[2] - times[0] > 0.4
    waited = [s for s in summaries if any("rate limit" in note for note in s.notes)]
    assert len(waited) == 1 and waited[0].usage.latency_s > 0.4


def _limited(server_url: str, tmp_path: Path, **changes: object) -> Settings:
    values: dict[str, object] = {
        "backend": "openai/rate-test",  # the api base is for its provider's models
        "api_base": server_url,
        "llm_cache": "none",
        "data_dir": tmp_path,
        "llm_rpm": 1,
        "llm_rate_window_s": 3600,  # one request an hour: "no room" is certain (see below)
        "llm_max_retries": 1,
    }
    values.update(changes)
    _clear_of_a_window_edge(int(values["llm_rate_window_s"]))  # type: ignore[call-overload]
    return Settings(**values)  # type: ignore[arg-type]


def recorded_charges(summarizer: LLMSummarizer) -> list[str]:
    """The budget keys the summarizer's rate limit is charged, one per call, as they come."""
    limit = summarizer.rate_limit
    assert limit is not None
    charged: list[str] = []
    take = limit.acquire
    limit.acquire = lambda key, tokens: charged.append(key) or take(key, tokens)  # type: ignore[method-assign]
    return charged


def test_the_routers_retries_are_charged_to_the_budget_too(
    fake_llm,  # noqa: F811
    tmp_path: Path,
    embedder,
) -> None:
    """A 429 retried by the Router is a second call to the provider: it is charged to the
    budget like the first (it used to go out at once, outside the budget)."""
    good = answer(("Astronomers at the Altamira observatory reported a new comet.", [1]))
    fake_llm.script(Reply(status=429, headers={"Retry-After": "0"}), Reply(good))
    settings = _limited(fake_llm.base_url, tmp_path, llm_rpm=100)
    model = f"openai/{_key()}"
    summarizer = LLMSummarizer(model, settings=settings, embedder=remembering(embedder))
    charged = recorded_charges(summarizer)
    summary = summarizer.summarize([comet_article()], max_words=60)
    assert summary.backend == model and summary.sentences
    assert len(fake_llm.requests) == 2
    assert charged == [f"{model}@{fake_llm.base_url}"] * 2  # the call and its retry


def test_a_model_with_no_room_is_not_retried_and_its_fallback_has_a_budget_of_its_own(
    fake_llm,  # noqa: F811
    tmp_path: Path,
    embedder,
) -> None:
    """No room in the primary's budget within the longest wait: the Router does not retry
    it (each retry would wait as long again) and the fallback model answers from its own
    budget."""
    good = answer(("Astronomers at the Altamira observatory reported a new comet.", [1]))
    fake_llm.behave("backup", Reply(good))
    settings = _limited(
        fake_llm.base_url,
        tmp_path,
        llm_rate_max_wait_s=0.3,
        llm_max_retries=2,
        fallback_models=["openai/backup"],
    )
    model = f"openai/{_key()}"
    summarizer = LLMSummarizer(model, settings=settings, embedder=remembering(embedder))
    assert summarizer.rate_limit is not None
    summarizer.rate_limit.acquire(f"{model}@{fake_llm.base_url}", tokens=1)  # the window's one
    started = time.monotonic()
    summary = summarizer.summarize([comet_article()], max_words=60)
    assert time.monotonic() - started < 5  # one wait of 0.3 s, not one per retry
    assert summary.backend == "openai/backup" and summary.sentences
    assert [request.model for request in fake_llm.requests] == ["backup"]
    assert any("openai/backup answered instead" in note for note in summary.notes)


def test_no_room_for_any_model_says_which_budget_and_what_to_raise(
    fake_llm,  # noqa: F811
    tmp_path: Path,
    embedder,
) -> None:
    settings = _limited(fake_llm.base_url, tmp_path, llm_rate_max_wait_s=0.2)
    model = f"openai/{_key()}"
    summarizer = LLMSummarizer(model, settings=settings, embedder=remembering(embedder))
    assert summarizer.rate_limit is not None
    summarizer.rate_limit.acquire(f"{model}@{fake_llm.base_url}", tokens=1)
    summary = summarizer.summarize([comet_article()], max_words=60)
    assert summary.backend == "extractive" and fake_llm.requests == []
    [reason] = [note for note in summary.notes if note.startswith("no model answered")]
    assert "had no room for 0.2 s" in reason and "DIGEST_LLM_RPM" in reason


def test_calls_made_inside_an_event_loop_are_charged_too(
    fake_llm,  # noqa: F811
    tmp_path: Path,
    embedder,
) -> None:
    """litellm sends a Router call made inside a running event loop (a notebook, an async
    app) from a thread of its own; the budget must still see it."""
    settings = _limited(fake_llm.base_url, tmp_path, llm_rate_max_wait_s=0.3)
    model = f"openai/{_key()}"
    summarizer = LLMSummarizer(model, settings=settings, embedder=remembering(embedder))

    async def two_summaries() -> list[str]:
        return [summarizer.summarize([comet_article()], max_words=60).backend for _ in range(2)]

    assert asyncio.run(two_summaries()) == [model, "extractive"]  # one request a window
    assert len(fake_llm.requests) == 1


def test_a_rate_limit_whose_redis_is_unreachable_says_so_not_the_model(
    fake_llm,  # noqa: F811
    tmp_path: Path,
    embedder,
) -> None:
    """Every story had fallen back with "no model answered: ...: ConnectionError": the
    operator looked at the LLM server, which was never asked."""
    from service.backends.summarizers.registry import check_settings
    from service.errors import ConfigError
    from tests.test_api_fakes import free_port

    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    settings = _limited(fake_llm.base_url, tmp_path, redis_url=unreachable, llm_cache="none")
    model = f"openai/{_key()}"
    summarizer = LLMSummarizer(model, settings=settings, embedder=remembering(embedder))
    summary = summarizer.summarize([comet_article()], max_words=60)
    assert summary.backend == "extractive" and fake_llm.requests == []
    [reason] = [note for note in summary.notes if note.startswith("no model answered")]
    assert "rate limit could not reach its store" in reason and "DIGEST_REDIS_URL" in reason
    with pytest.raises(ConfigError, match="cannot reach its Redis"):  # servers, workers: at start
        check_settings(settings.model_copy(update={"backend": model}))
