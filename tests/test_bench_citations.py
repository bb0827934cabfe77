"""The citation benchmark judges what the verifier judged: dates written after it are undone."""

import json
from datetime import UTC, datetime

from bench.citations import EXAMPLE, LABELS, unanchored
from service.models import Article


def test_a_date_written_for_today_is_turned_back_before_judging() -> None:
    article = Article(
        id="a",
        title="t",
        text="Monday, July 9, 2007\n\nThe race reaches the Alps today. It ended on July 1.",
        published_at=datetime(2007, 7, 9, tzinfo=UTC),
    )
    assert unanchored("The race reaches the Alps on July 9.", article) == (
        "The race reaches the Alps on today."
    )
    assert unanchored("On July 10, the race rests.", article) == "Today, the race rests."
    # a date the article writes in a sentence is its own, not one the digest wrote
    assert unanchored("It ended on July 1.", article) == "It ended on July 1."
    undated = article.model_copy(update={"published_at": None})
    assert unanchored("The race reaches the Alps on July 9.", undated).endswith("July 9.")


def test_every_labelled_pair_names_an_article_of_its_story_in_the_example() -> None:
    ids = {json.loads(line)["id"] for line in EXAMPLE.read_text(encoding="utf-8").splitlines()}
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 100
    for row in rows:
        assert row["label"] in {"yes", "partly", "no"}
        assert row["article_id"] in row["story"] and set(row["story"]) <= ids


def test_dev_labels_name_their_sentences_by_position_not_by_text() -> None:
    # the eval data's licences forbid committing its text: a pair is read back from the data
    from bench.citations_dev import _CASES, _SETS
    from bench.citations_dev import LABELS as DEV_LABELS

    rows = [json.loads(line) for line in DEV_LABELS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 150
    for row in rows:
        assert row["label"] in {"yes", "partly", "no"} and row["data"] in _CASES
        assert row["set"] in _SETS.values()
        assert 0 <= row["start"] < row["end"] and row["cited"] != row["article_id"]
        assert not {"sentence", "text", "evidence"} & set(row)
