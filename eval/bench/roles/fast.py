"""Role `fast`: qa's ingest fed the corpus in slices, measured at each size (and the --scale-index, read only)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from ..measure import answer_latency, built_with, measure_index, save_partial
from ..probes import load_avg, log, rnd


def run(args: argparse.Namespace, plan: dict[str, Any]) -> dict[str, Any]:
    from qa.assistant import Assistant

    slices = [Path(p) for p in plan["slices"]]
    index_dir = Path(args.work) / f"index-{args.backend}"
    overrides: dict[str, Any] = {"embedding.backend": args.backend, "llm.enabled": not args.no_llm}
    t = time.perf_counter()
    assistant = Assistant.open(index_dir, create=True, rebuild=True, **overrides)
    if args.backend != "hash":
        assistant.embedder.embed(["warm up"])  # model load (and first ONNX export) is not ingest time
    load_s = time.perf_counter() - t
    out: dict[str, Any] = {"backend": args.backend, "model_load_s": round(load_s, 2), "sizes": [],
                           "int8_weights": getattr(assistant.embedder, "int8_weights", None),
                           "embedding_threads": assistant.settings.embedding.threads,
                           "load_avg_start": load_avg(), "exact_search_max": assistant.settings.ingest.exact_search_max}
    queries = plan["queries"]
    for size, path in zip(plan["sizes"], slices):
        la = load_avg()
        report = assistant.add([path], progress=False)
        row: dict[str, Any] = {"articles": assistant.store.counts()["articles"], "target": size,
                               "chunks": assistant.store.counts()["chunks"], "load_avg": la}
        slice_articles = report.added + report.updated
        row["ingest"] = {
            "articles": slice_articles, "chunks": report.chunks, "embedded": report.embedded,
            "seconds": round(report.seconds, 2),
            "articles_per_s": rnd(slice_articles / report.seconds if report.seconds else None, 2),
            "chunks_per_s": rnd(report.chunks / report.seconds if report.seconds else None, 2),
            "embed_chunks_per_s": rnd(report.embedded / report.stages["embed"] if report.stages["embed"] else None, 2),
            "stages_s": {k: round(v, 2) for k, v in report.stages.items()},
            "skipped": len(report.skipped),
        }
        measure_index(assistant, row, index_dir, queries, plan.get("query_dates") or [], args)
        if args.answers and args.no_llm:  # without a model: the extractive path, measured here
            row["answer"] = answer_latency(assistant, queries[: args.answers])
        out["sizes"].append(row)
        save_partial(args, "fast", out)  # a run stopped at a bigger size keeps the smaller sizes' results
        log(f"fast: {row['articles']} articles, {row['chunks']} chunks, ingest {row['ingest']['seconds']} s, "
             f"retrieval p50 {row['retrieval']['total']['p50_ms']} ms")
    assistant.close()
    if plan.get("scale_index"):
        scale = Path(plan["scale_index"])
        a = Assistant.open(scale, **{"llm.enabled": False, "embedding.backend": built_with(scale)})
        counts = a.store.counts()
        row = {"articles": counts["articles"], "target": plan["total"], "chunks": counts["chunks"], "load_avg": load_avg(),
               "index": str(scale), "ingest": _scale_ingest(plan)}
        measure_index(a, row, scale, queries, plan.get("query_dates") or [], args)
        a.close()
        out["sizes"].append(row)
        log(f"fast: {scale} ({row['articles']} articles, {row['chunks']} chunks), "
             f"retrieval p50 {row['retrieval']['total']['p50_ms']} ms")
    out["load_avg_end"] = load_avg()
    return out



def _scale_ingest(plan: dict[str, Any]) -> dict[str, Any]:
    """What building the scale index took, when its `qa index` summary line was kept (--scale-build-log)."""
    import re

    log = plan.get("scale_build_log")
    empty = {"articles": None, "chunks": None, "seconds": None, "articles_per_s": None, "chunks_per_s": None,
             "embed_chunks_per_s": None, "stages_s": {}}
    if not log or not Path(log).is_file():
        return empty
    m = re.search(r"articles: (\d+) added.*?chunks: (\d+) written, (\d+) embedded; ([\d.]+) s \(([\d.]+) chunks/s\)",
                  Path(log).read_text(errors="replace"))
    if not m:
        return empty
    added, chunks, _, seconds, rate = int(m[1]), int(m[2]), int(m[3]), float(m[4]), float(m[5])
    return dict(empty, articles=added, chunks=chunks, seconds=seconds, articles_per_s=round(added / seconds, 2),
                chunks_per_s=rate, source=str(log))
