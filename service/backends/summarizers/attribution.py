"""Attribution of single-source claims: "According to Outlet B, ..." in the summary's own voice.

Every backend attributes a claim that only one article supports to that article's
outlet, and writes "one report" when the input names no outlet. Two jobs live here:
- the wording of one attribution, with the claim's first word lower-cased unless it
  reads as part of a name ("According to X, the union ..." but "..., NATO ...");
- a pass over a finished summary so that unnamed reports read as a sequence
  ("one report", "another report", "the same report", "report 1") instead of
  the same three words before every sentence; in a story that ran for days, by their
  publication dates ("a July 21 report", "another July 21 report").
"""

from __future__ import annotations

import binascii
import hashlib
import importlib.util
import re
from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from service.models import Article, SummarySentence
from service.pipeline.dates import day_label
from service.pipeline.entities import months_mentioned
from service.pipeline.language import ENGLISH
from service.pipeline.sentences import ends_on_an_abbreviation, word_count

# How a claim is attributed when the input names no outlet (the verifier strips them all).
_ORDINALS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth".split()
)  # then "11th", "22nd"; ordinals are read (an earlier wording, a model's), not written
_MONTHS = "January February March April May June July August September October November December"
_DAY = rf"(?:{'|'.join(_MONTHS.split())}) [1-3]?[0-9](?:, [12][0-9]{{3}},?)?"  # "July 21, 2007,"
_UNDATED_HANDLE = rf"one|another|the same|the (?:{'|'.join(_ORDINALS)}|[1-9][0-9]*(?:st|nd|rd|th))"
_HANDLE = rf"{_UNDATED_HANDLE}|(?:an?|another|the) {_DAY}"
_NUMBERED = r"report [1-9][0-9]*"  # a returning report, by its number in the sources list
UNNAMED_REPORT = re.compile(rf"(?:(?:{_HANDLE}|a) report|{_NUMBERED})", re.IGNORECASE)
"""An unnamed report as the summary names it ("one report", "report 12", "a July 21
report")."""
# Attributions in other languages than English. Where the language puts "according to X"
# before a clause with a comma, as English does, that form; where it would move the verb
# (German and Dutch: "Laut X sind ... gestorben"), "X reports: <the sentence as written>".
_ACCORDING_TO = {"fr": "Selon", "es": "Según", "it": "Secondo", "pt": "Segundo"}
FOREIGN_ACCORDING = "|".join(_ACCORDING_TO.values())
"""The words that open a comma attribution in those languages ("Selon", "Según")."""
ACCORDING = re.compile(
    rf"^(?:according to|{FOREIGN_ACCORDING}) "
    rf"((?:{_HANDLE}|a) report(?=,)|{_NUMBERED}(?=,)|[^,]{{1,80}}),\s*",
    re.I,
)
"""A sentence's opening attribution, "According to X, " (or "Selon X, ", ...), with X in
group 1 (an unnamed report's date may hold commas: "According to a July 21, 2007, report,
...")."""
# Words an unnamed attribution may grow by when the summary is sequenced ("one report" ->
# "the same report"): a word budget must keep room for them.
UNNAMED_GROWTH = 1

_LOWERCASE_WORD = re.compile(r"(?<![\w'’])[a-z][a-z'’-]*")  # words as written mid-sentence
# First words that are safe to lower-case after "According to X, ".
_COMMON_OPENERS = frozenset(
    """the a an in on at for after before during while when as with by from of to
    some many most several two three four five six seven eight nine ten one more
    officials authorities police researchers scientists experts critics residents
    rescue rescuers troops government local federal state furthermore nonetheless instead
    also plus yes oops nope""".split()
)
# Number words, which may open a hyphenated compound: "Thirty-five percent of ...".
_NUMBER_WORDS = frozenset(
    """one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy
    eighty ninety hundred thousand hundreds thousands dozens million millions billion
    billions scores""".split()
)
# The head of an institution's name before "of"/"for" and a capital: "Office of Management
# and Budget", "Department of Justice", "Minister for Health" (not "Residents of Paris").
_INSTITUTION_HEADS = frozenset(
    """office department ministry minister secretary bank university college academy
    institute bureau agency authority commission committee council board court chamber
    house church museum federation association society director chief""".split()
)
_OF_A_NAME = re.compile(r"(?:of|for)\s+(?:the\s+)?[A-Z]")


