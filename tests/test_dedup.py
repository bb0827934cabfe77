from service.models import Article
from service.pipeline import dedup
from service.pipeline.dedup import drop_duplicates, find_duplicate_pairs
from tests.stories import COMET, STRIKE_B, STRIKE_C


def test_exact_and_trimmed_copies_fold_into_the_fullest() -> None:
    trimmed = "\n".join(STRIKE_B.splitlines()[:4])
    articles = [
        Article(id="wire", title="Strike", text=trimmed, source="Wire"),
        Article(id="full", title="Strike", text=STRIKE_B, source="Daily"),
        Article(id="copy", title="Other headline", text=STRIKE_B, url="https://www.copy.net/x"),
        Article(id="other", title="Walkout", text=STRIKE_C, source="Third"),
    ]
    kept = drop_duplicates(articles)
    assert [a.id for a in kept] == ["full", "other"]
    refs = {r.id: r for r in kept[0].duplicates}
    assert set(refs) == {"wire", "copy"}
    assert refs["copy"].source == "copy.net"


def test_different_reports_of_one_story_are_kept() -> None:
    articles = [Article(id="b", text=STRIKE_B), Article(id="c", text=STRIKE_C)]
    assert len(drop_duplicates(articles)) == 2


def test_short_identical_texts() -> None:
    articles = [
        Article(id="1", text="Hi there."),
        Article(id="2", text="Hi  there."),
        Article(id="3", text="Bye now."),
    ]
    assert [a.id for a in drop_duplicates(articles)] == ["1", "3"]


def test_a_roundup_that_contains_stories_does_not_swallow_them() -> None:
    """A briefing pasting wire stories together is not a copy of each: folding them into
    it had turned three stories into one, cited to the briefing alone."""
    roundup = f"Morning briefing.\n{STRIKE_B}\n{COMET}\n{STRIKE_C}"
    articles = [
        Article(id="briefing", title="Morning briefing", text=roundup, source="Daily"),
        Article(id="strike", title="Strike", text=STRIKE_B, source="Wire"),
        Article(id="comet", title="Comet", text=COMET, source="Wire"),
    ]
    kept = drop_duplicates(articles)
    assert [a.id for a in kept] == ["briefing", "strike", "comet"]
    assert all(not a.duplicates for a in kept)


def test_copies_fold_into_an_article_they_copy_not_through_a_chain() -> None:
    """b shares 8 of 10 sentences with a, and c 8 of 10 with b, but c only 6 with a:
    union-find had folded c into a through b."""
    words = "harbour cranes ferry tides cargo pilots quay storm berth crews tug bay anchor gulls"
    facts = [
        f"Report {w} item {k} notes the {w} changed again today."
        for k, w in enumerate(words.split())
    ]
    a, b, c = (" ".join(facts[start : start + 10]) for start in (0, 2, 4))
    articles = [Article(id=k, text=t) for k, t in (("a", a), ("b", b), ("c", c))]
    kept = drop_duplicates(articles)
    assert [k.id for k in kept] == ["a", "c"]
    assert [r.id for r in kept[0].duplicates] == ["b"] and kept[1].duplicates == []


def test_a_paper_running_the_first_paragraphs_of_a_wire_story_is_its_copy() -> None:
    """Five of twelve paragraphs are under half the story, but they are its lead."""
    paragraphs = [
        f"Paragraph {k} of the report says the {w} at the port of Valmora changed today."
        for k, w in enumerate(
            "cranes ferry tides cargo pilots quay storm berth crews tug bay gulls".split()
        )
    ]
    wire = Article(id="ap", title="Valmora port strike", text="\n".join(paragraphs), source="AP")
    local = Article(
        id="local",
        title="Valmora port strike goes on",
        text="\n".join(paragraphs[:5]),
        source="Local Paper",
    )
    kept = drop_duplicates([local, wire])
    assert [a.id for a in kept] == ["ap"] and [r.id for r in kept[0].duplicates] == ["local"]


def test_untitled_briefs_opening_on_the_same_appeal_are_not_copies() -> None:
    """A title taken from the text's first line is no headline: two briefs opening on the
    house's donation appeal had been folded as a lead copy."""
    appeal = (
        "Support local journalism: our reporters cover the council, the schools and the "
        "courts every day, and every donation from readers like you keeps this newsroom "
        "independent, so please give what you can today to keep us reporting."
    )
    fire = Article(
        id="a0", title=appeal, text=f"{appeal}\nA fire destroyed a shed on Elm Road on Tuesday."
    )
    school = Article(
        id="a1",
        title=appeal,
        text=f"{appeal}\nThe school board voted to delay the budget. Parents asked for more "
        "bus routes. Teachers asked for smaller classes. The board meets again in May.",
    )
    assert [a.id for a in drop_duplicates([fire, school])] == ["a0", "a1"]


def test_a_pile_read_block_by_block_folds_as_one_block_does(monkeypatch) -> None:
    """The overlaps are computed a block of articles at a time (memory stays bounded on
    20,000 articles); a copy in another block than its original folds all the same, and
    the progress callback hears each block."""
    texts = [STRIKE_B, STRIKE_C, COMET, "Hi there.", "Hi  there."]
    articles = [
        Article(id=f"{n}-{k}", title="Strike", text=texts[k] + ("" if n == 0 else " Extra line."))
        for n in range(3)
        for k in range(len(texts))
    ]
    whole = drop_duplicates(articles)
    monkeypatch.setattr(dedup, "_BLOCK", 2)
    heard: list[tuple[int, int]] = []
    blocks = drop_duplicates(articles, on_progress=lambda done, total: heard.append((done, total)))
    assert [(a.id, [r.id for r in a.duplicates]) for a in blocks] == [
        (a.id, [r.id for r in a.duplicates]) for a in whole
    ]
    # each story's three reports fold into one; "Hi there." (too short for a 3-gram) folds
    # with its twin, and the four "Hi there. Extra line." into one
    assert [len(a.duplicates) for a in blocks] == [1, 2, 2, 2, 3]
    assert heard[0] == (2, 15) and heard[-1] == (15, 15) and len(heard) == 8
    # the pairs are the same whatever the block
    by_blocks = find_duplicate_pairs(articles)
    monkeypatch.setattr(dedup, "_BLOCK", 1000)
    assert find_duplicate_pairs(articles) == by_blocks and len(by_blocks) == 16
