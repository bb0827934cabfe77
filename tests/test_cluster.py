import json

import numpy as np

from service.backends.embedders import Embedder
from service.evaluation import bcubed
from service.pipeline.cluster import (
    SimilarityWeights,
    cluster_articles,
    groups_from_labels,
    lexical_similarity,
    local_scaling,
    month_similarity,
    mutual_neighbours,
    name_similarity,
    story_similarity,
    weekday_similarity,
    year_similarity,
)
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


def test_a_small_pile_of_unrelated_stories_stays_apart(embedder: Embedder) -> None:
    """Five articles of five stories (one of them two military stories: the Royal Navy
    crew seized by Iran, an Abu Ghraib court-martial), as a user might paste them."""
    wanted = ["M0033.english", "M0025.english", "M0099.english", "M0084.english", "M0078.english"]
    by_id = {a.id: a for a in load_paths([EXAMPLE]).articles}
    articles = [by_id[i] for i in wanted]
    vectors = embedder.encode([cluster_text(a) for a in articles])
    groups = cluster_articles(vectors, [f"{a.title}\n{a.text}" for a in articles])
    assert sorted(groups) == [[0], [1], [2], [3], [4]]


def test_groups_are_ordered_and_degenerate_pools() -> None:
    assert groups_from_labels([1, 0, 1, 2, 0, 0]) == [[1, 4, 5], [0, 2], [3]]
    assert cluster_articles(np.zeros((0, 3)), []) == []
    assert cluster_articles(np.ones((1, 3)), ["x"]) == [[0]]


def test_bcubed_known_values() -> None:
    perfect = bcubed([1, 1, 2], ["a", "a", "b"])
    assert perfect.f1 == 1.0
    lumped = bcubed([1, 1, 1, 1], ["a", "a", "b", "b"])
    assert lumped.recall == 1.0 and lumped.precision == 0.5


def test_local_scaling_lowers_pairs_in_a_dense_pool_more() -> None:
    sparse = np.full((60, 60), 0.1)
    dense = np.full((60, 60), 0.5)
    for pool in (sparse, dense):
        np.fill_diagonal(pool, 1.0)
        pool[0, 1] = pool[1, 0] = 0.6
    assert local_scaling(sparse, 50, 0.1)[0, 1] > local_scaling(dense, 50, 0.1)[0, 1]


def test_small_pools_borrow_the_background_for_missing_neighbours() -> None:
    pair = np.array([[1.0, 0.3], [0.3, 1.0]])
    level = (0.3 + 49 * 0.1) / 50
    assert np.isclose(local_scaling(pair, 50, 0.1)[0, 1], 0.3 - level)


def test_two_reports_of_one_story_stay_together(embedder: Embedder) -> None:
    articles = strike_articles()[:2]
    vectors = embedder.encode([cluster_text(a) for a in articles])
    assert cluster_articles(vectors, [a.text for a in articles]) == [[0, 1]]


def test_shared_names_raise_similarity_and_no_names_share_nothing() -> None:
    texts = [
        "Fans cheered as Peter Capaldi was named. Capaldi thanked the BBC.",
        "The BBC named Peter Capaldi as its new star on Sunday.",
        "The BBC named Matt Smith as its new star on Saturday.",
        "prices rose again, traders said.",
    ]
    similarity = name_similarity(texts)
    assert similarity[0, 1] > similarity[0, 2] > 0
    assert similarity[3, 0] == similarity[3, 1] == 0.0


def test_years_agree_disagree_or_say_nothing() -> None:
    texts = [
        "A gunman opened fire in 2012; police said in 2012 he acted alone.",
        "The 2012 shooting left twelve dead.",
        "The 2008 shooting left five dead.",
        "A gunman opened fire at a school.",
    ]
    similarity = year_similarity(texts)
    assert similarity[0, 1] == 1.0  # the same year
    assert similarity[1, 2] == -1.0  # both dated, years apart: two events
    assert similarity[3, 0] == similarity[3, 3] == 0.0  # no year: no evidence either way
    assert not year_similarity(["no dates here", "none"]).any()