def attribute(
    text: str,
    outlet: str | None,
    names: set[str] | None = None,
    lowercase_words: set[str] | None = None,
    language: str = ENGLISH,
) -> str:
    """Attribute a single-source claim to its outlet in the summary's own words, in the
    story's `language` (`_attribute_in`) when that is not English.

    The sentence's first word keeps its capital when it reads as part of a name, and
    is lower-cased when it reads as a common word (see `_opens_on_a_name`).
    """
    names, lowercase_words = names or set(), lowercase_words or set()
    if language != ENGLISH and (language in _ACCORDING_TO or language in _REPORTS or outlet):
        return _attribute_in(language, text, outlet, names, lowercase_words)
    cited = cited_source(text)
    if cited is not None and cited[0] != outlet:  # not "Reuters, citing Reuters, reports"
        source, claim = cited
        body = _in_sentence_case(claim, names, lowercase_words)
        if outlet:
            return f"{outlet}, citing {source}, reports that {body}"
        return f"One report, citing {source}, says that {body}"
    body = _in_sentence_case(text, names, lowercase_words)
    if "according to" in text.lower():  # "... some time in 2011 -- at least according to ..."
        reporter = f"{outlet} reports" if outlet else "One report says"
        return f"{reporter} that {body}"
    return f"According to {outlet or 'one report'}, {body}"


# "<outlet> reports: <the sentence as written>" per language, and the words of an unnamed
# report, for the languages of `_ACCORDING_TO` and those whose word order it would break
_REPORTS = {
    "fr": "rapporte",
    "es": "informa",
    "it": "riporta",
    "pt": "informa",
    "de": "meldet",
    "nl": "meldt",
}
_A_REPORT = {
    "fr": "un article",
    "es": "un artículo",
    "it": "un articolo",
    "pt": "uma reportagem",
    "de": "ein Bericht",
    "nl": "een bericht",
}
FOREIGN_REPORTS = "|".join(sorted(set(_REPORTS.values())))
"""The verbs of a colon attribution in the languages above ("meldet", "rapporte")."""
FOREIGN_UNNAMED = f"(?:{'|'.join(sorted(set(_A_REPORT.values())))})"
"""An unnamed report in the languages above ("ein Bericht", "un article")."""


def attribution_form(language: str) -> str:
    """The form a model is asked to attribute a single-source claim in, in `language`
    (what `attribute` writes there): "According to <outlet>, ...", "<outlet> meldet: ..."."""
    return attribute("...", "<outlet>", language=language)


def _attribute_in(
    language: str, text: str, outlet: str | None, names: set[str], lowercase_words: set[str]
) -> str:
    """`attribute` for a story in `language`, not English: "Selon Le Soir, les dockers ...",
    "Tagesblatt meldet: Bei schweren Unwettern ...". A claim that already opens on the
    language's "according to" ("Selon la capitainerie, ...") takes the colon form, not a
    second "Selon". In a language without a wording here, the outlet's name and a colon
    ("Gazeta Wyborcza: ...") is read in any language."""
    according, reports = _ACCORDING_TO.get(language), _REPORTS.get(language)
    source = outlet or _A_REPORT.get(language)
    if according and source and not text.lower().startswith(according.lower() + " "):
        return f"{according} {source}, {_in_sentence_case(text, names, lowercase_words)}"
    if reports and source:
        colon = " :" if language == "fr" else ":"  # French sets a space before the colon
        return f"{source[:1].upper()}{source[1:]} {reports}{colon} {text}"
    return f"{outlet}: {text}"


_SOURCE_FIRST = re.compile(r"^according to ([^,\d]{2,80}), (?=\S)", re.IGNORECASE)
_SOURCE_LAST = re.compile(r", according to ([^,]{2,80}?)\.$")
# What may follow "According to X, " when X is not the whole source: an apposition ("Smith,
# who spoke ...", "Smith, 45, ...", "the report, released Tuesday, ..."), or the rest of a
# place ("police in Houston, Texas, ...").
_NOT_A_CLAIM = re.compile(
    r"(?:who|whom|whose|which|where|when|\d|[A-Z][\w.'’-]*,|[a-z]+(?:ing|ed)\b)"
)


