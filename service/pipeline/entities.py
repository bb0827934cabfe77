"""Names, years and months in news text, found without a model.

In: an article's text. Out: its proper names (capitalised words that are not
sentence openers; lower-cased, one token each, in order, repeats kept so TF-IDF
can weigh them), and the years, months and weekdays it mentions. Two reports of one
event share their names (people, places, organisations) and their year; two events of
the same kind (two earthquakes, two celebrity rehab stays) mostly share neither,
which is what plain topic similarity misses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from service.pipeline.sentences import split_paragraph

_YEAR = re.compile(r"(?<![\d.,$])(?:19[5-9]\d|20[0-4]\d)(?!\d|[.,]\d)")
_MONTH = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b"
)
# Not a day of the story: "Black Friday", "Super Tuesday", "Good Friday", "The Sunday Times".
_WEEKDAY = re.compile(
    r"(?<!Black )(?<!Cyber )(?<!Good )(?<!Holy )(?<!Super )(?<!Ash )(?<!Easter )(?<!Palm )"
    r"(?<!Bloody )\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b"
    r"(?! (?:Times|Telegraph|Mirror|Express|Herald|Night Football)\b)"
)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]")
# Capitalised for grammar, not because they name something.
_NOT_NAMES = frozenset(
    """the a an in on at for after before during while when as with by from of to and but or
    it he she they we i you this that these those his her their its our my your mr mrs ms dr
    monday tuesday wednesday thursday friday saturday sunday today yesterday there here what
    who why how if then so no not one two three some many most all more also according""".split()
)


def named_entities(text: str) -> list[str]:
    """Proper names of a text: capitalised tokens past a sentence's first word.

    A sentence's first word counts only when the text also writes it capitalised
    mid-sentence (so "Obama said ..." counts when "... said Obama" appears).
    """
    sentences = [s for p in text.split("\n") for s in split_paragraph(p.strip())]
    tokenised = [_TOKEN.findall(s) for s in sentences]
    mid_sentence = {t for tokens in tokenised for t in tokens[1:] if t[0].isupper()}
    names: list[str] = []
    for tokens in tokenised:
        for position, token in enumerate(tokens):
            if not token[0].isupper() or token.lower() in _NOT_NAMES:
                continue
            if position == 0 and token not in mid_sentence:
                continue
            names.append(token.lower())
    return names


def compound_heads(sentences: Iterable[str]) -> set[str]:
    """Words the sentences capitalise past a sentence's start only to open a longer name:
    "aircraft" in "the jet's Aircraft Communications Addressing and Reporting System"
    (lower-cased).

    Why: `named_entities` counts them as names, and "Aircraft and water vessels were
    searching" then kept its capital after "According to one report,". A surname is not
    one: it stands alone or follows a first name ("Ned Price", "... said Price").
    """
    heads: set[str] = set()
    named: set[str] = set()
    for sentence in sentences:
        tokens = _TOKEN.findall(sentence)
        capital = [t[0].isupper() and t.lower() not in _NOT_NAMES for t in tokens]
        for position in range(1, len(tokens)):
            if not capital[position]:
                continue
            word = tokens[position].lower()
            opens_run = not capital[position - 1] and position + 1 < len(tokens)
            if opens_run and capital[position + 1]:
                heads.add(word)
            else:
                named.add(word)
    return heads - named


def years_mentioned(text: str) -> frozenset[str]:
    """Four-digit years from 1950 to 2049 that a text mentions (dates, "in 2013")."""
    return frozenset(_YEAR.findall(text))


def months_mentioned(text: str) -> frozenset[str]:
    """Month names a text writes ("on March 3", "in May"): monthly events of one kind
    (jobs reports, border figures) differ in the month, not the topic."""
    return frozenset(_MONTH.findall(text))


def weekdays_mentioned(text: str) -> frozenset[str]:
    """Weekday names a text writes, lower-cased ("on Tuesday" -> "tuesday"): reports of one
    event name the day it happened; events of one kind on other days name another."""
    return frozenset(day.lower() for day in _WEEKDAY.findall(text))
