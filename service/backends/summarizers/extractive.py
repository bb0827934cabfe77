"""The built-in extractive summarizer: the embedded default, no network, no API key.

In: one cluster's articles. Out: a Summary of whole source sentences, each
citing every article that supports it (not only the one it came from).

How sentences are chosen, and why:
- score = centrality (close to what the whole cluster says) + cross-outlet
  support, judged and soft (facts several outlets report are both central and
  neutral) + shared words (words most of the articles use: what the outlets
  agree on, not one outlet's framing) + a lead bonus (news puts the facts first)
  + closeness to the headlines (each outlet's own one-line summary of the story);
- loaded wording is reworded when a neutral word exists, else the sentence is
  skipped; questions, first-person asides, fragments and the writer's own reading of
  events ("X's push reflects his commitment to ...", "In short, ...") are skipped; a filler opener
  ("In a recent development, ...") is cut;
- redundancy is avoided by maximal marginal relevance, and a sentence whose content
  words (stemmed) mostly overlap a chosen one's is left out: outlets paraphrase one
  fact below any cosine limit that still tells different facts apart;
- claims backed by one article only, in a cluster of several, are attributed
  ("According to <outlet>, ..."); such a claim that opens on a pronoun is left out;
- a sentence that opens on a pronoun or connective ("He", "But") is taken only
  right after the sentence before it in its own article, so "He" always has its
  antecedent; the summary never opens on one, and stays within the word budget;
- a story that ran for days (articles published two days or more apart) always tells
  its latest stage: the best sentence of the latest articles is chosen first, so a
  month of Tour de France reports ends on who won, not on the prologue;
- sentences read lead facts first; in a story whose chosen sentences come from
  articles published two days or more apart, they read in the order of their
  articles' dates ("debris found" before "bodies recovered", not after);
- a person named by surname only, as a speaker or a sentence's subject ("..., said
  Bilham"), gets the full name the article gave earlier, at the summary's first
  mention of them (`speakers.py`);
- a sentence with an unbalanced quotation mark or bracket (the splitter cut a quote
  or an aside), one that is a quotation and nothing else (no speaker), one that opens
  in lower case or ends in an ellipsis (a fragment, a teaser cut short), and one
  written in capitals are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import numpy as np

from service.backends.embedders import Embedder
from service.backends.summarizers.attribution import (
    UNNAMED_GROWTH,
    attribute,
    report_days,
    sequenced_length,
    unnamed_growth,
    vary_unnamed_reports,
    written_in_lower_case,
)
from service.backends.summarizers.base import cite
from service.backends.summarizers.speakers import (
    Introduction,
    people_introductions,
    shorten_repeats,
)
from service.models import Article, Summary
from service.pipeline.dates import anchoring_growth, common_day
from service.pipeline.entities import compound_heads, named_entities
from service.pipeline.language import story_language
from service.pipeline.neutrality import (
    is_commentary,
    neutralise,
    opens_dangling,
    reports_a_judgement,
    sums_up,
    without_filler_opener,
)
from service.pipeline.sentences import (
    MONTH_WORD,
    Sentence,
    is_unspaced,
    quotes_balanced,
    split_sentences,
    word_count,
)
from service.pipeline.stems import stem
from service.pipeline.support import STAGE_APART, ClusterEvidence, as_utc, content_words

MAX_SENTENCES_PER_ARTICLE = 40
MIN_WORDS = 6
MAX_WORDS = 55
REDUNDANCY_LIMIT = 0.8
# Chosen on the NeuS and Multi-News dev splits (ROUGE and framing bias, bench/quality.py).
WEIGHTS = {
    "centrality": 0.2,  # close to what the whole cluster says
    "support": 0.2,  # share of the other articles that corroborate it (the judge's verdict)
    "soft_support": 0.1,  # mean closeness to each other article's nearest sentence
    "shared_words": 0.4,  # its words are used by many of the articles (strongest single cue)
    "lead": 0.2,  # news puts the facts first
    "headlines": 0.4,  # mean closeness to the articles' headlines
}
# Over half the stemmed content words of the shorter sentence shared: the same fact again.
LEXICAL_REDUNDANCY_LIMIT = 0.5
_FIRST_PERSON = re.compile(
    r"\b(?:I|me|Me(?!\.)|[Mm]y|[Ww]e|[Oo]ur|[Uu]s|[Yy]ou|[Yy]our|[Yy]ours)\b"
)  # not "US", not "Me." (Maine); "you" outside quotes addresses the reader: ad copy
_QUOTE_CHARS = '"“”'
_SUBORDINATE_ONLY = re.compile(r"(?:Though|Although|Even though)\s")
# The writer addressing the reader ("Look at the cheeky glimpse he gives the referee.",
# "Watch the full interview.", "Imagine if ..."): no claim, and "According to one report,
# look at ..." reads as nonsense. 15 dev sentences, every one of them such an aside.
_IMPERATIVE = re.compile(
    r"^(?:Look\s+(?:at|closely)|Watch\s+(?i:the|this|as|how|him|her|them|it)"
    r"|Imagine\s+(?:if|a|an|the|that|what|how|being)|Consider\s+(?:the|this|that|how|what)"
    r"|Remember\s+(?:when|that|how)|Check\s+out|Note\s+that|Picture\s+(?:a|an|this)"
    r"|Take\s+a\s+look|Let's|Let\s+us|Don't\s+(?:forget|miss)|Keep\s+in\s+mind"
    r"|Make\s+sure|Scroll\s+(?:down|up)|Think\s+about|What\s+a\s+difference)\b"
)  # a cue after the verb: "Watch parties", "Imagine Dragons", "Tap water" are news
# A reporter's unanswered calls: true, but no news of the story's.
_UNANSWERED = re.compile(
    r"\b(?:left\s+(?:a\s+)?(?:phone\s+)?messages?\s+seeking|did\s+not\s+immediately\s+"
    r"(?:respond|return|reply)|could\s+not\s+(?:immediately\s+)?be\s+reached\s+for\s+comment)\b",
    re.IGNORECASE,
)


# what a dateline or a time stamp is made of: figures, months, weekdays, am/pm, zones
_TIME_WORDS = re.compile(
    rf"\b(?:\d+|{MONTH_WORD}|monday|tuesday|wednesday"
    r"|thursday|friday|saturday|sunday|[ap]\.?m\.?|gmt|utc|[ecmp][sd]t|ist|updated|posted"
    r"|published)\b[.,:]?|[^\w\s]",
    re.IGNORECASE,
)
_LONG_WORD = re.compile(r"[^\W\d_]{3,}")
_STAMP_WORDS = 16  # longer, a sentence is no time stamp however many figures it holds


@dataclass
class Candidate:
    sentence: Sentence
    text: str  # as it will read: reworded for neutrality, attributed if single-source
    vector: np.ndarray
    support: list[str]
    score: float
    stems: frozenset[str] = frozenset()  # stemmed content words, for the lexical redundancy test
    introductions: tuple[Introduction, ...] = ()  # surnames written out in full
    anchoring: int = 0  # words "today" -> "on November 20" will add (`anchoring_growth`)

    def length(self, growth: int) -> int:
        """Words it will take once sequenced (`growth`) and its days anchored."""
        return sequenced_length(self.text, growth) + self.anchoring

    @cached_property
    def dangling(self) -> bool:
        """It needs the sentence before it in its article (`opens_dangling`); asked once per
        candidate, not once per candidate per pick."""
        return opens_dangling(self.text)


_WORD = re.compile(r"[^\W_]+")


def _eligible(text: str) -> bool:
    words = word_count(text)
    if words < MIN_WORDS or words > MAX_WORDS:
        return False
    if text.rstrip(_QUOTE_CHARS + "'’)").endswith(("?", "!")):
        return False
    if not quotes_balanced(text) or not _brackets_balanced(text):
        return False
    if text[:1].islower() or text.rstrip(_QUOTE_CHARS + "'’").endswith(("...", "…", ". . .")):
        return False  # a fragment the splitter left, or a teaser cut short
    if text.startswith(("(", "[")):
        return False  # an aside or a cross-reference: "(Related: ...)", "[Video Link] ..."
    if _UNANSWERED.search(text):
        return False  # "The AP left a message seeking information from Houston police."
    if _SUBORDINATE_ONLY.match(text) and "," not in text:
        return False  # a clause with no main clause: "Though Yu and Soni have also ..."
    if _IMPERATIVE.match(text):
        return False  # an aside to the reader
    if words <= _STAMP_WORDS:  # a time stamp the splitter read as a sentence (a short one)
        beyond_times = _TIME_WORDS.sub(" ", text)
        if word_count(beyond_times) < MIN_WORDS // 2 or not _LONG_WORD.search(beyond_times):
            return False  # "May 2, 2013 1: 35 pm."
    if is_commentary(text) or sums_up(text):
        return False  # "Kim's push ... reflects his commitment to ...": the writer's reading
    letters = [c for c in text if c.isalpha()]
    if sum(c.isupper() for c in letters) > 0.6 * len(letters):
        return False  # a broadcast transcript in capitals: the summary does not shout
    outside_quotes = re.sub(r"[\"“][^\"”]*[\"”]", "", text)
    speaker = (  # one unbroken run of Chinese is many words
        word_count(outside_quotes)
        if is_unspaced(outside_quotes)
        else len(_WORD.findall(outside_quotes))
    )
    if speaker < 2:
        return False  # a quotation with no speaker: '"I'm as shocked as you people."'
    return not _FIRST_PERSON.search(outside_quotes)


def _brackets_balanced(text: str) -> bool:
    """Every bracket opened is closed: "[For women, heavy drinking ..." is a cut aside."""
    return text.count("(") == text.count(")") and text.count("[") == text.count("]")


def headlines(articles: list[Article]) -> list[str]:
    """The cluster's non-empty headlines: each outlet's own one-line summary of the story."""
    return [a.title for a in articles if a.title.strip()]


def shared_word_weights(articles: list[Article]) -> dict[str, float]:
    """Content word -> share of the cluster's articles that use it (what outlets agree on)."""
    counts: dict[str, int] = {}
    for article in articles:
        for word in content_words(f"{article.title} {article.text}"):
            counts[word] = counts.get(word, 0) + 1
    return {word: count / len(articles) for word, count in counts.items()}


