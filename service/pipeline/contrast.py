"""Contrast sentences: one sentence that sets outlets' versions of a fact side by side.

In: a summary sentence and the cluster's outlets. Out: its sides, when it is such a
sentence ("Reports differ on the death toll: according to Outlet A, at least 35 people
died; according to Outlet B, 40 people were killed."), and the verdict on it once the
verifier knows which articles support each side.

Why: the product states disagreements between outlets instead of resolving them
silently, and the LLM backends are asked to write one in one sentence that cites each
side. No single article supports such a sentence (each holds only its own figure), so
the verifier checks it side by side, and only in this strict form:
- every side is credited to an outlet of the cluster, or to an unnamed report ("one
  report") when the articles name none, and no outlet is credited twice;
- a side credited to an outlet is supported by that outlet's own article;
- a sentence that says the reports differ has a short topic ("on the death toll") whose
  words are the articles' or a generic noun's ("toll", "cause"), and sides that are about
  the same fact, rest on different articles and differ where a reader can check it: other
  numbers, days or ordinals, or one side negated. Two wordings of one fact ("capsized",
  "sank") read alike to the embedding model, whatever the wording; a difference in words
  alone is not stated as a disagreement (credited side by side without "reports differ",
  each side still stands).
A sentence joined by "while" that credits no one ("35 died while boats searched") is no
contrast: it stays a claim that must be supported whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from service.backends.summarizers.attribution import ACCORDING, UNNAMED_REPORT
from service.pipeline.support import content_words, must_match, negated

# Where two versions meet: "; ", " while ", " whereas ", ", but " / ", and " (each side
# must then open on its attribution, see `contrast_sides`).
_SEPARATOR = re.compile(r";\s+|,?\s+(?:while|whereas)\s+|,\s+(?:but|and)\s+")
# An opening that announces a difference, with at most a short topic: "Reports differ on
# the death toll:". Anything longer could carry a claim nobody checks.
_DIFFERENCE = re.compile(
    r"^(?:the\s+)?(?:reports|outlets|accounts|sources|articles|versions)\s+"
    r"(?:differ|vary|disagree|conflict)(?:\s+(?:on|over|about)\s+"
    r"(?P<topic>(?:the\s+)?(?:[a-z][\w'’-]*\s+){0,3}[a-z][\w'’-]*))?\s*:\s*",
    re.IGNORECASE,
)
# Topics a difference may be about without the articles using the word.
_GENERIC_TOPICS = frozenset(
    """death toll number numbers figure figures count total tally cause causes size amount
    cost costs date time timing details account circumstances casualties casualty injuries
    scale extent reason reasons motive age identity location origin damage price value sum
    outcome sequence events estimate estimates""".split()
)
# "Outlet B reports (that) ...", "Outlet B says ...": an outlet's present report; a bare
# "said" is a person's ("People said they heard a crack" credits no outlet named People).
_SAYS = re.compile(
    r"^(?P<source>[^,;:]{1,80}?)\s+(?:(?:reports|reported|writes|wrote|says)\s+(?:that\s+)?"
    r"|(?:said|adds|added)\s+that\s+)"
)
MIN_PART_WORDS = 2  # content words a side needs to be a claim ("40 died" has two)
SAME_FACT = 0.5  # cosine two sides' claims need to be versions of one fact


@dataclass(frozen=True)
class Side:
    text: str  # the side as a sentence of its own: "According to Outlet B, 40 ..."
    outlet: str | None  # the outlet it credits; None for an unnamed report


def announces_a_difference(text: str) -> bool:
    """True when the sentence opens by saying the reports differ ("Reports differ on ...:")."""
    return bool(_DIFFERENCE.match(text))


def contrast_sides(text: str, outlets: Sequence[str], unnamed: bool = False) -> list[Side]:
    """The sides of a sentence that sets outlets' versions side by side; [] when it is no
    such sentence (fewer than two sides, a side too short to check or credited to no
    outlet of the cluster, one outlet credited twice). `unnamed`: some article names no
    outlet, so a side may be credited to "one report"."""
    body = _DIFFERENCE.sub("", text, count=1)
    pieces = [p.strip(" ,.") for p in _SEPARATOR.split(body)]
    if len(pieces) < 2 or any(len(content_words(p)) < MIN_PART_WORDS for p in pieces):
        return []
    known = {outlet_key(o): o for o in outlets}
    sides: list[Side] = []
    for piece in pieces:
        piece = piece[:1].upper() + piece[1:] + "."
        credited = _credited_source(piece)
        if credited is None:
            return []
        if outlet_key(credited) in known:
            sides.append(Side(piece, known[outlet_key(credited)]))
        elif UNNAMED_REPORT.fullmatch(credited) and unnamed:
            sides.append(Side(piece, None))
        else:
            return []  # an outlet the cluster does not have, or a person: not a side
    named = [outlet_key(s.outlet) for s in sides if s.outlet]
    return sides if len(set(named)) == len(named) else []


def outlet_key(name: str) -> str:
    """How outlet names compare: "the BBC", "BBC" and "bbc" are one outlet."""
    key = " ".join(name.split()).casefold()
    return key[4:] if key.startswith("the ") else key


def _credited_source(side: str) -> str | None:
    """Who a side is credited to: "According to X, ..." or "X reports (that) ..."."""
    match = ACCORDING.match(side) or _SAYS.match(side)
    if match is None:
        return None
    return (match.group(1) if match.re is ACCORDING else match.group("source")).strip()


def contrast_verdict(
    text: str,
    sides: list[Side],
    backers: list[list[int]],
    claims: list[str],
    vectors: np.ndarray,
    valid: list[int],
    outlet_of: Mapping[int, str | None],
    vocab_of: Mapping[int, set[str]],
) -> tuple[list[int] | None, bool, str]:
    """(citations or None, re-attributed, why dropped) for a contrast sentence, given the
    articles that support each side's claim (`backers`, numbered), the claims (attribution
    left out) and their vectors."""
    cited: list[list[int]] = []
    moved = False
    for side, side_backers in zip(sides, backers, strict=True):
        own = [
            n
            for n in side_backers
            if side.outlet is None or outlet_key(outlet_of.get(n) or "") == outlet_key(side.outlet)
        ]
        if not own:
            who = side.outlet or "its report"
            return None, False, f"the side credited to {who} is not what its article says"
        in_citations = [n for n in own if n in valid]
        moved = moved or not in_citations
        cited.append(in_citations or own)
    if announces_a_difference(text):
        reason = _why_no_difference(text, cited, claims, vectors, vocab_of)
        if reason:
            return None, False, reason
    return sorted(set().union(*cited)), moved, ""


def _why_no_difference(
    text: str,
    cited: list[list[int]],
    claims: list[str],
    vectors: np.ndarray,
    vocab_of: Mapping[int, set[str]],
) -> str:
    """Why a sentence that says the reports differ does not show a difference ("" if it does)."""
    topic = _DIFFERENCE.match(text)
    words = content_words(topic["topic"] or "") if topic else set()
    known = set().union(*(vocab_of.get(n, set()) for side in cited for n in side))
    if words - known - _GENERIC_TOPICS:
        return "says the reports differ on a topic the articles do not name"
    if len({tuple(side) for side in cited}) < 2:
        return "says the reports differ, but every side it gives rests on the same articles"
    for i in range(len(claims)):
        for j in range(i + 1, len(claims)):
            closeness = float(vectors[i] @ vectors[j])
            differ = must_match(claims[i]) != must_match(claims[j]) or negated(
                claims[i]
            ) != negated(claims[j])
            if closeness < SAME_FACT or not differ:
                return "says the reports differ, but its sides are not two versions of one fact"
    return ""
