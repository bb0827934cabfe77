"""Quality and speed of the shipped defaults, beside textbook baselines, in one table.

    .venv/bin/python -m bench.quality [--data ../shared/eval] [--only clustering,summaries]
                                      [--limit N] [--cache DIR]

Sections (all by default): clustering (B-cubed P/R/F1 and ARI on the ECB+ pool,
the NeuS and Multi-News pools flattened and shuffled, and the WikiNews example;
TF-IDF agglomerative baseline), summaries (ROUGE-1/2/L of the product's
extractive summaries: NeuS at 60 words, Multi-News at 250; LexRank baseline),
neutrality (NeuS framing bias, with the NRC-VAD lexicon read from the eval folder
for measurement only), faithfulness (balanced accuracy of the support judge on
FRANK; lexical-overlap baseline), speed (the 100-article example: articles/s
through the pipeline, the raw embedding rate, the whole CLI run, peak memory).
Everything runs the product's own code with its defaults: one setting for every
input. The eval data is never committed; pass its folder with --data.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import datasets
from bench.baselines import lexrank_summary, tfidf_clusters
from bench.cache import CachedEmbedder
from bench.machine import machine_line
from bench.metrics import framing_bias, load_vad, mean_rouge
from service.backends.embedders import Embedder, get_embedder
from service.evaluation import balanced_accuracy, bcubed
from service.models import Summary, SummarySentence
from service.pipeline import sentences as sentence_splitter
from service.pipeline import stems, support
from service.pipeline.clean import clean_text
from service.pipeline.cluster import cluster_articles
from service.pipeline.run import DigestOptions, cluster_text, digest
from service.pipeline.sentences import split_sentences
from service.pipeline.support import LEXICAL_THRESHOLD, ClusterEvidence, content_words
from service.pipeline.verify import MemoEmbedder, Verifier

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "wikinews_100.jsonl"
SECTIONS = ("clustering", "summaries", "neutrality", "faithfulness", "speed")
_SUMMARY_SPLIT = re.compile(r"(?<=[.!?])\s+")


@dataclass
class Row:
    measure: str
    data: str
    ours: str
    baseline: str = ""
    target: str = ""
    met: str = ""


def _check(value: float, target: float, higher_is_better: bool = True) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "yes" if ok else "no"


def _labels(groups: list[list[int]], count: int) -> list[int]:
    labels = [0] * count
    for number, members in enumerate(groups):
        for index in members:
            labels[index] = number
    return labels


def clustering_rows(data: Path, embedder: Embedder) -> list[Row]:
    """B-cubed F1 of the shipped clustering on each pool, TF-IDF agglomerative beside it."""
    neus = datasets.pool_of("NeuS dev pool", datasets.neus_cases(data))
    multinews = datasets.pool_of(
        "Multi-News dev pool, furniture-only pages left out", datasets.multinews_cases(data)
    )
    pools = [
        (datasets.ecbplus_pool(data), 0.95),
        (neus, 0.93),
        (multinews, 0.93),
        (datasets.wikinews_pool(EXAMPLE), 0.95),
    ]
    rows = []
    for pool, target in pools:
        texts = [f"{a.title}\n{a.text}" for a in pool.articles]
        vectors = embedder.encode([cluster_text(a) for a in pool.articles])
        groups = cluster_articles(vectors, texts)
        ours = bcubed(_labels(groups, len(texts)), pool.gold)
        base = bcubed(tfidf_clusters(texts), pool.gold)
        rows.append(
            Row(
                "clustering B-cubed F1 (P/R, ARI)",
                f"{pool.name} ({len(texts)} articles, {len(set(pool.gold))} stories)",
                f"{ours.f1:.3f} ({ours.precision:.2f}/{ours.recall:.2f}, {ours.ari:.2f})",
                f"{base.f1:.3f} ({base.precision:.2f}/{base.recall:.2f}, {base.ari:.2f})",
                f">= {target}",
                _check(ours.f1, target),
            )
        )
    return rows


def _product_summary(case: datasets.SummaryCase, words: int, embedder: Embedder) -> str:
    """The summary the product writes for one story (extractive + verifier), as plain text."""
    options = DigestOptions(one_story=True, max_words=words, backend="extractive")
    result = digest(case.articles, options, embedder=embedder)
    summary = result.clusters[0].summary
    return " ".join(s.text for s in summary.sentences) if summary else ""


def summary_rows(
    data: Path, embedder: Embedder, limit: int | None, neutrality: bool, rouge: bool
) -> list[Row]:
    """ROUGE on NeuS@60 and Multi-News@250 with LexRank beside; NeuS framing bias."""
    rows: list[Row] = []
    sets = [("neus_dev", datasets.neus_cases(data), 60, (42.0, 19.0))]
    if rouge:
        sets.append(("multinews_dev", datasets.multinews_cases(data), 250, (46.0, 0.0)))
        # no target: newsroom-like stories over days, each with three annotators' summaries
        sets.append(("multiling2011_en", datasets.multiling_cases(data), 250, (0.0, 0.0)))
    vad = load_vad(data) if neutrality else {}
    for name, cases, words, (target1, target2) in sets:
        cases = cases[:limit] if limit else cases
        ours = [(_product_summary(c, words, embedder), c.reference) for c in cases]
        lexrank = [(lexrank_summary(c.articles, words), c.reference) for c in cases]
        label = f"{name} ({len(cases)} stories), {words} words"
        if len(cases[0].references) > 1:
            label += f", mean over {len(cases[0].references)} references"
        if rouge:
            o = mean_rouge(zip([x for x, _ in ours], [c.references for c in cases], strict=True))
            b = mean_rouge(zip([x for x, _ in lexrank], [c.references for c in cases], strict=True))
            target = f">= {target1:.0f} / {target2:.0f}" if target2 else f">= {target1:.0f} (R-1)"
            if not target1:
                target = "(no target)"
            met = o.rouge1 >= target1 and o.rouge2 >= target2
            rows.append(
                Row(
                    "summary ROUGE-1 / 2 / L",
                    label,
                    f"{o.rouge1:.1f} / {o.rouge2:.1f} / {o.rougeL:.1f}",
                    f"LexRank {b.rouge1:.1f} / {b.rouge2:.1f} / {b.rougeL:.1f}",
                    target,
                    ("yes" if met else "no") if target1 else "",
                )
            )
        if neutrality and name == "neus_dev":
            # an empty summary would score 0 (no words): such stories are left out, and said
            kept = [k for k, (summary, _) in enumerate(ours) if summary.strip()]
            plus, minus, total = framing_bias([ours[k] for k in kept], vad)
            _, _, base_total = framing_bias([lexrank[k] for k in kept], vad)
            empty = len(ours) - len(kept)
            rows.append(
                Row(
                    "framing bias, arousal sum (+ / -)",
                    f"{label}, NeuS's scoring"
                    + (f"; {empty} stories without a summary left out" if empty else ""),
                    f"{total:.2f} ({plus:.2f} / {minus:.2f})",
                    f"LexRank {base_total:.2f}",
                    "<= 2.5",
                    _check(total, 2.5, higher_is_better=False),
                )
            )
    return rows


def _summary_sentences(summary: str) -> list[str]:
    text = summary.replace("\\'", "'")
    parts = [p.strip() for p in _SUMMARY_SPLIT.split(text) if len(p.split()) >= 3]
    return parts or [text]


# drop reasons about a sentence's style, not about what its article says
_STYLE_REASONS = (
    "uses loaded wording",
    "reads as the writer's opinion",
    "reads as an instruction",
    "repeats an instruction",
    "empty sentence",
)
FRANK_SAMPLE_SEED = 5


def _frank_sample(
    cases: list[datasets.FaithfulnessCase], limit: int | None
) -> list[datasets.FaithfulnessCase]:
    """All cases, or `limit` of them drawn at random, seeded (the file lists every CNN/DM
    summary first, so its first rows hold no XSum summary)."""
    if not limit or limit >= len(cases):
        return cases
    drawn = random.Random(FRANK_SAMPLE_SEED).sample(range(len(cases)), limit)
    return [cases[k] for k in sorted(drawn)]


def _unsupported(summary: Summary) -> bool:
    """Did the verifier drop a sentence because its article does not back it?"""
    return any(not d.reason.startswith(_STYLE_REASONS) for d in summary.dropped)


def faithfulness_rows(data: Path, embedder: Embedder, limit: int | None) -> list[Row]:
    """FRANK: a summary is judged unfaithful when the citation verifier drops one of its
    sentences as unsupported, the verifier checking it as it checks an LLM's sentences that
    cite the article. Beside it: the support judge alone (what the verifier builds on),
    each source dataset's own figure, and a rule that reads only which dataset a summary
    comes from (CNN/DM's are mostly faithful, XSum's mostly not), to show how much of the
    pooled figure that alone explains."""
    cases = _frank_sample(datasets.frank_cases(data), limit)
    verifier = Verifier(MemoEmbedder(embedder))
    gold, verified, judged, lexical = [], [], [], []
    for number, case in enumerate(cases):
        article_id = f"frank-{number}"
        article = datasets.article_of(article_id, case.article)
        claims = _summary_sentences(case.summary)
        proposed = Summary(
            sentences=[
                SummarySentence(text=c, citations=[1], article_ids=[article.id]) for c in claims
            ],
            backend="frank",
        )
        verified.append(not _unsupported(verifier.verify(proposed, [article])))
        text = clean_text(case.article)
        sentences = split_sentences(article_id, text)
        vectors = embedder.encode([s.text for s in sentences])
        evidence = ClusterEvidence.build([article_id], sentences, vectors, {article_id: text})
        claim_vectors = embedder.encode(claims)
        vocab = content_words(text)
        gold.append(case.factual)
        judged.append(
            all(evidence.supports(c, v) for c, v in zip(claims, claim_vectors, strict=True))
        )
        lexical.append(
            all(
                len(content_words(c) & vocab) >= LEXICAL_THRESHOLD * len(content_words(c))
                for c in claims
            )
        )
    score = balanced_accuracy(verified, gold)
    per_set = []
    by_dataset = [case.dataset for case in cases]
    majority = {}
    for name in sorted(set(by_dataset)):
        members = [k for k, d in enumerate(by_dataset) if d == name]
        labels = [gold[k] for k in members]
        majority[name] = sum(labels) * 2 >= len(labels)
        if len(set(labels)) == 2:
            ba = balanced_accuracy([verified[k] for k in members], labels)
            per_set.append(f"{name} {ba:.3f}")
    dataset_only = balanced_accuracy([majority[d] for d in by_dataset], gold)
    return [
        Row(
            "citation verifier balanced accuracy",
            f"frank_dev ({len(cases)} summaries of {len({c.article for c in cases})} articles)",
            f"{score:.3f} (support judge alone {balanced_accuracy(judged, gold):.3f}; "
            f"{', '.join(per_set)})",
            f"word overlap >= 75 %: {balanced_accuracy(lexical, gold):.3f}; "
            f"source dataset alone: {dataset_only:.3f}",
            ">= 0.80",
            _check(score, 0.80),
        )
    ]


def forget_article_memos() -> None:
    """Forget what the process remembers of articles it has read (their sentence splits
    and word stems), so that a timed run pays for them as a run on new articles does."""
    sentence_splitter._split_article.cache_clear()
    stems.stem.cache_clear()
    for memo in (support.sentence_view, support.article_view, support.names_view):
        memo.cache_clear()
    support.plain_stems.cache_clear()


def _median_run(work: Callable[[], object], runs: int = 3) -> tuple[float, float]:
    """Median wall and CPU seconds of `runs` runs: one run of a few seconds is too noisy
    on a shared machine to compare two rates."""
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def speed_rows(embedder: Embedder) -> list[Row]:
    """Articles/s through the pipeline vs the model alone, the CLI run, peak memory."""
    from service.pipeline.ingest import load_paths

    articles = load_paths([EXAMPLE]).articles
    embedder.encode(["warm up the model"])
    texts = [cluster_text(a) for a in articles]
    sentences = [s.text for a in articles for s in split_sentences(a.id, a.text)]
    raw_s, raw_cpu = _median_run(lambda: embedder.encode(texts))

    def one_digest() -> None:
        # as a CLI run or a new request meets them: no vector, sentence split or word stem
        # of these articles remembered from the run before (or from `sentences` above)
        forget_article_memos()
        digest(articles, DigestOptions(backend="extractive"), embedder=MemoEmbedder(embedder))

    run_s, run_cpu = _median_run(one_digest)
    all_s, _ = _median_run(lambda: embedder.encode(texts + sentences))  # all it embeds
    raw_rate, run_rate = len(articles) / raw_s, len(articles) / run_s
    all_rate = len(articles) / all_s

    output = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-digest.md"
    command = [str(Path(sys.executable).parent / "digest"), "summarize", str(EXAMPLE)]
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([*command, "-q", "-o", str(output)], check=True, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cli_s = time.perf_counter() - start
    cli_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_mib = after.ru_maxrss / 1024
    n = len(articles)
    return [
        Row(
            "pipeline throughput, articles/s (CPU s)",
            f"wikinews_100 example ({n} articles), model loaded",
            f"{run_rate:.1f} ({run_cpu:.0f} s CPU)",
            f"raw embedding {raw_rate:.1f} ({raw_cpu:.0f} s CPU) on the {n} article texts; "
            f"{all_rate:.1f} on articles + their {len(sentences)} sentences",
            ">= 80 % of raw",
            f"{'yes' if run_rate >= 0.8 * raw_rate else 'no'} ({100 * run_rate / raw_rate:.0f} % "
            f"of the first, {100 * run_rate / all_rate:.0f} % of the second)",
        ),
        Row(
            "whole CLI run, wall s (CPU s), peak MiB",
            "digest summarize examples/wikinews_100.jsonl",
            f"{cli_s:.1f} s ({cli_cpu:.0f} s CPU), {peak_mib:.0f} MiB",
            "",
            "< 20 s",
            _check(cli_s, 20.0, higher_is_better=False),
        ),
    ]


def render(rows: list[Row]) -> str:
    header = ("measure", "data", "ours (shipped defaults)", "baseline", "target", "met")
    table = [header, *[(r.measure, r.data, r.ours, r.baseline, r.target, r.met) for r in rows]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in table[1:]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=datasets.DEFAULT_EVAL_DIR)
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--limit", type=int, default=None, help="stories/summaries per set")
    parser.add_argument("--cache", type=Path, default=None, help="folder for an embedding memo")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}")
    warnings.filterwarnings("ignore")

    plain = get_embedder()
    embedder: Embedder = CachedEmbedder(plain, args.cache) if args.cache else plain
    started = datetime.now(UTC)
    print(f"# bench/quality.py, {started:%Y-%m-%d %H:%M} UTC")
    print(f"machine: {machine_line()}; python {platform.python_version()}; {plain.name}\n")
    rows: list[Row] = []
    steps: list[tuple[str, Callable[[], list[Row]]]] = [
        ("clustering", lambda: clustering_rows(args.data, embedder)),
        (
            "summaries",
            lambda: summary_rows(
                args.data, embedder, args.limit, "neutrality" in chosen, "summaries" in chosen
            ),
        ),
        ("faithfulness", lambda: faithfulness_rows(args.data, embedder, args.limit)),
        ("speed", lambda: speed_rows(plain)),
    ]
    for name, step in steps:
        wanted = name in chosen or (name == "summaries" and "neutrality" in chosen)
        if not wanted:
            continue
        began = time.perf_counter()
        rows.extend(step())
        print(f"({name}: {time.perf_counter() - began:.0f} s)", file=sys.stderr)
        if isinstance(embedder, CachedEmbedder):
            embedder.save()
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
