"""The NeuS framing-bias metric as its authors' scoring code computes it."""

from __future__ import annotations

import pytest

from bench.metrics import framing_bias, mean_rouge, word_types


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


def test_rouge_over_several_references_is_their_mean_not_the_closest() -> None:
    summary = "the storm closed the port on monday"
    close, far = "the storm closed the port on monday", "ministers met in paris to discuss trade"
    alone = mean_rouge([(summary, close)]).rouge1
    both = mean_rouge([(summary, [close, far])]).rouge1
    assert alone == 100.0
    assert both == (alone + mean_rouge([(summary, far)]).rouge1) / 2
