"""Contrast sentences: one sentence that sets two outlets' versions side by side.

In: a summary sentence. Out: its parts, when it is such a sentence ("According to
Outlet A, at least 35 people died; according to Outlet B, 40 were killed."), and
whether it announces a difference ("Reports differ on the death toll: ...").

Why: the product states disagreements between outlets instead of resolving them
silently, and the LLM backends are asked to write them in one sentence that cites each
side. No single article supports such a sentence (each holds only its own figure), so
the verifier checks it part by part (`verify.py`): each part must be supported on its
own, and a sentence that says the reports differ must have parts that rest on
different articles.
"""

from __future__ import annotations

import re

from service.pipeline.support import content_words

# Where two versions meet: "; ", " while ", " whereas ", and ", but" / ", and" before
# "according to" or a name ("..., but Outlet B puts it at 40").
_SEPARATOR = re.compile(
    r";\s+|,?\s+(?:while|whereas)\s+|,\s+(?:but|and)\s+(?=[Aa]ccording\s+to\b|[A-Z])"
)
# An opening that announces a difference, with no claim of its own to check.
_DIFFERENCE = re.compile(
    r"^(?:(?:the\s+)?(?:reports|outlets|accounts|sources|articles|figures|estimates|versions)"
    r"\s+(?:differ|vary|disagree|conflict)|(?:reports|outlets|accounts|sources|articles)"
    r"\s+give\s+(?:different|conflicting)|there\s+are\s+(?:different|conflicting)\s+"
    r"(?:reports|accounts|figures))[^:]{0,80}:\s*",
    re.IGNORECASE,
)
MIN_PART_WORDS = 2  # content words a part needs to be a claim ("40 died" has two)


def announces_a_difference(text: str) -> bool:
    """True when the sentence opens by saying the reports differ ("Reports differ on ...:")."""
    return bool(_DIFFERENCE.match(text))


def contrast_parts(text: str) -> list[str]:
    """The claims of a sentence that sets versions side by side, each written as a sentence
    of its own ("according to Outlet B, 40 ..." -> "According to Outlet B, 40 ..."); an
    opening that only announces the difference is left out. Fewer than two parts: [] (the
    sentence is no contrast, or a part is too short to be checked: "..., Outlet B at 40")."""
    body = _DIFFERENCE.sub("", text, count=1)
    pieces = [p.strip(" ,.") for p in _SEPARATOR.split(body)]
    if len(pieces) < 2 or any(len(content_words(p)) < MIN_PART_WORDS for p in pieces):
        return []
    return [p[:1].upper() + p[1:] + "." for p in pieces]
