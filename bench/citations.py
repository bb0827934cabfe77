"""Citation precision of the support judge against hand-labelled pairs of the example.

`bench/labels/wikinews_citation_labels.jsonl` holds (summary sentence, cited article) pairs
from two digests of `examples/wikinews_100.jsonl`, each judged by an editor reading the
article: "yes" (the article reports the sentence's fact), "partly" (the event but not an
important detail), "no" (another stage of the story, or only the topic). This script asks
the current judge (`ClusterEvidence.supports`, as the verifier builds it: every sentence
of the story's articles, their dates) whether each article supports its sentence, and
prints precision and recall against "yes", overall and for sentences the digest cited
to several articles (where a wrong citation hides). The labels were made on digests this
judge's rules were then tuned on, so the numbers track regressions; they are not an
independent estimate. A date the digest wrote for "today" or "yesterday" after
verification (`pipeline/dates.py`) is turned back into the word before judging: the
judge saw the sentence without it.

    .venv/bin/python -m bench.citations
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

from service.backends.embedders import Embedder, get_embedder
from service.models import Article
from service.pipeline.ingest import load_paths
from service.pipeline.sentences import split_sentences
from service.pipeline.support import ClusterEvidence
from service.pipeline.verify import claim_of

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "bench" / "labels" / "wikinews_citation_labels.jsonl"
EXAMPLE = ROOT / "examples" / "wikinews_100.jsonl"


def _evidence(story: list[Article], embedder: Embedder) -> ClusterEvidence:
    sentences = [s for a in story for s in split_sentences(a.id, a.text)]
    vectors = embedder.encode([s.text for s in sentences])
    return ClusterEvidence.build(
        [a.id for a in story],
        sentences,
        vectors,
        {a.id: a.text for a in story},
        {a.id: a.published_at for a in story},
    )


def unanchored(sentence: str, article: Article) -> str:
    """`sentence` with the dates written for "yesterday", "today" or "tomorrow" from the
    article's publication day turned back into "today" (when the article does not write
    that date in a sentence itself): what the verifier judged."""
    if article.published_at is None:
        return sentence
    story = " ".join(s.text for s in split_sentences(article.id, article.text))  # no date line
    for offset in (-1, 0, 1):
        day = article.published_at + timedelta(days=offset)
        written = f"{day:%B} {day.day}"
        if written in sentence and written not in story:
            sentence = sentence.replace(f"On {written}", "Today").replace(written, "today")
    return sentence


def judge(labels: list[dict[str, object]], embedder: Embedder) -> Counter[tuple[str, str, bool]]:
    """(label, "several" or "one" citation, accepted by the judge) -> count."""
    articles = {a.id: a for a in load_paths([EXAMPLE]).articles}
    stories: dict[tuple[str, ...], ClusterEvidence] = {}
    counts: Counter[tuple[str, str, bool]] = Counter()
    for row in labels:
        story = tuple(str(aid) for aid in row["story"])  # type: ignore[attr-defined]
        if story not in stories:
            stories[story] = _evidence([articles[aid] for aid in story], embedder)
        claim = claim_of(unanchored(str(row["sentence"]), articles[str(row["article_id"])]), [])
        supporters = stories[story].supports(claim, embedder.encode([claim])[0])
        cited = "several" if int(row["cited_with"]) > 1 else "one"  # type: ignore[call-overload]
        counts[(str(row["label"]), cited, row["article_id"] in supporters)] += 1
    return counts


def table_header() -> str:
    """The header of the table `table_line` writes rows of."""
    return (
        "| pairs | labelled (yes / partly / no) | kept by the judge | precision | recall |\n"
        "|---|---|---|---|---|"
    )


def table_line(name: str, counts: Counter[tuple[str, str, bool]], kinds: tuple[str, ...]) -> str:
    """One row: the labelled pairs of `kinds`, those the judge kept, precision and recall
    against "yes"."""

    def total(label: str, accepted: bool | None = None) -> int:
        return sum(
            n
            for (lab, kind, acc), n in counts.items()
            if lab == label and kind in kinds and (accepted is None or acc == accepted)
        )

    kept = {label: total(label, True) for label in ("yes", "partly", "no")}
    pairs = {label: total(label) for label in ("yes", "partly", "no")}
    accepted = sum(kept.values())
    precision = kept["yes"] / accepted if accepted else 0.0
    recall = kept["yes"] / pairs["yes"] if pairs["yes"] else 0.0
    return (
        f"| {name} | {sum(pairs.values())} ({pairs['yes']} / {pairs['partly']} / {pairs['no']}) "
        f"| {kept['yes']} / {kept['partly']} / {kept['no']} | {precision:.2f} | {recall:.2f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    args = parser.parse_args(argv)
    labels = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines()]
    counts = judge(labels, get_embedder())
    print(table_header())
    print(table_line("sentences cited to several articles", counts, ("several",)))
    print(table_line("all", counts, ("several", "one")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
