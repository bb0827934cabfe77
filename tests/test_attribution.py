"""Attribution wording: names keep their capital, unnamed reports read as a sequence."""

from datetime import date, datetime

from service.backends.summarizers.attribution import (
    attribute,
    report_days,
    sequenced_length,
    unnamed_growth,
    usually_capitalised,
    vary_unnamed_reports,
)
from service.models import Article, SummarySentence
from service.pipeline.sentences import word_count
from service.pipeline.verify import claim_of


def test_attribution_wording() -> None:
    assert (
        attribute("The union wants more.", "Outlet B")
        == "According to Outlet B, the union wants more."
    )
    assert attribute("Valmora is calm.", None) == "According to one report, Valmora is calm."
    # a sentence that names its source is not framed with a second "according to": the
    # report cites the source ("One report says that ..., according to X." read as two)
    assert attribute("According to police, two died.", "X") == (
        "X, citing police, reports that two died."
    )
    last = "The toll passed 80,000, according to several news agencies."
    assert attribute(last, None) == (
        "One report, citing several news agencies, says that the toll passed 80,000."
    )
    assert attribute("According to a new book, Trump met Kim twice.", None) == (
        "One report, citing a new book, says that Trump met Kim twice."
    )
    # the first comma after "According to X" may not end the source: the old wording stays
    for text in [
        "According to Smith, who spoke to reporters on Monday, the plant will close.",
        "According to police in Houston, Texas, the man fled on foot.",
        "According to Smith, 45, the company lost money.",
        "According to the report, released Tuesday, the agency wasted $2 billion.",
        "According to a July 21, 2007, report, the river rose.",
        "The plant will close in May, according to one report.",  # no source to cite
    ]:
        assert attribute(text, None).startswith("One report says that "), text
    assert attribute("Twelve people died, according to Reuters.", "Reuters") == (
        "Reuters reports that twelve people died, according to Reuters."
    )  # not "Reuters, citing Reuters, reports"
    assert attribute("Officials said 12 died, according to Smith & Co.", None) == (
        "One report, citing Smith & Co., says that officials said 12 died."
    )
    inside = "In 2011, at least according to the U.N., the population will reach 7 billion."
    assert attribute(inside, None) == (
        "One report says that in 2011, at least according to the U.N., the population will "
        "reach 7 billion."
    )


def test_attribution_keeps_names_capitalised_and_lowers_other_openers() -> None:
    # a name the cluster also writes in lower case ("london-based" in a URL) stays a name
    names = {"valmora", "democrats", "london", "paris"}
    common = {"among", "port", "topping", "sure", "president", "london", "frustrated", "ted"}

    def opening(text: str) -> str:
        return attribute(text, "X", names, common).removeprefix("According to X, ")

    for text in [
        "Valmora is calm.",
        "Valmora's port is calm.",
        "NATO met.",
        "Marcia Cross ranks third.",
        "Lt. Gen. Thomas Bergeson spoke.",
        "President Trump spoke.",
        "North Korea fired a missile.",
        "Democrats won the vote.",
        "Kroll was not charged.",
        "Republicans vowed to fight him.",  # capitalised far more often than not
        "Mecca and Medina are holy cities.",  # too rare in lower case to be a common word
        "London is preparing for the race.",
        "Londoners are commemorating the anniversary.",  # the people of a named place
        "Parisians queued for hours.",
        "United States officials met.",  # written English capitalises "United"
        "Ted Cruz spoke on Monday.",  # a first name, even one the story writes in lower case
        "Sterling Brown was arrested in the car park.",
        "Ninety-Nine Restaurants closed its doors.",  # a name that opens on a number word
        "Thousand Oaks police say the gunman was a veteran.",
        "May 10 roughly marked the start of the run-up.",  # a date, not the modal "may"
        "March 3 was the deadline.",
        "Paramount’s “Transformers: Age of Extinction” grossed $1.09 billion.",  # a title next
        'Universal\'s "Furious 7" opened on Friday.',
    ]:
        assert opening(text) == text, text
    for text in [
        "Among the staff, two left.",
        "The White House said no.",
        "If the vote fails, talks end.",
        "Topping the index is Sweden.",
        "Unfortunately, the talks failed.",
        "Hours later, the port reopened.",
        "Working mothers earn less.",
        "Parents of the pupils were told on Monday.",
        "Overall, the plan passed.",
        "Tomorrow's stage will take the race into the hills.",
        "Aircraft and ships searched the sea.",
        "Unfortunately, the talks broke down.",
        "Clearly, Big Bang is at the top of its game.",  # a capital after the comma: no name
        "Vegans were seen nearby.",  # not the people of a place the story names
        "Yesterday Josh checked himself into rehab.",  # a capital after a common word
        "Frustrated Louisville voters waited for hours.",
        "Thirty-five percent of the staff are women.",  # a number word is no name
        "Dozens of Republicans voted against it.",
        "Fifteen-year-old Kenneth Shinozuka won the award.",  # an age before a name
        "Twenty-five Democrats voted no.",
        "May the best team win, the coach said.",
        "Tomorrow’s “Tonight Show” is a rerun.",  # a time word's possessive is no name
    ]:
        assert opening(text) == text[:1].lower() + text[1:], text


