"""Int8 MiniLM graph variants against the shipped one: the same chunks, interleaved rounds, one thread.

    .venv/bin/python -m eval.bench.embed_variants [--corpus FILE.jsonl(.gz)] [--chunks 96] [--threads 1] [--rounds 3]

The shipped export (qa/embed/ort.py) fuses BERT's attention into one op and quantises it with the matrix products
(QAttention). The variants: the fused attention kept fp32 with only the MatMuls int8; attention left unfused
(score products and softmax as separate ops) with every MatMul int8; no fusion at all. Prints chunks/s (median
of the rounds) and the mean cosine of each variant's vectors to the shipped one's. Writes into a temporary folder.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from qa.config import EmbeddingSettings
from qa.embed import ort as O
from qa.embed.st import SentenceTransformerEmbedder

from ..data import SCALE_CORPUS as DEFAULT_CORPUS


def chunk_texts(corpus: Path, n: int, words: int = 170) -> list[str]:
    opener = gzip.open if str(corpus).endswith(".gz") else open
    out: list[str] = []
    with opener(corpus, "rt", encoding="utf-8") as fh:
        for line in fh:
            w = json.loads(line).get("text", "").split()
            out += [" ".join(w[i : i + words]) for i in range(0, max(0, len(w) - words), words)]
            if len(out) >= n:
                break
    return out[:n]


def variants(model_dir: Path, work: Path) -> dict[str, Path]:
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    shipped = O.export_dir(model_dir, True, O.default_weights()) / O.ONNX_FILE
    O.load_onnx(model_dir, quantized=True)  # the shipped export exists
    fp32 = O.export_dir(model_dir, False) / O.ONNX_FILE
    wt = QuantType.QInt8 if O.default_weights() == "s8" else QuantType.QUInt8
    q = dict(weight_type=wt, per_channel=True, extra_options={"DefaultTensorType": 1})
    out = {"shipped: fused attention, int8 (QAttention)": shipped}
    logging.getLogger().setLevel(logging.ERROR)
    quantize_dynamic(str(fp32), str(work / "b.onnx"), op_types_to_quantize=["MatMul"], **q)
    out["fused attention fp32, MatMuls int8"] = work / "b.onnx"
    O._export_fp32(model_dir, work / "raw.onnx")
    fo = FusionOptions("bert")
    fo.enable_attention = False
    cfg = json.loads((model_dir / "config.json").read_text())
    m = optimize_model(str(work / "raw.onnx"), model_type="bert", num_heads=int(cfg["num_attention_heads"]),
                       hidden_size=int(cfg["hidden_size"]), opt_level=1, use_gpu=False, optimization_options=fo)
    m.save_model_to_file(str(work / "c32.onnx"))
    quantize_dynamic(str(work / "c32.onnx"), str(work / "c.onnx"), **q)
    out["attention unfused, other fusions, int8"] = work / "c.onnx"
    quantize_dynamic(str(work / "raw.onnx"), str(work / "d.onnx"), **q)
    out["no fusion, int8"] = work / "d.onnx"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--chunks", type=int, default=96)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    if not args.corpus.is_file():
        print(f"error: no corpus at {args.corpus}: pass --corpus FILE.jsonl", flush=True)
        return 1
    model_dir = Path(SentenceTransformerEmbedder(EmbeddingSettings(backend="onnx-int8")).path)
    texts = chunk_texts(args.corpus, args.chunks)
    with tempfile.TemporaryDirectory() as tmp:
        encoders = {k: O.OnnxEncoder(model_dir, p, threads=args.threads) for k, p in variants(model_dir, Path(tmp)).items()}
        for e in encoders.values():
            e.max_seq_length = 256
            e.encode(texts[:8])
        rates: dict[str, list[float]] = {k: [] for k in encoders}
        vecs: dict[str, np.ndarray] = {}
        for _ in range(args.rounds):  # interleaved: load changes hit every variant alike
            for k, e in encoders.items():
                t = time.perf_counter()
                vecs[k] = e.encode(texts, batch_size=32)
                rates[k].append(len(texts) / (time.perf_counter() - t))
    ref = next(iter(vecs.values()))
    print(f"{len(texts)} chunks of ~170 words, {args.threads} thread(s), median of {args.rounds} rounds")
    print("| graph | chunks/s | cosine to shipped |\n|---|---|---|")
    for k in encoders:
        cos = float(np.mean(np.sum(vecs[k] * ref, axis=1)))
        print(f"| {k} | {statistics.median(rates[k]):.1f} | {cos:.4f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
