"""Speakers a summary quotes by surname are introduced by the full name their article gave."""

from service.backends.embedders import Embedder
from service.backends.summarizers.extractive import ExtractiveSummarizer
from service.backends.summarizers.speakers import (
    Introduction,
    full_names,
    introduce_people,
    people_introductions,
    shorten_repeats,
)
from service.models import Article


def test_full_names_drop_leading_common_words_and_titles() -> None:
    names = full_names(
        "President Donald Trump met Yitzhak Ben-Zvi. Then Mike Johnson left with Cathy L. Lanier."
        " Nevada Governor Brian Sandoval stayed. France's Carmat grew."
    )
    assert names == {
        "Trump": {"Donald Trump"},
        "Ben-Zvi": {"Yitzhak Ben-Zvi"},
        "Johnson": {"Mike Johnson"},
        "Lanier": {"Cathy L. Lanier"},
        "Sandoval": {"Brian Sandoval"},
    }  # not "Carmat": a possessive leaves one word


def test_only_a_bare_speaker_or_subject_with_one_known_full_name_is_written_out() -> None:
    known = {"Bilham": {"Roger Bilham"}, "Bush": {"George Bush", "Laura Bush"}}
    bilham = Introduction("Roger Bilham", "Bilham")
    assert introduce_people('"It shook," said Bilham.', known) == (
        '"It shook," said Roger Bilham.',
        (bilham,),
    )
    assert introduce_people("Bilham told reporters it shook.", known) == (
        "Roger Bilham told reporters it shook.",
        (bilham,),
    )
    # the subject of a sentence is the other place a bare surname is nearly always a person
    assert introduce_people("Bilham measured it.", known) == (
        "Roger Bilham measured it.",
        (bilham,),
    )
    for unchanged in [
        "Bush said no.",  # which Bush?
        "Roger Bilham said it shook, Bilham added.",  # introduced already
        "Tom Bilham said it shook.",  # another Bilham
        "The team of Bilham measured it.",  # neither speaker nor subject
        '"It is what Bilham said," she said.',  # a quotation stays as it was said
        "“It is what Bilham said,” she said.",
    ]:
        assert introduce_people(unchanged, known) == (unchanged, ()), unchanged
    assert introduce_people("Police said no.", {"Police": {"Capitol Police"}})[1] == ()
    assert introduce_people("The storm continued Friday.", {"Friday": {"Black Friday"}})[1] == ()


def test_every_person_of_a_sentence_is_introduced_once() -> None:
    known = {"Plotts": {"Richard Plotts"}, "Whelan": {"Jack Whelan"}}
    text, made = introduce_people(
        "Plotts was hit twice, Whelan said, and Whelan added more.", known
    )
    assert text == "Richard Plotts was hit twice, Jack Whelan said, and Whelan added more."
    assert made == (Introduction("Richard Plotts", "Plotts"), Introduction("Jack Whelan", "Whelan"))


def test_only_names_given_before_the_sentence_count() -> None:
    introduced = people_introductions(
        ['"It shook," said Bilham.', "Roger Bilham is a geologist.", '"Huge," Bilham said.']
    )
    assert introduced[0] == ('"It shook," said Bilham.', ())
    assert introduced[1] == ("Roger Bilham is a geologist.", ())
    assert introduced[2] == (
        '"Huge," Roger Bilham said.',
        (Introduction("Roger Bilham", "Bilham"),),
    )


def test_the_full_name_stays_only_at_its_first_mention() -> None:
    bilham = Introduction("Roger Bilham", "Bilham")
    texts = ["Roger Bilham said it shook.", "It was huge, Roger Bilham added.", "Ships left."]
    assert shorten_repeats(texts, [(bilham,), (bilham,), ()]) == [
        "Roger Bilham said it shook.",
        "It was huge, Bilham added.",
        "Ships left.",
    ]


def test_a_quoted_speaker_is_introduced_in_the_summary(embedder: Embedder) -> None:
    text = (
        "Who is Roger Bilham, the geologist everyone quotes today?\n"
        "The earthquake of December 26 lasted for almost ten minutes, seismologists said.\n"
        '"No point on Earth remained undisturbed by the quake," said Bilham on Monday.'
    )
    article = Article(id="quake", title="Longest quake", text=text, source="Science Daily")
    summary = ExtractiveSummarizer(embedder).summarize([article], max_words=200)
    quoted = [s.text for s in summary.sentences if "undisturbed" in s.text]
    assert quoted == [
        '"No point on Earth remained undisturbed by the quake," said Roger Bilham on Monday.'
    ]
