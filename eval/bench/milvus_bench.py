"""Milvus Lite beside FAISS + FTS5: DEV retrieval quality and latency, and the write path at scale (prints figures).

    .venv/bin/python -m eval.bench.milvus_bench dev   [--index index/dev]   [--work /tmp/milvus-bench] [--limit N]
    .venv/bin/python -m eval.bench.milvus_bench scale [--index index/scale] [--work /tmp/milvus-bench]

Nothing is embedded: every figure starts from the vectors stored in an existing FAISS index's SQLite, copied first
(the source folder is never opened, so never written). The embedding cost (docs/performance.md) is the same for both
backends and shared: only the write path and search differ.

dev    copies --index twice: one copy stays FAISS, the other's manifest is switched to index.backend 'milvus' and
       its Milvus Lite collection is built from the stored vectors (timed: bulk rows/s, disk). Then the RealTimeQA
       DEV questions with an evidence article (eval/studies/hit_at_k.py's set and hit definition) are run on both:
       evidence hit@1/5/10 (hybrid and dense) and warm retrieval latency, backends alternating question by question
       so machine load hits both alike: Assistant.search (embedding, dense + BM25 in the as_of window, fusion,
       diversity) and the two backend calls alone.
scale  replays --index's articles, chunks and stored vectors through Index.write_batch in 64-article batches (what
       an ingest does after embedding: SQLite + FTS5, then FAISS or Milvus) into a new index of each backend, each
       in its own process (peak RSS is its own), then save(): chunks/s, seconds, disk, peak RSS; and the bulk
       rebuild of the Milvus collection from SQLite.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ..data import DEV, REPO
from ..studies.hit_at_k import KS, distinct_articles, load_questions
from .probes import disk_mb, latency, load_avg, peak_rss_mb, rss_mb

INDEX_FILES = ("index.sqlite", "index.sqlite-wal", "manifest.json", "vectors.faiss", "vectors.json")


def copy_index(src: Path, dst: Path, backend: str) -> Path:
    """Copy an index folder's SQLite and manifest (+ FAISS file for 'faiss'), switching the manifest's backend."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for name in INDEX_FILES:
        if (src / name).is_file() and (backend == "faiss" or not name.startswith("vectors.")):
            shutil.copy2(src / name, dst / name)
    manifest = json.loads((dst / "manifest.json").read_text())
    manifest["index"] = {"backend": backend}
    (dst / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return dst


def _settings(folder: Path, backend: str, **extra: Any):  # noqa: ANN202
    from qa.config import Settings

    manifest = json.loads((folder / "manifest.json").read_text())
    return Settings.load(env={}, **{"index_dir": str(folder), "embedding.backend": manifest["embedding"]["backend"],
                                    "index.backend": backend, **extra})


def wait_for_hnsw(folder: Path, collection: str) -> None:
    """Milvus Lite builds each sealed segment's HNSW file in a background thread after a flush: wait for them."""
    part = folder / "milvus.db" / "collections" / collection / "partitions" / "_default"
    while len(list((part / "indexes").glob("*.dense.*"))) < len(list((part / "data").glob("*.parquet"))):
        time.sleep(0.05)


def build_milvus(folder: Path) -> dict[str, Any]:
    """Build the Milvus Lite collection of a copied index from its stored vectors (timed)."""
    from qa.embed import make_embedder
    from qa.index import Index

    settings = _settings(folder, "milvus")
    embedder = make_embedder(settings.embedding)
    rss0 = rss_mb()
    index = Index(folder, settings, embedder, create=False)
    t = time.perf_counter()
    index.backend.ready()  # no milvus.json yet: creates the collection, inserts every chunk, flushes
    insert_s = time.perf_counter() - t
    wait_for_hnsw(folder, settings.index.milvus_collection)
    seconds = time.perf_counter() - t
    chunks = index.counts()["chunks"]
    index.save()
    index.close()
    # a fresh open: Milvus Lite loads the HNSW file and builds its BM25 inverted index in memory (at every open)
    rss1 = rss_mb()
    t = time.perf_counter()
    index = Index(folder, settings, embedder, create=False)
    index.bm25_search("storm", 5)
    first_keyword_s = time.perf_counter() - t
    t = time.perf_counter()
    index.dense_search(embedder.embed(["storm"])[0], 5)
    first_dense_s = time.perf_counter() - t
    rss_loaded = rss_mb() - rss1
    index.close()
    return {"chunks": chunks, "insert_flush_s": round(insert_s, 1), "seconds": round(seconds, 1),
            "chunks_per_s": round(chunks / seconds, 1), "milvus_disk_mb": round(disk_mb(folder / "milvus.db"), 1),
            "rss_growth_build_mb": round(rss1 - rss0), "open_first_bm25_s": round(first_keyword_s, 2),
            "first_dense_s": round(first_dense_s, 2), "rss_growth_open_mb": round(rss_loaded), "load": load_avg()}


# -- dev: quality and latency, both backends in one process, alternating -------------------------------

def dev(args: argparse.Namespace) -> dict[str, Any]:
    from qa.assistant import Assistant
    from qa.search import SearchRequest
    from qa.text.dates import parse_iso

    src = Path(args.index)
    work = Path(args.work)
    folders = {"faiss": copy_index(src, work / "dev-faiss", "faiss"), "milvus": copy_index(src, work / "dev-milvus", "milvus")}
    build = build_milvus(folders["milvus"])
    print(_build_line(build), flush=True)
    questions = load_questions(Path(args.questions))[: args.limit]
    assistants = {}
    for name, folder in folders.items():
        rss0 = rss_mb()
        settings = _settings(folder, name)
        assistants[name] = Assistant.open(settings=settings)
        for q in questions[:3]:  # warm: model session, FAISS file, Milvus segments and sparse index loaded
            assistants[name].search(q["question"], as_of=q["as_of"])
        assistants[name].rss_growth = rss_mb() - rss0  # type: ignore[attr-defined]
    hits = {n: {"hybrid": dict.fromkeys(KS, 0), "dense": dict.fromkeys(KS, 0)} for n in folders}
    times: dict[str, dict[str, list[float]]] = {n: {"search": [], "dense": [], "keyword": []} for n in folders}
    keyword_lists: dict[str, list[list[int]]] = {n: [] for n in folders}
    for i, q in enumerate(questions):
        order = list(folders) if i % 2 == 0 else list(reversed(folders))
        for name in order:
            a = assistants[name]
            s = a.settings.retrieval
            depth = max(KS) * s.max_per_article * 2
            t = time.perf_counter()
            hybrid = [p.article_id for p in a.search(q["question"], k=depth, as_of=q["as_of"])]
            times[name]["search"].append(time.perf_counter() - t)
            window = a.retriever.window(SearchRequest(q["question"], as_of=parse_iso(q["as_of"])))
            vec = a.embedder.embed([q["question"]])[0]
            t = time.perf_counter()
            dense_ids = [cid for cid, _ in a.store.dense_search(vec, s.candidates * 2, window)]
            times[name]["dense"].append(time.perf_counter() - t)
            t = time.perf_counter()
            keyword = a.store.bm25_search(q["question"], s.candidates, window)
            times[name]["keyword"].append(time.perf_counter() - t)
            keyword_lists[name].append([cid for cid, _ in keyword])
            passages = a.store.passages(dense_ids)
            dense = [passages[c].article_id for c in dense_ids if c in passages]
            for kind, ranked in (("hybrid", hybrid), ("dense", dense)):
                found = distinct_articles(ranked, max(KS))
                for k in KS:
                    hits[name][kind][k] += q["evidence_id"] in found[:k]
    out = {"questions": len(questions), "build": build, "load": load_avg(), "backends": {},
           "keyword_agreement": agreement(keyword_lists["faiss"], keyword_lists["milvus"])}
    for name, a in assistants.items():
        out["backends"][name] = {"hits": hits[name], "latency": {k: latency(v) for k, v in times[name].items()},
                                 "rss_growth_mb": round(a.rss_growth), "disk_mb": round(disk_mb(folders[name]), 1)}
        a.close()
    n = len(questions) or 1
    print(f"\nRealTimeQA DEV, {len(questions)} questions with an evidence article and as_of; load {out['load']}\n")
    print("| backend | " + " | ".join(f"hybrid hit@{k}" for k in KS) + " | " + " | ".join(f"dense hit@{k}" for k in KS)
          + " | search p50 / p95 ms | dense p50 / p95 ms | BM25 p50 / p95 ms | disk MB |")
    print("|---|" + "---|" * (2 * len(KS) + 4))
    for name, r in out["backends"].items():
        cells = [f"{100 * r['hits'][m][k] / n:.1f}" for m in ("hybrid", "dense") for k in KS]
        lat = [f"{r['latency'][p]['p50_ms']} / {r['latency'][p]['p95_ms']}" for p in ("search", "dense", "keyword")]
        label = "FAISS + FTS5" if name == "faiss" else "Milvus Lite (HNSW + BM25)"
        print(f"| {label} | " + " | ".join(cells) + " | " + " | ".join(lat) + f" | {r['disk_mb']} |")
    ag = out["keyword_agreement"]
    print(f"\nKeyword lists (same chunk ids, as_of window): Milvus's top 10 hold {100 * ag['overlap_at_10']:.1f}% of FTS5's "
          f"top 10, top {s.candidates} {100 * ag['overlap_at_all']:.1f}%; same first chunk {100 * ag['same_top1']:.1f}%")
    return out


def agreement(reference: list[list[int]], other: list[list[int]]) -> dict[str, float]:
    """How much of each reference ranked list another backend reproduces (label-free)."""
    o10 = oall = top1 = 0.0
    for r, o in zip(reference, other):
        o10 += len(set(r[:10]) & set(o[:10])) / max(1, min(10, len(r)))
        oall += len(set(r) & set(o)) / max(1, len(r))
        top1 += bool(r and o and r[0] == o[0])
    n = max(1, len(reference))
    return {"overlap_at_10": round(o10 / n, 3), "overlap_at_all": round(oall / n, 3), "same_top1": round(top1 / n, 3)}


# -- scale: the write path from stored vectors, one process per backend --------------------------------

def replay_batches(db: Any, batch_articles: int):  # noqa: ANN201 - yields WriteItem lists
    """The stored articles with their chunks and vectors, as Index.write_batch items, 64 articles a batch."""
    from qa.types import Chunk

    def flush(group: list[tuple]) -> tuple:
        article = db.article(group[0][1])
        passages = db.passages([r[0] for r in group])
        chunks = [Chunk(article.id, passages[r[0]].position, passages[r[0]].start, passages[r[0]].end, r[4]) for r in group]
        vecs = __import__("numpy").vstack([r[5] for r in group])
        hashes = [hashlib.sha1(c.text.encode()).hexdigest() for c in chunks]
        return (article, hashlib.sha1(article.text.encode()).hexdigest(), chunks, vecs, hashes, None)

    items, group = [], []
    for rows in db.iter_search_rows():
        for row in rows:
            if group and row[1] != group[0][1]:
                items.append(flush(group))
                group = []
                if len(items) >= batch_articles:
                    yield items
                    items = []
            group.append(row)
    if group:
        items.append(flush(group))
    if items:
        yield items


def write_one(args: argparse.Namespace) -> dict[str, Any]:
    """(subprocess) Replay --index (a copy) into a new index of --backend; print JSON figures."""
    from qa.embed import make_embedder
    from qa.index import Index
    from qa.index.db import Database

    src = Path(args.index)
    dst = Path(args.work) / f"write-{args.backend}"
    if dst.exists():
        shutil.rmtree(dst)
    settings = _settings(src, args.backend, index_dir=str(dst))
    db = Database(src / "index.sqlite")
    index = Index(dst, settings, make_embedder(settings.embedding), create=True)
    batches = list(replay_batches(db, settings.ingest.batch_articles))  # read first: only the writes are timed
    t = time.perf_counter()
    for items in batches:
        index.write_batch(items)
    write_s = time.perf_counter() - t
    t = time.perf_counter()
    index.save()
    if args.backend == "milvus":
        wait_for_hnsw(dst, settings.index.milvus_collection)
    save_s = time.perf_counter() - t
    chunks = index.counts()["chunks"]
    index.close()
    files = {f.name: round(f.stat().st_size / 2**20, 1) for f in dst.iterdir() if f.is_file()}
    result = {"backend": args.backend, "articles": sum(len(b) for b in batches), "chunks": chunks,
              "write_s": round(write_s, 1), "save_s": round(save_s, 1),
              "chunks_per_s": round(chunks / (write_s + save_s), 1), "disk_mb": round(disk_mb(dst), 1),
              "files_mb": files, "milvus_db_mb": round(disk_mb(dst / "milvus.db"), 1) if (dst / "milvus.db").exists() else None,
              "peak_rss_mb": round(peak_rss_mb()), "load": load_avg()}
    print(json.dumps(result))
    return result


def open_rss(args: argparse.Namespace) -> dict[str, Any]:
    """(subprocess) Memory of one index opened in a fresh process and warmed by a few searches; print JSON."""
    from qa.embed import make_embedder
    from qa.index import Index

    folder = Path(args.index)
    backend = json.loads((folder / "manifest.json").read_text()).get("index", {}).get("backend", "faiss")
    settings = _settings(folder, backend)
    embedder = make_embedder(settings.embedding)
    vec = embedder.embed(["warm up the embedder"])[0]
    import faiss  # noqa: F401 - loaded by both backends (Milvus Lite builds its HNSW with it): not counted
    base = rss_mb()
    t = time.perf_counter()
    index = Index(folder, settings, embedder, create=False)
    for q in ("storm", "election results", "interest rates"):
        index.bm25_search(q, 60)
        index.dense_search(vec, 60)
    result = {"backend": backend, "open_and_first_queries_s": round(time.perf_counter() - t, 2),
              "rss_growth_mb": round(rss_mb() - base), "rss_mb": round(rss_mb())}
    index.close()
    print(json.dumps(result))
    return result


def scale(args: argparse.Namespace) -> dict[str, Any]:
    src = Path(args.index)
    if not (src / "manifest.json").is_file():
        print(f"error: {src}/manifest.json is absent: build the FAISS index of the scale corpus first", file=sys.stderr)
        raise SystemExit(1)
    work = Path(args.work)
    copy = copy_index(src, work / "scale-src", "faiss")
    out: dict[str, Any] = {"write": {}}
    for backend in ("faiss", "milvus"):
        proc = subprocess.run([sys.executable, "-m", "eval.bench.milvus_bench", "write", "--backend", backend,
                               "--index", str(copy), "--work", str(work)], capture_output=True, text=True, cwd=REPO)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            raise SystemExit(proc.returncode)
        out["write"][backend] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(json.dumps(out["write"][backend]), flush=True)
    out["bulk"] = build_milvus(copy_index(copy, work / "scale-milvus", "milvus"))
    out["search"] = search_latency({"faiss": copy, "milvus": work / "scale-milvus"}, args.queries)
    out["sizes"] = per_chunk_sizes(copy, work / "scale-milvus")
    out["postings"] = postings_cost(copy, out["search"]["titles"])
    out["open"] = {}
    for name, folder in (("faiss", copy), ("milvus", work / "scale-milvus")):
        proc = subprocess.run([sys.executable, "-m", "eval.bench.milvus_bench", "open", "--index", str(folder)],
                              capture_output=True, text=True, cwd=REPO)
        out["open"][name] = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else {"error": proc.stderr[-300:]}
    w = out["write"]
    print(f"\nWrite path from stored vectors ({w['faiss']['articles']:,} articles, {w['faiss']['chunks']:,} chunks; "
          "64-article batches, then save; embedding not included)\n")
    print("| backend | write s | save s | chunks/s | disk MB (folder) | of which vector store MB | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for name, r in w.items():
        store = r["files_mb"].get("vectors.faiss") if name == "faiss" else r["milvus_db_mb"]
        label = "FAISS + FTS5" if name == "faiss" else "Milvus Lite"
        print(f"| {label} | {r['write_s']} | {r['save_s']} | {r['chunks_per_s']} | {r['disk_mb']} | {store} | {r['peak_rss_mb']} |")
    print("\n" + _build_line(out["bulk"]))
    sr = out["search"]
    print(f"\nWarm backend calls at {w['faiss']['chunks']:,} chunks ({sr['queries']} article titles as queries, "
          f"top {sr['k']}; load {sr['load']}):\n")
    print("| backend | dense p50 / p95 ms | BM25 p50 / p95 ms | fresh process: open + 3 queries s | its RSS growth MB |")
    print("|---|---|---|---|---|")
    for name in ("faiss", "milvus"):
        r, o = sr[name], out["open"][name]
        label = "FAISS + FTS5" if name == "faiss" else "Milvus Lite"
        print(f"| {label} | {r['dense']['p50_ms']} / {r['dense']['p95_ms']} | {r['keyword']['p50_ms']} / "
              f"{r['keyword']['p95_ms']} | {o.get('open_and_first_queries_s')} | {o.get('rss_growth_mb')} |")
    print("\nPer chunk: " + ", ".join(f"{k} {v}" for k, v in out["sizes"].items()))
    p = out["postings"]
    print(f"BM25 over a compiled inverted index (C speed, exhaustive), same terms and queries: {p['postings_per_query']:,} "
          f"postings read per query ({p['postings_per_query_per_chunk']} per chunk of the index), "
          f"p50 {p['time']['p50_ms']} ms, {p['ns_per_posting']} ns per posting")
    return out


def query_titles(index: Any, n: int) -> list[str]:
    """Titles of articles spread over the index, as queries."""
    return [a.title for i, a in enumerate(index.iter_articles()) if i % 37 == 0][:n]


def search_latency(folders: dict[str, Path], n: int) -> dict[str, Any]:
    """Warm latency of the backend calls alone (dense, BM25), backends alternating, article titles as queries."""
    from qa.embed import make_embedder
    from qa.index import Index

    out: dict[str, Any] = {"queries": n, "k": 60}
    stores, rss = {}, {}
    embedder = None
    for name, folder in folders.items():
        settings = _settings(folder, name)
        embedder = embedder or make_embedder(settings.embedding)
        r0 = rss_mb()
        stores[name] = Index(folder, settings, embedder, create=False)
        stores[name].bm25_search("warm up", 5)
        stores[name].dense_search(embedder.embed(["warm up"])[0], 5)
        rss[name] = round(rss_mb() - r0)
    titles = query_titles(stores["faiss"], n)
    vecs = embedder.embed(titles)
    times = {name: {"dense": [], "keyword": []} for name in stores}
    for i, (title, vec) in enumerate(zip(titles, vecs)):
        for name in (list(stores) if i % 2 == 0 else list(reversed(stores))):
            t = time.perf_counter()
            stores[name].dense_search(vec, 60)
            times[name]["dense"].append(time.perf_counter() - t)
            t = time.perf_counter()
            stores[name].bm25_search(title, 60)
            times[name]["keyword"].append(time.perf_counter() - t)
    for name, st in stores.items():
        out[name] = {k: latency(v) for k, v in times[name].items()} | {"rss_growth_mb": rss[name]}
        st.close()
    out["load"] = load_avg()
    out["titles"] = titles
    return out


def postings_cost(folder: Path, queries: list[str], k: int = 60) -> dict[str, Any]:
    """BM25 over a compiled inverted index in C speed (scipy CSC of the same terms, exhaustive: no pruning): how many
    postings a query reads and the time per posting, so keyword cost per shard can be derived for any shard size."""
    import numpy as np
    from scipy import sparse

    from qa.index.db import Database
    from qa.index.milvus import keyword_document, query_terms

    vocab: dict[str, int] = {}
    rows, cols, lengths = [], [], []
    db = Database(folder / "index.sqlite")
    n = 0
    for batch in db.iter_search_rows():
        for _, _, _, title, text, _ in batch:
            words = keyword_document(title, text).split()
            lengths.append(len(words))
            for w in words:
                rows.append(n)
                cols.append(vocab.setdefault(w, len(vocab)))
            n += 1
    db.close()
    tf = sparse.coo_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, len(vocab))).tocsc()
    tf.sum_duplicates()
    dl = np.asarray(lengths, dtype=np.float32)
    k1, b = 1.2, 0.75
    df = np.diff(tf.indptr)
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    norm = k1 * (1 - b + b * dl / dl.mean())
    col_of = np.repeat(np.arange(len(vocab)), df)
    tf.data = idf[col_of] * tf.data * (k1 + 1) / (tf.data + norm[tf.indices])
    times, postings = [], []
    for q in queries:
        ids = [vocab[t] for t in query_terms(q) if t in vocab]
        t = time.perf_counter()
        idx = np.concatenate([tf.indices[tf.indptr[i]:tf.indptr[i + 1]] for i in ids]) if ids else np.zeros(0, np.int32)
        val = np.concatenate([tf.data[tf.indptr[i]:tf.indptr[i + 1]] for i in ids]) if ids else np.zeros(0, np.float32)
        uniq, inv = np.unique(idx, return_inverse=True)
        score = np.bincount(inv, weights=val) if len(uniq) else np.zeros(0)
        if len(score) > k:
            np.argpartition(-score, k)[:k]
        times.append(time.perf_counter() - t)
        postings.append(len(idx))
    lat = latency(times)
    mean_postings = float(np.mean(postings)) if postings else 0.0
    per = [1e9 * t / p for t, p in zip(times, postings) if p > 1000]  # median: a preempted query is not the cost
    return {"chunks": n, "vocabulary": len(vocab), "queries": len(queries), "postings_per_query": round(mean_postings),
            "postings_per_query_per_chunk": round(mean_postings / n, 4), "time": lat,
            "ns_per_posting": round(float(np.median(per)), 1) if per else None}


