"""Relative days in a summary are anchored to the cited articles' day, when they agree."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from service.backends.embedders import Embedder
from service.models import Article
from service.pipeline.dates import anchor_relative_days, anchored
from service.pipeline.run import DigestOptions, digest
from tests.stories import draft_summary

DAY = date(2008, 4, 6)


def test_relative_days_become_dates_that_read_in_place() -> None:
    assert anchored("The torch arrived in London today.", DAY) == (
        "The torch arrived in London on April 6."
    )
    assert anchored("Today, the torch went out.", DAY) == "On April 6, the torch went out."
    assert anchored("The army announced yesterday.", DAY) == "The army announced on April 5."
    assert anchored("Talks run until tomorrow.", DAY) == "Talks run until April 7."
    assert anchored("Tomorrow's stage is hard.", DAY) == "The April 7 stage is hard."
    assert anchored("He won yesterday’s race.", DAY) == "He won the April 5 race."
    assert anchored("The games opened this evening.", DAY) == (
        "The games opened on the evening of April 6."
    )
    assert (
        anchored("Shots were fired last night.", DAY) == "Shots were fired on the night of April 5."
    )
    assert anchored("Tonight, crowds gathered.", DAY) == "On the night of April 6, crowds gathered."
    assert anchored("The talks go on until tonight.", DAY) == (
        "The talks go on until the night of April 6."
    )
    assert anchored("He spoke this week.", DAY) == "He spoke this week."  # not a day: as written
    assert anchored("Until tomorrow's stage, riders rest.", DAY) == (
        "Until the April 7 stage, riders rest."
    )
    assert anchored("Aftershocks hit on today's early morning.", DAY) == (
        "Aftershocks hit on the early morning of April 6."
    )
    assert anchored("The quake hit eleven days ago.", DAY) == "The quake hit on March 26."
    assert anchored("Since 2 days ago, no flights.", DAY) == "Since April 4, no flights."
    assert anchored("It was eight days after the quake.", DAY) == (
        "It was eight days after the quake."  # counted from the quake, not from the article
    )
    for kept in [  # not a day the article was written on, or not a day at all
        "In today's economy, prices rose sharply.",
        "This morning's meeting was cancelled.",
        "He spent the last night of the tour in Paris.",
        "She appeared on The Tonight Show with guests.",
    ]:
        assert anchored(kept, DAY) == kept
    assert anchored("It rained. Today it stopped.", DAY) == "It rained. On April 6 it stopped."


def _article(number: int, published: datetime | None) -> Article:
    return Article(id=f"a{number}", title="t", text="x", published_at=published)


def test_only_when_every_cited_article_gives_the_same_day() -> None:
    noon = datetime(2008, 4, 6, 12, tzinfo=UTC)
    articles = [_article(1, noon), _article(2, noon + timedelta(hours=3)), _article(3, None)]
    articles.append(_article(4, noon + timedelta(days=1)))
    text = "The torch arrived in London today."
    same_day = anchor_relative_days(draft_summary((text, [1, 2])), articles, 120)
    assert same_day.sentences[0].text == "The torch arrived in London on April 6."
    for citations in ([1, 3], [3], [1, 4]):  # a date unknown, or two days
        assert anchor_relative_days(
            draft_summary((text, citations)), articles, 120
        ).text.startswith(text)
    # the day is the article's own: late evening in New York is the next day in UTC
    evening = datetime(2008, 4, 6, 22, tzinfo=timezone(timedelta(hours=-5)))
    [local] = anchor_relative_days(
        draft_summary((text, [1])), [_article(1, evening)], 120
    ).sentences
    assert local.text.endswith("on April 6.")
    # the word budget holds: "today" is one word, "on April 6" three
    assert anchor_relative_days(draft_summary((text, [1])), articles, 7).sentences[0].text == text


def test_a_digest_of_dated_articles_says_the_day(embedder: Embedder) -> None:
    when = datetime(2026, 11, 20, 9, tzinfo=UTC)
    article = Article(
        id="p1",
        title="Harbour strike",
        text=(
            "Dock workers at the port of Valmora went on strike today over pay and safety rules. "
            "The strike halted the loading of about 40 container ships, port officials said. "
            "Talks between the union and the port will resume next week, officials said."
        ),
        published_at=when,
    )
    result = digest([article], DigestOptions(one_story=True, max_words=80), embedder=embedder)
    text = result.clusters[0].summary.text
    assert "went on strike on November 20 over pay" in text and "today" not in text


def test_an_opening_today_with_no_days_event_means_nowadays() -> None:
    """ "Today, nearly all ethanol fuel is made from corn" had become "On April 9, ..."."""
    day = date(2017, 4, 9)
    for nowadays in (
        "Today, nearly all ethanol fuel is made from corn or sugarcane.",
        "Cars need fuel. Today, most of it is refined from crude oil.",
    ):
        assert anchored(nowadays, day) == nowadays, nowadays
    assert anchored("Today, the president announced that he would resign.", day) == (
        "On April 9, the president announced that he would resign."
    )
    assert anchored("Today, the vote will be held.", day) == "On April 9, the vote will be held."
    assert anchored("Talks resume today in Geneva.", day) == "Talks resume on April 9 in Geneva."
    for event in (  # a day's event in the present, a statement, a schedule: a day
        "Today, the Senate votes on the bill.",
        "Today, the company said it is cutting 2,000 jobs.",
        "Today, the court is expected to rule on the case.",
    ):
        assert anchored(event, day).startswith("On April 9, "), event
    assert anchored("Today, a hundred workers are employed there.", day).startswith("Today,")


def test_cited_articles_of_two_days_count_from_the_one_that_writes_the_day() -> None:
    """Copied from a report of April 7 ("Yesterday, ...") and corroborated by one of April
    6 that tells the event without a relative day: the word counts from its writer's day."""
    text = "Yesterday, protesters tried to grab and extinguish the torch in London."
    paris = Article(
        id="p",
        title="Torch in Paris",
        text=f"The torch went out three times in Paris. {text}",
        published_at=datetime(2008, 4, 7, 9, tzinfo=UTC),
    )
    london = Article(
        id="l",
        title="Torch in London",
        text="Protesters tried to grab the torch from a presenter and to extinguish it in London.",
        published_at=datetime(2008, 4, 6, 18, tzinfo=UTC),
    )
    [sentence] = anchor_relative_days(draft_summary((text, [1, 2])), [paris, london], 120).sentences
    assert sentence.text == (
        "On April 6, protesters tried to grab and extinguish the torch in London."
    )
    # writers of two days, a writer without a date, or no room: the word stays
    later = london.model_copy(
        update={"text": f"{london.text} Yesterday protesters tried to grab the torch in London."}
    )
    undated = paris.model_copy(update={"published_at": None})
    for articles, budget in (
        ([paris, later], 120),
        ([undated, london], 120),
        ([paris, london], 11),
    ):
        summary = anchor_relative_days(draft_summary((text, [1, 2])), articles, budget)
        assert summary.sentences[0].text == text


def test_a_day_out_of_the_calendar_leaves_the_words_as_written() -> None:
    """A placeholder date (9999-12-31, 0001-01-01) had crashed the run with an OverflowError
    ("tomorrow" from December 31, 9999)."""
    assert anchored("Rates rise tomorrow.", date(9999, 12, 31)) == "Rates rise tomorrow."
    assert anchored("Yesterday rates rose.", date(1, 1, 1)) == "Yesterday rates rose."
    assert anchored("It began eleven days ago.", date(1, 1, 3)) == "It began eleven days ago."
    # and a day that exists is still written out
    assert anchored("Rates rise tomorrow.", date(9999, 12, 30)) == "Rates rise on December 31."
