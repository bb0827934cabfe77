"""Textbook baselines run beside the product in the same benchmark.

- LexRank (Erkan & Radev 2004): sentences ranked by PageRank on a TF-IDF cosine
  graph (edges above 0.1), picked best first until the word budget, skipping
  near-repeats.
- TF-IDF + agglomerative clustering (average linkage, cosine), one threshold.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from service.models import Article
from service.pipeline.sentences import split_sentences

LEXRANK_EDGE = 0.1
LEXRANK_DAMPING = 0.85
TFIDF_THRESHOLD = 0.15


def _pagerank(adjacency: np.ndarray, damping: float = LEXRANK_DAMPING) -> np.ndarray:
    count = len(adjacency)
    rows = adjacency.sum(axis=1, keepdims=True)
    transition = np.divide(
        adjacency, rows, out=np.full_like(adjacency, 1.0 / count), where=rows > 0
    )
    rank = np.full(count, 1.0 / count)
    for _ in range(100):
        new = (1 - damping) / count + damping * transition.T @ rank
        if np.abs(new - rank).sum() < 1e-8:
            return new
        rank = new
    return rank


def lexrank_summary(articles: list[Article], max_words: int) -> str:
    """A LexRank extract of the articles within `max_words`."""
    sentences = [s.text for a in articles for s in split_sentences(a.id, a.text)]
    if not sentences:
        return ""
    try:
        tfidf = TfidfVectorizer(stop_words="english").fit_transform(sentences)
    except ValueError:
        return sentences[0]
    similarity = (tfidf @ tfidf.T).toarray()
    adjacency = (similarity > LEXRANK_EDGE).astype(float)
    rank = _pagerank(adjacency)
    chosen: list[int] = []
    words = 0
    for index in np.argsort(-rank):
        length = len(sentences[index].split())
        if words + length > max_words:
            continue
        if any(similarity[index, c] > 0.5 for c in chosen):
            continue
        chosen.append(int(index))
        words += length
    return " ".join(sentences[i] for i in sorted(chosen))


def tfidf_clusters(texts: list[str], threshold: float = TFIDF_THRESHOLD) -> list[int]:
    """Labels from average-linkage clustering of TF-IDF cosine similarity."""
    if len(texts) < 2:
        return [0] * len(texts)
    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    distance = np.clip(1.0 - (tfidf @ tfidf.T).toarray(), 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1.0 - threshold,
    )
    return [int(label) for label in model.fit_predict(distance)]
