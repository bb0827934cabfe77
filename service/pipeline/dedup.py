"""Duplicate detection: syndicated copies of one story collapse into the fullest copy.

In: articles. Out: the kept articles (input order), each listing the copies
folded into it in `duplicates`, so the outlets that ran the wire story still
show as sources. Two articles are copies when their word 3-gram shingles
overlap heavily: exact copies, copies with a different headline or byline, and
trimmed copies (one contains most of the other, and is at least half of it, or its
lead: a paper running the first paragraphs of a wire story). An
article that merely contains another (a roundup of three wire stories) is not
its copy: folding the wire stories into it had lost them as stories of their own.
Each copy is folded into a kept article it is a copy of, never through a chain of
copies of copies (A ~ B ~ C with A and C unlike).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from service.models import Article, SourceRef
from service.pipeline.clean import plain_words
from service.pipeline.ingest import first_line

DEFAULT_CONTAINMENT = 0.8
# ... of the shorter text's shingles; and the shorter must cover this share of the longer
MIN_COVERAGE = 0.5
# ... or this share when it is the longer's lead under a like headline: a paper running the
# first paragraphs of a wire story (a roundup opens on one story under a headline of its own)
MIN_LEAD_COVERAGE = 0.2
LEAD_WORDS = 25


def _headline(article: Article) -> str:
    """The article's own headline, or "" when its title is only its text's first line (a
    shared boilerplate opening is no shared headline)."""
    return "" if article.title.strip() == first_line(article.text) else article.title


def _alike_headlines(a: str, b: str) -> bool:
    """Headlines that share half their words (or one text has none): a trimmed copy runs
    the wire story's headline, a roundup that opens on the same story has its own."""
    words_a, words_b = set(plain_words(a).split()), set(plain_words(b).split())
    if not words_a or not words_b:
        return bool(words_a or words_b)  # one headline: trust it; none: no evidence
    return len(words_a & words_b) / len(words_a | words_b) >= 0.5


def _is_lead_of(a: str, b: str) -> bool:
    """Whether the shorter of two texts (as plain words) opens the longer, give or take a
    dateline or headline before it."""
    shorter, longer = sorted((a, b), key=len)
    opening = " ".join(shorter.split()[:LEAD_WORDS])
    at = longer.find(opening)
    return bool(opening) and 0 <= at <= len(" ".join(longer.split()[:LEAD_WORDS]))


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
    """Index pairs (i < j) whose shingle containment is at least `containment`, in order."""
    upper = sparse.triu(_copies(articles, containment), k=1).tocoo()
    return sorted(zip(upper.row.tolist(), upper.col.tolist(), strict=True))


def _copies(
    articles: list[Article],
    containment: float,
    on_progress: Callable[[int, int], None] | None = None,
) -> sparse.csr_matrix:
    """Which articles are copies of which, as a symmetric boolean matrix.

    The shingle overlaps are computed a block of articles at a time and only the pairs
    that pass are kept, in a sparse matrix: a feed dump of 20,000 articles shares common
    phrases across hundreds of millions of pairs, and a Python loop over all of them, then
    sets of the copies, took a minute and gigabytes before the first story."""
    count = len(articles)
    texts = [plain_words(a.text) for a in articles]
    found: list[tuple[np.ndarray, np.ndarray]] = []
    if count > 1:
        matrix = _shingle_matrix(texts).tocsr()
        sizes = np.asarray(matrix.sum(axis=1)).ravel()
        for start in range(0, count, _BLOCK):
            found.append(_copy_pairs(articles, texts, matrix, sizes, start, containment))
            if on_progress is not None:
                on_progress(min(start + _BLOCK, count), count)  # (articles done, total)
        found.append(_short_copies(texts, sizes))
    rows = np.concatenate([r for r, _ in found]) if found else np.zeros(0, dtype=np.int64)
    cols = np.concatenate([c for _, c in found]) if found else np.zeros(0, dtype=np.int64)
    pairs = sparse.coo_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(count, count))
    return (pairs + pairs.T).tocsr()


_BLOCK = 1000  # articles whose overlaps with all the others are computed at once


def _copy_pairs(
    articles: list[Article],
    texts: list[str],
    matrix: sparse.csr_matrix,
    sizes: np.ndarray,
    start: int,
    containment: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The copy pairs (i < j) whose i is in the block of articles from `start`."""
    overlap = (matrix[start : start + _BLOCK] @ matrix.T).tocoo()
    i = overlap.row.astype(np.int64) + start
    j = overlap.col.astype(np.int64)
    shared = overlap.data.astype(np.float64)
    smaller = np.minimum(sizes[i], sizes[j])
    larger = np.maximum(sizes[i], sizes[j])
    contained = (i < j) & (smaller > 0) & (shared >= containment * smaller)
    coverage = np.divide(shared, larger, out=np.zeros_like(shared), where=larger > 0)
    whole = contained & (coverage >= MIN_COVERAGE)
    leads = [
        k
        for k in np.flatnonzero(contained & ~whole & (coverage >= MIN_LEAD_COVERAGE))
        if _is_lead_of(texts[i[k]], texts[j[k]])
        and _alike_headlines(_headline(articles[i[k]]), _headline(articles[j[k]]))
    ]
    keep = np.concatenate([np.flatnonzero(whole), np.asarray(leads, dtype=np.int64)])
    return i[keep], j[keep]


def _short_copies(texts: list[str], sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Very short texts have no 3-grams: those that are the same text are copies."""
    alike: dict[str, list[int]] = {}
    for k in np.flatnonzero(sizes == 0):
        alike.setdefault(texts[k], []).append(int(k))
    pairs = [(a, b) for same in alike.values() for n, a in enumerate(same) for b in same[n + 1 :]]
    rows = np.asarray([a for a, _ in pairs], dtype=np.int64)
    return rows, np.asarray([b for _, b in pairs], dtype=np.int64)


def _ref(article: Article) -> SourceRef:
    return SourceRef(id=article.id, title=article.title, source=article.outlet, url=article.url)


def drop_duplicates(
    articles: list[Article],
    containment: float = DEFAULT_CONTAINMENT,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Article]:
    """Keep one article per group of copies (the longest), recording the others on it.

    Longest first, each article joins the first kept article it is a copy of, or is
    kept itself: every folded article is a copy of the one that stands for it."""
    copies = _copies(articles, containment, on_progress)
    lengths = [len(plain_words(a.text)) for a in articles]
    order = sorted(range(len(articles)), key=lambda k: (-lengths[k], k))
    rank = np.empty(len(articles), dtype=np.int64)
    rank[order] = np.arange(len(articles))
    is_kept = np.zeros(len(articles), dtype=bool)
    folded: dict[int, list[int]] = {}  # kept index -> its copies, in the order folded
    for k in order:  # the longest kept article it is a copy of wins
        mine = copies.indices[copies.indptr[k] : copies.indptr[k + 1]]
        homes = mine[is_kept[mine]]
        if len(homes) == 0:
            folded[k] = []
            is_kept[k] = True
        else:
            folded[int(homes[np.argmin(rank[homes])])].append(k)
    kept: dict[int, Article] = {}
    for best, members in folded.items():
        article = articles[best]
        if members:
            refs = list(article.duplicates)
            for other in sorted(members):
                refs.append(_ref(articles[other]))
                refs.extend(articles[other].duplicates)
            article = article.model_copy(update={"duplicates": refs})
        kept[best] = article
    return [kept[k] for k in sorted(kept)]
