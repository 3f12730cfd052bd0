"""Role `plain`: the reference loop (sentence-transformers torch fp32, flat FAISS, texts in a list)."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from ..probes import latency, load_avg, peak_rss_mb, rnd, rss_mb


def run(args: argparse.Namespace, plan: dict[str, Any]) -> dict[str, Any]:
    """The plain loop on the plan's first --reference-articles articles, with its queries."""
    return run_plain(args, [Path(p) for p in plan["slices"]], plan["reference_articles"], plan["queries"])


def run_plain(args: argparse.Namespace, slices: list[Path], n_articles: int, queries: list[str]) -> dict[str, Any]:
    """sentence-transformers encode (torch fp32) + a flat FAISS index, texts in a list; qa's chunker for equal chunks."""
    import faiss
    import numpy as np

    from qa.config import Settings
    from qa.embed.st import SentenceTransformerEmbedder
    from qa.ingest.chunk import chunk_article
    from qa.ingest.load import load_paths
    from qa.testing import HashEmbedder
    from qa.types import Article

    settings = Settings.load(env={})
    c = settings.chunking
    counter = SentenceTransformerEmbedder(settings.embedding) if args.backend != "hash" else HashEmbedder()
    t = time.perf_counter()
    if args.backend == "hash":
        model = None
        encode = HashEmbedder().embed
        dim = HashEmbedder().dim
    else:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(counter.path), device="cpu", local_files_only=True)
        model.max_seq_length = settings.embedding.max_tokens
        dim = model.get_embedding_dimension()

        def encode(texts: list[str]) -> Any:
            return model.encode(texts, batch_size=settings.embedding.batch_size, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)

        encode(["warm up"])
    load_s = time.perf_counter() - t
    index = faiss.IndexFlatIP(dim)
    texts: list[str] = []
    stages = {"parse": 0.0, "chunk": 0.0, "embed": 0.0, "write": 0.0}
    words: list[int] = []
    articles = 0
    la = load_avg()
    t0 = time.perf_counter()
    batch: list[Article] = []

    def flush() -> None:
        t = time.perf_counter()
        chunks = [ch.text for a in batch for ch in chunk_article(a, counter, c.max_tokens, c.overlap_tokens, c.min_tokens)]
        stages["chunk"] += time.perf_counter() - t
        if not chunks:
            return
        t = time.perf_counter()
        vecs = np.asarray(encode(chunks), dtype=np.float32)
        stages["embed"] += time.perf_counter() - t
        t = time.perf_counter()
        index.add(vecs)
        texts.extend(chunks)
        stages["write"] += time.perf_counter() - t
        words.extend(len(x.split()) for x in chunks)
        batch.clear()

    stream = iter(load_paths(slices))
    while articles < n_articles:
        t = time.perf_counter()
        item = next(stream, None)
        stages["parse"] += time.perf_counter() - t
        if item is None:
            break
        if not isinstance(item, Article):
            continue
        batch.append(item)
        articles += 1
        if len(batch) >= settings.ingest.batch_articles:
            flush()
    flush()
    seconds = time.perf_counter() - t0
    lat = []
    for i, q in enumerate(queries):
        t = time.perf_counter()
        qv = np.asarray(encode([q]), dtype=np.float32)
        _, ids = index.search(qv, settings.retrieval.candidates)
        _ = [texts[j] for j in ids[0] if j >= 0]
        if i >= 3:  # the first ones warm up
            lat.append(time.perf_counter() - t)
    n = len(texts)
    return {
        "articles": articles, "chunks": n, "model_load_s": round(load_s, 2), "load_avg": la,
        "chunk_words_median": statistics.median(words) if words else None,
        "ingest": {"seconds": round(seconds, 2), "articles_per_s": rnd(articles / seconds if seconds else None, 2),
                   "chunks_per_s": rnd(n / seconds if seconds else None, 2),
                   "embed_chunks_per_s": rnd(n / stages["embed"] if stages["embed"] else None, 2),
                   "stages_s": {k: round(v, 2) for k, v in stages.items()}},
        "rss_mb": round(rss_mb(), 1), "peak_rss_mb": round(peak_rss_mb(), 1),
        "dense_retrieval": latency(lat), "load_avg_end": load_avg(),
    }
