"""Scores the benchmarks need beyond `service.evaluation`: ROUGE and NeuS framing bias.

The NRC-VAD lexicon is read from the eval folder at run time, for measurement
only: it is research-licensed and must never ship with the product.

Framing bias follows the NeuS authors' scoring code (HLTCHKUST/framing-bias-metric,
`metric_code.ipynb`): "U.S." becomes "USA", the text is lower-cased, every character
that is neither a word character nor a space is deleted ("well-known" -> "wellknown"),
and each word is lemmatized as a noun ("attacks" -> "attack") before the lexicon is
read. Their code uses NLTK's WordNet lemmatizer, whose data is downloaded at run time;
LemmInflect's bundled noun lemmas stand in for it (the shortest lemma, as NLTK picks).
Without the lemmas, plural nouns ("attacks", "protests") are not in the lexicon, and
both the product and LexRank score 0.2 lower.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lemminflect import getLemma
from rouge_score import rouge_scorer

_NOT_WORD = re.compile(r"[^\w\s]")


@dataclass(frozen=True)
class RougeScore:
    rouge1: float
    rouge2: float
    rougeL: float


def mean_rouge(pairs: Iterable[tuple[str, str | Sequence[str]]]) -> RougeScore:
    """Mean ROUGE-1/2/L F1 (x100, stemming on) over (summary, reference) pairs. A story with
    several references (MultiLing's three annotators) scores the mean over them, so one
    close reference does not stand for all."""
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    totals = [0.0, 0.0, 0.0]
    count = 0
    for summary, reference in pairs:
        references = [reference] if isinstance(reference, str) else list(reference)
        scored = [scorer.score(r, summary) for r in references]
        for k, name in enumerate(("rouge1", "rouge2", "rougeL")):
            totals[k] += sum(s[name].fmeasure for s in scored) / len(scored)
        count += 1
    if not count:
        return RougeScore(0.0, 0.0, 0.0)
    return RougeScore(*(100 * t / count for t in totals))


def load_vad(data: Path) -> dict[str, tuple[float, float]]:
    """word -> (valence, arousal) from the NRC-VAD lexicon in the eval folder."""
    path = data / "lexicons" / "NRC-VAD-Lexicon.txt"
    vad: dict[str, tuple[float, float]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 4:
            continue
        try:
            vad[parts[0].lower()] = (float(parts[1]), float(parts[2]))
        except ValueError:  # header line
            continue
    return vad


@lru_cache(maxsize=65_536)
def noun_lemma(word: str) -> str:
    """The word as a noun's lemma ("attacks" -> "attack"); itself when it has none."""
    lemmas = getLemma(word, upos="NOUN", lemmatize_oov=False)
    return min(lemmas, key=len) if lemmas else word


def word_types(text: str) -> set[str]:
    """The NeuS metric's word types of a text (see the module docstring)."""
    text = _NOT_WORD.sub("", text.replace("U.S.", "USA").lower())
    return {noun_lemma(word) for word in text.split()}


def framing_bias(
    pairs: Iterable[tuple[str, str]], vad: dict[str, tuple[float, float]]
) -> tuple[float, float, float]:
    """NeuS framing bias: (Arousal+, Arousal-, their sum), averaged over clusters.

    Word types a summary has and its reference lacks; the arousal of those with
    valence > 0.65 is Arousal+, of those with valence < 0.35 Arousal-.
    """
    positive = negative = 0.0
    count = 0
    for summary, reference in pairs:
        extra = word_types(summary) - word_types(reference)
        for word in extra:
            if word not in vad:
                continue
            valence, arousal = vad[word]
            if valence > 0.65:
                positive += arousal
            elif valence < 0.35:
                negative += arousal
        count += 1
    if not count:
        return 0.0, 0.0, 0.0
    return positive / count, negative / count, (positive + negative) / count