def _sentence(text: str, *article_ids: str) -> SummarySentence:
    return SummarySentence(
        text=text, citations=list(range(1, len(article_ids) + 1)), article_ids=list(article_ids)
    )


def test_unnamed_reports_read_as_a_sequence() -> None:
    sentences = [
        _sentence("According to one report, the race starts in London.", "a"),
        _sentence("According to one report, the stage ends in Paris.", "a"),
        _sentence("The leader kept the jersey.", "a", "b"),
        _sentence("According to one report, rain is due.", "b"),
        _sentence("According to one report, the route changed.", "c"),
        _sentence("According to one report, crowds were large.", "a"),
        _sentence("One report says that according to police, two fans were hurt.", "d"),
        _sentence("According to Outlet B, the jersey is new.", "e"),
    ]
    assert [s.text for s in vary_unnamed_reports(sentences)] == [
        "According to one report, the race starts in London.",
        "According to the same report, the stage ends in Paris.",
        "The leader kept the jersey.",
        "According to another report, rain is due.",
        "According to another report, the route changed.",
        # seen before but not just before: "the same" would point at the wrong one
        "According to report 1, crowds were large.",
        "Another report says that according to police, two fans were hurt.",
        "According to Outlet B, the jersey is new.",
    ]
    assert [s.citations for s in vary_unnamed_reports(sentences)] == [
        s.citations for s in sentences
    ]


def test_a_returning_report_is_named_by_the_number_the_reader_sees() -> None:
    def cited(text: str, number: int) -> SummarySentence:
        return SummarySentence(text=text, citations=[number], article_ids=[f"a{number}"])

    sentences = [
        cited("According to one report, the race starts in London.", 3),
        cited("According to one report, rain is due.", 1),
        cited("According to one report, the route changed.", 3),
        cited("According to one report, crowds were large.", 9),
        cited("According to one report, the stage was short.", 1),
        cited("According to one report, fans cheered.", 9),
        cited("According to one report, the cars were late.", 12),
        cited("According to one report, the tour went on.", 3),
        cited("According to one report, the riders rested.", 12),
    ]
    assert [s.text for s in vary_unnamed_reports(sentences)] == [
        "According to one report, the race starts in London.",
        "According to another report, rain is due.",
        "According to report 3, the route changed.",  # [3]: not "the first report", nor "the
        # third report", which editors read as the third one the summary named
        "According to another report, crowds were large.",
        "According to report 1, the stage was short.",
        "According to report 9, fans cheered.",
        "According to another report, the cars were late.",
        "According to report 3, the tour went on.",
        "According to report 12, the riders rested.",  # any number: not "one report"
    ]


def test_a_cited_source_stays_in_the_claim_and_in_the_sequence() -> None:
    sentences = [
        _sentence(attribute("Masks stay on, according to the CDC.", None), "a"),
        _sentence(attribute("Schools reopen in May, according to the mayor.", None), "a"),
        _sentence(attribute("According to the mayor, buses run.", None), "b"),
        _sentence(attribute("Trains run, according to the mayor.", None), "a"),
    ]
    varied = [s.text for s in vary_unnamed_reports(sentences)]
    assert varied == [
        "One report, citing the CDC, says that masks stay on.",
        "The same report, citing the mayor, says that schools reopen in May.",
        "Another report, citing the mayor, says that buses run.",
        "Report 1, citing the mayor, says that trains run.",
    ]
    # what must be supported is the claim with its source, as the article wrote it
    assert claim_of(varied[1], []) == "Schools reopen in May, according to the mayor."
    assert claim_of("Outlet B, citing the CDC, reports that masks stay on.", ["Outlet B"]) == (
        "Masks stay on, according to the CDC."
    )


