"""A story's heading: the headline of its most typical article that reads neutral.

Why: the heading is in the digest's own voice, like the summary, but it was the central
article's headline as written, so opinion pieces ("X should oppose Y", "Reality check:
...") and loaded words reached it, and so did a date an export put in front
("2005/01/08 Tsunami aid ..."). The articles' headlines are tried from the most typical
one on; the first that has no opinion marker, is not written in capitals, and has no loaded
term (or only terms with a neutral rewording, which is then used) becomes the heading. When
none does, the most typical headline is used, reworded where it can be.
"""

from __future__ import annotations

import re

from service.pipeline.neutrality import neutralise, opens_dangling
from service.pipeline.sentences import (
    MONTH_WORD,
    is_dated_caption,
    is_furniture,
    split_paragraph,
    strip_paragraph_prefix,
)

_LEADING_DATE = re.compile(
    r"^\s*(?:\d{4}[/.-]\d{1,2}[/.-]\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4})[\s:|–—-]+"
)
# A headline that labels itself as comment ("Opinion: ..."), and one that argues or asks.
_LABEL = re.compile(
    r"^(?:opinion|analysis|editorial|commentary|column|reality check|fact check|perspective|"
    r"view(?:point)?)\s*[:|–—-]\s*",
    re.IGNORECASE,
)
# ... or argues in other ways: a verdict ("Dangerous Nonsense", "has gone too far"), a
# tabloid verb ("trashes"), an exclamation, the writer's "we", or a quotation as the whole
# headline ("'It's Not True': ..."): the heading is the digest's own voice. Not the verbs
# news uses for force ("Tornado rips through", "Hurricane slams into", "Fire destroys").
_OPINION = re.compile(
    rf"\b(?:should|must|ought to|needs? to|time to|cannot (?:come|be|allow|afford|ignore"
    rf"|tolerate|stand))\b|{_LABEL.pattern}|[?!]\s*$"
    r"|\b(?:nonsense|trash(?:es|ed)|shameful|disgrace(?:ful)?|outrageous|absurd|ridiculous"
    r"|insane|meltdown|sensationalist|gone too far|panic mode|full-blown panic)\b"
    r"|(?-i:\b[Ww]e\b)|^\s*[\"“‘']",
    re.IGNORECASE,
)
# Not a headline at all: an address ("http: / / www. ..." as tokenised text writes it), a
# byline alone ("/ Updated By Sarah Fitzpatrick"; not "By air and sea, thousands flee"),
# video-player furniture ("Skip in Skip x Embed x Share ..."), a time stamp or a dateline
# alone ("Updated: July 2, 2013 15: 01 IST", "INDONESIA, July 2, 2013")
_NOT_A_HEADLINE = re.compile(
    r"(?i:https?\s*:\s*/|\bwww\s*\.|\bskip\s+(?:in|ad)\b|\b(?:embed|share)\s+x\b"
    r"|^\W*updated\s*:|\(\s*photo\s*:)"
    r"|^\W*(?:[Uu]pdated\s+)?[Bb]y\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}\s*$"
    rf"|^\W*[A-Z][A-Z .'’-]{{1,40}},\s*(?i:{MONTH_WORD})\.?\s+\d{{1,2}},?\s+\d{{4}}\W*$"
)


# A headline in capitals shouts ("VALDONIA'S DICTATOR CRUSHES UPRISING"): the heading is the
# digest's own voice, so a headline in ordinary case is taken first ("NASA launches rover" is
# in ordinary case).
def _shouted(headline: str) -> bool:
    words = [w for w in headline.split() if sum(c.isupper() for c in w) >= 2]
    return len(words) >= 3 and not any(c.islower() for c in headline)


SHOWN_TITLE_CHARS = 120  # longer, a title is a paragraph (a record without one)


def shown_title(title: str) -> str:
    """A title as a heading or a source line shows it: a paragraph (an article without a
    title is titled by its first line) gives its first sentence (as the sentence splitter
    reads it: not cut after "U.S." or "Mr."), without a dateline or a wire's name in front
    ("MILLIS (CBS) – The Millis police officer ..."), or its first words and "…"; the whole
    paragraph had been the story's heading. A headline keeps its words ("US – China trade
    talks resume")."""
    title = title.strip()
    if len(title) > SHOWN_TITLE_CHARS:  # a paragraph: "MILLIS (CBS) – The Millis police ..."
        title = strip_paragraph_prefix(title) or title  # (not "US – China trade talks ...")
    return _first_part(title)


def _first_part(title: str) -> str:
    """A paragraph's first sentence, or its first words and "…"; a short title as it is."""
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


def looks_like_headline(line: str) -> bool:
    """Whether a line could be a story's headline: not an address, a byline, player
    furniture or a dateline alone, nor a photo caption or what the sentence splitter leaves
    out as page furniture (a text without a title is titled by its first line, and "People
    pray before placing flowers ..., Tuesday, April 11, 2017." had headed a story). The
    outlet a headline names after " | " is no furniture."""
    if _NOT_A_HEADLINE.search(line):
        return False
    head = line.split(" | ", 1)[0].rstrip()
    # a caption reads as a sentence, with its full stop; a headline has none ("Video: Watch
    # SpaceX launch Starship" is a headline, "Megan Rapinoe, front, fends off ... ." is not)
    return not (head.endswith(".") and (is_furniture(head) or is_dated_caption(head)))


_HEADLINE_WITHIN = 5  # lines at the top of a text where its headline may stand


def shown_headline(title: str, text: str) -> str:
    """The title to show for an article: its own, or, when that is an address, a byline or
    a dateline (a text without a title is titled by its first line, and saved pages start
    "http: / / www. thehindu. com / ..."), the first line near the top of its text that
    could be a headline. Only shown: clustering reads the title as it came (an address
    holds the story's date and words)."""
    if looks_like_headline(title):
        return title
    lines = (line.strip() for line in text.split("\n")[: _HEADLINE_WITHIN * 2])
    found = [line for line in lines if line][:_HEADLINE_WITHIN]
    return next((line for line in found if looks_like_headline(line)), title)


def story_title(headlines: list[str]) -> str:
    """The heading for a story whose `headlines` come most typical first."""
    dated = [without_leading_date(h) for h in headlines if h.strip()]
    # judged as written: a line that opens on player furniture is no headline once cut
    usable = [h for h in dated if looks_like_headline(_first_part(h))] or dated
    cleaned = [shown_title(h) for h in usable]
    for headline in cleaned:
        # an untitled article's first sentence may lean on one before it ("She asked ...")
        if _OPINION.search(headline) or _shouted(headline) or opens_dangling(headline):
            continue
        reworded = neutralise(headline)
        if reworded is not None:
            return reworded
    if not cleaned:
        return ""
    # every headline argues: the most typical, without its "Opinion:" label (the label
    # said the digest's own heading was comment); "" when its loaded words have no neutral
    # rewording either (the heading is then made from the summary: `heading_from_summary`)
    typical = _LABEL.sub("", cleaned[0], count=1).strip() or cleaned[0]
    return neutralise(typical) or ""


def heading_from_summary(sentences: list[str]) -> str:
    """A heading for a story none of whose headlines reads neutral ("Shocking Arrests:
    Dictator Rounds Up Foes" had headed one): its summary's first sentence, which the
    summarizer and the verifier made neutral, as a title shows it; "" without one."""
    if not sentences:
        return ""
    return shown_title(sentences[0].rstrip(". "))
