import pytest

from service.evaluation import balanced_accuracy, bcubed


def test_balanced_accuracy_weighs_each_class_equally() -> None:
    gold = [True, False, False, False]
    assert balanced_accuracy([True, False, False, False], gold) == 1.0
    # always "unfaithful" is right 3 times in 4, but balanced accuracy says 0.5
    assert balanced_accuracy([False] * 4, gold) == 0.5
    assert balanced_accuracy([True, True, False, False], gold) == pytest.approx((1 + 2 / 3) / 2)


def test_scores_refuse_mismatched_inputs() -> None:
    with pytest.raises(ValueError):
        balanced_accuracy([True], [True, False])
    with pytest.raises(ValueError):
        bcubed([], [])
