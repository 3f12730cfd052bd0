"""Benchmark: ingest throughput, memory, disk and query latency against corpus size, beside a plain-loop reference.

    .venv/bin/python -m eval.bench [--corpus FILE.jsonl(.gz)] [--sizes 1000,10000,all] [--articles N]
        [--backend onnx-int8] [--queries 40] [--answers 15] [--reference-articles 1000] [--out DIR]

Pipelines, each in its own process (so peak RSS is its own):
  fast   qa's ingest (parse, chunk, enrich, embed, write: SQLite + FTS5 + FAISS) with --backend, fed the corpus in
         slices so it is measured at each size; at each size: retrieval latency (Assistant.search: query embedding,
         dense + BM25, fusion, diversity) and end-to-end latency (Assistant.stream: first token, total), warm.
  plain  the reference: the same articles and chunks (qa's chunker) through sentence-transformers `encode` (torch
         fp32) into a flat FAISS index, texts in a Python list; dense-only query latency. Speed-up = fast / plain
         on the same articles (the first --reference-articles).
  hnsw   recall@10 of the HNSW index qa builds above ingest.exact_search_max, against exact search, on the
         vectors of the full index (the queries' embeddings), with search times.
Queries are the titles of articles spread over the first slice (so every size holds their answers).
Writes DIR/bench.json and DIR/bench.png (matplotlib, Agg) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "news-scale.jsonl.gz"
ROLES = ("plain", "fast", "hnsw")


# -- small measurement helpers --------------------------------------------------------------------

def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Resident memory of this process now."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 2**20


def pct(values: list[float], q: float) -> float | None:
    """q-th percentile (nearest-rank on sorted values, linear between), None for no values."""
    if not values:
        return None
    v = sorted(values)
    pos = (len(v) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def latency(values: list[float]) -> dict[str, Any]:
    """p50/p95/mean in milliseconds."""
    ms = [v * 1000 for v in values]
    return {"n": len(ms), "p50_ms": _r(pct(ms, 50)), "p95_ms": _r(pct(ms, 95)),
            "mean_ms": _r(statistics.fmean(ms) if ms else None)}


def _r(x: float | None, nd: int = 1) -> float | None:
    return None if x is None else round(x, nd)


def load_avg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


# -- corpus slices ---------------------------------------------------------------------------------

def parse_sizes(text: str, total: int) -> list[int]:
    """'1000,10000,all' → increasing sizes capped at the corpus size, no repeats."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip().lower()
        n = total if part in ("all", "") else min(int(part), total)
        if n > 0 and n not in out:
            out.append(n)
    return sorted(out)


def count_records(path: Path, limit: int | None = None) -> int:
    n = 0
    for _ in iter_lines(path):
        n += 1
        if limit is not None and n >= limit:
            break
    return n


def iter_lines(path: Path):  # noqa: ANN201 - Iterator[bytes]
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield line


