"""Contrast sentences: two outlets' versions side by side, split into claims to check."""

from service.pipeline.contrast import announces_a_difference, contrast_parts


def test_the_sides_of_a_disagreement_become_claims_of_their_own() -> None:
    text = (
        "Reports differ on the death toll: according to Outlet A, at least 35 people died;"
        " according to Outlet B, 40 people were killed."
    )
    assert announces_a_difference(text)
    assert contrast_parts(text) == [
        "According to Outlet A, at least 35 people died.",
        "According to Outlet B, 40 people were killed.",
    ]
    assert contrast_parts("Outlet A counts 35 dead, while Outlet B counts 40 dead.") == [
        "Outlet A counts 35 dead.",
        "Outlet B counts 40 dead.",
    ]
    assert contrast_parts("The minister denied it, but Outlet B says police confirmed it.") == [
        "The minister denied it.",
        "Outlet B says police confirmed it.",
    ]


def test_a_sentence_with_no_checkable_sides_is_no_contrast() -> None:
    assert contrast_parts("A ferry capsized off the coast of Valmora on Monday.") == []
    assert contrast_parts("Reports differ: Outlet A puts it at 35, Outlet B at 40.") == []
    assert contrast_parts("He died while swimming.") == []  # "swimming" is no claim
    assert contrast_parts("The strike went on, but the port said talks would resume.") == []
    assert not announces_a_difference("Reporters differ from editors: they write.")
