import re
import threading
from datetime import datetime

import numpy as np
import snowballstemmer

from service.backends.embedders import Embedder
from service.backends.summarizers.attribution import (
    report_days,
    unnamed_growth,
    vary_unnamed_reports,
)
from service.backends.summarizers.base import cite
from service.backends.summarizers.extractive import (
    Candidate,
    ExtractiveSummarizer,
    _eligible,
    _in_reading_order,
    latest_stage,
    repeats_a_chosen_fact,
    shared_word_weights,
    stemmed_words,
)
from service.models import Article, Summary
from service.pipeline.clean import clean_text
from service.pipeline.dates import anchor_relative_days, anchoring_growth, common_day
from service.pipeline.neutrality import find_loaded_terms, opens_dangling
from service.pipeline.run import DigestOptions, digest
from service.pipeline.sentences import (
    Sentence,
    quotes_balanced,
    split_sentences,
    word_count,
)
from tests.stories import comet_article, denial_article, strike_articles


def _summary(embedder: Embedder, max_words: int = 120):
    articles = [a.model_copy(update={"text": clean_text(a.text)}) for a in strike_articles()]
    return articles, ExtractiveSummarizer(embedder).summarize(articles, max_words=max_words)


def test_sentences_cite_every_supporting_article(embedder: Embedder) -> None:
    _, summary = _summary(embedder)
    assert summary.sentences
    cited = [s for s in summary.sentences if "40 container ships" in s.text]
    assert cited, summary.text
    # all three outlets report the 40 ships: all three are cited, not only the source
    assert cited[0].citations == [1, 2, 3]
    assert cited[0].article_ids == ["a", "b", "c"]


def test_loaded_wording_never_reaches_the_summary(embedder: Embedder) -> None:
    _, summary = _summary(embedder, max_words=400)
    assert find_loaded_terms(summary.text) == []
    assert "crackdown" not in summary.text


def test_single_source_claims_are_attributed(embedder: Embedder) -> None:
    _, summary = _summary(embedder, max_words=400)
    single = [s for s in summary.sentences if len(s.citations) == 1]
    assert single, "expected at least one single-outlet claim in a 400-word summary"
    for sentence in single:
        assert sentence.text.startswith("According to Outlet"), sentence.text
    multi = [s for s in summary.sentences if len(s.citations) > 1]
    assert all("According to" not in s.text for s in multi)


def test_length_bound_and_opening(embedder: Embedder) -> None:
    _, summary = _summary(embedder, max_words=40)
    assert 0 < summary.word_count <= 40
    assert not opens_dangling(summary.sentences[0].text)


def test_single_article_story_needs_no_attribution(embedder: Embedder) -> None:
    summary = ExtractiveSummarizer(embedder).summarize([comet_article()], max_words=60)
    assert summary.sentences
    assert all(s.citations == [1] for s in summary.sentences)
    assert "According to" not in summary.text
    # "It may become visible ..." must not open the summary
    assert not summary.sentences[0].text.startswith("It ")


def test_an_empty_summary_says_why(embedder: Embedder) -> None:
    brief = Article(id="b", title="Port", text="The port closed on Monday.")
    summary = ExtractiveSummarizer(embedder).summarize([brief], max_words=60)
    assert summary.sentences == []
    [note] = summary.notes
    assert note.startswith("no summary: none of the 1 sentence of these articles could stand")
    assert "1 under 6 words" in note and "give the articles' full text" in note
    scraps = Article(id="s", title="Brief", text="Short one. Another sentence here. Rain fell.")
    [note] = ExtractiveSummarizer(embedder).summarize([scraps], max_words=60).notes
    assert "no full sentence to quote" in note
    # a summary that has sentences carries no such note
    assert ExtractiveSummarizer(embedder).summarize([comet_article()], max_words=60).notes == []


def test_citation_markers_in_text(embedder: Embedder) -> None:
    _, summary = _summary(embedder)
    assert re.search(r"\.\[\d\](\[\d\])*", summary.text)