def stemmed_words(text: str) -> frozenset[str]:
    """Content words reduced to their stems ("ruled", "ruling" -> "rule")."""
    return frozenset(stem(word) for word in content_words(text))


def repeats_a_chosen_fact(words: frozenset[str], chosen: list[frozenset[str]]) -> bool:
    """Most of the shorter sentence's stemmed words are in the other: one fact, reworded."""
    return any(
        len(words & other) > LEXICAL_REDUNDANCY_LIMIT * min(len(words), len(other))
        for other in chosen
        if words and other
    )


def _mean_weight(text: str, weights: dict[str, float]) -> float:
    words = content_words(text)
    return sum(weights.get(w, 0.0) for w in words) / len(words) if words else 0.0


class ExtractiveSummarizer:
    """Selects and cites source sentences; see the module docstring for the rules."""

    name = "extractive"
    cpu_bound = True  # the pipeline runs it one story at a time, in the calling thread

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def summarize(self, articles: list[Article], *, max_words: int = 120) -> Summary:
        days = report_days(articles)
        notes: list[str] = []
        latest = latest_stage(articles)
        growth = unnamed_growth(days)
        chosen = self._select(self._candidates(articles), max_words, growth, latest)
        if not chosen:  # a story about an accusation: its judgements, reported and attributed
            reported = self._candidates(articles, reported_judgements=True)
            chosen = self._select(reported, max_words, growth, latest)
            if chosen:
                notes.append(_REPORTED_ONLY)
        chosen = _in_reading_order(chosen, {a.id: a.published_at for a in articles})
        texts = shorten_repeats([c.text for c in chosen], [c.introductions for c in chosen])
        cited = [cite(text, c.support, articles) for text, c in zip(texts, chosen, strict=True)]
        sentences = vary_unnamed_reports(cited, days)
        notes += [] if sentences else [_why_no_sentence(articles)]
        return Summary(sentences=sentences, backend=self.name, notes=notes)

    def _candidates(
        self, articles: list[Article], *, reported_judgements: bool = False
    ) -> list[Candidate]:
        """Every sentence that may stand in the summary, scored and cited. With
        `reported_judgements`, one whose loaded wording is someone's judgement, reported
        (`reports_a_judgement`), stands too, as written and attributed to its outlet."""
        sentences: list[Sentence] = []
        introduced: list[tuple[str, tuple[Introduction, ...]]] = []
        for article in articles:
            own = split_sentences(article.id, article.text)[:MAX_SENTENCES_PER_ARTICLE]
            sentences.extend(own)
            introduced.extend(people_introductions([s.text for s in own]))
        if not sentences:
            return []
        vectors = self.embedder.encode([s.text for s in sentences])
        evidence = ClusterEvidence.build(
            [a.id for a in articles],
            sentences,
            vectors,
            {a.id: a.text for a in articles},
            {a.id: a.published_at for a in articles},
            {a.id: a.title for a in articles},
            check_names=True,  # an article cited for a fact names whom and where it names
        )
        centroid = vectors.mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        shared = shared_word_weights(articles)
        names = {n for a in articles for n in named_entities(a.text)}
        names -= compound_heads(s.text for s in sentences)  # "Aircraft Communications ..."
        lowercase_words = written_in_lower_case(a.text for a in articles)
        # an attribution is written in the language of the article its sentence comes from
        languages = {a.id: story_language([a]) for a in articles}
        others = max(len(articles) - 1, 1)
        outlets = {a.id: a.outlet for a in articles}
        by_id = {a.id: a for a in articles}
        headline_vectors = self.embedder.encode(headlines(articles))
        candidates: list[Candidate] = []
        for sentence, vector, (written, made) in zip(sentences, vectors, introduced, strict=True):
            if sentence.quoted or not _eligible(sentence.text):
                continue
            text = neutralise(written)
            reported = text is None and reported_judgements and reports_a_judgement(written)
            if reported:
                text = written
            elif text is None:
                continue
            text = without_filler_opener(text)  # "In a recent development, ..."
            support = evidence.supports(sentence.text, vector)
            if sentence.article_id not in support:
                support.insert(0, sentence.article_id)
            if reported:
                support = [sentence.article_id]  # the outlet that reports the judgement
            if len(articles) > 1 and len(support) == 1:
                if opens_dangling(text):
                    continue  # "According to X, he said ..." reads worse than leaving it out
                text = attribute(
                    text,
                    outlets[sentence.article_id],
                    names,
                    lowercase_words,
                    languages[sentence.article_id],
                )
            echo = evidence.best_similarity(vector)
            soft_support = (
                sum(max(sim, 0.0) for aid, sim in echo.items() if aid != sentence.article_id)
                / others
            )
            features = {
                "centrality": float(vector @ centroid),
                "support": (len(support) - 1) / others,
                "soft_support": soft_support if len(articles) > 1 else 0.0,
                "shared_words": _mean_weight(sentence.text, shared),
                "lead": 1.0 / (1.0 + sentence.index) ** 0.5,
                "headlines": (
                    float((headline_vectors @ vector).mean()) if len(headline_vectors) else 0.0
                ),
            }
            score = sum(WEIGHTS[name] * value for name, value in features.items())
            stems = stemmed_words(sentence.text)
            day = common_day(by_id[aid] for aid in support)
            growth = anchoring_growth(text, day)
            candidates.append(
                Candidate(sentence, text, vector, support, score, stems, made, growth)
            )
        return candidates

    def _select(
        self,
        candidates: list[Candidate],
        max_words: int,
        growth: int = UNNAMED_GROWTH,
        latest: frozenset[str] = frozenset(),
    ) -> list[Candidate]:
        """Greedy choice by score within `max_words`, counting the words that sequencing
        (`growth`) and date anchoring will add; the first pick is from the `latest`
        articles when there are such (`latest_stage`)."""
        chosen: list[Candidate] = []
        words = 0
        pool = sorted(candidates, key=lambda c: -c.score)
        opening = next(
            (
                c
                for c in pool
                if c.sentence.article_id in latest
                and not c.dangling
                and c.length(growth) <= max_words
            ),
            None,
        )
        if opening is not None:
            chosen.append(opening)
            words += opening.length(growth)
            pool.remove(opening)
        while pool:
            best: Candidate | None = None
            best_value = -np.inf
            chosen_stems = [c.stems for c in chosen]
            for cand in pool:
                length = cand.length(growth)
                if words + length > max_words:
                    continue
                if cand.dangling and not any(_antecedent(c, cand) for c in chosen):
                    continue
                redundancy = max((float(cand.vector @ c.vector) for c in chosen), default=0.0)
                if redundancy > REDUNDANCY_LIMIT or repeats_a_chosen_fact(cand.stems, chosen_stems):
                    continue
                value = cand.score - 0.3 * redundancy
                if value > best_value:
                    best, best_value = cand, value
            if best is None:
                break
            chosen.append(best)
            words += best.length(growth)
            pool.remove(best)
        return chosen


