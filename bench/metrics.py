"""Scores the benchmarks need beyond `service.evaluation`: ROUGE and NeuS framing bias.

The NRC-VAD lexicon is read from the eval folder at run time, for measurement
only: it is research-licensed and must never ship with the product.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rouge_score import rouge_scorer

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class RougeScore:
    rouge1: float
    rouge2: float
    rougeL: float


def mean_rouge(pairs: Iterable[tuple[str, str]]) -> RougeScore:
    """Mean ROUGE-1/2/L F1 (x100, stemming on) over (summary, reference) pairs."""
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    totals = [0.0, 0.0, 0.0]
    count = 0
    for summary, reference in pairs:
        scores = scorer.score(reference, summary)
        for k, name in enumerate(("rouge1", "rouge2", "rougeL")):
            totals[k] += scores[name].fmeasure
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


def _types(text: str) -> set[str]:
    return set(_WORD.findall(text.lower().replace("’", "'")))


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
        extra = _types(summary) - _types(reference)
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
