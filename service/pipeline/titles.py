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

_LEADING_DATE = re.compile(
    r"^\s*(?:\d{4}[/.-]\d{1,2}[/.-]\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4})[\s:|–—-]+"
)
# A headline that argues, asks or labels itself as comment, not news.
_OPINION = re.compile(
    r"\b(?:should|must|ought to)\b|^(?:opinion|analysis|editorial|commentary|column|"
    r"reality check|fact check|perspective|view(?:point)?)\s*[:|–—-]|\?\s*$",
    re.IGNORECASE,
)


def without_leading_date(title: str) -> str:
    """The title without a date an export put in front of it ("2005/01/08 ...")."""
    stripped = _LEADING_DATE.sub("", title, count=1)
    return stripped if stripped.strip() else title


def story_title(headlines: list[str]) -> str:
    """The heading for a story whose `headlines` come most typical first."""
    cleaned = [without_leading_date(h).strip() for h in headlines if h.strip()]
    for headline in cleaned:
        if _OPINION.search(headline):
            continue
        reworded = neutralise(headline)
        if reworded is not None:
            return reworded
    if not cleaned:
        return ""
    return neutralise(cleaned[0]) or cleaned[0]
