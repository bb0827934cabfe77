"""People introduced by their full name: "said Bilham" -> "said Roger Bilham".

An article names a person in full once ("Roger Bilham, a geologist, ...") and by
surname after that. An extractive summary that quotes a later sentence alone leaves
the reader with a surname nobody introduced ("No point on Earth remained undisturbed,"
said Bilham.). So such a sentence gets the full name its article gave earlier, and the
summary keeps the full name only at the first mention (`shorten_repeats`).

Two places are expanded, where a bare capitalised word that ends one of the article's
full names is nearly always that person: a speech attribution ("Bilham said", "said
Bilham", "Bilham told") and the sentence's subject ("Lerner has emerged as ...").
"The House voted" or "Police said" name no one by surname. A surname the article gives
two full names for ("George Bush", "Laura Bush") is left alone, and so is a name inside
a quotation: quotes stay as they were said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.backends.summarizers.attribution import usually_capitalised
from service.pipeline.sentences import quotes_balanced

_WORD = r"[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)*"  # "Kasich", "Ben-Zvi", "O'Rourke"
_FULL_NAME = re.compile(rf"\b{_WORD}(?:\s+(?:[A-Z]\.\s+)?{_WORD}){{1,3}}\b")
_SAY = r"(?:said|says|added|told|continued|explained|noted|wrote|argued|recalled)"
# "continued Thursday", "said Friday": days and months end phrases ("Black Friday") too
_NOT_SURNAMES = frozenset(
    """Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
    May June July August September October November December""".split()
)
_SPEAKER = re.compile(
    rf"\b{_SAY}\s+({_WORD})\b(?!\s+[A-Z])|\b({_WORD})\s+{_SAY}\b|^({_WORD})(?=\s+[a-z])"
)


@dataclass(frozen=True)
class Introduction:
    """`short` (a bare surname) was written out as `full` in a sentence."""

    full: str
    short: str


def full_names(text: str) -> dict[str, set[str]]:
    """Surname -> the full names `text` writes for it ("Bilham" -> {"Roger Bilham"}).

    A phrase's leading words that written English mostly keeps in lower case are not
    part of the name ("Then Mike Johnson" -> "Mike Johnson"; "President" too, as a
    title is not needed to introduce someone).
    """
    found: dict[str, set[str]] = {}
    for match in _FULL_NAME.finditer(text):
        words = match.group().split()[-3:]  # "Nevada Rancher Cliven Bundy": the name ends it
        owners = [n for n, word in enumerate(words[:-1]) if word.endswith(("'s", "’s"))]
        if owners:
            words = words[owners[-1] + 1 :]  # "France's Carmat" is Carmat
        while len(words) > 1 and usually_capitalised(words[0].rstrip(".")) is False:
            words.pop(0)
        if len(words) >= 2 and not words[0].endswith("."):
            found.setdefault(words[-1], set()).add(" ".join(words))
    return found


def introduce_people(
    sentence: str, known: dict[str, set[str]]
) -> tuple[str, tuple[Introduction, ...]]:
    """`sentence` with each bare-surname speaker or subject written out in full, and the
    introductions made (none: the sentence as it was).

    `known` holds the full names the article gave before this sentence.
    """
    found: list[tuple[int, int, Introduction]] = []
    for match in _SPEAKER.finditer(sentence):
        group = next(n for n in (1, 2, 3) if match.group(n))
        short = match.group(group)
        start, end = match.span(group)
        if not quotes_balanced(sentence[:start]):
            continue  # inside a quotation, which stays as it was said
        before = sentence[:start].split()
        if before and (before[-1][:1].isupper() or before[-1].lower() == "the"):
            continue  # part of a longer name ("Mike Johnson said"), or "the House said"
        if short in _NOT_SURNAMES or usually_capitalised(short) is False:
            continue  # a common word ("Police said"), though "Capitol Police" ends in it
        candidates = known.get(short, set())
        if len(candidates) != 1:
            continue
        full = next(iter(candidates))
        if full in sentence or any(made.short == short for *_, made in found):
            continue  # already introduced here
        found.append((start, end, Introduction(full, short)))
    text = sentence
    for start, end, introduction in reversed(found):
        text = text[:start] + introduction.full + text[end:]
    return text, tuple(introduction for *_, introduction in found)


def people_introductions(sentences: list[str]) -> list[tuple[str, tuple[Introduction, ...]]]:
    """For an article's sentences in order: each one with its people introduced."""
    known: dict[str, set[str]] = {}
    introduced: list[tuple[str, tuple[Introduction, ...]]] = []
    for sentence in sentences:
        introduced.append(introduce_people(sentence, known))
        for surname, names in full_names(sentence).items():
            known.setdefault(surname, set()).update(names)
    return introduced


def shorten_repeats(texts: list[str], introductions: list[tuple[Introduction, ...]]) -> list[str]:
    """The summary's sentences with a written-out name kept only where it first appears."""
    shortened: list[str] = []
    for text, made in zip(texts, introductions, strict=True):
        for introduction in made:
            if any(introduction.full in earlier for earlier in shortened):
                text = text.replace(introduction.full, introduction.short, 1)
        shortened.append(text)
    return shortened
