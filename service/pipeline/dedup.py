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

import numpy as np
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
        if shared / smaller < containment:
            continue
        coverage = shared / max(sizes[i], sizes[j])
        if coverage >= MIN_COVERAGE or (
            coverage >= MIN_LEAD_COVERAGE
            and _is_lead_of(texts[i], texts[j])
            and _alike_headlines(_headline(articles[i]), _headline(articles[j]))
        ):
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
    """Keep one article per group of copies (the longest), recording the others on it.

    Longest first, each article joins the first kept article it is a copy of, or is
    kept itself: every folded article is a copy of the one that stands for it."""
    copies: dict[int, set[int]] = {}
    for i, j in find_duplicate_pairs(articles, containment):
        copies.setdefault(i, set()).add(j)
        copies.setdefault(j, set()).add(i)
    lengths = [len(plain_words(a.text)) for a in articles]
    order = sorted(range(len(articles)), key=lambda k: (-lengths[k], k))
    rank = {k: position for position, k in enumerate(order)}
    folded: dict[int, list[int]] = {}  # kept index -> its copies, in the order folded
    for k in order:  # its copies in the same order: the longest kept one wins
        home = next((c for c in sorted(copies.get(k, ()), key=rank.get) if c in folded), None)
        if home is None:
            folded[k] = []
        else:
            folded[home].append(k)
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