def per_chunk_sizes(faiss_folder: Path, milvus_folder: Path) -> dict[str, Any]:
    """Bytes per chunk of what each backend stores, and the BM25 terms per chunk (for the sizing table)."""
    from qa.index.db import Database
    from qa.index.milvus import keyword_document

    db = Database(faiss_folder / "index.sqlite")
    n, terms, distinct, doc_bytes = 0, 0, 0, 0
    for rows in db.iter_search_rows():
        for _, _, _, title, text, _ in rows:
            doc = keyword_document(title, text)
            words = doc.split()
            n += 1
            terms += len(words)
            distinct += len(set(words))
            doc_bytes += len(doc.encode())
    db.close()
    part = next((milvus_folder / "milvus.db" / "collections").glob("*/partitions/_default"))
    hnsw = sum(f.stat().st_size for f in (part / "indexes").glob("*.dense.*"))
    data = sum(f.stat().st_size for f in (part / "data").glob("*.parquet"))
    return {"chunks": n, "terms_per_chunk": round(terms / n, 1), "distinct_terms_per_chunk": round(distinct / n, 1),
            "keywords_bytes_per_chunk": round(doc_bytes / n), "milvus_hnsw_file_bytes_per_chunk": round(hnsw / n),
            "milvus_segment_data_bytes_per_chunk": round(data / n),
            "faiss_file_bytes_per_chunk": round((faiss_folder / "vectors.faiss").stat().st_size / n),
            "sqlite_bytes_per_chunk": round((faiss_folder / "index.sqlite").stat().st_size / n)}


