"""Story clustering: articles' vectors and texts in, groups of article indices out.

Similarity of two articles blends six views:
- the cosine of their sentence embeddings (what the story is about);
- the cosine of their TF-IDF vectors fitted on the pool (which words, places
  and numbers they share: two earthquakes look alike to an embedding, not to
  TF-IDF); in pools larger than k, of the words two or more articles use (ECB+
  0.927 -> 0.936, the example 0.982 -> 0.991, NeuS and Multi-News +0.001);
- the cosine of TF-IDF vectors of their proper names only (two events of the
  same kind have different people and places);
- whether they mention the same years (ECB+ style pairs, two shootings or two
  earthquakes years apart, share topic, words and even places, not the year),
  and, weighted less, the same months (a monthly figure reported months apart);
- in pools larger than k, whether they name the same weekday ("the Senate voted
  Tuesday"), counted against what is usual among the pool's articles that name one: in
  a pile of one day's news every article names that day and the view adds nothing,
  while in a pile that spans weeks two reports of one event name the day it happened
  (NeuS pool F1 0.888 -> 0.899, Multi-News 0.902 -> 0.904, ECB+ 0.930 -> 0.927). An
  article that names no weekday is no evidence either way. Only in large pools: in a
  small pile there is no "usual" to learn, and two unrelated articles that name one
  day merged more often (sampled piles of 3-8 unrelated dev articles: 17.0 -> 18.7 %).

That blend is then *locally scaled* (CSLS, Conneau et al. 2018): each pair's
similarity minus the mean of the two articles' usual similarity to their
nearest neighbours. A pool of one beat (all US politics) has a high background
similarity and a pool of unrelated events a low one; local scaling lets one
threshold serve both. Small pools borrow a background prior for the missing
neighbours, so two reports of one story still meet. Two articles that are each
other's closest matches (mutual top-2) get a small bonus: reciprocal neighbours
are far more often one story than a one-sided match is, which helps the
left/centre/right versions of one story that word it differently. Only in pools
larger than k: in a small pile every article's top 2 are few and often unrelated
(3 of the 10 pairs of 5 unrelated articles are "mutual"), so there the bonus
merged unrelated stories (wrong merges in 49 % of sampled piles of 3-8 unrelated
dev articles with it, 25 % without; piles holding repeat stories lost 0-0.008 F1;
pools over 50 articles are unchanged).

Average-linkage agglomerative clustering cuts the tree at the threshold, so the
number of stories is found, not given, and a story may hold one article. Groups
come out largest first, members in input order. The defaults were chosen on the
dev pools by B-cubed F1 (see `bench/quality.py`); one setting for every input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from service.pipeline.cjk import cjk_share, with_cjk_bigrams
from service.pipeline.entities import (
    months_mentioned,
    named_entities,
    weekdays_mentioned,
    years_mentioned,
)

DEFAULT_THRESHOLD = 0.14  # locally scaled blended similarity two stories' articles must share


@dataclass(frozen=True)
class SimilarityWeights:
    """How the six views are blended, how local scaling works, and the mutual bonus."""

    semantic: float = 0.5
    lexical: float = 0.5
    names: float = 0.1
    years: float = 0.1
    months: float = 0.05
    weekdays: float = 0.08
    neighbours: int = 50  # k of the local scaling; larger than most stories
    background: float = 0.1  # blended similarity assumed for neighbours a small pool lacks
    mutual_top: int = 2  # pairs each in the other's closest `mutual_top` ...
    mutual_bonus: float = 0.06  # ... gain this much after local scaling


DEFAULT_WEIGHTS = SimilarityWeights()
_OFFSET = 10.0  # distances must be >= 0; scaled similarities live well inside (-10, 10)


def _tfidf_cosine(texts: list[str], min_df: int = 1) -> np.ndarray:
    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=min_df)
    try:
        matrix = vectorizer.fit_transform([with_cjk_bigrams(t) for t in texts])
    except ValueError:  # no word survived stop-word removal (or is shared)
        return np.eye(len(texts), dtype=np.float32)
    return np.asarray((matrix @ matrix.T).toarray(), dtype=np.float32)


def lexical_similarity(texts: list[str], shared_words_only: bool = False) -> np.ndarray:
    """Cosine similarity of sublinear TF-IDF vectors fitted on this pool of texts.

    `shared_words_only` leaves out the words only one text uses. They add nothing to any
    pair's dot product, yet they lengthen their text's vector and so lower its cosine to
    every other: an article full of names and details of its own reads as unlike its own
    story. Only for large pools: in a small pile most words are one text's, and the few
    left make unrelated texts look alike (piles of 3-8 unrelated dev articles: wrong
    merges 26 % -> 97 %).
    """
    return _tfidf_cosine(texts, min_df=2 if shared_words_only else 1)


def name_similarity(texts: list[str]) -> np.ndarray:
    """Cosine similarity of TF-IDF vectors of the texts' proper names."""
    names = [" ".join(named_entities(t)) or "_" for t in texts]
    similarity = _tfidf_cosine(names)
    empty = np.array([n == "_" for n in names])
    similarity[empty, :] = 0.0  # "no names" is not a shared name
    similarity[:, empty] = 0.0
    np.fill_diagonal(similarity, 1.0)
    return similarity