def test_the_verifier_reads_the_claim_behind_every_unnamed_wording() -> None:
    for text in [
        "According to another report, rain is due.",
        "According to the same report, rain is due.",
        "Another report says that rain is due.",
        "The same report says that rain is due.",
        "According to the second report, rain is due.",
        "The first report says that rain is due.",
        "According to the 12th report, rain is due.",
        "According to report 12, rain is due.",
        "Report 3 says that rain is due.",
        "The same report adds that rain is due.",
    ]:
        assert claim_of(text, []) == "Rain is due.", text
    # "added" that reports nothing is part of the claim
    assert claim_of("A report added to fears that the bank would fail.", []) == (
        "A report added to fears that the bank would fail."
    )


def test_the_sequence_is_mended_when_its_first_report_is_gone() -> None:
    sentences = [
        _sentence("According to one report, the race starts in London.", "a"),
        _sentence("According to the same report, the stage ends in Paris.", "a"),
        _sentence("Another report says that rain is due.", "b"),
    ]
    once = vary_unnamed_reports(sentences)
    assert vary_unnamed_reports(once) == once
    numbered = vary_unnamed_reports([*sentences, _sentence("One report says that it ends.", "a")])
    assert numbered[-1].text == "Report 1 says that it ends."
    assert vary_unnamed_reports(numbered) == numbered
    assert [s.text for s in vary_unnamed_reports(sentences[1:])] == [
        "According to one report, the stage ends in Paris.",
        "Another report says that rain is due.",
    ]


def test_written_english_tells_names_from_common_words() -> None:
    assert usually_capitalised("Trump") and usually_capitalised("republicans")
    assert usually_capitalised("Parents") is False and usually_capitalised("aircraft") is False
    assert usually_capitalised("Kroll") is None  # too rare to say
    # sentences open on adverbs so often that their capitals rank high; names in -ly stay
    assert usually_capitalised("Fortunately") is False and usually_capitalised("Italy")


def test_the_word_budget_keeps_room_for_the_sequenced_wording() -> None:
    assert sequenced_length("According to one report, rain is due.") == 8  # "the same report"
    assert sequenced_length("According to Outlet B, rain is due.") == 7
    assert sequenced_length("Rain is due.") == 3


def test_a_run_from_one_report_alternates_its_wording() -> None:
    """Six "According to the same report," in a row read as a form."""
    sentences = [_sentence("According to one report, rain is due.", "b")]
    sentences += [
        _sentence(f"According to one report, stage {n} is flat.", "a") for n in range(1, 6)
    ]
    sentences.append(_sentence("One report says that according to police, fans were hurt.", "a"))
    varied = vary_unnamed_reports(sentences)
    assert [s.text for s in varied] == [
        "According to one report, rain is due.",
        "According to another report, stage 1 is flat.",
        "According to the same report, stage 2 is flat.",
        "The same report adds that stage 3 is flat.",
        "According to the same report, stage 4 is flat.",
        "The same report adds that stage 5 is flat.",
        "The same report says that according to police, fans were hurt.",
    ]
    assert vary_unnamed_reports(varied) == varied  # a second pass changes nothing
    quoted = vary_unnamed_reports(
        [*sentences[:3], _sentence('According to one report, "We are ready," she says.', "a")]
    )
    assert quoted[-1].text == 'According to the same report, "We are ready," she says.'
    for done, written in zip(varied, sentences, strict=True):  # the budget held room for it
        assert word_count(done.text) <= sequenced_length(written.text)
    assert {claim_of(s.text, []) for s in varied[2:6]} == {
        f"Stage {n} is flat." for n in range(2, 6)
    }