def test_words_most_outlets_use_weigh_more() -> None:
    weights = shared_word_weights(strike_articles())
    assert weights["valmora"] == 1.0  # every outlet names the port
    assert weights["ships"] == 1.0
    assert weights["exporters"] == 1 / 3  # only Outlet B mentions exporters


def test_single_source_pronoun_openers_are_left_out(embedder: Embedder) -> None:
    articles = [
        *strike_articles()[1:],
        Article(
            id="d",
            title="Valmora strike",
            text="Dock workers at the port of Valmora went on strike on Monday over pay. "
            "They said the harbour master had ignored their letters for months.",
            source="Outlet D",
        ),
    ]
    summary = ExtractiveSummarizer(embedder).summarize(articles, max_words=400)
    assert summary.sentences
    assert not any("harbour master" in s.text for s in summary.sentences), summary.text


class _Recording:
    """The real embedder, recording every text it is asked for and the thread asking."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.texts: list[str] = []
        self.threads: set[int] = set()

    def encode(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        self.threads.add(threading.get_ident())
        return self.inner.encode(texts)


def test_digest_embeds_each_sentence_once_on_one_thread_beside_the_caller(
    embedder: Embedder,
) -> None:
    recording = _Recording(embedder)
    articles = [*strike_articles(), comet_article()]
    result = digest(articles, DigestOptions(backend="extractive"), embedder=recording)
    assert len(result.clusters) == 2 and all(c.summary.sentences for c in result.clusters)
    sentences = {s.text for a in articles for s in split_sentences(a.id, a.text)}
    assert sentences <= set(recording.texts)
    assert len(recording.texts) == len(set(recording.texts))  # nothing embedded twice
    # the articles in the calling thread, which then summarizes, and the sentences ahead of
    # it on one thread of their own: no pool of workers for local work
    assert threading.get_ident() in recording.threads and len(recording.threads) == 2


def _candidate(article_id: str, index: int, text: str, score: float, axis: int) -> Candidate:
    vector = np.zeros(8, dtype=np.float32)
    vector[axis] = 1.0  # orthogonal vectors: no redundancy between the candidates
    return Candidate(Sentence(article_id, index, text), text, vector, [article_id], score)


def test_pronoun_openers_come_only_right_after_their_antecedent() -> None:
    lead = _candidate(
        "a", 0, "Fabian Cancellara won the third stage of the race on Tuesday.", 0.5, 0
    )
    before = _candidate("b", 2, "Cancellara attacked alone in the final kilometre.", 0.1, 1)
    pronoun = _candidate("b", 3, "He won by 23 seconds over Cadel Evans of Australia.", 0.9, 2)
    other = _candidate("c", 2, "The race reaches the Alps on Thursday after a rest day.", 0.05, 3)
    summarizer = ExtractiveSummarizer(embedder=None)  # type: ignore[arg-type]

    chosen = _in_reading_order(summarizer._select([lead, before, pronoun, other], 200), {})
    # the best-scored sentence waits for its antecedent, then reads right after it,
    # not after another article's sentence of the same position
    assert [c.text for c in chosen] == [lead.text, before.text, pronoun.text, other.text]

    alone = summarizer._select([lead, pronoun], max_words=200)
    assert [c.text for c in alone] == [lead.text]  # "He" without its antecedent: left out


def test_a_story_that_ran_for_days_always_tells_its_latest_stage() -> None:
    """A month of Tour de France reports had a summary of the prologue and stage 13,
    never the winner: the early reports, more of them and more alike, scored higher."""
    july = {
        "prologue": datetime(2007, 7, 7),
        "stage3": datetime(2007, 7, 10),
        "finish": datetime(2007, 7, 29),
        "finish-b": datetime(2007, 7, 28, 12),  # within two days of the last: the same stage
    }
    articles = [Article(id=aid, text="x", published_at=day) for aid, day in july.items()]
    assert latest_stage(articles) == {"finish", "finish-b"}
    assert latest_stage(articles[:2]) == {"stage3"}
    assert latest_stage([*articles[:1], Article(id="undated", text="x")]) == frozenset()
    one_cycle = [
        Article(id=aid, text="x", published_at=datetime(2007, 7, 29, hour))
        for aid, hour in [("a", 1), ("b", 20)]
    ]
    assert latest_stage(one_cycle) == frozenset()  # one news cycle: no stages

    prologue = _candidate("prologue", 0, "Fabian Cancellara won the prologue in London.", 0.9, 0)
    stage = _candidate("stage3", 0, "Cancellara held off the sprinters in stage three.", 0.8, 1)
    winner = _candidate("finish", 0, "Alberto Contador of Spain won the Tour de France.", 0.1, 2)
    summarizer = ExtractiveSummarizer(embedder=None)  # type: ignore[arg-type]
    budget = word_count(prologue.text) + word_count(winner.text)  # room for two sentences
    chosen = summarizer._select([prologue, stage, winner], budget, latest=latest_stage(articles))
    assert [c.text for c in chosen] == [winner.text, prologue.text]
    # without stages, the score alone decides
    alone = summarizer._select([prologue, stage, winner], budget)
    assert winner.text not in [c.text for c in alone]


def test_a_story_that_runs_for_days_reads_in_the_order_of_its_articles_dates() -> None:
    """Bodies found (June 6) then "no debris recovered yet" (June 5) read as a contradiction;
    in date order they read as the story went."""
    found = _candidate("late", 0, "Searchers recovered bodies and wreckage of the jet.", 0.9, 0)
    details = _candidate("late", 1, "The bodies were taken to a navy ship near the site.", 0.2, 1)
    nothing = _candidate("mid", 0, "No debris from the missing jet has been recovered.", 0.5, 2)
    missing = _candidate("early", 2, "The jet vanished from radar over the Atlantic.", 0.7, 3)
    chosen = [found, details, nothing, missing]
    june = {
        "early": datetime(2009, 6, 1),
        "mid": datetime(2009, 6, 5),
        "late": datetime(2009, 6, 6),
    }
    assert [c.text for c in _in_reading_order(chosen, june)] == [
        missing.text,
        nothing.text,
        found.text,
        details.text,
    ]
    # one news cycle (under two days), or an undated article: lead facts first, as before
    one_day = {**june, "early": datetime(2009, 6, 5), "late": datetime(2009, 6, 5, 20)}
    lead_first = [found.text, nothing.text, details.text, missing.text]
    assert [c.text for c in _in_reading_order(chosen, one_day)] == lead_first
    assert [c.text for c in _in_reading_order(chosen, {**june, "mid": None})] == lead_first


def test_a_speakers_words_inside_a_long_quotation_are_not_stated_in_the_summarys_voice(
    embedder: Embedder,
) -> None:
    """Only the first sentence of a long quotation shows its mark: the ones after it read as
    plain statements ("The issue brought forth by Colin is a real issue.")."""
    quote = (
        "The commissioner spoke to reporters after the match in Boyds on Wednesday night. "
        "“It's an emotional issue for the league and for the players. The protest by the "
        "players during the anthem is a real and serious issue for the league. We need to have "
        "serious conversations about the protest during the anthem. The players have told me "
        "how they feel about the anthem. I don't know where the protest ends,” he said."
    )
    article = Article(id="q", title="Commissioner on the anthem protest", text=quote)
    summary = ExtractiveSummarizer(embedder).summarize([article], max_words=200)
    assert summary.sentences
    assert all("real and serious issue" not in s.text for s in summary.sentences)
    assert all("serious conversations" not in s.text for s in summary.sentences)


def test_sentences_with_a_cut_quotation_are_not_candidates() -> None:
    assert quotes_balanced('Officials said "the port is open" on Monday.')
    assert quotes_balanced("The minister called it “a fair deal” on Monday.")
    assert not quotes_balanced('"British leaders have miscalculated this issue.')
    assert not quotes_balanced("“We will not give in to pressure, the minister said.")
    assert not _eligible('"British leaders have miscalculated this issue, said the spokesman.')
    assert not _eligible("[For women, heavy drinking has been normalized in recent years.")
    assert not _eligible("The vote (the third this year was held on Monday in the capital.")
    assert _eligible("The vote (the third this year) was held on Monday in the capital.")
    # an aside in brackets is not a claim of the story's ("According to the same report, (...)")
    assert not _eligible("(The name of the manuscript, Hereafter, lends the film its title.)")
    assert not _eligible("[Video Link] The Wilco track was re-imagined as a Popeye cartoon.")
    assert not _eligible("Try to follow along with the rest of the story here. . .")  # a teaser
    # an aside to the reader is no claim
    assert not _eligible("Look at the cheeky glimpse he gives the referee after the goal.")
    assert not _eligible("Watch the full 60 Minutes interview with Andrew McCabe (video).")
    assert not _eligible("What a difference $46 million in TV ad spending can make.")
    for news in [  # nouns and names, not asides
        "Meet the Press host Chuck Todd asked the senator about the vote.",
        "Tap water in Jackson remained unsafe to drink on Monday.",
        "Watch parties were held across the city on Sunday night.",
        "Imagine Dragons will headline the festival in July.",
        "Try as they might, firefighters could not contain the blaze.",
        "Netflix bought the studio in 2021 for $500 million.",  # short, and no caption
    ]:
        assert _eligible(news), news
    assert _eligible("Look was the name of the magazine that published the photographs.")
    # the writer's reading of events would read as the summary's own opinion
    assert not _eligible("Kim's push to build missiles reflects his commitment to military power.")
    assert _eligible("Kim pushed to build missiles and inspected a new armored vehicle on Sunday.")
    # a reporter's unanswered calls are no news of the story's
    assert not _eligible("The Associated Press left a message seeking information from police.")
    assert not _eligible("A spokesman for the company did not immediately respond to emails.")
    assert not _eligible("The mayor could not be reached for comment on Monday evening.")
    assert _eligible("The mayor was reached by phone and said the road would reopen.")
    assert _eligible("An agreement could not be reached before the deadline, talks resume Monday.")
    # a subordinate clause with no main clause is a fragment
    assert not _eligible(
        "Though Yu and Soni have also obscured their premise by calling it a sauce."
    )
    assert _eligible("Though the storm weakened, the coast was flooded on Monday night.")
    assert _eligible("Because of heavy rain the match was postponed until next week.")
    assert _eligible("While in office the governor cut taxes for small businesses twice.")
    assert not _eligible("spoke to a union official on November 3 who received a message.")
    assert not _eligible("Police arrested several people and are widening the...")
    assert not _eligible("MR. POOLE DENIED THE ALLEGATIONS BUT LATER PLEADED GUILTY IN COURT.")
    assert _eligible("NATO and the EU said the talks with the UN would resume in May.")
    # first person at the start of a sentence too, but not the US or Maine's "Me."
    assert not _eligible("We don't know where the virus came from, officials said today.")
    assert not _eligible("Our reporters found that the plan was changed last week.")
    assert _eligible("The US economy grew by two percent in the third quarter.")
    assert _eligible("The senator from Portland, Me. said the plan had changed.")
    # the reader addressed outside a quotation: advice or advertising copy, not a report
    assert not _eligible("Chances are your parenting is perfectly fine, experts say.")
    assert not _eligible("In this course you will learn how to raise happy children.")
    assert _eligible('"You will not win," the minister told the opposition on Monday.')
    # a quotation and nothing else: whose words, the reader cannot tell
    assert not _eligible('"I\'m as shocked as you people are about the result tonight."')
    assert not _eligible("“We will not give in to pressure from anyone, ever again.”")
    assert _eligible('"We will not give in to pressure," the minister said on Monday.')


def test_a_paraphrase_of_a_chosen_fact_is_redundant_even_below_the_cosine_limit() -> None:
    ruling = stemmed_words(
        "The Justice Department said it supports a judge's ruling that the health law is void."
    )
    paraphrase = stemmed_words(
        "The Department of Justice backed the ruling of a judge that voided the health law."
    )
    other = stemmed_words("Insurers warned that premiums would rise next year.")
    assert repeats_a_chosen_fact(paraphrase, [ruling])  # "ruled"/"ruling" share a stem
    assert not repeats_a_chosen_fact(other, [ruling])

    first = _candidate("a", 0, "The Justice Department supports the ruling.", 0.9, 0)
    first.stems = ruling
    second = _candidate("b", 0, "The Department of Justice backed the ruling.", 0.8, 1)
    second.stems = paraphrase
    third = _candidate("c", 0, "Insurers warned that premiums would rise.", 0.1, 2)
    third.stems = other
    chosen = ExtractiveSummarizer(embedder=None)._select([first, second, third], 200)  # type: ignore[arg-type]
    assert [c.text for c in chosen] == [first.text, third.text]


def test_sentences_close_to_the_headlines_score_higher(embedder: Embedder) -> None:
    body = (
        "Dock workers at the port of Valmora went on strike on Monday over pay. "
        "The city's football club also unveiled a new stadium design on Monday."
    )
    on_topic = Article(id="a", title="Valmora dock workers strike over pay", text=body)
    off_topic = Article(id="a", title="Valmora football club unveils stadium design", text=body)
    summarizer = ExtractiveSummarizer(embedder)

    def scores(article: Article) -> dict[str, float]:
        return {c.sentence.text[:10]: c.score for c in summarizer._candidates([article])}

    strike, stadium = scores(on_topic), scores(off_topic)
    assert (
        strike["Dock worke"] - strike["The city's"] > stadium["Dock worke"] - stadium["The city's"]
    )


def test_the_budget_holds_after_unnamed_reports_are_sequenced() -> None:
    """ "According to one report" may become "the same report", a word longer: the
    selection keeps room for it, so the finished summary never exceeds the budget."""
    first = _candidate("a", 0, "According to one report, the port closed on Monday.", 0.9, 0)
    second = _candidate("a", 1, "According to one report, ships waited outside.", 0.8, 1)
    words = len(first.text.split()) + len(second.text.split())  # 9 + 7 = 16 as written
    summarizer = ExtractiveSummarizer(embedder=None)  # type: ignore[arg-type]

    for budget in (words, words + 1, words + 2):
        chosen = summarizer._select([first, second], max_words=budget)
        cited = [cite(c.text, c.support, [Article(id="a", text="x")]) for c in chosen]
        finished = vary_unnamed_reports(cited)
        assert sum(len(s.text.split()) for s in finished) <= budget
    assert len(summarizer._select([first, second], max_words=words + 2)) == 2
    assert len(summarizer._select([first, second], max_words=words)) == 1


def test_stems_come_from_the_c_stemmer_and_equal_the_pure_python_ones() -> None:
    """PyStemmer is installed, so stemming costs ~3 us a word, not ~45 us (it was 0.4 s of
    a 100-article run), and its Snowball build gives the pure-Python stemmer's stems."""
    import Stemmer
    from snowballstemmer.english_stemmer import EnglishStemmer

    from service.pipeline import stems

    assert isinstance(snowballstemmer.stemmer("english"), Stemmer.Stemmer)
    text = " ".join(a.text for a in strike_articles() + [comet_article(), denial_article()])
    words = sorted(set(re.findall(r"[a-z]+", text.lower())))
    assert len(words) > 100
    stems.stem.cache_clear()
    assert [stems.stem(w) for w in words] == [EnglishStemmer().stemWord(w) for w in words]


