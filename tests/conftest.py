"""Test set-up: no network, no hub, one shared local embedder, article factories, the API
servers a test starts."""

from __future__ import annotations

import os
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
for _name in list(os.environ):
    if _name.startswith("DIGEST_"):
        del os.environ[_name]
# the default DIGEST_DATA_DIR is under XDG_DATA_HOME: tests never write into the user's own
_DATA_HOME = tempfile.TemporaryDirectory(prefix="digest-test-data-")
os.environ["XDG_DATA_HOME"] = _DATA_HOME.name

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

import pytest  # noqa: E402

from service.backends.embedders import Embedder, get_embedder  # noqa: E402
from service.models import Article  # noqa: E402

if TYPE_CHECKING:
    from tests.test_api_fakes import Server

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "wikinews_100.jsonl"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real local MiniLM, loaded once for the whole run."""
    return get_embedder()


def make_article(article_id: str, text: str, **fields: object) -> Article:
    return Article(id=article_id, title=str(fields.pop("title", article_id)), text=text, **fields)


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """API servers a test starts (as subprocesses); each is stopped after the test."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()