def test_a_story_that_ran_for_days_names_its_unnamed_reports_by_their_day() -> None:
    def cited(text: str, number: int) -> SummarySentence:
        return SummarySentence(text=text, citations=[number], article_ids=[f"a{number}"])

    days = {
        "a1": date(2007, 7, 6),
        "a2": date(2007, 7, 21),
        "a3": date(2007, 7, 21),
        "a4": date(2007, 8, 3),
        "a5": date(2007, 7, 8),
    }
    sentences = [
        cited("According to one report, London is preparing for the start.", 1),
        cited("According to one report, the crowds came out.", 1),
        cited("According to one report, Vinokourov won stage 13.", 2),
        cited("One report says that the Kazakh rider attacked early.", 3),
        cited("According to one report, the race ended in Paris.", 4),
        cited("According to one report, the route was safe.", 1),
        cited("According to one report, the riders rested.", 2),
        cited("According to one report, the sun came out.", 5),
        cited("According to one report, the jersey changed.", 6),  # an undated article
        SummarySentence(text="The race went on.", citations=[1, 2], article_ids=["a1", "a2"]),
    ]
    assert [s.text for s in vary_unnamed_reports(sentences, days)] == [
        "According to a July 6 report, London is preparing for the start.",
        "According to the same report, the crowds came out.",
        "According to a July 21 report, Vinokourov won stage 13.",
        "Another July 21 report says that the Kazakh rider attacked early.",
        "According to an August 3 report, the race ended in Paris.",  # "an" before a vowel
        "According to the July 6 report, the route was safe.",  # the only one of its day
        "According to report 2, the riders rested.",  # July 21 holds two: [2]
        "According to a July 8 report, the sun came out.",
        "According to another report, the jersey changed.",
        "The race went on.",
    ]
    # across years, the year too; the verifier still reads the claim behind the commas
    years = {"a1": date(2007, 9, 22), "a2": date(2008, 4, 5)}
    varied = vary_unnamed_reports(sentences[2:4], years)
    assert [s.text for s in varied] == [
        "According to an April 5, 2008, report, Vinokourov won stage 13.",
        "Another report says that the Kazakh rider attacked early.",  # [3] has no date here
    ]
    assert claim_of(varied[0].text, []) == "Vinokourov won stage 13."
    assert claim_of("A July 21 report says that the rider won.", []) == "The rider won."
    assert vary_unnamed_reports(varied, years) == varied  # running it again changes nothing


def test_report_days_only_when_the_story_ran_for_days() -> None:
    def article(name: str, published: datetime | None) -> Article:
        return Article(id=name, text="x", published_at=published)

    one_day = [article("a", datetime(2009, 6, 5, 8)), article("b", datetime(2009, 6, 5, 20))]
    assert report_days(one_day) == {}
    assert unnamed_growth({}) == 1  # "one report" -> "the same report"
    days = report_days([*one_day, article("c", datetime(2009, 6, 6)), article("d", None)])
    assert days == {"a": date(2009, 6, 5), "b": date(2009, 6, 5), "c": date(2009, 6, 6)}
    assert unnamed_growth(days) == 2  # "one" -> "a June 5"
    assert unnamed_growth({"a": date(2008, 12, 30), "b": date(2009, 1, 2)}) == 3  # + the year
    opening = "According to one report, the jet vanished."
    assert sequenced_length(opening, unnamed_growth(days)) == word_count(opening) + 2
    dated = vary_unnamed_reports([_sentence(opening, "c")], days)[0].text
    assert word_count(dated) == sequenced_length(opening, unnamed_growth(days))


def test_an_articles_own_dated_report_is_not_renamed_in_a_story_of_one_day() -> None:
    """ "The October 12 report says that ..." quotes a document; only in a story that ran
    for days, where the summary names reports by their day, is it a handle to sequence."""
    own = _sentence("The October 12 report says that the wall had cracked.", "a")
    assert vary_unnamed_reports([own]) == [own]
    assert vary_unnamed_reports([own], {}) == [own]
    claimed = "According to a July 21, 2007 report, the rider won."  # a model's comma left out
    assert claim_of(claimed, []) == "The rider won."


def test_an_institutions_name_keeps_its_capital_and_large_numbers_lose_theirs() -> None:
    """ "According to Outlet B, office of Management and Budget Director ..." lowered a name;
    "Millions of Americans" kept a capital mid-sentence."""
    office = "Office of Management and Budget Director Mick Mulvaney said no."
    assert attribute(office, "Outlet B", set(), {"office"}) == f"According to Outlet B, {office}"
    assert attribute("Office workers said no.", "B", set(), {"office"}).startswith(
        "According to B, office workers"
    )
    assert attribute("Residents of Paris said no.", "B", set(), {"residents"}).startswith(
        "According to B, residents of Paris"
    )
    assert attribute("Millions of Americans will lose coverage.", "B").startswith(
        "According to B, millions of Americans"
    )
