"""Loaders for the evaluation files in `../shared/eval` (never committed).

Each loader turns one file into what the benchmarks need: pools of Articles
with gold story labels (clustering), clusters with reference summaries
(summaries, framing bias), and article/summary pairs with human labels
(faithfulness). Articles go through the same ingest path as user input
(`record_to_article`: cleaning, title from the first line when none is given).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.errors import IngestError
from service.models import Article
from service.pipeline.ingest import record_to_article

DEFAULT_EVAL_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
SHUFFLE_SEED = 13


@dataclass
class Pool:
    """A shuffled pool of articles and the gold story of each one."""

    name: str
    articles: list[Article]
    gold: list[str]


@dataclass
class SummaryCase:
    """One story: its articles and the reference summary to score against."""

    id: str
    articles: list[Article]
    reference: str
    more_references: tuple[str, ...] = ()  # other annotators' summaries of the same story

    @property
    def references(self) -> list[str]:
        return [self.reference, *self.more_references]


@dataclass
class FaithfulnessCase:
    """A source article, a system summary, and whether humans judged it factual."""

    article: str
    summary: str
    factual: bool
    dataset: str


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        raise SystemExit(f"missing eval file {path}: pass the eval folder as --data")
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def article_of(article_id: str, text: str, title: str = "") -> Article:
    """An eval text read as the product reads user input."""
    # a few NeuS documents have a headline and no text: the headline is all there is
    record = {"id": article_id, "text": text if text.strip() else title, "title": title}
    return record_to_article(record, default_id=article_id, location=article_id)


def _shuffled(name: str, items: list[tuple[Article, str]]) -> Pool:
    random.Random(SHUFFLE_SEED).shuffle(items)
    return Pool(name, [a for a, _ in items], [g for _, g in items])


def ecbplus_pool(data: Path) -> Pool:
    """ECB+ dev: every topic holds two different events of the same kind."""
    items = [
        (article_of(r["doc_id"], r["text"]), str(r["gold_event_cluster"]))
        for r in _lines(data / "ecbplus_dev.jsonl")
    ]
    return _shuffled("ECB+ dev", items)


def neus_cases(data: Path) -> list[SummaryCase]:
    """NeuS dev: three outlets (left, centre, right) per story, a neutral roundup as reference."""
    cases = []
    for r in _lines(data / "neus_dev.jsonl"):
        articles = [
            article_of(f"{r['id']}-{k}", d["text"], d.get("title", ""))
            for k, d in enumerate(r["documents"])
        ]
        cases.append(SummaryCase(r["id"], articles, r["reference"]["text"]))
    return cases


def multinews_cases(data: Path) -> list[SummaryCase]:
    """Multi-News dev: 2-9 articles per story, an editor's summary as reference."""
    cases = []
    for r in _lines(data / "multinews_dev.jsonl"):
        articles = []
        for k, text in enumerate(r["documents"]):
            try:
                articles.append(article_of(f"{r['id']}-{k}", text))
            except IngestError:  # a page that is nothing but furniture (web-archive notices)
                continue
        if articles:
            cases.append(SummaryCase(r["id"], articles, r["summary"].lstrip("– ").strip()))
    return cases


def multiling_cases(data: Path) -> list[SummaryCase]:
    """MultiLing 2011 English (the WikiNews stories of the example): 10 articles per story,
    three annotators' summaries of about 250 words each."""
    cases = []
    for r in _lines(data / "multiling2011_en.jsonl"):
        articles = [article_of(d["doc_id"], d["text"]) for d in r["documents"]]
        references = [s["text"].strip() for s in r["reference_summaries"]]
        cases.append(SummaryCase(r["topic_id"], articles, references[0], tuple(references[1:])))
    return cases


def pool_of(name: str, cases: list[SummaryCase]) -> Pool:
    """The cases' articles flattened into one shuffled pool, gold = the case id."""
    return _shuffled(name, [(a, c.id) for c in cases for a in c.articles])


def wikinews_pool(path: Path) -> Pool:
    """The committed example: 100 WikiNews articles about 10 events."""
    items = [
        (article_of(r["id"], r["text"], r.get("title", "")), str(r["gold_cluster"]))
        for r in _lines(path)
    ]
    return Pool("wikinews_100 example", [a for a, _ in items], [g for _, g in items])


def frank_cases(data: Path) -> list[FaithfulnessCase]:
    """FRANK dev: system summaries of CNN/DM and XSum articles with human factuality labels."""
    return [
        FaithfulnessCase(r["article"], r["summary"], bool(r["is_factual"]), r["dataset"])
        for r in _lines(data / "frank_dev.jsonl")
    ]
