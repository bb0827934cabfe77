"""Reading model answers: the contract, the slips we accept, and errors a model can act on."""

from __future__ import annotations

import json

import pytest

from service.backends.summarizers.llm_answer import InvalidAnswer, parse_answer


def test_the_contract() -> None:
    content = json.dumps(
        {"sentences": [{"text": "A fact.", "citations": [1, 2]}, {"text": "B.", "citations": [3]}]}
    )
    assert parse_answer(content, 3) == [("A fact.", [1, 2]), ("B.", [3])]


def test_common_slips_are_accepted() -> None:
    fenced = '```json\n{"sentences": [{"text": "A fact. [2]", "citations": ["1"]}]}\n```'
    assert parse_answer(fenced, 3) == [("A fact.", [1, 2])]
    prose = 'Here you go: [{"text": "A fact.", "citations": "[1], [3]"}] Hope it helps.'
    assert parse_answer(prose, 3) == [("A fact.", [1, 3])]
    uncited = (
        '{"sentences": [{"text": "A fact.", "citations": []}, {"text": "B.", "citations": [1]}]}'
    )
    assert parse_answer(uncited, 3)[0] == ("A fact.", [])  # the verifier re-attributes it
    preamble = (
        "Based on articles [1] and [2], here is the summary:\n"
        '```json\n{"sentences": [{"text": "A fact.", "citations": [2]}]}\n```'
    )
    assert parse_answer(preamble, 3) == [("A fact.", [2])]  # the fenced answer, not "[1]"
    preamble_unfenced = 'From [1] and [3]: {"sentences": [{"text": "B.", "citations": [3]}]}'
    assert parse_answer(preamble_unfenced, 3) == [("B.", [3])]


@pytest.mark.parametrize(
    ("citations", "expected"),
    [
        ("[2.0]", [2]),
        ("2.0", [2]),
        ("[2e0]", [2]),
        ("[1, 2.0]", [1, 2]),
        ('"[2.0]"', [2]),
        ('"2.0"', [2]),
        ('"[1.0], [2]"', [1, 2]),
    ],
)
def test_integral_floats_are_article_numbers(citations: str, expected: list[int]) -> None:
    """A model that writes 2 as 2.0 still cites article 2 (not 2 and 0, nor an invalid answer)."""
    content = f'{{"sentences": [{{"text": "A.", "citations": {citations}}}]}}'
    assert parse_answer(content, 3) == [("A.", expected)]


def test_out_of_range_numbers_are_kept_for_the_verifier() -> None:
    content = '{"sentences": [{"text": "A.", "citations": [1, 9]}]}'
    assert parse_answer(content, 3) == [("A.", [1, 9])]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("Sure! Here is a summary.", "not JSON"),
        ('{"summary_text": "A."}', 'no "sentences" list'),
        ('{"sentences": []}', "no sentences"),
        ('{"sentences": ["A."]}', "not an object"),
        ('{"sentences": [{"citations": [1]}]}', 'no "text"'),
        ('{"sentences": [{"text": "A.", "citations": [true]}]}', "article numbers"),
        ('{"sentences": [{"text": "A.", "citations": [2.5]}]}', "article numbers"),
        ('{"sentences": [{"text": "A.", "citations": "[2.5]"}]}', "article numbers"),
        ('{"sentences": [{"text": "A.", "citations": [9]}]}', "from 1 to 3"),
        ("  \n ", "the answer was empty"),
    ],
)
def test_invalid_answers_say_what_is_wrong(content: str, reason: str) -> None:
    with pytest.raises(InvalidAnswer, match=reason):
        parse_answer(content, 3)


def test_several_sentences_in_one_item_are_checked_one_by_one() -> None:
    content = json.dumps(
        {
            "sentences": [
                {
                    "text": "Two inquiries were opened in London [2]. Heavy rain fell in Chile [3].",
                    "citations": [1],
                }
            ]
        }
    )
    assert parse_answer(content, 3) == [
        ("Two inquiries were opened in London.", [1, 2]),
        ("Heavy rain fell in Chile.", [1, 3]),
    ]


def test_a_citation_that_is_no_article_number_costs_only_itself() -> None:
    """One `4.5` or `true` had thrown out every sentence of the answer (a repair, then the
    next model or the extractive summary)."""
    content = json.dumps(
        {
            "sentences": [
                {"text": "Dock workers went on strike.", "citations": [1, 4.5]},
                {"text": "Ships waited offshore.", "citations": [True]},
            ]
        }
    )
    assert parse_answer(content, 3) == [
        ("Dock workers went on strike.", [1]),
        ("Ships waited offshore.", []),  # the verifier credits it to what supports it, or drops it
    ]


def test_of_several_answers_in_prose_the_last_is_read() -> None:
    """ "Draft: {...} Final answer: {...}" had been read as its draft."""
    draft = answer_json(("The draft sentence.", [1]))
    final = answer_json(("The final sentence.", [2]))
    assert parse_answer(f"Draft: {draft}\nFinal answer: {final}", 3) == [
        ("The final sentence.", [2])
    ]
    fenced = f"Draft: {draft}\n```json\n{final}\n```\nThat is all."
    assert parse_answer(fenced, 3) == [("The final sentence.", [2])]


@pytest.mark.parametrize(
    ("citations", "expected"),
    [('["1-3"]', [1, 2, 3]), ('"2 - 3"', [2, 3]), ('["1–2", "4"]', [1, 2, 4])],
)
def test_a_citation_range_cites_every_article_in_it(citations: str, expected: list[int]) -> None:
    """ "1-3" had been read as articles 1 and 3."""
    content = f'{{"sentences": [{{"text": "A.", "citations": {citations}}}]}}'
    assert parse_answer(content, 4) == [("A.", expected)]


@pytest.mark.parametrize("citations", ['["3-1"]', '["1-900"]'])
def test_a_range_that_names_no_articles_is_refused(citations: str) -> None:
    content = f'{{"sentences": [{{"text": "A.", "citations": {citations}}}]}}'
    with pytest.raises(InvalidAnswer, match="citations must be article numbers"):
        parse_answer(content, 3)


def test_a_bracketed_number_inside_a_phrase_is_text_not_a_citation() -> None:
    """ "52 [48] percent" had lost its "[48]" to the citations; a marker where a citation
    goes (before a clause's or a sentence's punctuation, or at the end) is still read."""
    content = answer_json(("Approval rose to 52 [48] percent in May [2].", [1]))
    assert parse_answer(content, 3) == [("Approval rose to 52 [48] percent in May.", [1, 2])]
    content = answer_json(("The ferry sank [1], and 35 people died [2]", []))
    assert parse_answer(content, 3) == [("The ferry sank, and 35 people died", [1, 2])]


def answer_json(*sentences: tuple[str, list[int]]) -> str:
    return json.dumps({"sentences": [{"text": t, "citations": c} for t, c in sentences]})
