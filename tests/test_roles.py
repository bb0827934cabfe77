"""The titles a text gives people, and the claims that give them another."""

from service.models import Article
from service.pipeline.roles import mistitled, titled_people
from service.pipeline.verify import Verifier
from tests.stories import draft_summary


def test_titles_are_read_before_names_in_one_spelling() -> None:
    found = titled_people(
        "Vice President Kamala Harris met Sen. Elizabeth Warren and Gov. Andrew Cuomo's "
        "aides; Congresswoman Omar and King Charles III joined former President Trump."
    )
    assert found == {
        "harris": {"vice president"},  # not "President Harris"
        "warren": {"senator"},
        "cuomo": {"governor"},
        "omar": {"representative"},
        "charles": {"king"},  # the regnal number is no surname
        "trump": {"president"},
    }
    assert titled_people("The president Biden named will lead the agency.") == {}
    assert titled_people("Mitsotakis, the prime minister, spoke.") == {}  # no title before
    # ranks and offices of several words, hyphenated or abbreviated, are titles of their own
    assert titled_people(
        "Lieutenant General Michael Flynn, Vice-President Harris, Lt. Gov. Dan Patrick and "
        "Surgeon General Vivek Murthy met General Secretary Xi Jinping."
    ) == {
        "flynn": {"lieutenant general"},
        "harris": {"vice president"},
        "patrick": {"lieutenant governor"},
        "murthy": {"surgeon general"},
        "jinping": {"general secretary"},
    }
    # a deputy's or an acting officer's title is another office; a weekday is no surname,
    # "May" may be one; a title that ends a sentence titles nobody in the next
    assert titled_people("Deputy Prime Minister Chrystia Freeland spoke.") == {
        "freeland": {"deputy prime minister"}
    }
    assert titled_people("President Biden Tuesday said") == {"biden": {"president"}}
    assert titled_people("Prime Minister Theresa May spoke.") == {"may": {"prime minister"}}
    assert titled_people("President George W. Bush spoke.") == {"bush": {"president"}}
    assert titled_people("Associate Justice Sonia Sotomayor wrote.") == {"sotomayor": {"justice"}}
    assert titled_people("It was vetoed by the President. Pelosi, the speaker, said so.") == {}


def test_a_claim_mistitles_only_a_person_the_article_titles_otherwise() -> None:
    article = titled_people("Greek Prime Minister Kyriakos Mitsotakis met Sen. Warren.")
    assert mistitled(titled_people("Greek President Mitsotakis spoke."), article) == 1
    assert mistitled(titled_people("Premier Mitsotakis spoke."), article) == 0
    assert mistitled(titled_people("Senator Warren spoke."), article) == 0
    # an article that gives a person no title says nothing either way
    assert mistitled(titled_people("President Biden spoke."), article) == 0
    # titles of different kinds can both be true; a rank is called by its short form; a vice
    # president is not the president
    other = titled_people(
        "General Secretary Xi Jinping met Vice President Harris and Lt. Gen. Michael Flynn."
    )
    assert mistitled(titled_people("Chinese President Xi Jinping spoke."), other) == 0
    assert mistitled(titled_people("General Michael Flynn spoke."), other) == 0
    assert mistitled(titled_people("Colonel Flynn spoke."), other) == 1
    assert mistitled(titled_people("President Harris spoke."), other) == 1
    # a deputy promoted by the claim is caught; the deputy's own title is not
    deputy = titled_people("Deputy Prime Minister Chrystia Freeland resigned.")
    assert mistitled(titled_people("Prime Minister Chrystia Freeland resigned."), deputy) == 1
    assert mistitled(titled_people("Deputy Prime Minister Freeland resigned."), deputy) == 0


def test_the_verifier_drops_a_sentence_that_gives_a_person_the_wrong_office(embedder) -> None:
    articles = [
        Article(
            id="a",
            source="Outlet A",
            text="Greek Prime Minister Kyriakos Mitsotakis announced new wildfire aid on "
            "Monday. The aid will go to farmers on the island of Evia.",
        )
    ]
    summary = draft_summary(
        ("Greek President Kyriakos Mitsotakis announced new wildfire aid on Monday.", [1]),
        ("The aid will go to farmers on the island of Evia.", [1]),
    )
    verified = Verifier(embedder).verify(summary, articles)
    assert [s.text for s in verified.sentences] == [summary.sentences[1].text]
    assert verified.dropped[0].text.startswith("Greek President")
