"""Corroboration precision of the support judge against an editor's labels of dev digests.

`bench/labels/dev_corroboration_labels.jsonl` holds (summary sentence, other cited article)
pairs from extractive digests of Multi-News and NeuS dev stories (digests of 2026-11-25,
before the word-pair rule), each judged by an editor (a helper) who read the cited article:
"yes" (it reports the sentence's fact), "partly" (the event but not a detail of it: a
number, a name, who said it), "no" (only the topic, or another fact). Two sets: 173
"tuning" pairs (every fifth Multi-News and every fourth NeuS story), on which the
word-pair rule (`support.CORROBORATION_PAIR_THRESHOLD`) was chosen, and 145 "held-out"
pairs of other stories, labelled after it was set, which estimate it honestly. The eval
data's licences forbid committing its text, so a pair names its sentence by position
(story id, the article it was copied from, character offsets) and this script reads it
back from the data folder. It asks the current judge, built as the verifier builds it,
whether the cited article supports the sentence, and prints precision and recall against
"yes". Only the citations beyond a sentence's own article were labelled: that is where a
wrong citation hides.

    .venv/bin/python -m bench.citations_dev --data ../shared/eval
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from bench import datasets
from bench.cache import CachedEmbedder
from bench.citations import table_header, table_line
from service.backends.embedders import Embedder, get_embedder
from service.pipeline.verify import remembering, verifier_for

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "bench" / "labels" / "dev_corroboration_labels.jsonl"
_CASES = {"multinews_dev": datasets.multinews_cases, "neus_dev": datasets.neus_cases}
_SETS = {  # row name -> the labels' "set"
    "tuning pairs (every 5th Multi-News, every 4th NeuS dev story)": "tuning",
    "held-out pairs (other dev stories, labelled after the rules were set)": "held-out",
}


def judge(
    labels: list[dict[str, object]], data: Path, embedder: Embedder
) -> Counter[tuple[str, str, bool]]:
    """(label, label set, accepted by the judge) -> count, for every labelled pair."""
    memo = remembering(embedder)
    verifier = verifier_for(memo)
    cases = {name: {c.id: c for c in load(data)} for name, load in _CASES.items()}
    counts: Counter[tuple[str, str, bool]] = Counter()
    for row in labels:
        articles = cases[str(row["data"])][str(row["story"])].articles
        source = next(a for a in articles if a.id == row["article_id"])
        claim = source.text[int(row["start"]) : int(row["end"])]  # type: ignore[call-overload]
        evidence = verifier.evidence_of(articles)
        supporters = evidence.supports(claim, memo.encode([claim])[0])
        counts[(str(row["label"]), str(row["set"]), row["cited"] in supporters)] += 1
    if isinstance(embedder, CachedEmbedder):
        embedder.save()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the eval data folder")
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--cache", type=Path, help="folder for an embedding memo")
    args = parser.parse_args(argv)
    labels = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines()]
    embedder = get_embedder()
    if args.cache:
        embedder = CachedEmbedder(embedder, args.cache)
    counts = judge(labels, args.data, embedder)
    print(table_header())
    for name, kind in _SETS.items():
        if any(key[1] == kind for key in counts):
            print(table_line(name, counts, (kind,)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