def test_stemming_is_safe_from_several_threads() -> None:
    """LLM stories fall back to the extractive backend concurrently; a shared Snowball
    stemmer then raised IndexError or returned wrong stems."""
    from concurrent.futures import ThreadPoolExecutor

    from service.pipeline import stems

    words = [
        f"{stem}{ending}"
        for stem in ("report", "strik", "negotiat", "protest", "govern")
        for ending in ("ing", "ed", "s", "ation", "ers", "ingly", "ments", "ment")
    ]
    words = [f"{w}{'x' * n}" for n in range(40) for w in words]  # 1,600 distinct words
    expected = [snowballstemmer.stemmer("english").stemWord(w) for w in words]
    for _ in range(3):
        stems.stem.cache_clear()
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(stems.stem, words * 4))
        assert results == expected * 4


def test_the_budget_holds_when_reports_are_dated_and_days_anchored() -> None:
    """In a story of several days, "According to one report" becomes "According to a June
    5 report" (two words more) and "today" becomes "on June 5" (two more): the selection
    keeps room for both, so the anchoring that runs last still fits."""
    articles = [
        Article(id="a", text="x", published_at=datetime(2009, 6, 5, 9)),
        Article(id="b", text="x", published_at=datetime(2009, 6, 6, 9)),
    ]
    days = report_days(articles)
    first = _candidate("a", 0, "According to one report, the search resumed today.", 0.9, 0)
    first.anchoring = anchoring_growth(first.text, common_day(articles[:1]))
    second = _candidate("b", 0, "According to one report, ships waited outside.", 0.8, 1)
    assert first.anchoring == 2  # "today" -> "on June 5"
    written = word_count(first.text) + word_count(second.text)  # 8 + 7
    summarizer = ExtractiveSummarizer(embedder=None)  # type: ignore[arg-type]
    for budget in range(written, written + 8):
        chosen = summarizer._select([first, second], budget, unnamed_growth(days))
        cited = [cite(c.text, c.support, articles) for c in chosen]
        summary = Summary(sentences=vary_unnamed_reports(cited, days), backend="extractive")
        finished = anchor_relative_days(summary, articles, budget)
        assert sum(word_count(s.text) for s in finished.sentences) <= budget
        if chosen and chosen[0] is first:  # room was kept: the day is always anchored
            assert finished.sentences[0].text == (
                "According to a June 5 report, the search resumed on June 5."
            )
    both = summarizer._select([first, second], written + 6, unnamed_growth(days))
    assert len(both) == 2 and len(summarizer._select([first, second], written + 5, 2)) == 1


