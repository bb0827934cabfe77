"""A story's heading: the headline of its most typical article that reads neutral.

Why: the heading is in the digest's own voice, like the summary, but it was the central
article's headline as written, so opinion pieces ("X should oppose Y", "Reality check:
...") and loaded words reached it, and so did a date an export put in front
("2005/01/08 Tsunami aid ..."). The articles' headlines are tried from the most typical
one on; the first that has no opinion marker and no loaded term (or only terms with a
neutral rewording, which is then used) becomes the heading. When none does, the most
typical headline is used, reworded where it can be.
"""

from __future__ import annotations

import re

from service.pipeline.neutrality import neutralise
from service.pipeline.sentences import split_paragraph

_LEADING_DATE = re.compile(
    r"^\s*(?:\d{4}[/.-]\d{1,2}[/.-]\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4})[\s:|–—-]+"
)
# A headline that labels itself as comment ("Opinion: ..."), and one that argues or asks.
_LABEL = re.compile(
    r"^(?:opinion|analysis|editorial|commentary|column|reality check|fact check|perspective|"
    r"view(?:point)?)\s*[:|–—-]\s*",
    re.IGNORECASE,
)
_OPINION = re.compile(rf"\b(?:should|must|ought to)\b|{_LABEL.pattern}|\?\s*$", re.IGNORECASE)

SHOWN_TITLE_CHARS = 120  # longer, a title is a paragraph (a record without one)


def shown_title(title: str) -> str:
    """A title as a heading or a source line shows it: a paragraph (an article without a
    title is titled by its first line) gives its first sentence (as the sentence splitter
    reads it: not cut after "U.S." or "Mr."), or its first words and "…"; the whole
    paragraph had been the story's heading."""
    title = title.strip()
    if len(title) <= SHOWN_TITLE_CHARS:
        return title
    first = split_paragraph(title)[0]
    if 20 < len(first) <= 2 * SHOWN_TITLE_CHARS and len(first) < len(title):
        return first
    cut = title.rfind(" ", 0, SHOWN_TITLE_CHARS)
    return title[: cut if cut > 20 else SHOWN_TITLE_CHARS].rstrip(" ,;:-") + "…"


def without_leading_date(title: str) -> str:
    """The title without a date an export put in front of it ("2005/01/08 ...")."""
    stripped = _LEADING_DATE.sub("", title, count=1)
    return stripped if stripped.strip() else title


def story_title(headlines: list[str]) -> str:
    """The heading for a story whose `headlines` come most typical first."""
    cleaned = [shown_title(without_leading_date(h)) for h in headlines if h.strip()]
    for headline in cleaned:
        if _OPINION.search(headline):
            continue
        reworded = neutralise(headline)
        if reworded is not None:
            return reworded
    if not cleaned:
        return ""
    # every headline argues: the most typical, without its "Opinion:" label (the label
    # said the digest's own heading was comment)
    typical = _LABEL.sub("", cleaned[0], count=1).strip() or cleaned[0]
    return neutralise(typical) or typical
