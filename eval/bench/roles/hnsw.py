"""Role `hnsw`: dense recall@10 of the largest index's FAISS index against exact search, with and without dates."""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from ..corpus import windows_for
from ..probes import latency, pct, rnd


def run(args: argparse.Namespace, plan: dict[str, Any]) -> dict[str, Any]:
    """HNSW recall on the scale index when there is one (unless --hnsw-index names another), else the last size's."""
    if plan.get("scale_index") and not args.hnsw_index:
        args.hnsw_index = plan["scale_index"]
    return run_hnsw(args, plan["queries"], plan.get("query_dates"))


def run_hnsw(args: argparse.Namespace, queries: list[str], dates: list[str | None] | None = None) -> dict[str, Any]:
    """Dense recall@10 of the index type qa uses for the largest index against exact search, on its stored vectors:
    without a date (efSearch 128 and 256) and within as_of / 4-week windows (FaissIndex.search's own path)."""
    import faiss
    import numpy as np

    from qa.config import Settings
    from qa.embed import make_embedder
    from qa.index import manifest
    from qa.index import vectors as vector_module
    from qa.index.db import Database
    from qa.index.schema import DB, FAISS_FILE
    from qa.index.vectors import FaissIndex

    folder = Path(args.hnsw_index) if args.hnsw_index else Path(args.work) / f"index-{args.backend}"
    found = json.loads((folder / "manifest.json").read_text())
    settings = Settings.load(env={}, **{"embedding.backend": found["embedding"]["backend"]})
    db = Database(folder / DB)
    batches = list(db.iter_vectors())
    ids = np.concatenate([b[0] for b in batches])
    vecs = np.vstack([b[1] for b in batches])
    del batches
    embedder = make_embedder(settings.embedding)
    manifest.adopt(found, embedder)  # the query vectors of the int8 weights the index was built with
    qv = np.asarray(embedder.embed(queries), dtype=np.float32) if queries else vecs[:0]
    # more queries than the titles: chunk vectors themselves, a second, harder-to-miss-by-luck set
    rng = np.random.default_rng(0)
    picked = rng.choice(len(vecs), size=min(len(vecs), args.hnsw_queries), replace=False)
    qv = np.vstack([qv, vecs[picked]])
    flat = FaissIndex.new(vecs.shape[1], len(vecs), exact_max=len(vecs)).index
    flat.add_with_ids(vecs, ids)
    saved = folder / FAISS_FILE
    source = "built here"
    t = time.perf_counter()
    if saved.is_file() and FaissIndex.load(saved).kind == "IndexHNSWFlat":
        graph, source = FaissIndex.load(saved), "the index's vectors.faiss"
    else:
        graph = FaissIndex.new(vecs.shape[1], len(vecs), exact_max=0)  # force the HNSW branch
        graph.add(ids, vecs)
    build_s = time.perf_counter() - t
    hnsw = graph.index
    faiss.omp_set_num_threads(1)  # as FaissIndex.search does for its single queries
    k = 10
    out: dict[str, Any] = {"index": str(folder), "vectors": int(len(vecs)), "queries": int(len(qv)),
                           "build_s": round(build_s, 2), "hnsw_source": source,
                           "exact_search_max": settings.ingest.exact_search_max}
    timings = {}
    results = {}
    # efSearch 128: what FaissIndex.new sets (plain searches); 256 for comparison
    for name, index, params in (("flat", flat, None), ("hnsw", hnsw, None),
                                ("hnsw_ef256", hnsw, faiss.SearchParametersHNSW(efSearch=256))):
        lat = []
        got_all = []
        for row in qv:
            t = time.perf_counter()
            _, got = index.search(row.reshape(1, -1), k, params=params)
            lat.append(time.perf_counter() - t)
            got_all.append(got[0])
        timings[name] = latency(lat)
        results[name] = got_all
    for name, key in (("hnsw", "recall_at_10"), ("hnsw_ef256", "recall_at_10_ef256")):
        recall = [len(set(a) & set(b)) / k for a, b in zip(results["flat"], results[name])]
        out[key] = round(statistics.fmean(recall), 4) if recall else None
        out["min_" + key] = round(min(recall), 2) if recall else None
    out["efSearch"] = int(faiss.downcast_index(hnsw.index).hnsw.efSearch)
    out["latency"] = timings
    # date windows: the titles' own (as_of a week after, 4 weeks around), and for the chunk-vector queries the
    # windows of random published dates of the corpus
    days = sorted({str(r[0])[:10] for r in db._all("SELECT published FROM articles WHERE published IS NOT NULL")})
    qdates = list(dates or [])[: len(queries)] + ([days[int(i)] for i in rng.integers(0, len(days), size=len(picked))]
                                                  if days else [None] * len(picked))
    windowed: dict[str, dict[str, list]] = {}
    for row, day in zip(qv, qdates):
        for name, w in windows_for(day).items():
            lo, hi = w.get("date_from"), w.get("date_to") or w.get("as_of")
            allowed = np.sort(db.chunk_ids_between(lo, hi))
            if not len(allowed):
                continue
            mask = np.isin(ids, allowed)
            scores = vecs[mask] @ row
            exact = set(ids[mask][np.argsort(-scores)[:k]].tolist())
            t = time.perf_counter()
            got = [i for i, _ in graph.search(row, k, allowed)]
            dt = time.perf_counter() - t
            path = "exact among the window" if len(allowed) <= vector_module.SUBSET_EXACT else "filtered graph walk"
            cell = windowed.setdefault(f"{name}: {path}", {"recall": [], "lat": [], "fraction": []})
            cell["recall"].append(len(exact & set(got)) / min(k, len(exact)))
            cell["lat"].append(dt)
            cell["fraction"].append(len(allowed) / len(ids))
    db.close()
    out["windows"] = {name: {"n": len(c["recall"]), "recall_at_10": round(statistics.fmean(c["recall"]), 4),
                             "min_recall_at_10": round(min(c["recall"]), 2), "latency": latency(c["lat"]),
                             "window_fraction_p50": rnd(pct(c["fraction"], 50), 3)}
                      for name, c in sorted(windowed.items()) if c["recall"]}
    out["subset_exact_max"] = vector_module.SUBSET_EXACT
    return out
