from service.pipeline.sentences import split_paragraph, split_sentences


def test_abbreviations_and_initials_do_not_split() -> None:
    text = "Mr. Smith met Dr. Jones in the U.S. capital on Monday. John F. Kennedy was cited."
    assert split_paragraph(text) == [
        "Mr. Smith met Dr. Jones in the U.S. capital on Monday.",
        "John F. Kennedy was cited.",
    ]


def test_quotes_stay_with_their_sentence() -> None:
    text = 'He said "the talks failed." Officials left the room at noon.'
    assert split_paragraph(text) == [
        'He said "the talks failed."',
        "Officials left the room at noon.",
    ]


def test_headings_and_datelines_are_not_sentences() -> None:
    text = "Strike at the port\n\nMonday, July 2, 2007\n\nWorkers walked out at the port today."
    assert [s.text for s in split_sentences("x", text)] == ["Workers walked out at the port today."]


def test_punctuation_only_chunks_do_not_break_the_splitter() -> None:
    assert split_paragraph("... And then it rained. Next came snow.") == [
        "...",
        "And then it rained.",
        "Next came snow.",
    ]


def test_list_markers_are_not_part_of_the_sentence() -> None:
    text = "Findings in the papers:\n\n    * In Sri Lanka the ground moved nearly 10 centimetres.\n• The rupture spread from south to north."
    sentences = [s.text for s in split_sentences("a", text)]
    assert sentences == [
        "In Sri Lanka the ground moved nearly 10 centimetres.",
        "The rupture spread from south to north.",
    ]


def test_datelines_and_run_in_dates_are_not_part_of_the_first_sentence() -> None:
    text = (
        "Saturday, January 15, 2005 TEXAS, US – A United States Army court martial found "
        "Army Spc. Charles Graner guilty of abusing prisoners.\n"
        "WASHINGTON (Reuters) - The Senate passed the bill on Monday.\n"
        "NATO said the talks would resume in May.\n"
        "Meadow Lake, Saskatchewan – The council said it donated $10,000 by mistake.\n"
        "Paris, Texas - a town of 25,000 - voted on Monday.\n"
        "(CNN) - Protests spread to six more states on Friday.\n"
        "(CNN)Patience with the closures is wearing thin in many towns.\n"
        "(Officials had warned of this in March.) The rules stayed in place."
    )
    assert [s.text for s in split_sentences("a", text)] == [
        "A United States Army court martial found Army Spc. Charles Graner guilty of "
        "abusing prisoners.",
        "The Senate passed the bill on Monday.",
        "NATO said the talks would resume in May.",
        "The council said it donated $10,000 by mistake.",
        "Paris, Texas - a town of 25,000 - voted on Monday.",
        "Protests spread to six more states on Friday.",
        "Patience with the closures is wearing thin in many towns.",
        "(Officials had warned of this in March.)",
        "The rules stayed in place.",
    ]


def test_a_quotation_the_splitter_cut_is_joined_back() -> None:
    text = '"We will win. We have the votes," the senator said. The vote is on Friday.'
    assert split_paragraph(text) == [
        '"We will win. We have the votes," the senator said.',
        "The vote is on Friday.",
    ]
    # a quotation that runs on into the next paragraph (news style) is left as it was
    assert split_paragraph("“We will win. We have the votes. Nobody doubts it.") == [
        "“We will win.",
        "We have the votes.",
        "Nobody doubts it.",
    ]