def test_months_tell_monthly_reports_of_one_kind_apart() -> None:
    texts = [
        "Border arrests fell in March, figures released on April 9 show.",
        "Arrests at the border dropped in March.",
        "Border arrests rose in June.",
        "Border arrests are a political issue.",
    ]
    similarity = month_similarity(texts)
    assert similarity[0, 1] == 0.5  # March shared, April only in the first
    assert similarity[1, 2] == -1.0  # both dated by month, different months
    assert similarity[3, 0] == 0.0  # no month: no evidence either way


def test_a_shared_weekday_counts_only_above_what_the_pool_usually_shares() -> None:
    texts = [
        "The Senate voted on Tuesday to confirm the nominee.",
        "Senators confirmed the nominee Tuesday.",
        "The House passed the bill on Thursday.",
        "The governor resigned on Friday; on Tuesday she had denied it.",
        "No day is named here.",
    ]
    similarity = weekday_similarity(texts)
    assert similarity[0, 1] > similarity[0, 3] > similarity[0, 2]  # same day > half > none
    assert similarity[0, 2] < 0  # both name a day, not the same one: less than usual
    assert not similarity[4].any() and not similarity[:, 4].any()  # no day: no evidence
    one_day = ["Voters went to the polls on Tuesday."] * 2 + ["Markets fell Tuesday."] * 3
    assert not weekday_similarity(one_day).any()  # a day's news: every text says it
    half = one_day + ["Markets fell."] * 5  # half name the day, half none: still nothing
    assert not weekday_similarity(half).any()
    assert not weekday_similarity(["alone on Monday"]).any()
    assert weekday_similarity([]).shape == (0, 0)


def test_the_weekday_view_parts_two_events_of_one_kind_in_a_large_pool_only() -> None:
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    texts = [f"A storm hit the coast on {day}." for day in days] + [
        "Coast storm damage reported Tuesday."
    ]
    vectors = np.ones((len(texts), 2), dtype=np.float32) / np.sqrt(2)
    large = SimilarityWeights(neighbours=5)  # a pool "larger than k"
    gain = story_similarity(vectors, texts, large) - story_similarity(
        vectors, texts, SimilarityWeights(neighbours=5, weekdays=0.0)
    )
    assert gain[1, 6] > 0 > gain[0, 6]  # the Tuesday reports gain on the others
    small = story_similarity(vectors, texts) - story_similarity(
        vectors, texts, SimilarityWeights(weekdays=0.0)
    )
    assert not small.any()  # 7 articles, k = 50: a small pile has no "usual" to learn


def test_words_only_one_text_uses_do_not_dilute_a_pair_in_a_large_pool() -> None:
    texts = [
        "Flood waters rose in the river town overnight.",
        "Flood waters rose in the river town; Mayor Quintrell, Okonjo and Vasquez-Hale "
        "toured Brightwater, Elmsworth and Cardigan Row with sandbags.",
        "The central bank raised interest rates again.",
        "Interest rates went up at the central bank.",
    ]
    every_word = lexical_similarity(texts)
    shared = lexical_similarity(texts, shared_words_only=True)
    # the second report's own names no longer lengthen its vector
    assert shared[0, 1] > every_word[0, 1] + 0.2 and shared[0, 1] > 0.9
    assert shared[0, 2] == every_word[0, 2] == 0  # nothing shared stays nothing
    alone = lexical_similarity(["one alone", "nothing alike"], shared_words_only=True)
    assert (alone == np.eye(2)).all()  # no word shared at all: each is only like itself
    # the pool decides: only one larger than the neighbourhood (k) leaves them out
    vectors = np.ones((len(texts), 2), dtype=np.float32) / np.sqrt(2)
    plain = SimilarityWeights(semantic=0, names=0, years=0, months=0, weekdays=0)
    large = SimilarityWeights(**{**plain.__dict__, "neighbours": 3})
    assert np.allclose(story_similarity(vectors, texts, plain), 0.5 * every_word)
    assert np.allclose(story_similarity(vectors, texts, large), 0.5 * shared)


