"""Role `threads`: the thread plan: llama.cpp and ONNX Runtime per thread setting, idle and beside a competitor."""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

from ..corpus import chunk_texts
from ..measure import answer_models
from ..probes import Competitor, rnd


def run(args: argparse.Namespace, plan: dict[str, Any]) -> dict[str, Any]:
    """llama.cpp with 1, 2 and adaptive threads, and ONNX Runtime's two ways of using 2 threads, idle and loaded."""
    out: dict[str, Any] = {"omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(default)"), "llama": {}}
    texts = chunk_texts(Path(plan["slices"][0]), 64)
    if not args.threads_llama_only:
        out["onnx"] = _onnx_threads(args, texts)
    for model in answer_models(args):
        out["llama"][model] = _llama_threads(model, texts, args)
    return out



def _onnx_threads(args: argparse.Namespace, texts: list[str]) -> dict[str, Any]:
    from qa.config import EmbeddingSettings
    from qa.embed.ort import ONNX_FILE, OnnxEncoder, default_weights, export_dir, load_onnx
    from qa.embed.st import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder(EmbeddingSettings(backend="onnx-int8"))
    load_onnx(emb.path, quantized=True, weights=default_weights())  # the export exists
    path = export_dir(emb.path, True, default_weights()) / ONNX_FILE
    variants = {"2 threads, batches in parallel": OnnxEncoder(emb.path, path, threads=2, parallel="batches"),
                "2 threads, intra-op pool": OnnxEncoder(emb.path, path, threads=2, parallel="ops"),
                "1 thread": OnnxEncoder(emb.path, path, threads=1)}
    for enc in variants.values():
        enc.max_seq_length = 256
        enc.encode(texts[:8])
    out: dict[str, Any] = {"texts": len(texts), "weights": default_weights()}
    for condition in ("idle", "competitor"):
        with Competitor(condition == "competitor"):
            rates: dict[str, list[float]] = {k: [] for k in variants}
            for _ in range(2):  # interleaved rounds: load changes hit every variant alike
                for name, enc in variants.items():
                    t = time.perf_counter()
                    enc.encode(texts, batch_size=32)
                    rates[name].append(len(texts) / (time.perf_counter() - t))
            out[condition] = {k: rnd(statistics.median(v), 1) for k, v in rates.items()}
    return out



def _llama_threads(model: str, texts: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Prompt evaluation (a ~330-token read prompt from scratch) and generation (15 tokens) per thread setting."""
    from qa.config import LLMSettings
    from qa.generate.llama import LlamaCppGenerator
    from qa.generate.prompts import Prompts

    gen = LlamaCppGenerator(LLMSettings(model=model))
    evidence = "\n".join(f"[{i}] {s.strip()}." for i, s in enumerate(" ".join(texts[:3]).split(". ")[:8], 1))
    messages = Prompts().messages("read", evidence=evidence, question="What did the report say happened?")
    prompt = gen.chat_prompt(messages)
    llm = gen.llm
    adaptive = gen._share.free_cores
    out: dict[str, Any] = {"model_file": gen.name, "prompt_tokens": len(llm.tokenize(prompt.encode(), special=True))}
    # generation: a reply of 32 tokens to a request for a long one, its prompt already in the KV cache
    long = gen.chat_prompt([{"role": "user", "content": evidence + "\n\nRetell the evidence above in ten sentences."}])
    settings = {"1": lambda: 1, "2": lambda: 2, "adaptive": adaptive}
    for condition in ("idle", "competitor"):
        with Competitor(condition == "competitor"):
            cell: dict[str, Any] = {}
            for name, choose in settings.items():
                gen._share.free_cores = choose  # the plan's choice, fixed or adaptive, for this setting
                prompt_s, gen_rate, used = [], [], []
                for _ in range(args.threads_reps):
                    llm.reset()
                    gen.complete(prompt, max_tokens=1, stop=[])  # the whole prompt evaluated, one token sampled
                    p = gen.calls[-1]
                    prompt_s.append(p["seconds"])
                    llm.reset()
                    gen.complete(long, max_tokens=1, stop=[])
                    gen.complete(long, max_tokens=32, stop=[])  # one token evaluated again, then 32 generated
                    g = gen.calls[-1]
                    if g["generated_tokens"]:
                        gen_rate.append(g["generated_tokens"] / g["seconds"])
                    used += [p["threads"], g["threads"]]
                cell[name] = {"prompt_s": rnd(statistics.median(prompt_s), 3),
                              "prompt_tokens_per_s": rnd(p["evaluated_tokens"] / statistics.median(prompt_s), 1),
                              "generated_tokens_per_s": rnd(statistics.median(gen_rate), 1) if gen_rate else None,
                              "threads_used": sorted(set(used))}
            out[condition] = cell
    gen._share.free_cores = adaptive
    return out
