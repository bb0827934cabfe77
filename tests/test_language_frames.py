"""Attributions in the story's own language: a German or French story's single-source
claims had read "According to Tagesblatt, bei schweren Unwettern ..."."""

from __future__ import annotations

import pytest

from service.backends.summarizers.attribution import attribute
from service.backends.summarizers.extractive import ExtractiveSummarizer
from service.pipeline import language
from service.pipeline.language import story_language, text_language
from service.pipeline.verify import claim_of, credited_outlet
from tests.conftest import make_article
from tests.fake_llm_server import fake_llm  # noqa: F401  (a fixture)

STORM = [
    (
        "Tagesblatt",
        "Bei schweren Unwettern in Bayern sind am Montag zwei Menschen ums Leben gekommen. "
        "Die Feuerwehr rückte nach Angaben der Behörden zu mehr als 400 Einsätzen aus. "
        "Der Bürgermeister kündigte Soforthilfen für betroffene Familien an.",
    ),
    (
        "Morgenpost",
        "Schwere Unwetter haben in Bayern am Montag zwei Menschenleben gefordert. "
        "Die Feuerwehr war nach Angaben der Behörden bei mehr als 400 Einsätzen im Einsatz. "
        "Die Bahn stellte den Verkehr zwischen Regensburg und Nürnberg für mehrere Stunden ein.",
    ),
]
STRIKE = [
    (
        "Le Quotidien",
        "Les dockers du port de Marseille ont entamé une grève lundi pour réclamer des hausses "
        "de salaire. Une quarantaine de navires attendent au large selon la capitainerie. "
        "Le syndicat affirme que les négociations avec la direction sont rompues depuis deux "
        "semaines.",
    ),
    (
        "La Gazette",
        "Une grève des dockers paralyse le port de Marseille depuis lundi, les salariés "
        "réclamant des hausses de salaire. Selon la capitainerie, une quarantaine de navires "
        "attendent au large. Les exportateurs de vin craignent des pertes importantes si le "
        "mouvement dure.",
    ),
]


def _story(rows: list[tuple[str, str]], **fields: object) -> list:
    return [
        make_article(f"a{n}", text, source=outlet, title=f"Report {n}", **fields)
        for n, (outlet, text) in enumerate(rows)
    ]


def test_a_story_reads_as_the_language_its_text_is_written_in() -> None:
    assert story_language(_story(STORM)) == "de"
    assert story_language(_story(STRIKE)) == "fr"
    assert text_language("Dock workers went on strike on Monday over pay, the union said.") == "en"
    assert text_language("") == "en"  # nothing to read: the summary's own default


def test_english_is_told_without_loading_the_identifier(monkeypatch) -> None:
    """py3langid takes about a second to load: an English story never pays for it."""

    def unloadable() -> None:
        raise AssertionError("the identifier was loaded for English text")

    monkeypatch.setattr(language, "_identifier", unloadable)
    english = "The storm closed three ports on the coast on Tuesday, officials said."
    assert story_language([make_article("a", english), make_article("b", english)]) == "en"


def test_the_articles_declared_language_decides_when_most_declare_one(monkeypatch) -> None:
    monkeypatch.setattr(language, "_identifier", lambda: pytest.fail("not read when declared"))
    assert story_language(_story(STRIKE, language="fr-FR")) == "fr"
    assert story_language(_story(STORM, language="DE_at")) == "de"
    mixed = _story(STORM)
    mixed[0] = mixed[0].model_copy(update={"language": "de"})  # one of two: not "most"
    monkeypatch.undo()
    assert story_language(mixed) == "de"  # the text decides


@pytest.mark.parametrize(
    ("language_code", "outlet", "claim", "attributed"),
    [
        (
            "fr",
            "Le Soir",
            "Les exportateurs de vin craignent des pertes.",
            "Selon Le Soir, les exportateurs de vin craignent des pertes.",
        ),
        (
            "fr",
            "Le Soir",  # already "Selon ...": no second one
            "Selon la capitainerie, une quarantaine de navires attendent.",
            "Le Soir rapporte : Selon la capitainerie, une quarantaine de navires attendent.",
        ),
        (
            "es",
            None,
            "La empresa cerró la planta.",
            "Según un artículo, la empresa cerró la planta.",
        ),
        (  # German would move the verb after "Laut X": the sentence stays as written
            "de",
            "Tagesblatt",
            "Bei schweren Unwettern sind zwei Menschen gestorben.",
            "Tagesblatt meldet: Bei schweren Unwettern sind zwei Menschen gestorben.",
        ),
        ("nl", None, "De haven is dicht.", "Een bericht meldt: De haven is dicht."),
        ("pl", "Gazeta", "Port jest zamknięty.", "Gazeta: Port jest zamknięty."),
        ("en", "Outlet B", "The port is shut.", "According to Outlet B, the port is shut."),
    ],
)
def test_a_single_source_claim_is_attributed_in_its_story_language(
    language_code: str, outlet: str | None, claim: str, attributed: str
) -> None:
    names = {"Le Soir"}
    lowercase = {"les", "la", "de"}
    assert attribute(claim, outlet, names, lowercase, language_code) == attributed