def cited_source(text: str) -> tuple[str, str] | None:
    """The source a sentence names in "According to X, ..." or "..., according to X." and
    the claim without it; None for any other sentence.

    Why: a single-source claim that already names its source read "One report says that
    billions ... remain unspent, according to the U.S. Department of Health and Human
    Services." -- two attributions, which an editor flagged in 14 of 205 sentences; "One
    report, citing the U.S. Department of ..., says that billions ... remain unspent." is
    one."""
    if match := _SOURCE_FIRST.match(text):
        source, claim = match.group(1), text[match.end() :]
        if _NOT_A_CLAIM.match(claim):
            return None
    elif match := _SOURCE_LAST.search(text):
        source, claim = match.group(1), text[: match.start()] + "."
        if ends_on_an_abbreviation(source):
            source += "."  # "according to Smith & Co." keeps its stop
    else:
        return None
    if UNNAMED_REPORT.search(source) or word_count(claim) < 2:
        return None  # "citing one report" names no source; a claim must remain
    return source, claim


def _in_sentence_case(text: str, names: set[str], lowercase_words: set[str]) -> str:
    """`text` to follow "..., " or "says that": its first word lowered unless it is a name."""
    keep_case = _opens_on_a_name(text, names, lowercase_words)
    return text if keep_case else text[:1].lower() + text[1:]


def _opens_on_a_name(text: str, names: set[str], lowercase_words: set[str]) -> bool:
    """Whether the first word of `text` is (part of) a name, judged in this order:
    an acronym ("NATO") is; a function word or usual opener ("The", "If") is not; a
    capital before a capital ("President Trump", "North Korea"; a possessive before a quoted
    title: "Paramount’s “Transformers”", where "paramount" alone is an adjective) is; one of the
    cluster's `names` (possessive or not: "Georgia's") or an abbreviation ("Lt.") is;
    a word the cluster writes in lower case is not; then written English decides
    (`usually_capitalised`: "Republicans" is, "Parents" is not); a word too rare for
    that is a name when it names the people of a place the cluster names ("Londoners"), not a
    name when shaped like an adverb, participle or plural, and is taken for a surname
    otherwise ("Kroll")."""
    first, *rest = text.split(maxsplit=2)
    if first.endswith((",", ";", ":")):
        rest = []  # "Clearly, Big Bang ...": the capital after a comma is another phrase
    first = first.strip(",;:")
    word = re.sub(r"['’]s$", "", first.lower()).rstrip(".")
    if first.isupper() and len(first) > 1:
        return True
    if months_mentioned(first) and rest and rest[0][:1].isdigit():
        return True  # "May 10 marked the start ...": a date, not the modal "may"
    if word in _COMMON_OPENERS or word in ENGLISH_STOP_WORDS:
        return False
    head, *tail = first.split("-")
    if rest and re.search(r"['’]s$", first):  # "Paramount’s “Transformers: ...”": a title's
        rest = [rest[0].lstrip("\"“‘'"), *rest[1:]]  # capital, behind its quotation mark
    named_next = bool(rest) and rest[0][:1].isupper()  # "Thousand Oaks police", "Eleven Madison"
    lower_tail = not any(p[:1].isupper() for p in tail)
    if head.lower() in _NUMBER_WORDS and lower_tail and (tail or not named_next):
        return False  # "Thirty-five percent", "Dozens of", "Fifteen-year-old Kenneth ...",
        # "Twenty-five Democrats"; not "Ninety-Nine Restaurants", "Thousand Oaks police"
    if (
        rest
        and rest[0][:1].isupper()
        and rest[0] != "I"
        and not _modifies_a_name(word, lowercase_words)
    ):
        return True
    if word in names or first.endswith("."):
        return True
    if word in _INSTITUTION_HEADS and rest and _OF_A_NAME.match(" ".join(rest)):
        return True  # "Office of Management and Budget Director ..."
    if word in lowercase_words:
        return False
    capitalised = usually_capitalised(word)
    if capitalised is not None:
        return capitalised
    if _people_of_a_place(word, names):
        return True  # "Londoners", "Parisians", "Kenyans"
    return not word.endswith(("ly", "ing", "ed", "s"))


_TIME_WORDS = frozenset("yesterday today tomorrow tonight now then meanwhile earlier later".split())


def _modifies_a_name(word: str, lowercase_words: set[str]) -> bool:
    """A common word before a capitalised one, not part of its name: "Yesterday Josh ...",
    "Frustrated Louisville voters" when the story writes "frustrated" in lower case too;
    "United States", "Ted Cruz" and "Sterling Brown" are names."""
    if word in _TIME_WORDS:
        return True
    shaped = len(word) >= 5 and word.endswith(("ed", "ly", "ing"))
    return shaped and word in lowercase_words and usually_capitalised(word) is not True


_DEMONYM_ENDINGS = ("ers", "ians", "ans", "ns", "ites", "ese")


