"""Token budgets: what fits in a model's context window, and how to split what does not.

In: texts (numbered articles, or partial summaries) with a token counter and a
budget. Out: groups of item indices, in order, each within the budget, for a
single call or a map-reduce. The counter is pluggable (litellm's tiktoken-based
`token_counter` in production, anything in tests), so this module never imports
a model library. What stays true: items are never reordered or renumbered, and
the answer's tokens are reserved before anything is packed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

TokenCounter = Callable[[str], int]
"""Tokens a text takes for the model at hand."""

SAFETY_MARGIN = 64
"""Tokens kept free for chat-format overhead (role markers) the counter does not see."""


@dataclass(frozen=True)
class Budget:
    """A model's window split into the answer, the fixed prompt, and room for items."""

    context_tokens: int
    answer_tokens: int
    prompt_tokens: int

    @property
    def item_tokens(self) -> int:
        """Tokens left for the items (articles or partial summaries) of one call."""
        return self.context_tokens - self.answer_tokens - self.prompt_tokens - SAFETY_MARGIN

    def check(self) -> None:
        """ValueError when the fixed prompt and the answer leave no room for any item."""
        if self.item_tokens < 100:
            raise ValueError(
                f"a {self.context_tokens}-token window leaves {self.item_tokens} tokens for "
                f"articles after the prompt ({self.prompt_tokens}) and the answer "
                f"({self.answer_tokens})"
            )


def pack(sizes: Sequence[int], limit: int) -> list[list[int]]:
    """Indices grouped in order so that each group's sizes sum to at most `limit`.

    Greedy and order-keeping: a group is closed when the next item does not fit.
    An item larger than `limit` gets a group of its own (the caller truncates it).
    """
    groups: list[list[int]] = []
    current: list[int] = []
    used = 0
    for index, size in enumerate(sizes):
        if current and used + size > limit:
            groups.append(current)
            current, used = [], 0
        current.append(index)
        used += size
    if current:
        groups.append(current)
    return groups


def truncate(text: str, count: TokenCounter, limit: int) -> str:
    """The longest prefix of `text`, cut at a word, that takes at most `limit` tokens."""
    if count(text) <= limit:
        return text
    words = text.split(" ")
    low, high = 0, len(words)
    while low < high:  # binary search on the number of words kept
        middle = (low + high + 1) // 2
        if count(" ".join(words[:middle])) <= limit:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[:low])