def mention_similarity(mentioned: list[frozenset[str]]) -> np.ndarray:
    """Jaccard overlap of what two texts mention; -1 when both mention some, none shared.

    A text that mentions none says nothing either way, so its row is 0.
    """
    vocabulary = sorted(set().union(*mentioned))
    if not vocabulary:
        return np.zeros((len(mentioned), len(mentioned)), dtype=np.float32)
    column = {item: n for n, item in enumerate(vocabulary)}
    marks = np.zeros((len(mentioned), len(vocabulary)), dtype=np.float32)
    for row, items in enumerate(mentioned):
        marks[row, [column[i] for i in items]] = 1.0
    shared = marks @ marks.T
    counts = marks.sum(axis=1)
    union = counts[:, None] + counts[None, :] - shared
    both = (counts[:, None] > 0) & (counts[None, :] > 0)
    jaccard = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
    return np.where(both & (shared == 0), -1.0, jaccard).astype(np.float32)


def year_similarity(texts: list[str]) -> np.ndarray:
    """Agreement of the years two texts mention (see `mention_similarity`)."""
    return mention_similarity([years_mentioned(t) for t in texts])


def month_similarity(texts: list[str]) -> np.ndarray:
    """Agreement of the month names two texts mention (see `mention_similarity`)."""
    return mention_similarity([months_mentioned(t) for t in texts])


def weekday_similarity(texts: list[str]) -> np.ndarray:
    """How much more two texts share the weekdays they name than two texts of the pool that
    both name one usually do: Jaccard overlap minus its mean over such pairs. A pair where
    either names none is 0 (no evidence), so a pool where every text names the same day, or
    where half of them name it and half name none, gains nothing."""
    named_days = [weekdays_mentioned(t) for t in texts]
    shared = np.maximum(mention_similarity(named_days), 0.0)
    named = np.array([bool(days) for days in named_days], dtype=bool)
    both = named[:, None] & named[None, :]
    np.fill_diagonal(both, False)
    if not both.any():
        return np.zeros_like(shared)
    return np.where(both, shared - shared[both].mean(), 0.0).astype(np.float32)


def mutual_neighbours(similarity: np.ndarray, top: int) -> np.ndarray:
    """True where each of two articles is among the other's `top` most similar.

    Only where there is a choice: in a pool of `top` + 1 or fewer articles every pair
    would qualify, related or not, so none does.
    """
    count = len(similarity)
    if top < 1 or count <= top + 1:
        return np.zeros((count, count), dtype=bool)
    others = similarity.astype(np.float64, copy=True)
    np.fill_diagonal(others, -np.inf)
    nearest = np.argpartition(-others, top - 1, axis=1)[:, :top]
    marks = np.zeros((count, count), dtype=bool)
    marks[np.arange(count)[:, None], nearest] = True
    return marks & marks.T


def story_similarity(
    vectors: np.ndarray, texts: list[str], weights: SimilarityWeights = DEFAULT_WEIGHTS
) -> np.ndarray:
    """Blended article-to-article similarity (see the module docstring)."""
    # the bundled model reads English: on Chinese or Japanese text any two articles are
    # alike (cosine ~0.5), so for such pairs the words decide instead
    cjk = np.array([cjk_share(t) for t in texts], dtype=np.float32)
    read = 1.0 - np.maximum(cjk[:, None], cjk[None, :])
    semantic = weights.semantic * read
    blend = semantic * np.asarray(vectors @ vectors.T, dtype=np.float32)
    large = len(texts) > weights.neighbours
    lexical = weights.lexical + weights.semantic - semantic
    blend += lexical * lexical_similarity(texts, shared_words_only=large)
    if weights.names:
        blend += weights.names * name_similarity(texts)
    if weights.years:
        blend += weights.years * year_similarity(texts)
    if weights.months:
        blend += weights.months * month_similarity(texts)
    if weights.weekdays and large:
        blend += weights.weekdays * weekday_similarity(texts)
    return blend


def local_scaling(similarity: np.ndarray, neighbours: int, background: float) -> np.ndarray:
    """CSLS: each pair minus the mean of both members' k-nearest-neighbour similarity.

    A pool with fewer than k other articles fills the missing neighbours with
    `background`, so a two-article pool is judged against the prior, not itself.
    """
    count = len(similarity)
    others = similarity.astype(np.float64, copy=True)
    np.fill_diagonal(others, -np.inf)
    have = min(neighbours, count - 1)
    top = np.sort(others, axis=1)[:, count - have :] if have > 0 else np.zeros((count, 0))
    level = (top.sum(axis=1) + (neighbours - have) * background) / neighbours
    return similarity - 0.5 * (level[:, None] + level[None, :])


def cluster_articles(
    vectors: np.ndarray,
    texts: list[str],
    threshold: float = DEFAULT_THRESHOLD,
    weights: SimilarityWeights = DEFAULT_WEIGHTS,
) -> list[list[int]]:
    """Group articles whose average scaled similarity is at least `threshold`."""
    count = len(vectors)
    if count == 0:
        return []
    if count == 1:
        return [[0]]
    blended = story_similarity(vectors, texts, weights)
    scaled = local_scaling(blended, weights.neighbours, weights.background)
    if weights.mutual_bonus and count > weights.neighbours:
        scaled += weights.mutual_bonus * mutual_neighbours(scaled, weights.mutual_top)
    distance = np.clip(_OFFSET - scaled, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=_OFFSET - threshold,
    ).fit_predict(distance)
    return groups_from_labels(labels)


def groups_from_labels(labels: np.ndarray | list[int]) -> list[list[int]]:
    """Index groups from a label per item: largest first, then by first member."""
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def by_centrality(vectors: np.ndarray, members: list[int]) -> list[int]:
    """The members from the closest to the group's centroid (most typical) to the farthest."""
    sub = vectors[members]
    closeness = sub @ sub.mean(axis=0)
    return [members[i] for i in np.argsort(-closeness, kind="stable")]
