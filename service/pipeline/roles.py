"""The titles a text gives people ("Prime Minister Mitsotakis"), for the support judge.

Why: a model wrote "Greek President Mitsotakis" where every article said "Prime Minister
Mitsotakis". The name test passes (the article names Mitsotakis), the words and the
cosine are close, and the summary told readers the wrong office. A claim that puts a
title before a name is backed only by an article that gives that person that title, or
none at all (an article that writes only "Kyriakos Mitsotakis" says nothing either way).
Titles compare as readers read them: "Sen." is "Senator", "Gov." is "Governor", "Rep.",
"Congresswoman" and "Representative" are one title; "former President" is "President".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# each title as it is written, and the one spelling it is compared in
_SAME_TITLE = {
    "vice president": "vice president",
    "president": "president",
    "prime minister": "prime minister", "premier": "prime minister", "pm": "prime minister",
    "chancellor": "chancellor",
    "governor": "governor", "gov": "governor",
    "lieutenant governor": "lieutenant governor", "lt. gov": "lieutenant governor",
    "senator": "senator", "sen": "senator",
    "representative": "representative", "rep": "representative",
    "congressman": "representative", "congresswoman": "representative",
    "mayor": "mayor", "king": "king", "queen": "queen", "prince": "prince",
    "princess": "princess", "pope": "pope", "judge": "judge", "justice": "justice",
    "chief justice": "chief justice", "attorney general": "attorney general",
    "speaker": "speaker", "general": "general", "gen": "general", "admiral": "admiral",
    "pastor": "pastor", "bishop": "bishop", "archbishop": "archbishop", "coach": "coach",
    "dr": "doctor", "doctor": "doctor", "professor": "professor", "prof": "professor",
    "detective": "detective", "officer": "officer", "sheriff": "sheriff",
    "sergeant": "sergeant", "sgt": "sergeant", "captain": "captain", "capt": "captain",
    "lieutenant": "lieutenant", "lt": "lieutenant", "colonel": "colonel", "col": "colonel",
}  # fmt: skip
_LONGEST_FIRST = sorted(_SAME_TITLE, key=len, reverse=True)
# a title, then one to three capitalised words (the last is the surname); "Vice President
# Harris" is one title, not "President Harris"
_TITLED_NAME = re.compile(
    r"(?<![\w.])(?P<title>"
    + "|".join(
        re.escape(t).replace(r"\ ", r"\s+") + (r"\.?" if len(t) <= 4 else "")
        for t in _LONGEST_FIRST
    )
    + r")\s+(?P<name>(?-i:(?:[A-Z][\w'’-]+\s+){0,2}[A-Z][\w'’-]+))",
    re.IGNORECASE,
)
_TITLE_IN_NAME = re.compile(r"^[A-Z]")  # a title is written with its capital before a name
_POSSESSIVE = re.compile(r"['’]s?$")
_SUFFIXES = frozenset({"Jr", "Sr", "II", "III", "IV"})  # "King Charles III" is Charles


def titled_people(text: str) -> dict[str, frozenset[str]]:
    """Surname -> the titles the text puts before it ("President Joe Biden" and "Sen.
    Biden" give {"biden": {"president", "senator"}})."""
    found: dict[str, set[str]] = {}
    for match in _TITLED_NAME.finditer(text):
        written = match["title"]
        if not _TITLE_IN_NAME.match(written):
            continue  # "the president Biden named" is no title before a name
        name_words = [w for w in match["name"].split() if w.rstrip(".") not in _SUFFIXES]
        if not name_words:
            continue
        title = _SAME_TITLE[" ".join(written.lower().rstrip(".").split())]
        surname = _POSSESSIVE.sub("", name_words[-1]).lower()
        found.setdefault(surname, set()).add(title)
    return {surname: frozenset(titles) for surname, titles in found.items()}


def mistitled(claim: Mapping[str, frozenset[str]], article: Mapping[str, frozenset[str]]) -> int:
    """How many people the claim gives a title the article never gives them, where the
    article gives them a title of its own."""
    return sum(
        1
        for surname, titles in claim.items()
        if surname in article and not titles & article[surname]
    )
