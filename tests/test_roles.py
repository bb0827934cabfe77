"""The titles a text gives people, and the claims that give them another."""

from service.models import Article, Summary, SummarySentence
from service.pipeline.roles import mistitled, titled_people
from service.pipeline.verify import Verifier


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


def test_a_claim_mistitles_only_a_person_the_article_titles_otherwise() -> None:
    article = titled_people("Greek Prime Minister Kyriakos Mitsotakis met Sen. Warren.")
    assert mistitled(titled_people("Greek President Mitsotakis spoke."), article) == 1
    assert mistitled(titled_people("Premier Mitsotakis spoke."), article) == 0
    assert mistitled(titled_people("Senator Warren spoke."), article) == 0
    # an article that gives a person no title says nothing either way
    assert mistitled(titled_people("President Biden spoke."), article) == 0


def test_the_verifier_drops_a_sentence_that_gives_a_person_the_wrong_office(embedder) -> None:
    articles = [
        Article(
            id="a",
            source="Outlet A",
            text="Greek Prime Minister Kyriakos Mitsotakis announced new wildfire aid on "
            "Monday. The aid will go to farmers on the island of Evia.",
        )
    ]
    summary = Summary(
        sentences=[
            SummarySentence(
                text="Greek President Kyriakos Mitsotakis announced new wildfire aid on Monday.",
                citations=[1],
                article_ids=[],
            ),
            SummarySentence(
                text="The aid will go to farmers on the island of Evia.",
                citations=[1],
                article_ids=[],
            ),
        ],
        backend="test",
    )
    verified = Verifier(embedder).verify(summary, articles)
    assert [s.text for s in verified.sentences] == [summary.sentences[1].text]
    assert verified.dropped[0].text.startswith("Greek President")
