from service.models import Article
from service.pipeline.dedup import drop_duplicates
from tests.stories import STRIKE_B, STRIKE_C


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