def _build_line(b: dict[str, Any]) -> str:
    return (f"Milvus Lite collection built from the stored vectors: {b['chunks']:,} chunks in {b['seconds']} s "
            f"(insert + flush {b['insert_flush_s']} s, then the HNSW file), {b['chunks_per_s']:,} chunks/s; "
            f"{b['milvus_disk_mb']} MB on disk; a fresh open + first BM25 query {b['open_first_bm25_s']} s "
            f"(+{b['rss_growth_open_mb']} MB RSS), first dense query {b['first_dense_s']} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("dev", "scale", "write", "open"))
    ap.add_argument("--index", help="source index folder (FAISS), only copied")
    ap.add_argument("--work", default="/tmp/milvus-bench", help="scratch folder for the copies")
    ap.add_argument("--questions", default=str(DEV / "questions.jsonl"))
    ap.add_argument("--limit", type=int)
    ap.add_argument("--queries", type=int, default=60, help="(scale) title queries for the latency at scale")
    ap.add_argument("--backend", choices=("faiss", "milvus"), help="(write) the backend to write")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    if args.what in ("write", "open"):
        (write_one if args.what == "write" else open_rss)(args)
        return 0
    args.index = args.index or str(REPO / "index" / args.what)
    if args.what == "dev" and not Path(args.questions).is_file():
        print(f"error: {args.questions} is absent (../shared/data is not mounted here)", file=sys.stderr)
        return 1
    out = dev(args) if args.what == "dev" else scale(args)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
