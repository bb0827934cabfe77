"""The titles a text gives people ("Prime Minister Mitsotakis"), for the support judge.

Why: a model wrote "Greek President Mitsotakis" where every article said "Prime Minister
Mitsotakis". The name test passes (the article names Mitsotakis), the words and the
cosine are close, and the summary told readers the wrong office. A claim that puts a
title before a name is backed only by an article that gives that person that title, or
none at all (an article that writes only "Kyriakos Mitsotakis" says nothing either way).
Titles compare as readers read them: "Sen." is "Senator", "Gov." is "Governor", "Rep.",
"Congresswoman" and "Representative" are one title; "former President" is "President", and
a lieutenant general may be "General Flynn". Only titles of one kind exclude each other (an
office, a crown, a military rank, a court): "General Secretary Xi" is also "President Xi".
A deputy's or an acting officer's title is an office of its own ("Deputy Prime Minister
Freeland" is not the prime minister)."""

from __future__ import annotations

import re
from collections.abc import Mapping

# each title as it is written, and the one spelling it is compared in; a rank of several
# words is a title of its own ("Lieutenant General Flynn" is no general's title)
_SAME_TITLE = {
    "vice president": "vice president",
    "president": "president",
    "prime minister": "prime minister", "premier": "prime minister",
    "chancellor": "chancellor",
    "governor": "governor", "gov": "governor",
    "lieutenant governor": "lieutenant governor", "lt gov": "lieutenant governor",
    "senator": "senator", "sen": "senator",
    "representative": "representative", "rep": "representative",
    "congressman": "representative", "congresswoman": "representative",
    "mayor": "mayor", "king": "king", "queen": "queen", "prince": "prince",
    "princess": "princess", "pope": "pope", "judge": "judge", "justice": "justice",
    "chief justice": "chief justice", "attorney general": "attorney general",
    "solicitor general": "solicitor general", "surgeon general": "surgeon general",
    "inspector general": "inspector general", "postmaster general": "postmaster general",
    "secretary general": "secretary general", "general secretary": "general secretary",
    "speaker": "speaker", "general": "general", "gen": "general", "admiral": "admiral",
    "lieutenant general": "lieutenant general", "lt gen": "lieutenant general",
    "major general": "major general", "maj gen": "major general",
    "brigadier general": "brigadier general", "brig gen": "brigadier general",
    "lieutenant colonel": "lieutenant colonel", "lt col": "lieutenant colonel",
    "vice admiral": "vice admiral", "rear admiral": "rear admiral",
    "pastor": "pastor", "bishop": "bishop", "archbishop": "archbishop", "coach": "coach",
    "dr": "doctor", "doctor": "doctor", "professor": "professor", "prof": "professor",
    "detective": "detective", "officer": "officer", "sheriff": "sheriff",
    "sergeant": "sergeant", "sgt": "sergeant", "captain": "captain", "capt": "captain",
    "lieutenant": "lieutenant", "lt": "lieutenant", "colonel": "colonel", "col": "colonel",
}  # fmt: skip
_LONGEST_FIRST = sorted(_SAME_TITLE, key=len, reverse=True)


_WHOLE_WORDS = frozenset({"king", "pope", "vice", "rear"})  # short, but no abbreviation


def _word(word: str) -> str:
    """A title's word as written: an abbreviation with or without its full stop ("Lt.",
    "Gov"); a whole word without one ("...vetoed by the President. Pelosi" gives Pelosi
    no title)."""
    return re.escape(word) + (r"\.?" if len(word) <= 4 and word not in _WHOLE_WORDS else "")