def write_slices(corpus: Path, sizes: list[int], folder: Path) -> list[Path]:
    """Slice files holding articles [0, s1), [s1, s2) ..., streamed (the corpus is never in memory)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"slice-{i}-{s}.jsonl" for i, s in enumerate(sizes)]
    lines = iter_lines(corpus)
    start = 0
    for path, size in zip(paths, sizes):
        with open(path, "wb") as out:
            for _ in range(size - start):
                line = next(lines, None)
                if line is None:
                    break
                out.write(line if line.endswith(b"\n") else line + b"\n")
        start = size
    return paths


def pick_queries(slice_path: Path, n: int) -> list[str]:
    """Titles of ``n`` articles spread evenly over the slice: questions whose answers are indexed at every size."""
    titles = [json.loads(line).get("title", "").strip() for line in iter_lines(slice_path)]
    titles = [t for t in titles if len(t.split()) >= 4]
    if not titles or n <= 0:
        return []
    step = max(1, len(titles) // n)
    return titles[::step][:n]


# -- the fast pipeline (qa) ------------------------------------------------------------------------

def run_fast(args: argparse.Namespace, slices: list[Path], sizes: list[int], queries: list[str]) -> dict[str, Any]:
    from qa.assistant import Assistant

    index_dir = Path(args.work) / f"index-{args.backend}"
    overrides: dict[str, Any] = {"embedding.backend": args.backend, "llm.enabled": not args.no_llm}
    if args.model:
        overrides["llm.model"] = args.model
    t = time.perf_counter()
    assistant = Assistant.open(index_dir, create=True, rebuild=True, **overrides)
    if args.backend != "hash":
        assistant.embedder.embed(["warm up"])  # model load (and first ONNX export) is not ingest time
    load_s = time.perf_counter() - t
    out: dict[str, Any] = {"backend": args.backend, "model_load_s": round(load_s, 2), "sizes": [],
                           "load_avg_start": load_avg(), "exact_search_max": assistant.settings.ingest.exact_search_max}
    for size, path in zip(sizes, slices):
        la = load_avg()
        report = assistant.index([path], progress=False)
        row: dict[str, Any] = {"articles": assistant.store.counts()["articles"], "target": size,
                               "chunks": assistant.store.counts()["chunks"], "load_avg": la}
        slice_articles = report.added + report.updated
        row["ingest"] = {
            "articles": slice_articles, "chunks": report.chunks, "embedded": report.embedded,
            "seconds": round(report.seconds, 2),
            "articles_per_s": _r(slice_articles / report.seconds if report.seconds else None, 2),
            "chunks_per_s": _r(report.chunks / report.seconds if report.seconds else None, 2),
            "embed_chunks_per_s": _r(report.embedded / report.stages["embed"] if report.stages["embed"] else None, 2),
            "stages_s": {k: round(v, 2) for k, v in report.stages.items()},
            "skipped": len(report.skipped),
        }
        row["rss_mb"] = round(rss_mb(), 1)
        row["peak_rss_mb"] = round(peak_rss_mb(), 1)
        row["disk_mb"] = round(disk_mb(index_dir), 1)
        row["faiss"] = assistant.stats().faiss
        row["retrieval"] = _retrieval_latency(assistant, queries)
        if args.answers:
            row["answer"] = _answer_latency(assistant, queries[: args.answers])
        out["sizes"].append(row)
        _save_partial(args, "fast", out)  # a run stopped at a bigger size keeps the smaller sizes' results
        _log(f"fast: {row['articles']} articles, {row['chunks']} chunks, ingest {row['ingest']['seconds']} s, "
             f"retrieval p50 {row['retrieval']['total']['p50_ms']} ms")
    out["load_avg_end"] = load_avg()
    assistant.close()
    return out


def _save_partial(args: argparse.Namespace, role: str, data: dict[str, Any]) -> None:
    (Path(args.work) / f"{role}.json").write_text(json.dumps(dict(data, partial=True), indent=2))


def _retrieval_latency(assistant: Any, queries: list[str]) -> dict[str, Any]:
    """Warm latencies of the whole hybrid search and of its parts (query embedding, FAISS, BM25)."""
    for q in queries[:3]:
        assistant.search(q)
    total, embed, dense, bm25 = [], [], [], []
    r = assistant.retriever
    k = assistant.settings.retrieval.candidates
    for q in queries:
        t = time.perf_counter()
        assistant.search(q)
        total.append(time.perf_counter() - t)
        t = time.perf_counter()
        vec = assistant.embedder.embed([q])[0]
        embed.append(time.perf_counter() - t)
        t = time.perf_counter()
        assistant.store.dense_search(vec, k)
        dense.append(time.perf_counter() - t)
        t = time.perf_counter()
        r.keyword(q, k)
        bm25.append(time.perf_counter() - t)
    return {"total": latency(total), "query_embedding": latency(embed), "faiss": latency(dense), "bm25": latency(bm25)}


def _answer_latency(assistant: Any, questions: list[str]) -> dict[str, Any]:
    """Warm end-to-end latency through Assistant.stream: first 'token' event and the final answer."""
    if questions:
        _stream_once(assistant, questions[0])  # loads the GGUF model and spaCy: not counted
    first, total, modes = [], [], {}
    parts: dict[str, list[float]] = {}
    for q in questions:
        t_first, t_total, answer = _stream_once(assistant, q)
        total.append(t_total)
        if t_first is not None:
            first.append(t_first)
        modes[answer.mode] = modes.get(answer.mode, 0) + 1
        for name, seconds in (answer.timings or {}).items():
            parts.setdefault(name, []).append(seconds)
    return {"first_token": latency(first), "total": latency(total), "modes": modes,
            "parts_p50_ms": {k: _r(pct([x * 1000 for x in v], 50)) for k, v in parts.items()}}


def _stream_once(assistant: Any, question: str) -> tuple[float | None, float, Any]:
    t = time.perf_counter()
    first = None
    answer = None
    for event in assistant.stream(question):
        if event.kind == "token" and first is None and event.text.strip():
            first = time.perf_counter() - t
        elif event.kind == "answer":
            answer = event.answer
    return first, time.perf_counter() - t, answer


# -- the plain reference loop ----------------------------------------------------------------------

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
        "ingest": {"seconds": round(seconds, 2), "articles_per_s": _r(articles / seconds if seconds else None, 2),
                   "chunks_per_s": _r(n / seconds if seconds else None, 2),
                   "embed_chunks_per_s": _r(n / stages["embed"] if stages["embed"] else None, 2),
                   "stages_s": {k: round(v, 2) for k, v in stages.items()}},
        "rss_mb": round(rss_mb(), 1), "peak_rss_mb": round(peak_rss_mb(), 1),
        "dense_retrieval": latency(lat), "load_avg_end": load_avg(),
    }


# -- HNSW against exact search ---------------------------------------------------------------------

def run_hnsw(args: argparse.Namespace, queries: list[str]) -> dict[str, Any]:
    """recall@10 of qa's HNSW index (as built above exact_search_max) against flat search, on the full index."""
    import faiss
    import numpy as np

    from qa.config import Settings
    from qa.embed import make_embedder
    from qa.index.db import Database
    from qa.index.schema import DB
    from qa.index.vectors import FaissIndex

    folder = Path(args.hnsw_index) if args.hnsw_index else Path(args.work) / f"index-{args.backend}"
    backend = json.loads((folder / "manifest.json").read_text())["embedding"]["backend"]
    settings = Settings.load(env={}, **{"embedding.backend": backend})
    db = Database(folder / DB)
    batches = list(db.iter_vectors())
    db.close()
    ids = np.concatenate([b[0] for b in batches])
    vecs = np.vstack([b[1] for b in batches])
    del batches
    embedder = make_embedder(settings.embedding)
    qv = np.asarray(embedder.embed(queries), dtype=np.float32) if queries else vecs[:0]
    # more queries than the titles: chunk vectors themselves, a second, harder-to-miss-by-luck set
    rng = np.random.default_rng(0)
    extra = vecs[rng.choice(len(vecs), size=min(len(vecs), args.hnsw_queries), replace=False)]
    qv = np.vstack([qv, extra])
    flat = FaissIndex.new(vecs.shape[1], len(vecs), exact_max=len(vecs)).index
    flat.add_with_ids(vecs, ids)
    t = time.perf_counter()
    hnsw = FaissIndex.new(vecs.shape[1], len(vecs), exact_max=0).index  # force the HNSW branch
    hnsw.add_with_ids(vecs, ids)
    build_s = time.perf_counter() - t
    faiss.omp_set_num_threads(1)  # as FaissIndex.search does for its single queries
    k = 10
    out: dict[str, Any] = {"index": str(folder), "vectors": int(len(vecs)), "queries": int(len(qv)), "build_s": round(build_s, 2),
                           "exact_search_max": settings.ingest.exact_search_max}
    timings = {}
    results = {}
    # efSearch 128: what FaissIndex.new sets (plain searches); 256: what FaissIndex.search uses with a date filter
    for name, index, params in (("flat", flat, None), ("hnsw", hnsw, None),
                                ("hnsw_ef256", hnsw, faiss.SearchParametersHNSW(efSearch=256))):
        lat = []
        found = []
        for row in qv:
            t = time.perf_counter()
            _, got = index.search(row.reshape(1, -1), k, params=params)
            lat.append(time.perf_counter() - t)
            found.append(got[0])
        timings[name] = latency(lat)
        results[name] = found
    for name, key in (("hnsw", "recall_at_10"), ("hnsw_ef256", "recall_at_10_ef256")):
        recall = [len(set(a) & set(b)) / k for a, b in zip(results["flat"], results[name])]
        out[key] = round(statistics.fmean(recall), 4) if recall else None
        out["min_" + key] = round(min(recall), 2) if recall else None
    out["efSearch"] = int(faiss.downcast_index(hnsw.index).hnsw.efSearch)
    out["latency"] = timings
    return out


