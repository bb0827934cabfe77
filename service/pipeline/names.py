"""Whether an article names what a claim names: the proper-name test of the support judge.

A grounding article must write every person, place and body a claim names (in title
case), or an LLM's "off the coast of Nigeria" is accepted where the articles say Brazil.
Names are compared the way a reader would: accents aside ("Sao Paulo" is "São Paulo"),
a country and its people's word ("Iranian" and "Iran", "Irish" and "Ireland"), and not by
a shared beginning ("Austria" is not "Australia", "Niger" not "Nigeria"). Names spelled
out in one text and as letters in another ("United States", "U.S.") are not checked.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from service.pipeline.entities import named_entities

_TITLE_CASE = re.compile(r"\b[A-Z][a-z\u00df-\u00ff]+\b")
_POSSESSIVE = re.compile(r"['’]s$")
_NAME_PARTS = re.compile(r"[-'’]")
_ACCORDING_TO = re.compile(r"\b[Aa]ccording\s+to\s+(?:[Tt]he\s+)?(?:[A-Z][\w.'’&-]*\s*)+")
# words of names that other texts write as initials ("U.S.", "UN", "EU", "UK")
_SPELLED_OUT = frozenset({"united", "states", "nations", "kingdom", "european", "union"})
# the people's word of a country where it is not the country's name plus an ending
_DEMONYMS = {
    "french": "france", "irish": "ireland", "spanish": "spain", "dutch": "netherlands",
    "swiss": "switzerland", "portuguese": "portugal", "danish": "denmark",
    "norwegian": "norway", "welsh": "wales", "filipino": "philippines", "british": "britain",
    "english": "england", "scottish": "scotland", "chinese": "china", "greek": "greece",
    "turkish": "turkey", "thai": "thailand", "afghan": "afghanistan", "swedish": "sweden",
    "finnish": "finland", "polish": "poland", "peruvian": "peru", "lebanese": "lebanon",
    "czech": "czechia", "icelandic": "iceland", "kiev": "kyiv", "munich": "munchen",
    "cologne": "koln", "vienna": "wien", "german": "germany", "belgian": "belgium",
    "somali": "somalia", "argentine": "argentina", "cypriot": "cyprus",
    "slovak": "slovakia", "uzbek": "uzbekistan", "emirati": "emirates", "scots": "scotland",
    "briton": "britain", "britons": "britain", "texan": "texas", "texans": "texas",
    "democrat": "democratic", "democrats": "democratic", "republicans": "republican",
    "labour": "labor", "kurdish": "kurds", "arab": "arabia", "arabs": "arabia",
}  # fmt: skip
_RELATED: dict[str, set[str]] = {}
for _word, _place in _DEMONYMS.items():
    _RELATED.setdefault(_word, set()).add(_place)
    _RELATED.setdefault(_place, set()).add(_word)
_ENDINGS = ("n", "an", "ian", "ians", "ans", "ns", "ese", "i", "is", "s")
# capitalised words that name no one in particular: titles and months (`named_entities`
# already leaves out weekdays and Mr, Mrs, Ms, Dr)
_NOT_NAMES = frozenset(
    "sen rep gov gen lt col sgt capt prof rev st president senator governor minister prime "
    "secretary chancellor mayor king queen prince princess pope "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
    + [month.lower() for month in calendar.month_name[1:]]
)


def checked_names(text: str) -> set[str]:
    """The proper names a grounding article must write (lower-cased, accents folded): names
    in title case, outside "according to <source>". Not acronyms, which have many
    spellings ("UN", "U.N.", "United Nations")."""
    text = _ACCORDING_TO.sub(" ", text)  # who says it is the citation's business
    title_case = {t.lower() for t in _TITLE_CASE.findall(text)}
    parts = (  # "Nigeria's" is Nigeria; "Al-Assad" and "O'Neill" are checked by their parts
        part
        for name in named_entities(text)
        for part in _NAME_PARTS.split(_POSSESSIVE.sub("", name))
    )
    return {
        folded(n)
        for n in parts
        if n in title_case
        and len(n) > 2
        and n not in ENGLISH_STOP_WORDS
        and n not in _SPELLED_OUT
        and n not in _NOT_NAMES
    }


# bodies whose names other texts write as initials: each with every spelling that names it,
# so "The European Union has released a statement" is not cited to an article that never
# names the EU, in any spelling (the initials are too short to be content words)
_BODIES = re.compile(
    r"(?P<european_union>\bEuropean\s+Union\b|\bE\.?U\b\.?)"
    r"|(?P<united_nations>\bUnited\s+Nations\b|\bU\.N\.|\bUN\b)"
    r"|(?P<united_kingdom>\bUnited\s+Kingdom\b|\bU\.?K\b\.?|\bBritain\b"
    r"|\bBritish\b(?!\s+Columbia))"
)  # one pass over a text: asked for every claim against every story


def bodies_named(text: str) -> frozenset[str]:
    """The bodies of `_BODIES` a text names, in any of their spellings."""
    return frozenset(str(match.lastgroup).replace("_", " ") for match in _BODIES.finditer(text))


def claimed_bodies(text: str) -> frozenset[str]:
    """The bodies a claim names, outside "according to <source>" (as `checked_names`)."""
    return bodies_named(_ACCORDING_TO.sub(" ", text) if "ccording" in text else text)


def folded(word: str) -> str:
    """`word` without accents: "são" -> "sao", "zürich" -> "zurich"."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_vocabulary(words: Iterable[str]) -> frozenset[str]:
    """An article's words as names are looked up in it (accents folded)."""
    return frozenset(folded(w) for w in words)


def names_it(vocabulary: frozenset[str], name: str) -> bool:
    """Whether an article with `vocabulary` writes `name`, or its country's or people's
    word ("Iranian" for Iran, "Irish" for Ireland, "Brazil" for "Brazilian")."""
    if name in vocabulary or _RELATED.get(name, set()) & vocabulary:
        return True
    if name[-1] in "aeoy" and name[:-1] in vocabulary:
        return True  # "germany" where the article writes "german"
    for ending in _ENDINGS:
        if (name + ending) in vocabulary:
            return True  # "iran" where the article writes "iranian"
        if name[-1] in "aeoy" and (name[:-1] + ending) in vocabulary:
            return True  # "canada" where it writes "canadian"
        root = name[: -len(ending)]
        if name.endswith(ending) and len(root) >= 4:
            if root in vocabulary or any(root + end in vocabulary for end in "aeoy"):
                return True  # "iranian" from "iran", "canadian" from "canada"
    return False
