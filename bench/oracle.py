"""The extractive ceiling: the best summary of whole sentences a chooser could pick.

For each dev story, a greedy oracle adds the candidate sentence (as the product splits
them, up to 40 per article) that most raises ROUGE-1 + ROUGE-2 F against the reference,
within the word budget, until no sentence raises it. It reads the reference, so no
product can reach it; it puts the ROUGE targets in proportion (bench/README.md).

    .venv/bin/python -m bench.oracle --data ../shared/eval
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from nltk.stem import porter
from rouge_score import tokenize

from bench import datasets
from bench.metrics import mean_rouge
from service.backends.summarizers.extractive import MAX_SENTENCES_PER_ARTICLE
from service.pipeline.sentences import split_sentences, word_count

_STEMMER = porter.PorterStemmer()


def _tokens(text: str) -> list[str]:
    """rouge_score's tokens, stemmed as its scorer stems them (words over 3 letters)."""
    return [_STEMMER.stem(t) if len(t) > 3 else t for t in tokenize.tokenize(text, None)]


def _grams(tokens: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _f1(summary: Counter[tuple[str, ...]], reference: Counter[tuple[str, ...]]) -> float:
    overlap = sum((summary & reference).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(summary.values())
    recall = overlap / sum(reference.values())
    return 2 * precision * recall / (precision + recall)


def oracle_summary(sentences: list[str], reference: str, max_words: int) -> str:
    """Greedy choice of `sentences` by ROUGE-1 + ROUGE-2 F gain, within `max_words`."""
    wanted = _tokens(reference)
    ref1, ref2 = _grams(wanted, 1), _grams(wanted, 2)
    pool = [(text, word_count(text), _tokens(text)) for text in sentences]
    chosen: list[int] = []
    words, tokens, best = 0, [], 0.0
    while True:
        pick = None
        for index, (_, length, own) in enumerate(pool):
            if index in chosen or words + length > max_words:
                continue
            trial = tokens + own
            score = _f1(_grams(trial, 1), ref1) + _f1(_grams(trial, 2), ref2)
            if score > best:
                best, pick = score, index
        if pick is None:
            return " ".join(pool[i][0] for i in chosen)
        chosen.append(pick)
        words += pool[pick][1]
        tokens = tokens + pool[pick][2]


def _candidates(case: datasets.SummaryCase) -> list[str]:
    return [
        s.text
        for a in case.articles
        for s in split_sentences(a.id, a.text)[:MAX_SENTENCES_PER_ARTICLE]
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=datasets.DEFAULT_EVAL_DIR)
    args = parser.parse_args(argv)
    print("| data | words | oracle ROUGE-1 / 2 / L |")
    print("|---|---|---|")
    for name, cases, words in (
        ("neus_dev", datasets.neus_cases(args.data), 60),
        ("multinews_dev", datasets.multinews_cases(args.data), 250),
    ):
        pairs = [(oracle_summary(_candidates(c), c.reference, words), c.reference) for c in cases]
        score = mean_rouge(pairs)
        print(
            f"| {name} ({len(cases)} stories) | {words} "
            f"| {score.rouge1:.1f} / {score.rouge2:.1f} / {score.rougeL:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
