import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from service.backends import embedders
from service.backends.embedders import (
    LOCAL_MODEL,
    Embedder,
    MiniLMEmbedder,
    get_embedder,
    model_files,
    prepare_local_model,
    warm_local_model,
)
from service.cli import app
from service.config import Settings
from service.errors import ConfigError
from service.pipeline.run import embedder_for


def test_default_local_model_is_int8_and_close_to_full_precision(embedder: Embedder) -> None:
    texts = [
        "Dock workers at the port of Valmora began a strike on Monday.",
        "Astronomers reported a new comet on Friday.",
    ]
    full = get_embedder(LOCAL_MODEL + ":fp32")
    assert embedder.name == LOCAL_MODEL and full.name == LOCAL_MODEL + ":fp32"
    quantized, reference = embedder.encode(texts), full.encode(texts)
    assert quantized.shape == reference.shape == (2, 384)
    assert np.allclose(np.linalg.norm(quantized, axis=1), 1.0, atol=1e-4)
    agreement = (quantized * reference).sum(axis=1)
    assert (agreement > 0.97).all(), agreement
    # the two texts stay far apart in both
    assert quantized[0] @ quantized[1] < 0.5


def test_a_text_gets_the_same_vector_alone_or_in_a_padded_batch(embedder: Embedder) -> None:
    # mean pooling must ignore the padding the longer texts of a batch force on it; int8
    # scales its activations per batch, so there the vectors agree only closely
    short = "Rain fell in Lisbon."
    texts = [short, "A much longer sentence " * 20, "Another text of middling size."]
    full = MiniLMEmbedder(batch_size=16, quantized=False)
    assert float(full.encode(texts)[0] @ full.encode([short])[0]) > 0.9999
    batched = MiniLMEmbedder(batch_size=16)
    assert float(batched.encode(texts)[0] @ batched.encode([short])[0]) > 0.98


def test_by_default_a_vector_does_not_depend_on_the_other_texts(embedder: Embedder) -> None:
    # the default runs one text at a time, so int8's per-run scale is the text's own
    short = "Rain fell in Lisbon."
    alone = embedder.encode([short])[0]
    for others in (["A much longer sentence " * 20], ["Ships left.", "Markets fell sharply."]):
        assert np.array_equal(embedder.encode([*others, short])[-1], alone)


def test_paraphrases_are_closer_than_unrelated_texts(embedder: Embedder) -> None:
    vectors = embedder.encode(
        [
            "The central bank raised interest rates by half a point.",
            "Interest rates were increased 0.5 percentage points by the central bank.",
            "The football team won the cup final on penalties.",
        ]
    )
    assert vectors[0] @ vectors[1] > 0.7 > vectors[0] @ vectors[2] + 0.3


def test_empty_input() -> None:
    assert get_embedder().encode([]).shape == (0, 384)


def test_the_export_is_made_once_and_reused(embedder: Embedder) -> None:
    assert isinstance(embedder, MiniLMEmbedder)
    fp32, int8 = model_files(embedder.model_dir)
    before = (fp32.stat().st_mtime_ns, int8.stat().st_mtime_ns)
    assert prepare_local_model(embedder.model_dir) == int8
    assert (fp32.stat().st_mtime_ns, int8.stat().st_mtime_ns) == before
    assert not [p for p in embedder.model_dir.iterdir() if p.name.startswith(".")]  # no partials


def test_an_unwritable_model_dir_is_a_config_error_naming_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # even root cannot make a folder inside a file
    embedder = embedder_for(Settings(model_dir=blocker / "models"))
    with pytest.raises(ConfigError) as caught:
        embedder.encode(["text"])
    assert "DIGEST_MODEL_DIR" in caught.value.user_message


def test_the_model_dir_and_threads_settings_reach_the_embedder(tmp_path: Path) -> None:
    embedder = embedder_for(Settings(model_dir=tmp_path / "models", embedding_threads=3))
    assert isinstance(embedder, MiniLMEmbedder) and embedder.model_dir == tmp_path / "models"
    assert embedder.threads == 3
    default = embedder_for(Settings(model_dir=tmp_path / "models"))
    assert isinstance(default, MiniLMEmbedder) and default.threads >= 1


def test_threads_change_the_speed_not_the_vectors(embedder: Embedder) -> None:
    texts = ["Rain fell in Lisbon.", "Ships left the port of Valmora.", "Markets fell."] * 3
    one = MiniLMEmbedder(threads=1).encode(texts)
    assert np.array_equal(MiniLMEmbedder(threads=4).encode(texts), one)
    assert np.array_equal(embedder.encode(texts), one)


def test_cli_prepare_reports_where_the_model_is(embedder: Embedder) -> None:
    assert isinstance(embedder, MiniLMEmbedder)
    result = CliRunner().invoke(app, ["prepare"])
    assert result.exit_code == 0, result.output
    assert f"ready in {embedder.model_dir}" in result.stderr.replace("\n", "")


def test_threads_asking_at_once_share_one_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the API's warm-up and a first job may both find the model missing
    calls: list[Path] = []

    def slow_export(source: Path, fp32: Path, int8: Path) -> None:
        calls.append(fp32)
        time.sleep(0.2)
        fp32.parent.mkdir(parents=True, exist_ok=True)
        fp32.write_bytes(b"fp32")
        int8.write_bytes(b"int8")

    monkeypatch.setattr(embedders, "export_minilm", slow_export)
    with ThreadPoolExecutor(max_workers=4) as pool:
        paths = list(pool.map(lambda _: prepare_local_model(tmp_path), range(4)))
    assert len(calls) == 1
    assert paths == [model_files(tmp_path)[1]] * 4


def test_a_damaged_export_is_a_config_error_saying_how_to_redo_it(tmp_path: Path) -> None:
    fp32, int8 = model_files(tmp_path)
    fp32.write_bytes(b"not a model")
    int8.write_bytes(b"not a model")
    with pytest.raises(ConfigError) as caught:
        MiniLMEmbedder(model_dir=tmp_path).encode(["text"])
    assert "digest prepare" in caught.value.user_message and str(int8) in caught.value.user_message


def test_warming_up_loads_the_local_model_and_leaves_a_remote_one_alone(
    embedder: Embedder,
) -> None:
    assert isinstance(embedder, MiniLMEmbedder)
    assert warm_local_model(embedder) == embedder.model_dir
    remote = get_embedder("text-embedding-3-small", api_base="http://127.0.0.1:9")
    assert warm_local_model(remote) is None  # no call made: port 9 would refuse it