# -- orchestration ---------------------------------------------------------------------------------

def _log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def run_role(role: str, args: argparse.Namespace) -> dict[str, Any]:
    plan = json.loads((Path(args.work) / "plan.json").read_text())
    slices = [Path(p) for p in plan["slices"]]
    if role == "fast":
        return run_fast(args, slices, plan["sizes"], plan["queries"])
    if role == "plain":
        return run_plain(args, slices, plan["reference_articles"], plan["queries"])
    return run_hnsw(args, plan["queries"])


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="JSONL(.gz) of articles")
    ap.add_argument("--sizes", default="1000,10000,all", help="corpus sizes to measure at (default 1000,10000,all)")
    ap.add_argument("--articles", type=int, help="use only the first N articles of the corpus")
    ap.add_argument("--backend", default="onnx-int8", choices=["torch", "onnx", "onnx-int8", "hash"],
                    help="embedding backend of the fast pipeline (default onnx-int8)")
    ap.add_argument("--queries", type=int, default=40, help="retrieval queries per size (default 40)")
    ap.add_argument("--answers", type=int, default=15, help="end-to-end answers per size (default 15; 0 = skip)")
    ap.add_argument("--reference-articles", default="1000",
                    help="articles through the plain reference loop (default 1000, 'all', or 0 to skip)")
    ap.add_argument("--hnsw-queries", type=int, default=500, help="extra chunk-vector queries for HNSW recall")
    ap.add_argument("--no-hnsw", action="store_true", help="skip the HNSW recall measurement")
    ap.add_argument("--hnsw-index", metavar="DIR",
                    help="only measure HNSW recall, on the vectors of this existing index (read only), and print it")
    ap.add_argument("--no-llm", action="store_true", help="end-to-end answers without the language model")
    ap.add_argument("--model", help="GGUF model for end-to-end answers (default: the packaged SmolLM2)")
    ap.add_argument("--out", type=Path, default=REPO / "eval" / "runs" / "bench", help="output folder (default eval/runs/bench)")
    ap.add_argument("--inline", action="store_true", help="run the pipelines in this process (tests)")
    ap.add_argument("--report-only", action="store_true",
                    help="only rebuild the table, JSON and plot from DIR/work (e.g. after stopping a long run)")
    ap.add_argument("--role", choices=ROLES, help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.role:
        result = run_role(args.role, args)
        (Path(args.work) / f"{args.role}.json").write_text(json.dumps(result, indent=2))
        return 0
    if args.hnsw_index and not args.role:
        print(json.dumps(run_hnsw(args, []), indent=2))  # queries: chunk vectors of the index
        return 0
    if args.report_only:
        return report(args.out, {r: json.loads((args.out / "work" / f"{r}.json").read_text()) for r in ROLES
                                 if (args.out / "work" / f"{r}.json").is_file()})
    if not args.corpus.is_file():
        print(f"error: corpus {args.corpus} does not exist: pass --corpus FILE.jsonl(.gz)", file=sys.stderr)
        return 1
    out = args.out
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    args.work = str(work)
    total = count_records(args.corpus, args.articles)
    sizes = parse_sizes(args.sizes, total)
    ref = args.reference_articles
    ref_n = total if str(ref).lower() == "all" else min(int(ref), total)
    slices = write_slices(args.corpus, sizes, work / "slices")
    queries = pick_queries(slices[0], args.queries)
    plan = {"corpus": str(args.corpus), "total": total, "sizes": sizes, "slices": [str(p) for p in slices],
            "queries": queries, "reference_articles": ref_n}
    (work / "plan.json").write_text(json.dumps(plan, indent=2))
    _log(f"{total} articles, sizes {sizes}, {len(queries)} queries, reference on {ref_n} articles; "
         f"load average {load_avg()}")
    results: dict[str, Any] = {"plan": {k: v for k, v in plan.items() if k != "slices"}, "machine": machine(),
                               "command": "python -m eval.bench " + " ".join(argv if argv is not None else sys.argv[1:])}
    (work / "meta.json").write_text(json.dumps(results, indent=2))
    for stale in ROLES:  # results of an earlier run in this folder must not mix into this one's report
        (work / f"{stale}.json").unlink(missing_ok=True)
    roles = [r for r in ROLES if not (r == "plain" and ref_n == 0) and not (r == "hnsw" and args.no_hnsw)]
    for role in roles:
        _log(f"{role} ...")
        if args.inline:
            results[role] = run_role(role, args)
            continue
        cmd = [sys.executable, "-m", "eval.bench", "--role", role, "--work", str(work)] + _passthrough(args)
        proc = subprocess.run(cmd, cwd=REPO)
        if proc.returncode != 0:
            print(f"error: the {role} pipeline failed (exit {proc.returncode}); see the lines above", file=sys.stderr)
            return 1
        results[role] = json.loads((work / f"{role}.json").read_text())
    return report(out, results)


def report(out: Path, results: dict[str, Any]) -> int:
    """Table (printed and bench.md), bench.json and bench.png from the pipelines' results."""
    meta = out / "work" / "meta.json"
    if "plan" not in results and meta.is_file():
        results.update(json.loads(meta.read_text()))
    results["speedup"] = speedup(results)
    (out / "bench.json").write_text(json.dumps(results, indent=2))
    table = render_table(results)
    (out / "bench.md").write_text(table + "\n")
    print(table)
    plot(results, out / "bench.png")
    print(f"\nwrote {out / 'bench.json'}, {out / 'bench.md'}, {out / 'bench.png'}")
    return 0


def _passthrough(args: argparse.Namespace) -> list[str]:
    out = ["--backend", args.backend, "--answers", str(args.answers), "--hnsw-queries", str(args.hnsw_queries)]
    if args.no_llm:
        out.append("--no-llm")
    if args.model:
        out += ["--model", args.model]
    return out


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "load_avg": load_avg(), "python": sys.version.split()[0]}


