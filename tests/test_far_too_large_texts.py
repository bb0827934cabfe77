"""A text far over DIGEST_MAX_ARTICLE_BYTES is refused before it is cleaned: a 50 MB record
took half a minute to clean in the CLI, and in the API held the GIL from every other request,
only to be refused after."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.models import Digest
from service.pipeline import ingest
from tests.test_api_digests import make_client  # noqa: F401  (a fixture)
from tests.test_cli import digest_setting  # noqa: F401  (a fixture)

LIMIT = 2_000
STORY = (
    "Dock workers at the port of Valmora went on strike on Monday over pay, the union said. "
    "About forty container ships were left waiting offshore because loading stopped."
)


@pytest.fixture
def cleaned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every text the reader cleans."""
    lengths: list[int] = []
    clean = ingest.clean_text

    def recording(text: str, **kwargs: object) -> str:
        lengths.append(len(text))
        return clean(text, **kwargs)

    monkeypatch.setattr(ingest, "clean_text", recording)
    return lengths


def _write(tmp_path: Path, *texts: tuple[str, str]) -> Path:
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "text": t}) for i, t in texts) + "\n")
    return path


def test_the_cli_refuses_a_text_far_over_the_limit_without_cleaning_it(
    tmp_path: Path,
    digest_setting: Callable[[str, str], None],  # noqa: F811
    cleaned: list[int],
) -> None:
    digest_setting("DIGEST_MAX_ARTICLE_BYTES", str(LIMIT))
    huge = "A long day at sea. " * 1_000  # 19,000 bytes: over four times the limit
    path = _write(tmp_path, ("small", STORY), ("huge", huge))
    runner = CliRunner()
    refused = runner.invoke(app, ["summarize", str(path), "-q"])
    assert refused.exit_code == 2
    stderr = " ".join(refused.stderr.split())
    assert f"{path}:2: article 'huge' has 19000 bytes of text; the limit is 2000" in stderr
    assert "--skip-invalid" in stderr
    assert max(cleaned) < len(huge)  # never cleaned
    skipped = runner.invoke(app, ["summarize", str(path), "-q", "--skip-invalid", "-f", "json"])
    assert skipped.exit_code == 0, skipped.stderr
    digest = Digest.model_validate_json(skipped.stdout)
    assert [a.id for a in digest.articles] == ["small"]
    assert any("'huge' has 19000 bytes" in w for w in digest.warnings)


def test_the_api_answers_413_for_it_without_cleaning_it(
    make_client: Callable,  # noqa: F811
    cleaned: list[int],
) -> None:
    client = make_client(max_article_bytes=LIMIT)
    huge = "Ships waited. " * 1_000  # 14,000 bytes
    articles = [{"id": "small", "text": STORY}, {"id": "big", "text": huge}]
    answer = client.post("/v1/digests", json={"articles": articles})
    assert answer.status_code == 413
    assert answer.json()["detail"].startswith(
        "articles[1] ('big') has 14000 bytes of text; the limit is 2000 (send the story's text"
    )
    assert max(cleaned) < len(huge)


def test_a_text_within_four_times_the_limit_is_cleaned_first_and_judged_after(
    make_client: Callable,  # noqa: F811
    cleaned: list[int],
) -> None:
    """Markup comes out before the size is judged: a page's worth of script around a short
    story is no reason to refuse it."""
    client = make_client(max_article_bytes=LIMIT)
    wrapped = f"<script>{'var x = 1; ' * 500}</script><p>{STORY}</p>"  # about 5,200 bytes
    answer = client.post("/v1/digests", json={"articles": [{"id": "page", "text": wrapped}]})
    assert answer.status_code == 202, answer.json()
    assert len(wrapped) in cleaned


def test_every_article_over_the_limit_is_named_at_once_far_over_or_not(
    tmp_path: Path,
    digest_setting: Callable[[str, str], None],  # noqa: F811
) -> None:
    """One over the limit was named only after one far over it had been fixed: one was
    refused while reading, the other after."""
    digest_setting("DIGEST_MAX_ARTICLE_BYTES", str(LIMIT))
    over = "A long day at sea. " * 120  # 2,280 bytes: cleaned, then refused
    far_over = "A long day at sea. " * 1_000  # 19,000 bytes: refused before cleaning
    path = _write(tmp_path, ("small", STORY), ("over", over), ("far", far_over))
    refused = CliRunner().invoke(app, ["summarize", str(path), "-q"])
    assert refused.exit_code == 2
    stderr = " ".join(refused.stderr.split())
    assert f"{path}:2: article 'over' has 2279 bytes of text" in stderr
    assert f"{path}:3" in stderr and "leave such articles out" in stderr
