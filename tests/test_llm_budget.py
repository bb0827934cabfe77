"""Token budgets: packing keeps order and limits; truncation cuts at words; litellm counts."""

from __future__ import annotations

import pytest

from service.backends.llm_client import DEFAULT_CONTEXT_TOKENS, count_tokens, model_limits
from service.pipeline.budget import SAFETY_MARGIN, Budget, pack, truncate


def words(text: str) -> int:
    return len(text.split())


def test_pack_keeps_order_and_stays_within_the_limit() -> None:
    sizes = [40, 30, 50, 10, 70, 20]
    groups = pack(sizes, 100)
    assert [i for g in groups for i in g] == list(range(len(sizes)))
    assert all(sum(sizes[i] for i in g) <= 100 for g in groups)
    assert groups == [[0, 1], [2, 3], [4, 5]]


def test_pack_gives_an_oversized_item_its_own_group() -> None:
    assert pack([10, 500, 10], 100) == [[0], [1], [2]]
    assert pack([], 100) == []


def test_truncate_cuts_at_a_word_within_the_limit() -> None:
    text = " ".join(f"w{i}" for i in range(50))
    cut = truncate(text, words, 7)
    assert cut == "w0 w1 w2 w3 w4 w5 w6"
    assert truncate("short text", words, 7) == "short text"


def test_budget_reserves_answer_prompt_and_margin() -> None:
    budget = Budget(context_tokens=8192, answer_tokens=1024, prompt_tokens=500)
    assert budget.item_tokens == 8192 - 1024 - 500 - SAFETY_MARGIN
    budget.check()
    with pytest.raises(ValueError, match="leaves"):
        Budget(context_tokens=1600, answer_tokens=1024, prompt_tokens=500).check()


def test_litellm_limits_and_tiktoken_counts_offline() -> None:
    known = model_limits("openai/gpt-4o-mini")
    assert known.known and known.input_tokens >= 100_000
    local = model_limits("openai/some-local-model")
    assert not local.known and local.input_tokens == DEFAULT_CONTEXT_TOKENS
    # tiktoken counts, with no tokenizer download even for a llama model
    assert count_tokens("ollama/llama3", "hello world, this is a test") == 7
    assert count_tokens("openai/gpt-4o-mini", "a " * 100) >= 100
