"""The proper-name test of the support judge: names compared as a reader compares them."""

import pytest

from service.pipeline.names import checked_names, name_vocabulary, names_it


def _named(article_words: str, claim: str) -> dict[str, bool]:
    vocabulary = name_vocabulary(article_words.lower().split())
    return {name: names_it(vocabulary, name) for name in checked_names(claim)}


@pytest.mark.parametrize(
    ("article", "claim"),
    [
        ("sanctions on iran", "On Monday the court fined Iranian banks."),
        ("iranian banks were fined", "On Monday the court fined banks in Iran."),
        ("são paulo flooded", "Heavy rain hit Sao Paulo on Monday."),
        ("the coastguard of ireland said", "On Monday the Irish coastguard said."),
        ("german officials said", "Officials in Germany said."),
        ("canadian officials said", "Officials from Canada met."),
        ("officials from canada met", "Officials said Canadian banks met."),
        ("officials in germany said", "Officials said German banks would pay."),
        ("the senator joe manchin voted", "On Monday Sen. Joe Manchin voted in October."),
        ("britain and scotland", "Officials said Britons and Scots voted."),
    ],
)
def test_a_name_is_found_in_its_country_or_peoples_word_and_without_accents(
    article: str, claim: str
) -> None:
    found = _named(article, claim)
    assert found and all(found.values()), found


@pytest.mark.parametrize(
    ("article", "claim"),
    [
        ("australia won the match", "On Monday Austria won the match."),
        ("niger held elections", "Voters in Nigeria went to the polls."),
        ("the ship sank off brazil", "The ship sank off the coast of Nigeria."),
        ("the navy of brazil said", "Officials said Nigeria's navy found the ship."),  # possessive
        ("minister kelly met them", "Officials said O'Neill met them."),  # by its parts
    ],
)
def test_another_place_with_a_like_beginning_is_not_the_same_place(
    article: str, claim: str
) -> None:
    assert not all(_named(article, claim).values())


def test_spelled_out_initials_acronyms_and_sources_are_not_checked() -> None:
    assert checked_names("On Monday the United States and the UN met.") == set()
    assert checked_names("According to The New York Times, two people died.") == set()


def test_the_eu_un_and_uk_are_named_in_any_of_their_spellings() -> None:
    """ "The European Union has released a statement ..." was cited to a report that never
    names the EU (its words are too short to be content words, so no test saw them)."""
    from service.pipeline.names import bodies_named, claimed_bodies

    assert bodies_named("The EU said.") == bodies_named("E.U. leaders met.") == {"european union"}
    assert bodies_named("The European Union said.") == {"european union"}
    assert bodies_named("U.N. envoys and the UN met.") == {"united nations"}
    assert bodies_named("British sailors") == bodies_named("The U.K. said") == {"united kingdom"}
    assert bodies_named("the un-named eu-style plan, a union of states") == frozenset()
    assert bodies_named("British Columbia wildfires") == frozenset()  # a province of Canada
    assert claimed_bodies("According to the European Union, talks failed.") == frozenset()


def test_a_claim_naming_the_eu_is_not_supported_by_an_article_that_never_does(
    embedder,
) -> None:
    from service.pipeline.sentences import split_sentences
    from service.pipeline.support import ClusterEvidence

    texts = {
        "eu": "The EU has called for the release of the 15 sailors held in Iran.",
        "iran": "Iran has suspended the release of the 15 sailors held since March 23.",
    }
    sentences = [s for aid, text in texts.items() for s in split_sentences(aid, text)]
    vectors = embedder.encode([s.text for s in sentences])
    evidence = ClusterEvidence.build(list(texts), sentences, vectors, texts, check_names=True)
    claim = "The European Union has called for the release of the 15 sailors held in Iran."
    found = evidence.features(claim, embedder.encode([claim])[0])
    assert found["eu"].missing_names == 0 and found["iran"].missing_names == 1
