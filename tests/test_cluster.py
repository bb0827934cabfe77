import json

import numpy as np

from service.backends.embedders import Embedder
from service.evaluation import bcubed
from service.pipeline.cluster import cluster_articles, groups_from_labels
from service.pipeline.ingest import load_paths
from service.pipeline.run import cluster_text
from tests.conftest import EXAMPLE
from tests.stories import comet_article, strike_articles


def test_example_pool_finds_its_ten_events(embedder: Embedder) -> None:
    articles = load_paths([EXAMPLE]).articles
    gold = {json.loads(line)["id"]: json.loads(line)["gold_cluster"] for line in open(EXAMPLE)}
    vectors = embedder.encode([cluster_text(a) for a in articles])
    groups = cluster_articles(vectors, [f"{a.title}\n{a.text}" for a in articles])
    labels = [0] * len(articles)
    for number, members in enumerate(groups):
        for i in members:
            labels[i] = number
    score = bcubed(labels, [gold[a.id] for a in articles])
    assert score.f1 >= 0.95, score


def test_unrelated_story_is_a_singleton(embedder: Embedder) -> None:
    articles = [*strike_articles(), comet_article()]
    vectors = embedder.encode([cluster_text(a) for a in articles])
    groups = cluster_articles(vectors, [a.text for a in articles])
    assert groups == [[0, 1, 2], [3]]


def test_groups_are_ordered_and_degenerate_pools() -> None:
    assert groups_from_labels([1, 0, 1, 2, 0, 0]) == [[1, 4, 5], [0, 2], [3]]
    assert cluster_articles(np.zeros((0, 3)), []) == []
    assert cluster_articles(np.ones((1, 3)), ["x"]) == [[0]]


def test_bcubed_known_values() -> None:
    perfect = bcubed([1, 1, 2], ["a", "a", "b"])
    assert perfect.f1 == 1.0
    lumped = bcubed([1, 1, 1, 1], ["a", "a", "b", "b"])
    assert lumped.recall == 1.0 and lumped.precision == 0.5
