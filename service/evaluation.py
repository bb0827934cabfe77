"""Scores against gold labels: clustering (B-cubed, ARI), judges (balanced accuracy)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.metrics import adjusted_rand_score


@dataclass(frozen=True)
class ClusteringScore:
    precision: float
    recall: float
    f1: float
    ari: float


def bcubed(predicted: Sequence[object], gold: Sequence[object]) -> ClusteringScore:
    """B-cubed precision, recall and F1 (Bagga & Baldwin 1998), plus ARI, item by item."""
    if len(predicted) != len(gold) or not gold:
        raise ValueError("predicted and gold labels must be non-empty and of equal length")
    pair_counts = Counter(zip(predicted, gold, strict=True))
    pred_sizes = Counter(predicted)
    gold_sizes = Counter(gold)
    precision = sum(n * n / pred_sizes[p] for (p, _), n in pair_counts.items()) / len(gold)
    recall = sum(n * n / gold_sizes[g] for (_, g), n in pair_counts.items()) / len(gold)
    f1 = 2 * precision * recall / (precision + recall)
    ari = adjusted_rand_score([str(g) for g in gold], [str(p) for p in predicted])
    return ClusteringScore(precision, recall, f1, float(ari))


def balanced_accuracy(predicted: Sequence[bool], gold: Sequence[bool]) -> float:
    """Mean of the recall on each class: fair when one class is rarer (FRANK: 1 in 3 factual)."""
    if len(predicted) != len(gold) or not gold:
        raise ValueError("predicted and gold labels must be non-empty and of equal length")
    recalls = []
    for label in (True, False):
        members = [p for p, g in zip(predicted, gold, strict=True) if g == label]
        if members:
            recalls.append(sum(1 for p in members if p == label) / len(members))
    return sum(recalls) / len(recalls)
