"""Contrast sentences: outlets' versions side by side, split into sides to check."""

from service.pipeline.contrast import Side, announces_a_difference, contrast_sides

OUTLETS = ["Outlet A", "Outlet B"]


def test_the_sides_of_a_disagreement_are_claims_credited_to_outlets() -> None:
    text = (
        "Reports differ on the death toll: according to Outlet A, at least 35 people died;"
        " according to Outlet B, 40 people were killed."
    )
    assert announces_a_difference(text)
    assert contrast_sides(text, OUTLETS) == [
        Side("According to Outlet A, at least 35 people died.", "Outlet A"),
        Side("According to Outlet B, 40 people were killed.", "Outlet B"),
    ]
    assert (
        contrast_sides("outlet a counts 35 dead, while Outlet B says 40 died.", OUTLETS)
        == [Side("Outlet a counts 35 dead.", None)][:0]
    )  # "counts" credits no one: no contrast
    assert contrast_sides("Outlet A reports 35 dead, while Outlet B says 40 died.", OUTLETS) == [
        Side("Outlet A reports 35 dead.", "Outlet A"),
        Side("Outlet B says 40 died.", "Outlet B"),
    ]


def test_unnamed_reports_are_sides_only_where_articles_name_no_outlet() -> None:
    text = "According to one report, 35 people died; according to another report, 40 died."
    assert [s.outlet for s in contrast_sides(text, [], unnamed=True)] == [None, None]
    assert contrast_sides(text, OUTLETS) == []


def test_a_sentence_with_no_checkable_sides_is_no_contrast() -> None:
    for text in [
        "A ferry capsized off the coast of Valmora on Monday.",
        "Reports differ: Outlet A puts it at 35, Outlet B at 40.",  # "Outlet B at 40"
        "35 people died while rescue boats searched the area.",  # credits no one
        "According to Reuters, 35 people died; according to Outlet B, 40 died.",  # not ours
        "According to Outlet A, 35 people died; according to Outlet A, 40 died.",  # twice
        "The coast guard said 35 people died, but officials said 40 people died.",
    ]:
        assert contrast_sides(text, OUTLETS) == [], text
    assert not announces_a_difference("Reporters differ from editors: they write.")
    assert not announces_a_difference("Reports differ on why the navy sank it: ...")


def test_outlets_are_matched_as_readers_write_them_and_only_outlets_report() -> None:
    text = "According to the BBC, 35 people died; according to reuters, 40 people died."
    assert [s.outlet for s in contrast_sides(text, ["BBC", "Reuters"])] == ["BBC", "Reuters"]
    said = "People said 35 died in the crash, while Outlet B reports 40 people died."
    assert contrast_sides(said, ["People", "Outlet B"]) == []  # a bare "said" is a person's
