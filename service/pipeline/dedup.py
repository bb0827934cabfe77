"""Duplicate detection: syndicated copies of one story collapse into the fullest copy.

In: articles. Out: the kept articles (input order), each listing the copies
folded into it in `duplicates`, so the outlets that ran the wire story still
show as sources. Two articles are copies when their word 3-gram shingles
overlap heavily: exact copies, copies with a different headline or byline, and
trimmed copies (one contains most of the other).
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from service.models import Article, SourceRef
from service.pipeline.clean import plain_words

DEFAULT_CONTAINMENT = 0.8


def _shingle_matrix(texts: list[str]):  # type: ignore[no-untyped-def]
    vectorizer = HashingVectorizer(
        analyzer="word",
        ngram_range=(3, 3),
        n_features=2**20,
        binary=True,
        norm=None,
        alternate_sign=False,
        lowercase=True,
        token_pattern=r"\w+",
    )
    return vectorizer.transform(texts)


def find_duplicate_pairs(
    articles: list[Article], containment: float = DEFAULT_CONTAINMENT
) -> list[tuple[int, int]]:
    """Index pairs (i < j) whose shingle containment is at least `containment`."""
    if len(articles) < 2:
        return []
    texts = [plain_words(a.text) for a in articles]
    matrix = _shingle_matrix(texts)
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    overlap = (matrix @ matrix.T).tocoo()
    pairs: list[tuple[int, int]] = []
    for i, j, shared in zip(overlap.row, overlap.col, overlap.data, strict=True):
        if i >= j:
            continue
        smaller = min(sizes[i], sizes[j])
        if smaller == 0:
            if texts[i] == texts[j]:
                pairs.append((int(i), int(j)))
            continue
        if shared / smaller >= containment:
            pairs.append((int(i), int(j)))
    # very short texts have no 3-grams: compare them whole
    short = [k for k, size in enumerate(sizes) if size == 0]
    for a_pos, i in enumerate(short):
        for j in short[a_pos + 1 :]:
            if texts[i] == texts[j] and (i, j) not in pairs:
                pairs.append((i, j))
    return pairs


def _ref(article: Article) -> SourceRef:
    return SourceRef(id=article.id, title=article.title, source=article.outlet, url=article.url)


def drop_duplicates(
    articles: list[Article], containment: float = DEFAULT_CONTAINMENT
) -> list[Article]:
    """Keep one article per group of copies (the longest), recording the others on it."""
    parent = list(range(len(articles)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for i, j in find_duplicate_pairs(articles, containment):
        root_i, root_j = find(i), find(j)
        if root_i != root_j:
            parent[max(root_i, root_j)] = min(root_i, root_j)

    groups: dict[int, list[int]] = {}
    for k in range(len(articles)):
        groups.setdefault(find(k), []).append(k)

    kept: dict[int, Article] = {}
    for members in groups.values():
        best = max(members, key=lambda k: (len(plain_words(articles[k].text)), -k))
        others = [articles[k] for k in members if k != best]
        article = articles[best]
        if others:
            refs = list(article.duplicates)
            for other in others:
                refs.append(_ref(other))
                refs.extend(other.duplicates)
            article = article.model_copy(update={"duplicates": refs})
        kept[best] = article
    return [kept[k] for k in sorted(kept)]