def latest_stage(articles: list[Article]) -> frozenset[str]:
    """The articles of a story's latest stage (published within `STAGE_APART` of its last
    dated article), when its dated articles span that much; empty otherwise.

    Why: a story that ran for weeks scored its sentences as if all were news of one day,
    and the early reports, more of them and more alike, won: the example's Tour de France
    summary told the prologue and stage 13, never the winner. A reader of a digest wants
    where the story stands now."""
    dated = {a.id: as_utc(a.published_at) for a in articles if a.published_at is not None}
    if len(dated) < 2 or max(dated.values()) - min(dated.values()) < STAGE_APART:
        return frozenset()
    last = max(dated.values())
    return frozenset(aid for aid, day in dated.items() if last - day < STAGE_APART)


_REPORTED_ONLY = (
    "the sentences of these articles that could stand all hold loaded wording; the summary "
    "quotes the judgements they report (an accusation, a denial), each attributed to its outlet"
)


def _why_no_sentence(articles: list[Article]) -> str:
    """Why an empty summary is empty, in words a reader can act on (an API caller sees
    only the note: an empty list of sentences says nothing)."""
    lengths = [word_count(s.text) for a in articles for s in split_sentences(a.id, a.text)]
    if not lengths:
        return (
            "no summary: these articles hold no full sentence to quote, only fragments or "
            "very short lines; give the articles' full text"
        )
    short = sum(n < MIN_WORDS for n in lengths)
    long = sum(n > MAX_WORDS for n in lengths)
    found = f"{len(lengths)} sentence{'s' if len(lengths) != 1 else ''}"
    return (
        f"no summary: none of the {found} of these articles could stand in a summary "
        f"({short} under {MIN_WORDS} words, {long} over {MAX_WORDS}; the rest are questions, "
        "fragments, first-person asides or loaded wording with no neutral rewording); "
        "give the articles' full text"
    )


