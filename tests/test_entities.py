from service.pipeline.entities import (
    compound_heads,
    months_mentioned,
    named_entities,
    weekdays_mentioned,
    years_mentioned,
)
from service.pipeline.sentences import split_paragraph


def test_names_past_the_first_word_are_found() -> None:
    text = "Actor Peter Capaldi was named on Sunday. The BBC said Capaldi starts next year."
    names = named_entities(text)
    assert {"peter", "capaldi", "bbc"} <= set(names)
    assert names.count("capaldi") == 2  # repeats kept, so TF-IDF can weigh them
    # grammar capitals are not names
    assert not {"the", "sunday", "actor"} & set(names)


def test_sentence_opener_counts_only_when_also_written_mid_sentence() -> None:
    assert "obama" in named_entities("Obama spoke first. Reporters asked Obama about it.")
    assert "reporters" not in named_entities("Obama spoke first. Reporters asked Obama about it.")


def test_text_without_names() -> None:
    assert named_entities("prices rose again this week, traders said.") == []


def test_years_are_found_in_dates_and_prose_but_not_in_other_numbers() -> None:
    text = "4 October 2013, 18:07. Unlike the 1999 quake, 2,013 people and $2000 cost; v2010.5"
    assert years_mentioned(text) == {"2013", "1999"}
    assert years_mentioned("12013 votes, 20150 fans, 1850 and 2075") == set()


def test_months_are_found_by_name() -> None:
    text = "Figures for March were published on April 9. In May, the count rose."
    assert months_mentioned(text) == {"March", "April", "May"}
    assert months_mentioned("no month here, only a maybe") == set()


def test_a_word_capitalised_only_to_open_a_longer_name_is_not_a_name_of_its_own() -> None:
    text = (
        "The jet's Aircraft Communications Addressing and Reporting System sent messages.\n"
        "State Department spokesman Ned Price briefed reporters. Later, said Price, talks "
        "resume. The price of oil rose. Golfer Justin Rose led after a round of 66."
    )
    heads = compound_heads(s for line in text.split("\n") for s in split_paragraph(line))
    assert "aircraft" in heads  # "Aircraft and water vessels ..." is lowered after "According to"
    assert "price" not in heads and "rose" not in heads  # surnames: alone, or after a first name


def test_named_days_are_not_the_days_of_a_story() -> None:
    text = "On Black Friday, The Sunday Times said on Monday that Good Friday fell on a Friday."
    assert weekdays_mentioned(text) == {"monday", "friday"}
    assert weekdays_mentioned("Super Tuesday results came in on Wednesday.") == {"wednesday"}
