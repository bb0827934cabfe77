"""Support: which articles back a sentence. One judge for every backend.

In: a sentence (or many) and the cluster's articles split into sentences with
their embeddings. Out: for each sentence, the articles that support it. An
article supports a sentence when one of its sentences says nearly the same
thing (high cosine similarity) *and* the article contains most of the
sentence's content words, and every number in the sentence. The extractive
summarizer uses it to cite every outlet that reports a fact; the verifier uses
it to check an LLM's citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from service.pipeline.sentences import Sentence

SEMANTIC_THRESHOLD = 0.6
LEXICAL_THRESHOLD = 0.5
_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)?")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")


def content_words(text: str) -> set[str]:
    """Lower-cased words that carry meaning (no stop words, no one-letter tokens)."""
    return {
        t
        for t in _TOKEN.findall(text.lower())
        if t not in ENGLISH_STOP_WORDS and (len(t) > 2 or t.isdigit())
    }


def numbers(text: str) -> set[str]:
    """Numbers written in the text, without thousands separators."""
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


@dataclass
class ClusterEvidence:
    """A cluster's sentences, their vectors and each article's vocabulary, computed once."""

    article_ids: list[str]
    sentences: list[Sentence]
    vectors: np.ndarray
    vocab: dict[str, set[str]]
    number_vocab: dict[str, set[str]]

    @classmethod
    def build(
        cls,
        article_ids: list[str],
        sentences: list[Sentence],
        vectors: np.ndarray,
        texts: dict[str, str],
    ) -> ClusterEvidence:
        return cls(
            article_ids=article_ids,
            sentences=sentences,
            vectors=vectors,
            vocab={aid: content_words(texts[aid]) for aid in article_ids},
            number_vocab={aid: numbers(texts[aid]) for aid in article_ids},
        )

    def best_similarity(self, vector: np.ndarray) -> dict[str, float]:
        """For each article, the cosine of its sentence closest to `vector`."""
        best = {aid: -1.0 for aid in self.article_ids}
        if len(self.sentences) == 0:
            return best
        sims = self.vectors @ vector
        for sentence, sim in zip(self.sentences, sims, strict=True):
            if sim > best[sentence.article_id]:
                best[sentence.article_id] = float(sim)
        return best

    def supports(self, text: str, vector: np.ndarray) -> list[str]:
        """Ids of the articles that support `text`, in cluster order."""
        words = content_words(text)
        nums = numbers(text)
        best = self.best_similarity(vector)
        backing: list[str] = []
        for aid in self.article_ids:
            if best[aid] < SEMANTIC_THRESHOLD:
                continue
            covered = len(words & self.vocab[aid]) / len(words) if words else 1.0
            if covered < LEXICAL_THRESHOLD:
                continue
            if not nums <= self.number_vocab[aid]:
                continue
            backing.append(aid)
        return backing