def test_a_common_word_that_only_opens_a_longer_name_is_lowered_after_an_attribution(
    embedder: Embedder,
) -> None:
    """ "Aircraft" is a name's first word in "Aircraft Communications Addressing and
    Reporting System"; opening a claim, it is the common word: "According to one report,
    aircraft and water vessels ...". A surname stays: "According to one report, Price ..."."""
    first = Article(
        id="a",
        title="Search for missing jet",
        text=(
            "Aircraft and water vessels from the French and Brazilian military were searching "
            "the Atlantic on Monday for the missing jet.\n"
            "The jet's Aircraft Communications Addressing and Reporting System sent automatic "
            "messages about the aircraft before it vanished.\n"
            "Price said the search would go on for as long as it takes to find the plane."
        ),
    )
    second = Article(
        id="b",
        title="Airline spokesman speaks",
        text="Airline spokesman Ned Price briefed reporters in Paris on Tuesday about families.",
    )
    texts = {
        c.sentence.text[:8]: c.text
        for c in ExtractiveSummarizer(embedder)._candidates([first, second])
    }
    assert texts["Aircraft"].startswith("According to one report, aircraft and water vessels")
    assert texts["Price sa"].startswith("According to one report, Price said")


def test_a_summary_reports_the_news_not_the_writers_reading_of_it(embedder: Embedder) -> None:
    articles = [
        Article(
            id="a",
            text=(
                "In a recent development, North Korean leader Kim Jong Un called for a sharp"
                " increase in missile production during visits to weapons factories. Kim's"
                " push to bolster missile production reflects his commitment to strengthening"
                " the country's military capabilities. Kim also inspected a new armored"
                " vehicle at one of the factories, state media said."
            ),
        ),
        Article(
            id="b",
            text=(
                "North Korean leader Kim Jong Un called for a sharp increase in missile"
                " production during visits to weapons factories, state media reported. The"
                " call for faster missile production indicates Kim's determination to expand"
                " the country's military capabilities. Kim inspected a new armored vehicle"
                " at one of the factories."
            ),
        ),
    ]
    summary = ExtractiveSummarizer(embedder).summarize(articles, max_words=200)
    assert "missile production during visits" in summary.text
    assert "In a recent development" not in summary.text
    assert "commitment" not in summary.text and "determination" not in summary.text