@pytest.mark.parametrize(
    ("sentence", "outlet", "claim"),
    [
        ("Tagesblatt meldet: Die Bahn stand still.", "Tagesblatt", "Die Bahn stand still."),
        ("Le Soir rapporte : les navires attendent.", "Le Soir", "Les navires attendent."),
        ("Selon Le Soir, les navires attendent.", "Le Soir", "Les navires attendent."),
        ("Gazeta: Port jest zamknięty.", "Gazeta", "Port jest zamknięty."),
        ("Ein Bericht meldet: Die Bahn stand still.", None, "Die Bahn stand still."),
    ],
)
def test_the_verifier_reads_the_credit_and_the_claim_of_those_attributions(
    sentence: str, outlet: str | None, claim: str
) -> None:
    outlets = ["Tagesblatt", "Le Soir", "Gazeta", "Other"]
    assert credited_outlet(sentence, outlets) == outlet
    assert claim_of(sentence, outlets) == claim


def test_extractive_summaries_attribute_in_the_story_language(embedder) -> None:
    summarizer = ExtractiveSummarizer(embedder)
    for rows, opening in ((STORM, "{} meldet: "), (STRIKE, "Selon {}, ")):
        summary = summarizer.summarize(_story(rows), max_words=120)
        texts = [s.text for s in summary.sentences]
        single = [s for s in summary.sentences if len(s.citations) == 1]
        assert single, texts  # each story has claims only one outlet makes
        for sentence in single:
            outlet = rows[sentence.citations[0] - 1][0]
            assert sentence.text.startswith(opening.format(outlet)), texts
        assert not any("According to" in t for t in texts)


def test_each_claim_is_attributed_in_the_language_of_its_own_article(embedder) -> None:
    """A story told by German and English outlets: "Tagesblatt meldet: ..." for a German
    sentence, "According to Daily Wire, ..." for an English one."""
    english = make_article(
        "en",
        "Two people died in severe storms in Bavaria on Monday, officials said. A falling "
        "tree crushed a parked car in Munich, and the city closed two parks for the week.",
        source="Daily Wire",
        title="Storms kill two in Bavaria",
    )
    story = [*_story(STORM), english]
    summary = ExtractiveSummarizer(embedder).summarize(story, max_words=150)
    single = {s.citations[0]: s.text for s in summary.sentences if len(s.citations) == 1}
    assert single.get(3, "").startswith("According to Daily Wire, "), single
    german = [text for number, text in single.items() if number in (1, 2)]
    assert german and all(" meldet: " in text for text in german), single


def test_an_llm_is_asked_to_write_in_the_story_language_and_its_credits_are_read(
    fake_llm,  # noqa: F811
    tmp_path,
    embedder,
) -> None:
    """A German story: the request names German and the German attribution; the model's
    German answer is verified, its credit read, and a single-source claim it left bare is
    attributed in German."""
    from service.backends.summarizers.llm import LLMSummarizer
    from service.config import Settings
    from tests.fake_llm_server import Reply, answer

    tagesblatt, morgenpost = STORM[0][1], STORM[1][1]
    fake_llm.script(
        Reply(
            answer(
                (tagesblatt.split(". ")[0] + ".", [1, 2]),
                ("Tagesblatt meldet: " + tagesblatt.split(". ")[2], [1]),
                (morgenpost.split(". ")[2], [2]),  # left bare: attributed after
            )
        )
    )
    settings = Settings(
        backend="openai/gpt-4o-mini",
        api_base=fake_llm.base_url,
        llm_cache="none",
        data_dir=tmp_path,
        llm_max_retries=1,
    )
    summary = LLMSummarizer("openai/gpt-4o-mini", settings=settings, embedder=embedder).summarize(
        _story(STORM), max_words=120
    )
    (request,) = fake_llm.requests
    user = request.body["messages"][1]["content"]
    assert "in German:" in user and "as: <outlet> meldet: ..." in user
    texts = [s.text for s in summary.sentences]
    assert summary.backend == "openai/gpt-4o-mini", summary.notes
    assert texts[1].startswith("Tagesblatt meldet: Der Bürgermeister"), texts
    assert texts[2].startswith("Morgenpost meldet: Die Bahn stellte"), texts
    assert not any("According to" in t for t in texts)


def test_a_short_text_in_another_script_is_not_taken_for_english() -> None:
    """Two sentences of Chinese read as Chinese at 0.58 only: they had been read as English,
    and attributed "According to 新华社, ..."."""
    chinese = "台风登陆广东. 强台风周二在广东沿海登陆，造成大范围停电。当局已疏散数万名居民。"
    assert text_language(chinese) == "zh"
    assert attribute("强台风周二在广东沿海登陆。", "新华社", language=text_language(chinese)) == (
        "新华社: 强台风周二在广东沿海登陆。"
    )
    assert text_language("Obama said on Tuesday.") == "en"  # Latin letters, unsure: English
