"""Long pipeline stages report progress as they go, not only at their start and end."""

from __future__ import annotations

from service.pipeline.ingest import load_paths
from service.pipeline.run import ARTICLES_PER_EMBED_STEP, PROGRESS_STEPS, digest
from tests.conftest import EXAMPLE


def test_embedding_stages_report_progress_step_by_step(embedder, tmp_path) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()[:60]
    sample = tmp_path / "forty.jsonl"
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")
    articles = list(load_paths([sample]).articles)
    reports: dict[str, list[tuple[int, int]]] = {}

    def record(stage: str, done: int, total: int) -> None:
        reports.setdefault(stage, []).append((done, total))

    result = digest(articles, embedder=embedder, progress=record)

    assert result.clusters
    for stage in ("embed", "sentences"):
        done = [d for d, _ in reports[stage]]
        totals = {t for _, t in reports[stage]}
        assert totals == {len(articles)}
        assert done == sorted(done) and done[0] == 0 and done[-1] == len(articles)
    # steps, not just 0 and the total: article texts in a few large steps, sentences in 20
    step = ARTICLES_PER_EMBED_STEP
    assert [d for d, _ in reports["embed"]] == [0, step, 2 * step, len(articles)]
    assert len({d for d, _ in reports["sentences"]}) == PROGRESS_STEPS + 1