def speedup(results: dict[str, Any]) -> dict[str, Any] | None:
    """fast / plain on the same articles: the first size whose article count equals the reference's."""
    plain, fast = results.get("plain"), results.get("fast")
    if not plain or not fast:
        return None
    same = next((r for r in fast["sizes"] if r["articles"] == plain["articles"]), None)
    if same is None:
        return {"note": "no fast size with the reference's article count: pass --sizes including "
                        f"{plain['articles']}"}
    f, p = same["ingest"], plain["ingest"]
    return {"articles": plain["articles"], "chunks_fast": same["chunks"], "chunks_plain": plain["chunks"],
            "ingest_chunks_per_s": _ratio(f["chunks_per_s"], p["chunks_per_s"]),
            "embed_chunks_per_s": _ratio(f["embed_chunks_per_s"], p["embed_chunks_per_s"])}


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def render_table(results: dict[str, Any]) -> str:
    """The Markdown table of the README's Performance section."""
    lines = ["| pipeline | articles | chunks | ingest s | articles/s | chunks/s | embed chunks/s | "
             "parse / chunk / enrich / embed / write s | peak RSS MB | disk MB | retrieval p50 / p95 ms | "
             "first token p50 / p95 ms | answer p50 / p95 ms |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    fast = results.get("fast")
    if fast:
        for row in fast["sizes"]:
            ing = row["ingest"]
            st = ing["stages_s"]
            ret = row["retrieval"]["total"]
            ans = row.get("answer") or {}
            ft, tot = ans.get("first_token") or {}, ans.get("total") or {}
            lines.append(
                f"| qa ({fast['backend']}) | {row['articles']} | {row['chunks']} | {ing['seconds']} (+{ing['articles']}) | "
                f"{ing['articles_per_s']} | {ing['chunks_per_s']} | {ing['embed_chunks_per_s']} | "
                f"{st.get('parse')} / {st.get('chunk')} / {st.get('enrich')} / {st.get('embed')} / {st.get('write')} | "
                f"{row['peak_rss_mb']} | {row['disk_mb']} | {ret['p50_ms']} / {ret['p95_ms']} | "
                f"{ft.get('p50_ms')} / {ft.get('p95_ms')} | {tot.get('p50_ms')} / {tot.get('p95_ms')} |")
    plain = results.get("plain")
    if plain:
        ing = plain["ingest"]
        st = ing["stages_s"]
        d = plain["dense_retrieval"]
        lines.append(
            f"| plain loop (torch fp32 + flat FAISS) | {plain['articles']} | {plain['chunks']} | {ing['seconds']} | "
            f"{ing['articles_per_s']} | {ing['chunks_per_s']} | {ing['embed_chunks_per_s']} | "
            f"{st['parse']} / {st['chunk']} / - / {st['embed']} / {st['write']} | {plain['peak_rss_mb']} | "
            f"(in memory) | dense only: {d['p50_ms']} / {d['p95_ms']} | - | - |")
    out = "\n".join(lines)
    sp = results.get("speedup")
    if sp and "ingest_chunks_per_s" in sp:
        out += (f"\n\nSpeed-up on the same {sp['articles']} articles: ingest {sp['ingest_chunks_per_s']}x chunks/s, "
                f"embedding {sp['embed_chunks_per_s']}x chunks/s (fast / plain).")
    h = results.get("hnsw")
    if h:
        out += (f"\nHNSW (M=32, efConstruction 80) on {h['vectors']} vectors, {h['queries']} queries, against exact "
                f"search: recall@10 {h['recall_at_10']} at efSearch {h['efSearch']} (p50 "
                f"{h['latency']['hnsw']['p50_ms']} ms), {h['recall_at_10_ef256']} at efSearch 256 (p50 "
                f"{h['latency']['hnsw_ef256']['p50_ms']} ms); flat p50 {h['latency']['flat']['p50_ms']} ms; "
                f"HNSW build {h['build_s']} s.")
    return out


def plot(results: dict[str, Any], path: Path) -> None:
    """Cost against corpus size: ingest time, latency, memory and disk."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fast = results.get("fast") or {"sizes": []}
    xs = [r["articles"] for r in fast["sizes"]]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    ax = axes[0]
    cum, total = [], 0.0
    for r in fast["sizes"]:
        total += r["ingest"]["seconds"]
        cum.append(total)
    ax.plot(xs, cum, "o-", label=f"qa ({fast.get('backend', '?')})")
    plain = results.get("plain")
    if plain:
        ax.plot([plain["articles"]], [plain["ingest"]["seconds"]], "s", color="C3", label="plain loop (torch fp32)")
    ax.set(title="ingest time (cumulative)", xlabel="articles", ylabel="seconds")
    ax.legend()
    ax = axes[1]
    for key, label, style in (("retrieval", "retrieval p50", "o-"), ("answer_first", "first token p50", "^-"),
                              ("answer", "answer p50", "s-")):
        ys = []
        for r in fast["sizes"]:
            if key == "retrieval":
                ys.append(r["retrieval"]["total"]["p50_ms"])
            elif r.get("answer"):
                ys.append(r["answer"]["first_token" if key == "answer_first" else "total"]["p50_ms"])
            else:
                ys.append(None)
        if any(y is not None for y in ys):
            ax.plot(xs, [float("nan") if y is None else y for y in ys], style, label=label)
    ax.set(title="query latency (warm)", xlabel="articles", ylabel="ms", yscale="log")
    ax.legend()
    ax = axes[2]
    ax.plot(xs, [r["peak_rss_mb"] for r in fast["sizes"]], "o-", label="peak RSS")
    ax.plot(xs, [r["disk_mb"] for r in fast["sizes"]], "s-", label="index on disk")
    ax.set(title="memory and disk", xlabel="articles", ylabel="MB")
    ax.legend()
    loads = [r.get("load_avg", [None])[0] for r in fast["sizes"]]
    fig.suptitle(f"{results.get('machine', {}).get('cpus', '?')} CPUs; 1-min load average at each size: {loads}",
                 fontsize=9)  # a busy machine's numbers are not an idle machine's
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
