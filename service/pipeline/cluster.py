"""Story clustering: articles' vectors and texts in, groups of article indices out.

Similarity of two articles = a blend of the cosine of their sentence
embeddings (what the story is about) and the cosine of their TF-IDF vectors
fitted on the pool (which names, places and numbers they share: two
earthquakes in two countries look alike to an embedding, not to TF-IDF).
Average-linkage agglomerative clustering cuts the tree at a similarity
threshold, so the number of stories is found, not given, and a story may hold
one article. Groups come out largest first, members in input order.

The defaults were chosen by B-cubed F1 (see `bench/clustering.py`).
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

DEFAULT_THRESHOLD = 0.2  # blended similarity two stories' articles must share on average
EMBEDDING_WEIGHT = 0.5


def lexical_similarity(texts: list[str]) -> np.ndarray:
    """Cosine similarity of sublinear TF-IDF vectors fitted on this pool of texts."""
    try:
        matrix = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    except ValueError:  # no word survived stop-word removal
        return np.eye(len(texts), dtype=np.float32)
    return np.asarray((matrix @ matrix.T).toarray(), dtype=np.float32)


def story_similarity(
    vectors: np.ndarray, texts: list[str], embedding_weight: float = EMBEDDING_WEIGHT
) -> np.ndarray:
    """Blended article-to-article similarity (see the module docstring)."""
    semantic = vectors @ vectors.T
    return embedding_weight * semantic + (1.0 - embedding_weight) * lexical_similarity(texts)


def cluster_articles(
    vectors: np.ndarray, texts: list[str], threshold: float = DEFAULT_THRESHOLD
) -> list[list[int]]:
    """Group articles whose average blended similarity is at least `threshold`."""
    count = len(vectors)
    if count == 0:
        return []
    if count == 1:
        return [[0]]
    distance = np.clip(1.0 - story_similarity(vectors, texts), 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1.0 - threshold,
    ).fit_predict(distance)
    return groups_from_labels(labels)


def groups_from_labels(labels: np.ndarray | list[int]) -> list[list[int]]:
    """Index groups from a label per item: largest first, then by first member."""
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def central_index(vectors: np.ndarray, members: list[int]) -> int:
    """The member closest to the group's centroid (its most typical article)."""
    sub = vectors[members]
    centroid = sub.mean(axis=0)
    return members[int(np.argmax(sub @ centroid))]
