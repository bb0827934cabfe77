"""Relative days in a summary ("today", "yesterday", "tomorrow") anchored to a date.

Why: a digest is read later than its articles were written, and it mixes articles of
different days, so "today" in the summary's own voice is wrong or meaningless. When
every article a sentence cites gives its publication date and they agree on the day (or,
when they differ, those that write the relative day themselves agree: `anchor_day`),
"announced yesterday" becomes "announced on November 19" and "Today, ..." becomes
"On November 20, ..."; "until today" becomes "until November 20", "tomorrow's stage"
"the November 21 stage", "this evening" "on the evening of November 20" and "eleven days
ago" "on November 9" ("today's economy", "the last night of the tour" and "The Tonight
Show" stay). Otherwise the
sentence is left as written: there is nothing to anchor it to.

This runs once, after verification: the verifier checks what the articles say, and a
date the summary adds in place of "today" is not written in them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from service.models import Article, Summary
from service.pipeline.sentences import IRREGULAR_PASTS, split_sentences, word_count
from service.pipeline.support import content_words

_RELATIVE = re.compile(
    r"(?<!\bthe )(?<!\bhis )(?<!\bher )(?<!\btheir )(?<!\bits )(?<!\bthat )"  # "the last night"
    r"\b(?P<prep>(?:until|since|from|by|before|after|through|till|as of)\s+)?"
    r"(?:(?P<word>yesterday|tomorrow)(?P<possessive>['’]s)?|(?P<today>today)(?!['’]s)"
    r"|(?P<part>this (?:morning|afternoon|evening)|tonight|last night)(?!['’]s)"
    r"|today['’]s (?P<early>early |late )?(?P<daypart>morning|afternoon|evening|night)"
    r"|(?P<count>\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve) days ago)\b",
    re.IGNORECASE,
)
_OFFSET = {"today": 0, "yesterday": -1, "tomorrow": 1}
# "Today," as "nowadays": an opening "Today," whose clause states how things are ("Today,
# nearly all ethanol fuel is made from corn"): "is"/"are"/"has"/"have" within its first
# words, no verb of one day's event anywhere (a past, a future, "said", "says"), and not
# "is expected to", "is due to" (a day's schedule). "Today, the Senate votes" is a day.
_NOWADAYS = re.compile(
    r"(?:(?<=^)|(?<=[.!?]\s))today,\s+(?:[\w'’-]+\s+){0,6}?(?:is|are|has|have)\s+"
    r"(?!(?:expected|due|set|scheduled|slated|poised|likely)\b)",
    re.IGNORECASE,
)
_NOT_VERBS = "hundred united need speed feed seed steed breed greed creed".split()
# A verb that tells of one day's event: a past ("announced", "has won"), a future ("will"),
# a statement ("said", "says"); not a passive present ("is made", "are employed").
_EVENT_VERB = re.compile(
    r"(?<!\bis )(?<!\bare )(?<!\bbe )(?<!\bbeen )(?<!\bbeing )(?<!\bam )"
    rf"\b(?!(?:{'|'.join(_NOT_VERBS)})\b)(?:was|were|had|did|will|would|said|says|told|tells"
    rf"|\w{{3,}}ed|{'|'.join(sorted(IRREGULAR_PASTS))})\b",
    re.IGNORECASE,
)
_COUNTS = "two three four five six seven eight nine ten eleven twelve".split()
_PART_OF_DAY = {  # "this evening" -> "the evening of April 6"; "last night" is the day before
    "this morning": ("morning", 0),
    "this afternoon": ("afternoon", 0),
    "this evening": ("evening", 0),
    "tonight": ("night", 0),
    "last night": ("night", -1),
}


def day_label(day: date) -> str:
    """A day as the summary writes it: "April 6" (relative days, dated reports)."""
    return f"{day:%B} {day.day}"


def anchored(text: str, published: date) -> str:
    """`text` with its relative days written as dates, counted from `published`. An
    opening "Today," in a sentence with no verb of one day's event is "nowadays" ("Today,
    nearly all ethanol fuel is made from corn" had become "On April 9, nearly all ...")
    and stays as written; "Talks resume today" is a day."""

    def replace(match: re.Match[str]) -> str:
        try:
            return rewrite(match)
        except OverflowError:  # published on 9999-12-31 or 0001-01-01 (a placeholder)
            return match[0]  # no day to name: as written (it had crashed the run)

    def rewrite(match: re.Match[str]) -> str:
        if match["today"] and _NOWADAYS.match(text, match.start()):
            if not _EVENT_VERB.search(text):  # searched only for an opening "Today,"
                return match[0]
        at_start = match.start() == 0 or text[: match.start()].rstrip().endswith((".", "!", "?"))
        prep = match["prep"] or ""
        relative = match["word"] or match["today"] or match["part"] or match["count"] or "today"
        if relative[:1].isupper() and not (at_start and not prep):
            return match[0]  # a capital mid-sentence is a name: "The Tonight Show"
        the = "The" if at_start and not prep else "the"
        on = prep or ("On " if at_start else "on ")  # "until April 7", "on April 7"
        if match["daypart"]:  # "today's early morning" -> "the early morning of April 6"
            part = f"{match['early'] or ''}{match['daypart']}"
            return f"{prep}{the} {part} of {day_label(published)}"
        if match["count"]:  # "eleven days ago" -> "on March 26"
            count = relative.lower()
            back = int(count) if count.isdigit() else _COUNTS.index(count) + 2
            return f"{on}{day_label(published - timedelta(days=back))}"
        if match["part"]:  # "this evening" -> "on the evening of April 6"
            part, offset = _PART_OF_DAY[" ".join(relative.lower().split())]
            return f"{on}the {part} of {day_label(published + timedelta(days=offset))}"
        day = day_label(published + timedelta(days=_OFFSET[relative.lower()]))
        if match["possessive"]:  # "tomorrow's stage" -> "the April 7 stage"
            return f"{prep}{the} {day}"
        return f"{on}{day}"

    return _RELATIVE.sub(replace, text)


def common_day(cited: Iterable[Article]) -> date | None:
    """The day every cited article was published on, when they are all dated and agree:
    the only day a sentence's "today" can be anchored to."""
    days = {a.published_at.date() if a.published_at else None for a in cited}
    return days.pop() if len(days) == 1 and None not in days else None


