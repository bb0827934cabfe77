"""LLM concurrency: wall time of a digest's summarize stage against a slow model.

A scripted OpenAI-compatible server on 127.0.0.1 (tests/fake_llm_server.py) answers
every chat request after `--delay` seconds with the lead sentence of each article,
so the LLM path runs for real: litellm Router, HTTP, answer parsing, verification.
The stories are the input's gold clusters (`gold_cluster` field), so every run
summarizes the same `--stories` clusters, through the pipeline's own
`_summarize_all` (what `digest()` runs), once per `--concurrency` value
(1 = sequential calls). With enough workers the stage takes about as long as the
slowest story, not the sum.

    .venv/bin/python bench/llm_concurrency.py
    .venv/bin/python bench/llm_concurrency.py --delay 2 --stories 10 --concurrency 1 4 10
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from service.backends.embedders import get_embedder  # noqa: E402
from service.backends.summarizers.llm import LLMSummarizer  # noqa: E402
from service.config import Settings  # noqa: E402
from service.models import Article  # noqa: E402
from service.pipeline.clean import clean_text  # noqa: E402
from service.pipeline.run import _summarize_all  # noqa: E402
from service.pipeline.verify import remembering, verifier_for  # noqa: E402
from tests.fake_llm_server import FakeLLMServer, RecordedRequest, Reply, echo_leads  # noqa: E402

MODEL = "openai/gpt-4o-mini"


def gold_stories(path: Path, count: int) -> list[list[Article]]:
    """The first `count` stories of a JSONL file with a `gold_cluster` field, in file order."""
    stories: dict[str, list[Article]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        article = Article.model_validate(record)
        article.text = clean_text(article.text)
        stories.setdefault(str(record.get("gold_cluster", article.id)), []).append(article)
    return list(stories.values())[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--input", type=Path, default=ROOT / "examples" / "wikinews_100.jsonl")
    parser.add_argument("--stories", type=int, default=10, help="stories (clusters) to summarize")
    parser.add_argument("--delay", type=float, default=1.0, help="seconds per model answer")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 10])
    parser.add_argument("--max-words", type=int, default=120)
    args = parser.parse_args()

    stories = gold_stories(args.input, args.stories)
    delay = [0.0]

    def slow(request: RecordedRequest) -> Reply:
        reply = echo_leads(request)
        reply.delay_s = delay[0]
        return reply

    embedder = remembering(get_embedder())
    verify = verifier_for(embedder).verify
    rows = []
    with FakeLLMServer(slow) as server, tempfile.TemporaryDirectory() as data:
        settings = Settings(
            backend=MODEL,
            api_base=server.base_url,
            llm_cache="none",
            data_dir=Path(data),
            llm_timeout_s=max(30.0, args.delay * 4),
        )
        summarizer = LLMSummarizer(MODEL, settings=settings, embedder=embedder)
        # warm-up without delay: loads litellm and fills the embedder's memo and evidence cache
        _summarize_all(summarizer, stories, args.max_words, 4, lambda *_: None, verify)
        delay[0] = args.delay
        for workers in args.concurrency:
            started = time.perf_counter()
            summaries = _summarize_all(
                summarizer, stories, args.max_words, workers, lambda *_: None, verify
            )
            wall = time.perf_counter() - started
            waits = [s.usage.latency_s for s in summaries]
            by_llm = sum(1 for s in summaries if s.backend == MODEL)
            rows.append((workers, by_llm, wall, sum(waits), max(waits)))

    sequential = next((r[2] for r in rows if r[0] == 1), rows[0][2])
    articles = sum(len(s) for s in stories)
    print(f"# LLM concurrency benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(
        f"machine: {platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )
    print(
        f"input: {args.input.name}: {len(stories)} stories, {articles} articles; every model "
        f"answer takes {args.delay:g} s (local scripted server)\n"
    )
    print(
        "| concurrency | stories by the LLM | wall time (s) | sum of model waits (s) "
        "| slowest story's wait (s) | speed-up vs sequential |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for workers, by_llm, wall, total_wait, slowest in rows:
        print(
            f"| {workers} | {by_llm}/{len(stories)} | {wall:.2f} | {total_wait:.2f} "
            f"| {slowest:.2f} | {sequential / wall:.1f}x |"
        )


if __name__ == "__main__":
    main()
