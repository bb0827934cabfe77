"""A story's heading reads neutral: no opinion headline, no loaded word, no export date."""

import numpy as np

from service.pipeline.cluster import by_centrality
from service.pipeline.titles import shown_title, story_title, without_leading_date


def test_the_most_typical_neutral_headline_is_the_heading() -> None:
    assert story_title(["Port strike halts cargo", "Dock workers walk out"]) == (
        "Port strike halts cargo"
    )
    opinion = "White Christian conservatives should oppose protests by white supremacists."
    assert story_title([opinion, "Rally planned in Charlottesville"]) == (
        "Rally planned in Charlottesville"
    )
    assert story_title(["Reality check: the wall", "Border wall funding vote"]) == (
        "Border wall funding vote"
    )
    assert story_title(["Is the port strike over?", "Talks resume at the port"]) == (
        "Talks resume at the port"
    )


def test_loaded_words_are_reworded_or_the_next_headline_is_taken() -> None:
    assert story_title(["The regime's ships leave port"]) == "The government's ships leave port"
    assert "dictator" not in story_title(["The dictator speaks", "President gives a speech"])
    # every headline an opinion: the most typical one, as neutral as it can be made
    assert story_title(["Voters should decide", "Why we must act?"]) == "Voters should decide"
    assert story_title([]) == ""


def test_a_date_in_front_of_a_headline_is_not_part_of_it() -> None:
    assert without_leading_date("2005/01/08 Tsunami aid donations deductible") == (
        "Tsunami aid donations deductible"
    )
    assert without_leading_date("08-01-2005 – Aid") == "Aid"
    assert without_leading_date("2005 budget passes") == "2005 budget passes"
    assert without_leading_date("2005/01/08") == "2005/01/08"  # nothing else to keep


def test_members_come_most_typical_first() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.8, 0.6]])
    assert by_centrality(vectors, [0, 1, 2])[0] == 2
    assert sorted(by_centrality(vectors, [0, 1, 2])) == [0, 1, 2]


def test_when_every_headline_argues_the_heading_drops_its_opinion_label() -> None:
    assert story_title(["Opinion: The dictator's regime must fall"]) == (
        "The leader's government must fall"
    )
    assert story_title(["Analysis — Why rates rose", "Opinion: rates"]) == "Why rates rose"
    assert story_title(["Opinion: rates", "Fed raises rates"]) == "Fed raises rates"


def test_a_paragraph_for_a_title_is_shown_as_its_first_sentence_or_first_words() -> None:
    """A record without a title is titled by its first line, a whole paragraph: it had
    been the story's heading and its source line."""
    text = (
        "A magnitude 6.2 earthquake struck the coast on Monday. Rescue teams searched the "
        "rubble through the night. At least 12 people died, officials said on Tuesday."
    )
    first = "A magnitude 6.2 earthquake struck the coast on Monday."
    assert shown_title(text) == first and story_title([text]) == first
    run_on = "word " * 60
    assert shown_title(run_on).endswith("word…") and len(shown_title(run_on)) <= 121
    assert shown_title("U.S. talks resume") == "U.S. talks resume"
    rest = " Rescue teams searched the rubble through the night, officials said on Tuesday."
    for first in (
        "The mayor of Valmora, Mr. Smith, resigned on Monday after a long dispute.",
        "Patients were taken to St. Mary's hospital on Monday after the crash.",
        "President Joe Biden met Gov. Gavin Newsom in Sacramento on Monday.",
    ):
        assert shown_title(first + rest) == first  # not cut after "Mr." or "St."
