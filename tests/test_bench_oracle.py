"""The extractive oracle (bench/oracle.py) picks by ROUGE gain and keeps the word budget."""

from bench.metrics import mean_rouge
from bench.oracle import oracle_summary

SENTENCES = [
    "Shares of the carmaker fell sharply on Monday in Tokyo trading.",
    "The storm closed three ports on the northern coast.",
    "Ships waited offshore for two days before the ports reopened.",
]
REFERENCE = "A storm closed three northern ports, and ships waited offshore for two days."


def test_the_oracle_takes_the_sentences_the_reference_shares_words_with() -> None:
    summary = oracle_summary(SENTENCES, REFERENCE, max_words=40)
    assert "storm closed three ports" in summary and "Ships waited offshore" in summary
    assert "carmaker" not in summary
    best_single = max(mean_rouge([(s, REFERENCE)]).rouge1 for s in SENTENCES)
    assert mean_rouge([(summary, REFERENCE)]).rouge1 > best_single


def test_the_oracle_keeps_the_word_budget() -> None:
    summary = oracle_summary(SENTENCES, REFERENCE, max_words=10)
    assert summary == "Ships waited offshore for two days before the ports reopened."