def _people_of_a_place(word: str, names: set[str]) -> bool:
    """Whether a word too rare to judge names the people of a place the cluster names:
    "londoners" (London), "parisians" (Paris), "kenyans" (Kenya). Only the cluster's own
    names count: "vegans" is not the people of Vega."""
    for ending in _DEMONYM_ENDINGS:
        stem = word.removesuffix(ending)
        if stem != word and len(stem) >= 3 and stem in names:
            return True
    return False


# cl100k_base's vocabulary ranks its tokens by frequency in a large cased web corpus;
# litellm ships a copy (named as tiktoken names its cache files) so that it works offline.
_CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


def usually_capitalised(word: str) -> bool | None:
    """Whether written English mostly capitalises `word`: True for "Trump", "London",
    "Republicans"; False for "parents", "aircraft", "unfortunately"; None when the word
    is too rare to say ("Kroll", "Mecca").

    Why: a sentence's first word is capitalised whatever it is, so only outside
    evidence tells a name from a common word; a frequency-ranked cased vocabulary is
    that evidence. A capitalised form that ranks at least twice as high as the lower
    case one marks a name (sentence openers such as "Unfortunately" rank close, and an
    adverb in -ly is never taken for one).
    """
    ranks = _cased_token_ranks()
    if not ranks:
        return None
    lower = ranks.get(" " + word.lower())
    upper = ranks.get(" " + word[:1].upper() + word[1:].lower())
    if lower is None or upper is None:
        return None if lower is None and upper is None else lower is None
    if word.lower().endswith("ly"):
        return False  # "Fortunately": sentences open on adverbs, names in -ly lack a lower case
    return 2 * upper < lower


@lru_cache(maxsize=1)
def _cased_token_ranks() -> dict[str, int]:
    """Whole-word tokens of cl100k_base (" Word" -> rank), read from litellm's bundled copy;
    empty when that copy is missing. Never downloaded."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return {}
    name = hashlib.sha1(_CL100K_URL.encode(), usedforsecurity=False).hexdigest()
    bundled = Path(spec.submodule_search_locations[0], "litellm_core_utils", "tokenizers", name)
    try:
        lines = bundled.read_bytes().splitlines()
    except OSError:  # pragma: no cover - depends on the litellm install
        return {}
    ranks: dict[str, int] = {}
    for line in lines:
        if not line.startswith(b"I"):
            continue  # the base64 of every token that opens with a space starts with "I"
        token, _, rank = line.partition(b" ")
        word = binascii.a2b_base64(token)
        if word.startswith(b" ") and word[1:].isalpha():
            ranks[word.decode("utf-8", "replace")] = int(rank)
    return ranks


def written_in_lower_case(texts: Iterable[str]) -> set[str]:
    """Words the texts write in lower case somewhere: common words, not names."""
    return {word for text in texts for word in _LOWERCASE_WORD.findall(text)}


_QUOTES = ('"', "“", "‘", "'")


CITING = r"(?:, citing (?P<source>[^,]{1,80}),)?"
"""The source a report's sentence cites, between the report and "says that" ("One report,
citing the CDC, says that ...")."""


def _opening(handle: str) -> re.Pattern[str]:
    named = rf"(?:{handle}) report|{_NUMBERED}"
    return re.compile(
        rf"^(?:According to (?:{named}), |(?i:{named})(?P<citing>{CITING}) (?:says|adds) that )"
    )


# How the summary opens a single-source sentence; the dated handles only in a story that
# ran for days, where this module wrote them: an article's own "The October 12 report says
# that ..." (a document it quotes) is not a handle to rename.
_UNNAMED_OPENING = _opening(_UNDATED_HANDLE)
_ANY_UNNAMED_OPENING = _opening(_HANDLE)


def report_days(articles: Iterable[Article]) -> dict[str, date]:
    """Each dated article's day of publication (as the sources list shows it), when the
    story's articles were published on two days or more; empty otherwise.

    Why: in a story that ran for days, "According to another report" four times told a
    reader nothing the citation did not; "According to a July 21 report" says which
    stage of the story a claim belongs to. On one day the date adds only words."""
    days = {a.id: a.published_at.date() for a in articles if a.published_at is not None}
    return days if len(set(days.values())) >= 2 else {}


def unnamed_growth(days: Mapping[str, date]) -> int:
    """Words an unnamed attribution may grow by once sequenced with these `days`: "one
    report" -> "the same report" (+1), "a July 21 report" (+2), "a July 21, 2007, report"
    (+3, when the days span years)."""
    if not days:
        return UNNAMED_GROWTH
    return 3 if len({day.year for day in days.values()}) > 1 else 2


