"""The language a story is written in, so that words the summary adds to copied sentences
("According to Outlet B, ...") are in that language, not English.

In: articles (a story, or one article: the extractive backend asks for each article, so
that an attribution is in the language of the article its sentence comes from, even in a
story told by outlets of two languages). Out: an ISO 639-1 code ("en", "de", ...).

How: the articles' own `language` fields decide when most of them carry one (a feed's or a
page's `lang`, or the input's field). Otherwise the text does: English is recognised by
its function words, cheaply, so an English story never loads the identifier; any other
text goes to py3langid (a Naive Bayes identifier of 97 languages, loaded once per process,
about a second). A text in Latin letters it cannot place with confidence is read as
English, the default the summary's own words were written in; one mostly in other scripts
takes its best guess (a short Chinese text reads as Chinese at 0.58), since it is no
English whatever it is.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

    from service.models import Article

ENGLISH = "en"
# Words that make up about a fifth of running English news text and are rare in other
# languages' (German "in", French "a" are shared, hence a share well above theirs).
_ENGLISH_FUNCTION_WORDS = frozenset(
    "the of and to a in is was for on that with said by at from as it has have be are "
    "were his her their its an this which who but not after".split()
)
# Dev articles: 1 % of English ones under 0.15 (left to the identifier, which reads them as
# English); German and French news 0.0-0.08.
_ENGLISH_SHARE = 0.15
_CONFIDENCE = 0.9  # below it, py3langid's answer is a guess
_SAMPLE_CHARS = 2_000  # per article: enough to tell, cheap to read
_WORD = re.compile(r"[^\W\d_]+")


def story_language(articles: Sequence[Article]) -> str:
    """The story's language: its articles' declared one when most declare one, else the
    one its text reads as."""
    declared = Counter(
        code for a in articles if (code := _primary_subtag(a.language or "")) is not None
    )
    if declared:
        code, count = declared.most_common(1)[0]
        if 2 * count > len(articles):
            return code
    return text_language(" ".join(f"{a.title}. {a.text[:_SAMPLE_CHARS]}" for a in articles))


def text_language(text: str) -> str:
    """The language `text` reads as; English when it is English or no language is clear."""
    words = _WORD.findall(text.lower())
    if not words:
        return ENGLISH
    if sum(w in _ENGLISH_FUNCTION_WORDS for w in words) >= _ENGLISH_SHARE * len(words):
        return ENGLISH
    code, confidence = _identifier().classify(text)
    if confidence >= _CONFIDENCE or _mostly_other_scripts(text):
        return code  # a short Chinese text reads zh at 0.58: not English, whatever it is
    return ENGLISH


_NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
}


def language_name(code: str) -> str:
    """How a prompt names the language `code`: "German"; for a language without a name
    here, its code, which models read."""
    return _NAMES.get(code, f"the language of the articles (ISO 639 code {code!r})")


def _mostly_other_scripts(text: str) -> bool:
    """Whether most of the letters of `text` are not Latin (Chinese, Cyrillic, Arabic ...):
    such a text is no English, however unsure the identifier is of which language it is."""
    letters = [ch for ch in text if ch.isalpha()]
    latin = sum(ch <= "\u024f" for ch in letters)  # ASCII and the Latin supplements
    return 2 * latin < len(letters)


def _primary_subtag(tag: str) -> str | None:
    """ "de-DE" -> "de", "pt_BR" -> "pt"; None for an empty or malformed tag."""
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