def test_mutual_neighbours_are_reciprocal_and_need_a_choice() -> None:
    similarity = np.array(
        [
            [1.0, 0.9, 0.2, 0.1, 0.0],
            [0.9, 1.0, 0.3, 0.2, 0.1],
            [0.2, 0.3, 1.0, 0.8, 0.7],
            [0.1, 0.2, 0.8, 1.0, 0.6],
            [0.0, 0.1, 0.7, 0.6, 1.0],
        ]
    )
    mutual = mutual_neighbours(similarity, top=1)
    assert mutual[0, 1] and mutual[1, 0] and mutual[2, 3]
    assert not mutual[4, 2]  # 2 is 4's closest, but 4 is not 2's
    assert not mutual.diagonal().any()
    # in a pool of three, every pair is in every top-2: no pair is singled out
    assert not mutual_neighbours(similarity[:3, :3], top=2).any()


def test_a_shared_year_outranks_a_different_one_of_the_same_kind(embedder: Embedder) -> None:
    texts = [
        "Earthquake kills dozens in Italy's hill towns in 2009; rescuers dig through rubble.",
        "Rescuers dig through rubble after the 2009 earthquake in Italy's hill towns.",
        "Rescuers dig through rubble after the 2016 earthquake in Italy's hill towns.",
    ]
    vectors = embedder.encode(texts)
    dated = story_similarity(vectors, texts)
    undated = story_similarity(vectors, texts, SimilarityWeights(years=0.0))
    added = dated - undated
    assert np.isclose(added[1, 0], 0.1) and np.isclose(added[2, 0], -0.1)  # default weight 0.1
    assert dated[1, 0] - dated[2, 0] > undated[1, 0] - undated[2, 0] + 0.19


CJK_STORIES = [  # two Chinese reports of a typhoon, two Japanese ones of an earthquake
    "台风“海葵”登陆福建\n今年第11号台风“海葵”于5日清晨在福建省东山县沿海登陆。登陆时中心附近最大风力有13级。"
    "福建省已启动防台风一级应急响应，转移群众超过10万人。多地学校停课，航班和列车大面积停运。",
    "“海葵”在福建东山登陆 十万人转移\n台风“海葵”5日清晨在福建东山县沿海登陆，登陆时中心风力13级。"
    "福建省已转移群众10万余人，多地停课停运。中央气象台表示，“海葵”将继续西北行，强度逐渐减弱。",
    "東京で震度5弱の地震\n10日午後9時半ごろ、関東地方で強い揺れを観測する地震がありました。東京23区で震度5弱を"
    "観測しました。震源は千葉県北西部で、マグニチュードは5.9と推定されています。",
    "関東で震度5弱 津波の心配なし\n10日夜、千葉県北西部を震源とする地震があり、東京23区で震度5弱を観測した。"
    "気象庁によると、マグニチュードは5.9と推定される。津波の心配はないという。",
]


def test_chinese_and_japanese_stories_are_told_apart(embedder: Embedder) -> None:
    """A clause without spaces had been one word, and the English model finds any two such
    texts alike: a typhoon in China and an earthquake in Japan were one story."""
    from service.pipeline.cjk import cjk_share, with_cjk_bigrams

    assert with_cjk_bigrams("台风海葵 hit Fujian") == " 台风 风海 海葵  hit Fujian"
    assert cjk_share("台风海葵 hit") == 4 / 7 and cjk_share("Storm hits") == 0.0
    vectors = embedder.encode(CJK_STORIES)
    assert cluster_articles(vectors, CJK_STORIES) == [[0, 1], [2, 3]]