def anchor_day(text: str, cited: Sequence[Article]) -> date | None:
    """The day `text`'s relative days count from: the day its cited articles were all
    published on; when they differ, the day of those among them that write the relative
    day themselves, in a sentence with at least half of `text`'s content words.

    Why: "Yesterday, protesters tried to grab the torch in London" was copied from a report
    of April 7 and corroborated by one of April 6 that tells the same event without a
    relative day; the word is the first report's, and counts from its day (April 6 then),
    not from nothing. The extractive backend keeps room in its word budget only for the
    first kind (`common_day`): a sentence dated by its writers is anchored when the summary
    has room for the date, and keeps its word otherwise."""
    day = common_day(cited)
    if day is not None or len(cited) < 2 or not _RELATIVE.search(text):
        return day
    words = content_words(text)
    writers = [a for a in cited if _writes_relative_day(a, words)]
    return common_day(writers) if writers else None


def _writes_relative_day(article: Article, words: set[str]) -> bool:
    """Whether one of the article's sentences has a relative day and half of `words`."""
    for sentence in split_sentences(article.id, article.text):
        if _RELATIVE.search(sentence.text):
            if 2 * len(words & content_words(sentence.text)) >= len(words):
                return True
    return False


def anchoring_growth(text: str, day: date | None) -> int:
    """Words `anchor_relative_days` would add to `text` cited to articles of `day`
    ("today" -> "on November 20": 2), so that a word budget can keep room for them."""
    return 0 if day is None else word_count(anchored(text, day)) - word_count(text)


def anchor_relative_days(summary: Summary, articles: list[Article], max_words: int) -> Summary:
    """The summary with relative days anchored where its cited articles agree on the day,
    as long as the summary stays within `max_words` ("today" is one word, "on November
    20" three)."""
    words = sum(word_count(s.text) for s in summary.sentences)
    sentences = []
    for sentence in summary.sentences:
        cited = [articles[n - 1] for n in sentence.citations if 1 <= n <= len(articles)]
        day = anchor_day(sentence.text, cited)
        text = sentence.text
        if day is not None:
            candidate = anchored(text, day)
            grown = word_count(candidate) - word_count(text)
            if candidate != text and words + grown <= max_words:
                text, words = candidate, words + grown
        sentences.append(
            sentence if text == sentence.text else sentence.model_copy(update={"text": text})
        )
    return summary.model_copy(update={"sentences": sentences})