def sequenced_length(text: str, growth: int = UNNAMED_GROWTH) -> int:
    """Words `text` may have once the summary is sequenced: "According to one report" may
    become "According to the same report" (or "According to a July 21 report": `growth`
    from `unnamed_growth`), and the word budget must still hold."""
    return word_count(text) + (growth if _UNNAMED_OPENING.match(text) else 0)


def _dated(day: date, with_year: bool) -> str:
    """ "a July 21 report" names its day; "an August 3, 2009, report" its year too."""
    label = day_label(day) + (f", {day.year}," if with_year else "")
    return ("an " if label.startswith(("A", "O")) else "a ") + label


def vary_unnamed_reports(
    sentences: list[SummarySentence], days: Mapping[str, date] | None = None
) -> list[SummarySentence]:
    """Unnamed single-source attributions, reworded so that a summary reads as a sequence.

    Why: with no outlet names (a wiki, pasted text), a summary of one-source facts
    opened every sentence with "According to one report,", and a reader could not tell
    one report from several. The first stays "one report"; a sentence from the same
    article right after it says "the same report", and a longer run alternates that
    with "The same report adds that" (six alike in a row read as a form); one from an
    article not yet attributed says "another report"; one returning to an article
    attributed earlier says which by its number in the sources list ("According to report
    3, ... [3]"): an ordinal counted in the summary's own order read as the wrong source
    ("the third report" for [1]), and one that gave the citation number was read as the
    order of mention by two editors out of three ("the second report" for the first).
    With `days` (`report_days`: a story published over several days), a report is named
    by its day instead: "a July 21 report", "another July 21 report" for a second one of
    that day, "the July 21 report" when the summary returns to the only one of its day.
    The sequence is worked out afresh from every unnamed wording, so running it again
    after the verifier dropped a sentence mends "the same report" left without its first.
    """
    days = days or {}
    with_year = len({day.year for day in days.values()}) > 1
    of_day: dict[date, list[str]] = {}  # dated articles attributed so far, by day
    seen: list[str] = []  # articles in the order they were first attributed
    previous: str | None = None
    repeats = 0  # sentences in a row from `previous` after its first
    varied: list[SummarySentence] = []
    for sentence in sentences:
        match = (_ANY_UNNAMED_OPENING if days else _UNNAMED_OPENING).match(sentence.text)
        if match is None or len(sentence.article_ids) != 1:
            previous = None
            varied.append(sentence)
            continue
        source = sentence.article_ids[0]
        number = sentence.citations[0] if len(sentence.citations) == 1 else 0
        repeats = repeats + 1 if source == previous else 0
        day = days.get(source)
        if repeats:
            handle = "the same report"
        elif day is not None:
            same_day = of_day.setdefault(day, [])
            if source in same_day and len(same_day) > 1 and number >= 1:
                handle = f"report {number}"  # "the July 21 report" is two
            else:
                handle = _dated_handle(source, same_day, _dated(day, with_year))
        elif source in seen and number >= 1:
            handle = f"report {number}"  # by the number the reader sees: "report 3 ... [3]"
        elif seen and source not in seen:
            handle = "another report"
        else:
            handle = "one report"
        rest = sentence.text[match.end() :]
        citing = match.group("citing") or ""  # ", citing the CDC,"
        if repeats % 2 == 0 and repeats and not rest.startswith(_QUOTES):
            # a run alternates with "The same report adds that" (not before a quotation:
            # 'adds that "We'd like ...," she says' does not read)
            text = f"The same report{citing} adds that {rest}"
        elif match.group().startswith("According"):
            text = f"According to {handle}, {rest}"
        else:
            text = f"{handle[:1].upper()}{handle[1:]}{citing} says that {rest}"
        varied.append(sentence.model_copy(update={"text": text}))
        if source not in seen:
            seen.append(source)
        if day is not None and source not in of_day[day]:
            of_day[day].append(source)
        previous = source
    return varied


def _dated_handle(source: str, same_day: list[str], label: str) -> str:
    """How an unnamed report of a known day is named, given the articles of that day
    already attributed (`same_day`) and its `label` ("a July 21"): "a July 21 report"
    first, "another July 21 report" for a second one, "the July 21 report" on return."""
    if source in same_day:
        return f"the {label.split(' ', 1)[1]} report"
    return f"another {label.split(' ', 1)[1]} report" if same_day else f"{label} report"
