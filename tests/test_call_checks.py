"""The per-call checks: one litellm callback runs them all, in the order registered, and the
stop signal, the rate-limit charge and the key gate still act on each call the Router sends."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from service.backends import call_checks
from service.backends.call_checks import CallCheck, install_call_checks, register
from service.backends.llm_client import import_litellm
from service.backends.summarizers.llm import LLMSummarizer
from service.config import Settings
from service.pipeline.verify import remembering
from tests.fake_llm_server import Reply, answer, fake_llm  # noqa: F401
from tests.stories import comet_article
from tests.test_llm_rate_limit import recorded_charges

GOOD = answer(("Astronomers at the Altamira observatory reported a new comet.", [1]))


def _ours(callbacks: list[Any]) -> list[Any]:
    """The callbacks this service added to litellm's."""
    return [c for c in callbacks if type(c).__module__.startswith("service.")]


def _installed() -> Any:
    [callback] = _ours(import_litellm().callbacks)
    return callback


@pytest.fixture
def only_these_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """No registered check for the test's own; the real ones come back after it."""
    install_call_checks()
    monkeypatch.setattr(call_checks, "_checks", ())


def test_the_stop_signal_the_charge_and_the_key_gate_share_one_callback(
    fake_llm,  # noqa: F811
    tmp_path: Path,
    embedder,
) -> None:
    """A 429 retried by the Router is charged to the budget; the 403 of that retry ends the
    retries (the key gate); and both ran from one callback, not one each."""
    fake_llm.script(Reply(status=429, headers={"Retry-After": "0"}), Reply(status=403))
    settings = Settings(
        backend="openai/checks-test",  # the api base is for its provider's models
        api_base=fake_llm.base_url,
        llm_cache="none",
        data_dir=tmp_path,
        llm_rpm=100,
        llm_max_retries=3,
    )
    model = f"openai/checks-test-{uuid.uuid4().hex[:8]}"  # a budget no other test touches
    summarizer = LLMSummarizer(model, settings=settings, embedder=remembering(embedder))
    charged = recorded_charges(summarizer)
    summary = summarizer.summarize([comet_article()], max_words=60)
    assert summary.backend == "extractive"
    assert len(fake_llm.requests) == 2  # the call and its retry; none after the 403
    key = f"{model}@{fake_llm.base_url}"
    # the call and its retry, each charged; a retry the gate refuses is never sent and
    # takes no room in the budget
    assert charged == [key, key]
    assert len(_ours(import_litellm().callbacks)) == 1
    assert [check.name for check in call_checks._checks] == [
        "stop signal",
        "key gate",
        "rate-limit charge",
    ]


def test_the_callback_is_installed_once_when_many_threads_start_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    litellm = import_litellm()
    monkeypatch.setattr(litellm, "callbacks", [c for c in litellm.callbacks if not _ours([c])])
    start = threading.Barrier(16)

    def install() -> None:
        start.wait()
        install_call_checks()

    threads = [threading.Thread(target=install) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(_ours(litellm.callbacks)) == 1


@pytest.mark.usefixtures("only_these_checks")
def test_checks_run_in_order_and_one_that_raises_refuses_the_call() -> None:
    seen: list[str] = []

    def refuse(deployment: dict[str, Any]) -> None:
        seen.append("refuse")
        raise PermissionError(deployment["litellm_params"]["model"])

    register(CallCheck("first", lambda deployment: seen.append("first")))
    register(CallCheck("refuse", refuse))
    register(CallCheck("after", lambda deployment: seen.append("after")))
    with pytest.raises(PermissionError, match="openai/x"):
        _installed().pre_call_check({"litellm_params": {"model": "openai/x"}})
    assert seen == ["first", "refuse"]  # a refused call: the checks after it do not run


@pytest.mark.usefixtures("only_these_checks")
def test_a_check_registered_again_takes_its_place_and_runs_once() -> None:
    seen: list[str] = []
    register(CallCheck("a", lambda deployment: seen.append("a1")))
    register(CallCheck("b", lambda deployment: seen.append("b")))
    register(CallCheck("a", lambda deployment: seen.append("a2")))
    _installed().pre_call_check({})
    assert seen == ["a2", "b"]


@pytest.mark.usefixtures("only_these_checks")
def test_the_failure_hooks_are_told_of_each_failed_call() -> None:
    failed: list[Exception] = []
    register(CallCheck("no hook", lambda deployment: None))
    register(CallCheck("hook", lambda deployment: None, failed.append))
    error = RuntimeError("HTTP 403")
    _installed().log_failure_event({"exception": error}, None, None, None)
    _installed().log_failure_event({"exception": None}, None, None, None)  # none to tell
    assert failed == [error]
