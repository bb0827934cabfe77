"""The NeuS framing-bias metric as its authors' scoring code computes it."""

from __future__ import annotations

import pytest

from bench.metrics import framing_bias, word_types


def test_word_types_follow_the_neus_scoring_code() -> None:
    """'U.S.' is one word, punctuation is deleted inside words, plurals are nouns' lemmas."""
    types = word_types("The U.S. attacks on well-known sites, officials' protests.")
    assert types == {"the", "usa", "attack", "on", "wellknown", "site", "official", "protest"}


def test_framing_bias_counts_charged_words_the_reference_lacks() -> None:
    vad = {"attack": (0.1, 0.9), "victory": (0.9, 0.7), "site": (0.5, 0.2), "usa": (0.1, 0.5)}
    pairs = [
        ("Attacks on the sites.", "Sites were hit."),  # "attack" (negative) is extra
        ("A victory in the U.S.", "The USA vote."),  # "victory" (positive); "usa" shared
    ]
    plus, minus, total = framing_bias(pairs, vad)
    assert (plus, minus) == pytest.approx((0.7 / 2, 0.9 / 2))
    assert total == pytest.approx(0.8)
