"""Role `limit`: the compute limit of int8 MiniLM here (ONNX Runtime's profile by operator, the int8 GEMMs alone)."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from ..corpus import chunk_texts
from ..probes import cpu_features, cpu_model, rnd


def run(args: argparse.Namespace, plan: dict[str, Any]) -> dict[str, Any]:
    """Where embedding time goes (ONNX Runtime's profile by operator) and what the int8 GEMMs alone take."""
    import numpy as np
    import onnxruntime as ort

    from qa.config import EmbeddingSettings
    from qa.embed.ort import ONNX_FILE, OnnxEncoder, default_weights, export_dir, load_onnx
    from qa.embed.st import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder(EmbeddingSettings(backend="onnx-int8"))
    weights = default_weights()
    load_onnx(emb.path, quantized=True, weights=weights)
    path = export_dir(emb.path, True, weights) / ONNX_FILE
    texts = chunk_texts(Path(plan["slices"][0]), 64)
    enc = OnnxEncoder(emb.path, path, threads=1)
    enc.max_seq_length = 256
    lengths = [len(e.ids) for e in enc.tokenizer.encode_batch(texts)]
    tokens = sum(lengths)
    enc.encode(texts[:8])
    t = time.perf_counter()
    enc.encode(texts, batch_size=32)
    model_s = time.perf_counter() - t
    config = json.loads((emb.path / "config.json").read_text())
    h, ff, layers = int(config["hidden_size"]), int(config["intermediate_size"]), int(config["num_hidden_layers"])
    gemm_macs = tokens * layers * (h * 3 * h + h * h + 2 * h * ff)  # QKV, attention output, FFN in and out
    attn_macs = layers * 2 * h * sum(n * n for n in lengths)  # QK^T and AV per sequence (fp32)
    gemm_s = _int8_gemm_seconds(np, ort, h, ff, layers, lengths)
    profile = _op_profile(ort, path, enc, texts[:32])
    out = {"cpu": cpu_model(), "cpu_features": cpu_features(), "cores": os.cpu_count(), "weights": weights,
           "texts": len(texts), "tokens": tokens, "tokens_per_text": rnd(tokens / len(texts), 1),
           "model_1_thread_texts_per_s": rnd(len(texts) / model_s, 1),
           "int8_gemm_gmacs": rnd(gemm_macs / 1e9, 2), "fp32_attention_gmacs": rnd(attn_macs / 1e9, 2),
           "gemm_only_1_thread_s": rnd(gemm_s, 3), "model_1_thread_s": rnd(model_s, 3),
           "gemm_gmac_per_s_1_thread": rnd(gemm_macs / gemm_s / 1e9, 1),
           "gemm_share_of_model": rnd(gemm_s / model_s, 3),
           "ceiling_1_thread_texts_per_s": rnd(len(texts) / gemm_s, 1), "profile_share": profile}
    return out



def _int8_gemm_seconds(np: Any, ort: Any, h: int, ff: int, layers: int, lengths: list[int]) -> float:
    """One thread: the model's int8 matrix products alone (uint8 activations x int8 weights, MatMulInteger:
    the MLAS QGEMM kernels DynamicQuantizeMatMul calls), batches of 32 padded as qa pads them."""
    import onnx
    from onnx import TensorProto, helper

    shapes = [(h, 3 * h), (h, h), (h, ff), (ff, h)]
    nodes, inits, inputs = [], [], []
    for i, (k, n) in enumerate(shapes):
        inputs.append(helper.make_tensor_value_info(f"a{i}", TensorProto.UINT8, ["m", k]))
        rng = np.random.default_rng(i)
        inits.append(onnx.numpy_helper.from_array(rng.integers(-127, 127, size=(k, n), dtype=np.int8), f"w{i}"))
        inits.append(onnx.numpy_helper.from_array(np.array(128, dtype=np.uint8), f"z{i}"))
        nodes.append(helper.make_node("MatMulInteger", [f"a{i}", f"w{i}", f"z{i}"], [f"y{i}"]))
    outputs = [helper.make_tensor_value_info(f"y{i}", TensorProto.INT32, ["m", n]) for i, (_, n) in enumerate(shapes)]
    graph = helper.make_graph(nodes, "int8_gemms", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    ordered = sorted(lengths)
    rows = [len(ordered[b : b + 32]) * max(ordered[b : b + 32]) for b in range(0, len(ordered), 32)]  # padded tokens
    rng = np.random.default_rng(9)
    feeds = [{f"a{i}": rng.integers(0, 255, size=(m, k), dtype=np.uint8) for i, (k, _) in enumerate(shapes)} for m in rows]
    sess.run(None, feeds[0])
    t = time.perf_counter()
    for f in feeds:
        for _ in range(layers):
            sess.run(None, f)
    return time.perf_counter() - t



def _op_profile(ort: Any, path: Path, enc: Any, texts: list[str]) -> dict[str, float]:
    """Share of the embedding model's time per ONNX operator type (one thread, ONNX Runtime's profiler)."""
    import tempfile

    import numpy as np

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.enable_profiling = True
    opts.profile_file_prefix = str(Path(tempfile.mkdtemp()) / "ort")
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    e = enc.tokenizer.encode_batch(texts)
    width = max(len(x.ids) for x in e)
    ids = np.zeros((len(e), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, x in enumerate(e):
        ids[i, : len(x.ids)] = x.ids
        mask[i, : len(x.ids)] = 1
    feeds = {"input_ids": ids, "attention_mask": mask}
    if "token_type_ids" in {i.name for i in sess.get_inputs()}:
        feeds["token_type_ids"] = np.zeros_like(ids)
    sess.run(None, feeds)
    sess.run(None, feeds)
    events = json.loads(Path(sess.end_profiling()).read_text())
    agg: dict[str, float] = {}
    for ev in events:
        if ev.get("cat") == "Node" and str(ev.get("name", "")).endswith("_kernel_time"):
            op = ev.get("args", {}).get("op_name", "?")
            agg[op] = agg.get(op, 0.0) + float(ev.get("dur", 0))
    total = sum(agg.values()) or 1.0
    return {k: round(v / total, 3) for k, v in sorted(agg.items(), key=lambda kv: -kv[1])}
