"""The summarizer contract: a cluster's numbered articles in, one cited Summary out.

Article `k` of the list is source `[k+1]`; every backend cites by that number,
and `cite()` turns a set of supporting article ids into the Summary's form.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from service.models import Article, Summary, SummarySentence

# why a sentence of a model's answer was left out for the summary's length, not its truth
REPEATED = "repeats an earlier sentence"
OVER_BUDGET = "over the {max_words}-word budget"
LENGTH_REASONS = (REPEATED, OVER_BUDGET.split("{", 1)[0])  # how such reasons start


@runtime_checkable
class Summarizer(Protocol):
    """Writes a neutral summary of one story, citing its articles by number."""

    name: str

    def summarize(self, articles: list[Article], *, max_words: int) -> Summary: ...


def is_cpu_bound(summarizer: Summarizer) -> bool:
    """True for a backend that computes on this machine (declares `cpu_bound = True`).

    Why: such a backend gains nothing from summarizing stories on several threads (they
    only contend for the cores, and each thread's torch work gets its own thread team
    and memory arena); a backend that waits on a server does, so the pipeline asks.
    """
    return bool(getattr(summarizer, "cpu_bound", False))


def cite(text: str, supporting_ids: list[str], articles: list[Article]) -> SummarySentence:
    """A summary sentence citing `supporting_ids`, numbered by their place in `articles`."""
    order = {a.id: n for n, a in enumerate(articles, start=1)}
    ids = sorted(set(supporting_ids), key=lambda aid: order[aid])
    return SummarySentence(text=text, citations=[order[aid] for aid in ids], article_ids=ids)