def test_a_chinese_sentence_is_no_quotation_without_a_speaker() -> None:
    """Words were counted by runs of letters, and a Chinese sentence (no spaces) counted
    one: every sentence but the first was refused as a bare quotation."""
    from service.backends.summarizers.extractive import _eligible

    assert _eligible("当局发布了海啸预警，沿海居民已开始撤离。")
    assert not _eligible("“我们会重建一切。”")  # a quotation alone still needs its speaker


def test_a_short_korean_sentence_is_counted_in_words_of_its_own_weight() -> None:
    """Korean words (eojeol) hold a noun and its particle: "기상청은 대설 경보를 발령했다."
    is four of them, and every Korean sentence under six was left out (an article of four
    sentences came out as one, whatever the word budget)."""
    from service.backends.summarizers.extractive import MIN_WORDS, _eligible
    from service.pipeline.sentences import word_count

    assert word_count("기상청은 대설 경보를 발령했다.") == 6 >= MIN_WORDS
    assert _eligible("기상청은 대설 경보를 발령했다.")
    assert word_count("The weather agency issued a warning.") == 6  # spaced text: as before
    assert word_count("台风周二登陆广东") == 5  # Chinese: as before (8 characters)


def test_a_story_about_an_accusation_quotes_the_judgements_it_reports(
    embedder: Embedder,
) -> None:
    """Every sentence of a story about racism accusations holds "racist": the story had no
    summary at all, and a note that blamed fragments. Now its reported judgements stand,
    each attributed to its outlet; a judgement made in the article's own voice still not."""
    articles = [
        denial_article(),
        Article(
            id="b",
            outlet="Capital Wire",
            title="House vote on tweets",
            text='Trump asserted Tuesday that his recent tweets "were NOT Racist," and urged '
            "Republican lawmakers to vote against a House resolution. The racist tweets "
            "targeted four progressive congresswomen.",
        ),
    ]
    summary = ExtractiveSummarizer(embedder).summarize(articles)
    texts = [s.text for s in summary.sentences]
    assert texts and all(t.startswith("According to ") for t in texts)
    assert not any("The racist tweets" in t for t in texts)  # the article's own voice
    assert any("insisted he is not a racist" in t for t in texts)
    assert any("loaded wording" in n and "attributed" in n for n in summary.notes)
    # and an ordinary story keeps its loaded sentences out, with no such note
    plain = ExtractiveSummarizer(embedder).summarize(strike_articles())
    assert not any("loaded wording" in n for n in plain.notes)


def test_a_time_stamp_read_as_a_sentence_is_never_quoted() -> None:
    """ "According to another report, May 2, 2013 1: 35 pm." stood in an ECB+ summary."""
    from service.backends.summarizers.extractive import _eligible

    for stamp in (
        "May 2, 2013 1: 35 pm.",
        "Updated: July 2, 2013 15: 01 IST.",
        "Posted on Monday, May 2, 2013 at 1:35 pm EST.",
    ):
        assert not _eligible(stamp), stamp
    for sentence in (
        "The storm hit the coast on May 2, 2013.",
        "Police said 35 people died on Monday, May 2.",
    ):
        assert _eligible(sentence), sentence