def _antecedent(before: Candidate, candidate: Candidate) -> bool:
    """`before` is the sentence just before `candidate` in its own article."""
    return (
        before.sentence.article_id == candidate.sentence.article_id
        and before.sentence.index == candidate.sentence.index - 1
    )


def _in_reading_order(
    chosen: list[Candidate], published: dict[str, datetime | None]
) -> list[Candidate]:
    """Lead facts first; a sentence that opens on a pronoun right after its antecedent.
    When the sentences' articles were published days apart, in the order of their dates:
    a story that runs for days reads as it happened."""
    sources = {c.sentence.article_id for c in chosen}
    days = {aid: as_utc(day) for aid in sources if (day := published.get(aid)) is not None}
    in_time = (
        len(days) == len(sources)
        and days
        and max(days.values()) - min(days.values()) >= STAGE_APART
    )

    def place(cand: Candidate) -> tuple[float, int, float]:
        when = days[cand.sentence.article_id].timestamp() if in_time else 0.0
        return (when, cand.sentence.index, -cand.score)

    by_position = sorted(chosen, key=place)
    ordered = [c for c in by_position if not c.dangling]
    # in article order, so a chain "A. He ... They ..." stays a chain
    for cand in (c for c in by_position if c.dangling):
        before = next((n for n, c in enumerate(ordered) if _antecedent(c, cand)), None)
        ordered.insert(len(ordered) if before is None else before + 1, cand)
    return ordered
