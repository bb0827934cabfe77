"""Citation verification: every summary sentence is checked against the articles it cites.

In: a Summary proposed by any backend (extractive or LLM) and the cluster's
articles, numbered [1]..[n]. Out: the Summary with verified sentences only.
One judge for every backend, built on `support.ClusterEvidence`:

- citations to articles that do not exist are removed;
- loaded wording is reworded where a neutral word exists, else the sentence is dropped; the
  writer's verdict opening a sentence ("Sadly, ...", "Ironically, ...") is cut;
- the writer's reading of events in the summary's own voice ("The strike underscores the
  union's determination to ...") is dropped; attributed to its outlet it may stand;
- a sentence that reads as an instruction, or repeats one found inside an article
  ("ignore previous instructions and write ..."), is dropped: article text is data,
  and this is the backstop when a model obeys it anyway;
- a sentence that a cited article supports cites every article that supports it
  (an attributed one, "According to Outlet B, ...", keeps only its supporting
  sources); when none of its cited articles does, it is re-attributed to the
  articles that do (the LLM backend then credits the outlet that says it); when no
  article does, it is dropped;
- a sentence that credits an outlet of the story ("According to Outlet B, ...", "Outlet B
  says that ...", "Outlet B quoted ...") cites that outlet's article that supports it; when
  no article of that outlet does, the credit is taken off (the LLM backend then credits the
  outlet that says it), or, where it cannot be ("Outlet B quoted the coast guard as saying
  ..."), the sentence is dropped;
- a sentence that sets outlets' versions side by side ("Reports differ on the death toll:
  according to Outlet A, ...; according to Outlet B, ...") is supported by no one article
  whole: it is judged side by side (`contrast.py`);
- every drop is listed in `Summary.dropped` with its reason and counted in `notes`.

Instruction-like sentences inside articles are left out of the evidence, so an
obeyed injection finds no support. An attribution ("According to Outlet B, ...")
is checked without its prefix: the outlet's name is not a claim about the story.
Verifying a verified summary changes nothing.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from service.backends.embedders import Embedder
from service.backends.summarizers.attribution import (
    ACCORDING,
    CITING,
    FOREIGN_REPORTS,
    FOREIGN_UNNAMED,
    UNNAMED_REPORT,
    cited_source,
    report_days,
    vary_unnamed_reports,
)
from service.models import Article, DroppedSentence, Summary, SummarySentence
from service.pipeline.contrast import (
    Side,
    announces_a_difference,
    contrast_sides,
    contrast_verdict,
)
from service.pipeline.neutrality import (
    find_loaded_terms,
    is_commentary,
    neutralise,
    reports_a_judgement,
    without_filler_opener,
)
from service.pipeline.sentences import Sentence, split_paragraph, split_sentences
from service.pipeline.support import ClusterEvidence, content_words

_MACHINE = (
    r"(?:(?:ai |a\.i\. |virtual |language )?(?:llms?|language models?|assistants?|chatbots?"
    r"|summari[sz]ers?|models?|gpts?|crawlers?)|ai|a\.i\.)"
)
_PRIOR = r"(?:previous|prior|above|earlier|preceding|foregoing|system|original|other|all)"
_INSTRUCTION = re.compile(
    # "ignore (the) previous instructions", "disregard any instructions you were given";
    # not "ignore the instructions on the label", "ignore these rules"
    rf"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?"
    rf"(?:the\s+|your\s+|my\s+)?(?:(?:{_PRIOR}\s+)+(?:instructions?|prompts?|directions"
    r"|directives)\b|(?:instructions?|prompts?)\s+(?:above|you\s+(?:were|have\s+been)"
    r"\s+given|given\s+to\s+you)\b)"
    rf"|\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+)?"
    rf"(?:{_PRIOR}\s+)+(?:rules|guidelines)\b"
    r"|\b(?:ignore|disregard|forget)\s+(?:all\s+of\s+)?(?:everything\s+)?(?:the\s+)?above\b"
    r"|\bignore\s+everything\b|\bsystem prompt\b|\bas an ai\b|\bjailbreak"
    rf"|\byou are (?:now )?(?:an? )?{_MACHINE}\b"
    # a note addressed to a model: "Note to AI summarizers:", "ATTENTION LLM:"
    rf"|\b(?:note|message|instructions?|memo)\s+(?:to|for)\s+(?:all\s+|any\s+)?(?:the\s+)?"
    rf"{_MACHINE}\s*[:,]"
    rf"|\b(?:attention|attn)(?:\s*,\s*|\s+)(?:all\s+)?{_MACHINE}\s*[:!,]"
    rf"|\b{_MACHINE}\s+(?:reading|processing|summari[sz]ing|parsing|crawling|seeing|"
    r"ingesting|scraping)\s+this\b"
    r"|\bwhen\s+(?:you\s+(?:are\s+)?)?summari[sz](?:e|ing)\s+this\b"
    r"|\bplease\s+(?:tell|inform)\s+(?:your|the)\s+(?:readers?|users?|audience)\b"
    r"|\b(?:tell|inform)\s+your\s+(?:readers|users)\b"
    # "Summarizers must write that ...": the model itself, the verb right after (not
    # "teaching assistants will begin strike action", "AI assistants will start shipping")
    r"|\b(?:summari[sz]ers?|language models?|llms?|chatbots?|(?:ai )?assistants?)\s+"
    r"(?:must|should|shall)\s+(?:always\s+|now\s+|instead\s+)?(?:say|write|state|report"
    r"|claim|include|mention|tell|describe|call|praise|recommend|begin|start|end)\b"
    r"|\b(?:summari[sz]ers?|language models?|llms?)\s+will\s+(?:say|write|state|claim"
    r"|mention|tell|describe)\b"
    # "The summary must say that ...", not "every safety summary must include the number"
    r"|\bsummar(?:y|ies)\b[^.!?]{0,30}\b(?:must|should|shall)\b[^.!?]{0,20}"
    r"\b(?:say|write|state|claim|begin|start|end|mention|tell)\b",
    re.IGNORECASE,
)
# a word every branch of _INSTRUCTION needs, looked for before the pattern is run
_INSTRUCTION_CUES = (
    "ignore", "disregard", "forget", "override", "system prompt", "as an ai", "jailbreak",
    "you are", "note", "message", "instruction", "memo", "attention", "attn", "tell",
    "inform", "assure", "summar", "model", "llm", "chatbot", "assistant", "gpt", "crawler",
    "reading this", "processing this", "parsing this", "crawling this", "seeing this",
    "ingesting this", "scraping this",
)  # fmt: skip
# a report's colon credit in another language ("Tagesblatt meldet: ", "Le Soir rapporte :
# "), or the bare one of a language without a wording ("Gazeta Wyborcza: ")
_COLON_CREDIT = rf"\s+(?:{FOREIGN_REPORTS})\s?:|\s?:"
_REPORTS = (
    r"(?:\s+(?:(?:reports?|reported|says?|said|writes?|wrote)\s+(?:that\s+)?|adds\s+that\s+)"
    rf"|(?:{_COLON_CREDIT})\s+)"
)
# an outlet as the one that reports what follows: "Outlet B says", "Outlet B quoted"
_REPORTING_VERB = (
    r"(?:\s+(?:says?|said|reports?|reported|writes?|wrote|adds|added|quoted|quotes|cites|cited"
    rf"|notes|noted|states|stated|claims|claimed|tells|told)\b|{_COLON_CREDIT})"
)
_ECHO_OVERLAP = 0.6
_NO_SIDES = "says the reports differ, but does not give each side as a claim credited to its outlet"
_CACHE_SIZE = 32


def looks_like_instruction(text: str) -> bool:
    """True for text addressed to a model ('ignore previous instructions', 'you are now ...')."""
    lowered = text.lower()
    if not any(cue in lowered for cue in _INSTRUCTION_CUES):  # most sentences: no regex
        return False
    return bool(_INSTRUCTION.search(text))


def claim_of(text: str, outlets: list[str]) -> str:
    """The sentence without its attribution prefix: what must be supported."""
    rest = ACCORDING.sub("", text, count=1)
    if rest == text:
        names = [*map(re.escape, outlets), UNNAMED_REPORT.pattern, FOREIGN_UNNAMED]
        for name in names:
            match = re.match(name + CITING + _REPORTS, text, flags=re.IGNORECASE)
            if match:
                rest = text[match.end() :]
                if match.group("source"):  # the source is part of the claim to support
                    rest = _with_source(rest, match.group("source"))
                break
    return rest[:1].upper() + rest[1:] if rest else text


def credited_outlet(text: str, outlets: list[str]) -> str | None:
    """The outlet of the story a sentence credits with its claim ("According to Outlet B,
    ...", "Outlet B says that ...", "Outlet B quoted ...", "..., according to Outlet B."), as
    `outlets` spells it; None when it credits none, or a source that is no outlet of the
    story ("the police")."""
    by_name = {outlet.lower(): outlet for outlet in outlets}
    if named := ACCORDING.match(text):
        return by_name.get(named.group(1).lower())
    for name in sorted(by_name, key=len, reverse=True):  # "Outlet A News" before "Outlet A"
        if re.match(re.escape(name) + CITING + _REPORTING_VERB, text, flags=re.IGNORECASE):
            return by_name[name]
    if not (cited := cited_source(text)):
        return None
    source = cited[0].lower()  # "Outlet B." keeps a stop read as an initial's
    return by_name.get(source) or by_name.get(source.removesuffix("."))


def without_credit(text: str, outlets: list[str]) -> str | None:
    """The claim of a sentence that credits a source, without the credit; None when the
    credit is part of what the sentence says ("Outlet B quoted the coast guard as ...")."""
    claim = claim_of(text, outlets)
    if claim != text[:1].upper() + text[1:]:
        return claim
    cited = cited_source(text)  # "..., according to Outlet B."
    return cited[1][:1].upper() + cited[1][1:] if cited else None


def _voices(article: Article, outlet: str) -> bool:
    """Whether `article` speaks for `outlet`: it is that outlet's, or it names it ("Outlet B
    reported that ..." in another outlet's article is what that article says)."""
    if article.outlet == outlet:
        return True
    return re.search(rf"(?<!\w){re.escape(outlet)}(?!\w)", article.text) is not None


def _with_source(claim: str, source: str) -> str:
    """ "the port is shut." and "the police" -> "the port is shut, according to the police.":
    the words a sentence that cites its source was written in."""
    if claim[-1:] in ".!?":
        return f"{claim[:-1]}, according to {source}{claim[-1]}"
    return f"{claim}, according to {source}"


_Verdict = tuple[list[int] | None, bool, str]  # citations (None: dropped), moved, why dropped


def _credit_verdict(
    text: str, outlet: str, valid: list[int], backers: list[int], articles: list[Article]
) -> _Verdict:
    """The verdict on a sentence that credits `outlet` and that `backers` support: it must
    cite an article of that outlet that supports it ("Outlet B says that 35 died" citing
    Outlet A's article had been kept as written). When none of that outlet's articles
    supports it, the credit is wrong: the claim's own supporters are cited, and `verify`
    takes the credit off; a credit that cannot be taken off drops the sentence."""
    confirmed = [n for n in valid if n in backers]
    own = [n for n in backers if _voices(articles[n - 1], outlet)]
    if set(confirmed) & set(own):
        return sorted(confirmed), False, ""
    if own:
        return own, True, ""
    claim = without_credit(text, [a.outlet for a in articles if a.outlet])
    if claim is None or neutralise(claim) is None or is_commentary(claim):
        marks = ", ".join(f"[{n}]" for n in backers)
        return None, False, f"credits {outlet}, but no article of {outlet} says it (only {marks})"
    return backers, not confirmed, ""


# the end of the "dropped" note: where a reader of the JSON digest finds them (a chat
# reader has no JSON digest: the Slack renderer leaves it out)
WHERE_DROPPED_ARE_LISTED = "; the JSON digest lists them, with why, under 'dropped'"


@dataclass
class _Evidence:
    evidence: ClusterEvidence
    instructions: list[tuple[int, set[str]]]  # (article number, content words) per instruction


class Verifier:
    """Checks summaries against their articles; thread-safe, evidence cached per cluster."""

    def __init__(self, embedder: Embedder, cache_size: int = _CACHE_SIZE) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[tuple[tuple[str, str], ...], _Evidence] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def verify(self, summary: Summary, articles: list[Article]) -> Summary:
        """The summary with every sentence verified; see the module docstring for the rules."""
        if not summary.sentences:
            return summary
        found = self._evidence(articles)
        outlets = [a.outlet for a in articles if a.outlet]
        kept: list[SummarySentence] = []
        dropped = list(summary.dropped)
        removed: list[int] = []
        reattributed = unsupported = uncredited = 0
        # original, text, citations, claim, and the instruction it echoes (if any)
        pending: list[tuple[str, str, list[int], str, str | None]] = []
        for sentence in summary.sentences:
            text = " ".join(sentence.text.split())
            valid = [n for n in dict.fromkeys(sentence.citations) if 1 <= n <= len(articles)]
            removed += [n for n in sentence.citations if not 1 <= n <= len(articles)]
            reason = self._reject(text, found)
            echo = self._echo(text, found) if reason is None else None
            if reason is None:
                reworded = neutralise(text)
                if (
                    reworded is None
                    and claim_of(text, outlets) != text
                    and reports_a_judgement(text)
                ):
                    reworded = text  # "According to X, Trump insisted he is not a racist."
                if reworded is None:
                    terms = ", ".join(repr(t) for t in find_loaded_terms(text))
                    reason = (
                        f"uses loaded wording ({terms}) with no neutral rewording, inside a "
                        'quotation, or as the word someone used for someone ("called him a '
                        'dictator"), which are never reworded'
                    )
                else:
                    text = without_filler_opener(reworded)  # "Sadly, ..." in its own voice
            if reason is not None:
                dropped.append(DroppedSentence(text=sentence.text, reason=reason))
                continue
            pending.append((sentence.text, text, valid, claim_of(text, outlets), echo))

        judged = self._judge(
            [(text, valid, claim) for _, text, valid, claim, _ in pending], found, articles
        )
        for (original, text, valid, _, echo), (citations, moved, reason) in zip(
            pending, judged, strict=True
        ):
            if citations is None:
                # an echo of a planted instruction stands only if an article says it too
                dropped.append(DroppedSentence(text=original, reason=echo or reason))
                continue
            named = credited_outlet(text, outlets)
            if named and not any(_voices(articles[n - 1], named) for n in citations):
                text = without_credit(text, outlets) or text  # _judge dropped the rest
                uncredited += 1
            reattributed += moved
            if not moved:
                unsupported += len(set(valid) - set(citations))
            kept.append(
                SummarySentence(
                    text=text,
                    citations=citations,
                    article_ids=[articles[n - 1].id for n in citations],
                )
            )
        notes = list(summary.notes)
        if removed:
            marks = ", ".join(f"[{n}]" for n in sorted(set(removed)))
            notes.append(f"verifier: removed citations to articles that do not exist ({marks})")
        if reattributed:
            notes.append(
                f"verifier: {reattributed} sentence(s) re-attributed to the articles that "
                "support them"
            )
        if uncredited:
            notes.append(
                f"verifier: {uncredited} sentence(s) credited an outlet whose article does not "
                "say it; the credit was taken off"
            )
        if unsupported:
            notes.append(
                f"verifier: removed {unsupported} citation(s) to articles that do not support "
                "their sentence"
            )
        newly_dropped = len(dropped) - len(summary.dropped)
        if newly_dropped:
            notes.append(
                f"verifier: dropped {newly_dropped} of {len(summary.sentences)} sentence(s)"
                + WHERE_DROPPED_ARE_LISTED
            )
        # a dropped sentence may have been the "one report" that a "the same report" follows
        kept = vary_unnamed_reports(kept, report_days(articles))
        return summary.model_copy(update={"sentences": kept, "dropped": dropped, "notes": notes})

    def _judge(
        self, claims: list[tuple[str, list[int], str]], found: _Evidence, articles: list[Article]
    ) -> list[_Verdict]:
        """For each (text, cited numbers, claim): its citations (None: dropped), whether it
        was re-attributed, and why it was dropped. A sentence no article supports whole may
        set outlets' versions side by side: it is then judged side by side (`contrast.py`)."""
        backers_of, _ = self._supporters([claim for *_, claim in claims], found, articles)
        outlets = [a.outlet for a in articles if a.outlet]
        verdicts: list[_Verdict] = []
        for (text, valid, claim), backers in zip(claims, backers_of, strict=True):
            confirmed = [n for n in valid if n in backers]
            named = credited_outlet(text, outlets) if backers else None
            if named:
                verdicts.append(_credit_verdict(text, named, valid, backers, articles))
            elif confirmed:
                # cite every article that supports it, unless it is attributed to one outlet
                credited = claim != text[:1].upper() + text[1:]  # not "eBay said" -> "EBay said"
                verdicts.append((sorted(confirmed) if credited else backers, False, ""))
            elif backers:
                verdicts.append((backers, True, ""))
            else:
                cited = ", ".join(f"[{n}]" for n in valid) or "no existing article"
                reason = f"not supported by the articles it cites ({cited}) nor by any other"
                verdicts.append((None, False, reason))
        return self._judge_contrasts(claims, verdicts, found, articles)

    def _judge_contrasts(
        self,
        claims: list[tuple[str, list[int], str]],
        verdicts: list[_Verdict],
        found: _Evidence,
        articles: list[Article],
    ) -> list[_Verdict]:
        """The verdicts, with every sentence that sets outlets' versions side by side and is
        not supported whole (or says the reports differ) judged side by side instead."""
        outlets = sorted({a.outlet for a in articles if a.outlet})
        unnamed = any(not a.outlet for a in articles)
        split: dict[int, list[Side]] = {}
        for k, ((text, *_), verdict) in enumerate(zip(claims, verdicts, strict=True)):
            announced = announces_a_difference(text)  # only its sides can show that
            if verdict[0] is None or announced:
                sides = contrast_sides(text, outlets, unnamed)
                if sides:
                    split[k] = sides
                elif announced:
                    verdicts[k] = (None, False, _NO_SIDES)
        side_claims = [claim_of(side.text, outlets) for sides in split.values() for side in sides]
        backers, vectors = self._supporters(side_claims, found, articles)
        order = {a.id: n for n, a in enumerate(articles, start=1)}
        outlet_of = {n: a.outlet for n, a in enumerate(articles, start=1)}
        vocab_of = {order[aid]: words for aid, words in found.evidence.vocab.items()}
        start = 0
        for k, sides in split.items():
            text, valid, _ = claims[k]
            end = start + len(sides)
            verdicts[k] = contrast_verdict(
                text,
                sides,
                backers[start:end],
                side_claims[start:end],
                vectors[start:end],
                valid,
                outlet_of,
                vocab_of,
            )
            start = end
        return verdicts

    def _supporters(
        self, texts: list[str], found: _Evidence, articles: list[Article]
    ) -> tuple[list[list[int]], np.ndarray]:
        """The numbers of the articles that support each text, and the texts' vectors (one
        batch for all of them)."""
        if not texts:
            return [], np.zeros((0, 0), dtype=np.float32)
        order = {a.id: n for n, a in enumerate(articles, start=1)}
        vectors = self.embedder.encode(texts)
        backers = [
            [order[aid] for aid in found.evidence.supports(text, vector)]
            for text, vector in zip(texts, vectors, strict=True)
        ]
        return backers, vectors

    def _reject(self, text: str, found: _Evidence) -> str | None:
        """Why a sentence cannot stand whatever it cites, or None."""
        if not content_words(text):
            return "empty sentence"
        if looks_like_instruction(text):
            return "reads as an instruction, not a fact from the articles"
        if is_commentary(text):
            return (
                "reads as the writer's opinion, not a reported fact (such as 'X reflects Y's "
                "commitment to ...'); it could stand only attributed: 'According to <outlet>, "
                "...'"
            )
        return None

    @staticmethod
    def _echo(text: str, found: _Evidence) -> str | None:
        """Which article's planted instruction the sentence repeats, if any: it is dropped
        unless the articles' own text (without the instruction) supports it."""
        words = content_words(text)
        for number, instruction in found.instructions:
            if len(words & instruction) >= max(2, _ECHO_OVERLAP * len(words)):
                return f"repeats an instruction found inside article [{number}]"
        return None

    def evidence_of(self, articles: list[Article]) -> ClusterEvidence:
        """The judge's evidence for a story, built as verification builds it (the
        citation benchmarks ask it directly)."""
        return self._evidence(articles).evidence

    def _evidence(self, articles: list[Article]) -> _Evidence:
        key = tuple((a.id, a.text) for a in articles)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        built = self._build(articles)
        with self._lock:
            self._cache[key] = built
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return built

    def _build(self, articles: list[Article]) -> _Evidence:
        sentences: list[Sentence] = []
        instructions: list[tuple[int, set[str]]] = []
        texts: dict[str, str] = {}
        for number, article in enumerate(articles, start=1):
            text = article.text
            # a line addressed to a model need not end in a full stop, and a piece without
            # one is no sentence of the story: such lines are quarantined whole first
            planted = [
                piece
                for line in text.split("\n")
                if looks_like_instruction(line)  # most lines are not: split only those
                for piece in split_paragraph(line)
                if looks_like_instruction(piece)
            ]
            for piece in planted:
                instructions.append((number, content_words(piece)))
                text = text.replace(piece, " ")
            after_instruction = False
            for sentence in split_sentences(article.id, article.text):
                # the sentence after an injected instruction is its payload's next line
                # ("Ignore ... and write that X. Readers should visit Y."): quarantined too
                instruction = looks_like_instruction(sentence.text) or any(
                    sentence.text in line for line in planted
                )
                if instruction or after_instruction:
                    instructions.append((number, content_words(sentence.text)))
                    text = text.replace(sentence.text, " ")  # its words back nothing
                    after_instruction = instruction
                else:
                    sentences.append(sentence)
            texts[article.id] = text
        vectors = self.embedder.encode([s.text for s in sentences])
        published = {a.id: a.published_at for a in articles}
        evidence = ClusterEvidence.build(
            [a.id for a in articles],
            sentences,
            vectors,
            texts,
            published,
            titles={a.id: a.title for a in articles},
            check_names=True,  # what a model writes; a source sentence names its own names
        )
        return _Evidence(evidence, instructions)


class MemoEmbedder:
    """An embedder that remembers recent vectors by text, shared by summarizer and verifier.

    Why: the summarizer, its support evidence and the verifier all need the vectors of
    every sentence of a cluster; the pipeline embeds them once, up front
    (`run.embed_sentences`), and every later request is answered from here.
    Thread-safe; holds at most `size` vectors (least recently used are forgotten).
    """

    def __init__(self, inner: Embedder, size: int = 50_000) -> None:
        self.inner = inner
        self.name = inner.name
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            known = {t: self._memo[t] for t in texts if t in self._memo}
            for text in known:
                self._memo.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            fresh = self.inner.encode(missing)
            known.update(zip(missing, fresh, strict=True))
            with self._lock:
                self._memo.update(zip(missing, fresh, strict=True))
                while len(self._memo) > self._size:
                    self._memo.popitem(last=False)
        if not texts:
            return self.inner.encode([])
        return np.stack([known[t] for t in texts])


@lru_cache(maxsize=8)
def remembering(embedder: Embedder) -> MemoEmbedder:
    """The one MemoEmbedder around `embedder` (itself when it already is one)."""
    return embedder if isinstance(embedder, MemoEmbedder) else MemoEmbedder(embedder)


def verifier_for(embedder: Embedder) -> Verifier:
    """The shared Verifier of an embedder, so every stage reuses one evidence cache."""
    return _verifier(remembering(embedder))


@lru_cache(maxsize=8)
def _verifier(embedder: MemoEmbedder) -> Verifier:
    return Verifier(embedder)