# a title (its words apart by a space or a hyphen, "Vice-President"; an abbreviation with or
# without its full stop, "Lt. Gov."), then one to three capitalised words (the last is the
# surname); "Vice President Harris" is one title, not "President Harris"
_TITLED_NAME = re.compile(
    r"(?<![\w.-])(?P<title>"
    + "|".join(r"[\s-]+".join(map(_word, t.split())) for t in _LONGEST_FIRST)
    + r")\s+(?P<name>(?-i:(?:(?:[A-Z][\w'’-]+|[A-Z]\.)\s+){0,2}[A-Z][\w'’-]+))",
    re.IGNORECASE,
)
_TITLE_IN_NAME = re.compile(r"^[A-Z]")  # a title is written with its capital before a name
# a word before a title that makes it another office: "Deputy Prime Minister Freeland" is
# not the prime minister, "acting President" not the president
_DEPUTIES = frozenset({"deputy", "acting", "assistant", "interim"})
_ANOTHER_OFFICE = re.compile(rf"\b(?P<office>{'|'.join(sorted(_DEPUTIES))})[\s-]+$", re.I)
_POSSESSIVE = re.compile(r"['’]s?$")
_SUFFIXES = frozenset({"Jr", "Sr", "II", "III", "IV"})  # "King Charles III" is Charles
# capitalised words after a name that are no part of it: "President Biden Tuesday said"
_NOT_A_NAME = frozenset(
    """Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
    April June July August September October November December""".split()
)  # not "May": "Prime Minister Theresa May"


def titled_people(text: str) -> dict[str, frozenset[str]]:
    """Surname -> the titles the text puts before it ("President Joe Biden" and "Sen.
    Biden" give {"biden": {"president", "senator"}})."""
    found: dict[str, set[str]] = {}
    for match in _TITLED_NAME.finditer(text):
        written = match["title"]
        if not _TITLE_IN_NAME.match(written):
            continue  # "the president Biden named" is no title before a name
        office = _ANOTHER_OFFICE.search(text, max(0, match.start() - 20), match.start())
        name_words = []
        for word in match["name"].split():
            if word in _NOT_A_NAME:
                break
            if word.rstrip(".") not in _SUFFIXES:
                name_words.append(word)
        if not name_words:
            continue
        title = _SAME_TITLE[" ".join(re.split(r"[\s.-]+", written.lower().strip(".")))]
        if office:  # "Deputy Prime Minister Freeland": another office than the prime minister's
            title = f"{office['office'].lower()} {title}"
        surname = _POSSESSIVE.sub("", name_words[-1]).lower()
        found.setdefault(surname, set()).add(title)
    return {surname: frozenset(titles) for surname, titles in found.items()}


# Titles that exclude each other for one person in one article, by kind: an office, a
# crown, a rank, a court. A person may hold titles of two kinds ("General Secretary Xi" is
# "President Xi"), and titles of no kind here ("Dr.", "Coach") are not compared.
_KINDS = {
    "office": """president|vice president|prime minister|chancellor|governor|lieutenant
        governor|senator|representative|mayor|speaker|attorney general""",
    "crown": "king|queen|prince|princess",
    "rank": """general|lieutenant general|major general|brigadier general|lieutenant
        colonel|colonel|captain|lieutenant|sergeant|admiral|vice admiral|rear admiral""",
    "court": "judge|justice|chief justice",
}
_KIND_OF = {
    " ".join(title.split()): kind for kind, titles in _KINDS.items() for title in titles.split("|")
}


def mistitled(claim: Mapping[str, frozenset[str]], article: Mapping[str, frozenset[str]]) -> int:
    """How many people the claim gives a title the article never gives them (a rank's short
    form aside), where the article gives them another title of the same kind (`_KINDS`)."""
    count = 0
    for surname, titles in claim.items():
        theirs = article.get(surname, frozenset())
        for title in titles:
            kind = _kind(title)
            if kind is None:
                continue
            rivals = {t for t in theirs if _kind(t) == kind}
            if rivals and not any(_same_title(title, t, kind) for t in rivals):
                count += 1
                break
    return count


def _kind(title: str) -> str | None:
    """A title's kind; a deputy's or an acting officer's is their office's ("deputy prime
    minister" is an office, another than the prime minister's)."""
    office, _, rest = title.partition(" ")
    return _KIND_OF.get(rest) if office in _DEPUTIES else _KIND_OF.get(title)


def _same_title(one: str, other: str, kind: str) -> bool:
    """One title, or a military rank and its short form: a lieutenant general is called
    "General Flynn", a lieutenant colonel "Colonel Vindman" (a vice president is not
    "President Harris")."""
    short = kind == "rank" and (one.endswith(f" {other}") or other.endswith(f" {one}"))
    return one == other or short
