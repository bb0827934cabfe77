import numpy as np

from service.backends.embedders import LOCAL_MODEL, Embedder, get_embedder


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
    assert (agreement > 0.9).all(), agreement
    # the two texts stay far apart in both
    assert quantized[0] @ quantized[1] < 0.5


def test_empty_input() -> None:
    assert get_embedder().encode([]).shape == (0, 384)
