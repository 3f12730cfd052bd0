"""Benchmark: ingest throughput against a plain loop, retrieval and answer latency at two corpus sizes, both answer
models idle and beside a competing CPU-bound process, cold `qa ask`, the thread plan and the int8 compute limit.

    .venv/bin/python -m eval.bench [--corpus FILE.jsonl(.gz)] [--sizes 500,1000] [--scale-index index/scale]
        [--reference-articles 500] [--models smollm2-135m,qwen2.5-coder-1.5b] [--queries 40] [--answers 12]
        [--choice-answers 4] [--cold 3] [--out DIR]

Every part runs in its own process (peak RSS is its own), one after the other:
  plain    the reference: the first --reference-articles articles, qa's chunker, sentence-transformers `encode`
           (torch fp32) into a flat FAISS index, texts in a Python list; dense-only query latency.
  fast     qa's ingest (parse, chunk, enrich, embed, write: SQLite + FTS5 + FAISS) fed the corpus in slices
           (--sizes), measured at each size: ingest throughput and stages, RSS, disk, warm retrieval latency
           (Assistant.search and its parts: query embedding, FAISS, BM25) without a date, with an as_of date and
           with a 4-week window. --scale-index (an index of the whole corpus, built once by `qa index`, opened
           read only) is measured the same way as the last size, so 7.5k articles are not embedded twice.
           Speed-up = fast / plain chunks/s on the same articles (the first slice = the reference articles).
  hnsw     dense recall@10 of the FAISS index the largest index uses (its saved vectors.faiss; an HNSW graph is
           built for the comparison when it is flat) against exact search, without and within date windows.
  limit    the compute limit of int8 MiniLM here: ONNX Runtime's profile of the model by operator, the int8 GEMMs
           of the model alone (MatMulInteger, same shapes, same MLAS kernels) and the CPU features.
  threads  the thread plan: llama.cpp prompt evaluation and generation with 1, 2 and the adaptive threads, ONNX
           Runtime embedding batches in parallel vs its intra-op pool, each idle and beside one competing process
           (a Python busy loop); once more with OMP_WAIT_POLICY=PASSIVE for llama.cpp's OpenMP threads.
  answers  per model and index (the last ingested size and --scale-index): warm Assistant.stream answers to
           --answers open questions (article titles) and --choice-answers multiple-choice questions (RealTimeQA
           DEV questions with their choices, no date), idle and then beside one competing process: first token,
           answer, per-call model cost (tokens evaluated, reused from the KV cache, generated; seconds; threads).
  cold     `qa ask` in a fresh process per run (--cold runs per model) on the largest index: wall time, peak RSS.
Writes DIR/bench.json, DIR/bench.md (the tables) and DIR/bench.png, and prints the tables.
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
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "news-scale.jsonl.gz"
DEV_QUESTIONS = REPO.parent / "shared" / "data" / "realtimeqa-dev" / "questions.jsonl"
ROLES = ("plain", "fast", "hnsw", "limit", "threads", "answers", "cold")
MODELS = "smollm2-135m,qwen2.5-coder-1.5b"
COMPETITOR = "while True: pass"  # one CPU-bound process: a core's worth of Python busy loop


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


class Competitor:
    """One competing CPU-bound process while the block runs (started, then killed by its own pid)."""

    def __init__(self, on: bool = True) -> None:
        self.on = on
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Competitor:
        if self.on:
            self.proc = subprocess.Popen([sys.executable, "-c", COMPETITOR])
            time.sleep(1.0)  # running, and seen by the thread plan's /proc/stat window
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


def cpu_features() -> list[str]:
    """The AVX / VNNI / AMX flags of this CPU (what `grep -o 'avx[^ ]*\\|vnni\\|amx[^ ]*' /proc/cpuinfo` shows)."""
    import re

    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    return sorted(set(re.findall(r"avx[^ \n]*|vnni|amx[^ \n]*", text)))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


# -- corpus slices and questions ---------------------------------------------------------------------

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
    return [t for t, _ in pick_dated_queries(slice_path, n)]


def pick_dated_queries(slice_path: Path, n: int) -> list[tuple[str, str | None]]:
    """(title, published date) of ``n`` articles spread evenly over the slice."""
    rows = []
    for line in iter_lines(slice_path):
        a = json.loads(line)
        title = (a.get("title") or "").strip()
        if len(title.split()) >= 4:
            rows.append((title, (a.get("published") or a.get("date") or None)))
    if not rows or n <= 0:
        return []
    step = max(1, len(rows) // n)
    return [(t, str(d)[:10] if d else None) for t, d in rows[::step][:n]]


def pick_choice_questions(path: Path, n: int) -> list[dict[str, Any]]:
    """``n`` RealTimeQA DEV questions with choices, spread over the file (asked without their date)."""
    if n <= 0 or not path.is_file():
        return []
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    rows = [{"question": r["question"], "choices": r["choices"]} for r in rows if r.get("choices")]
    step = max(1, len(rows) // n)
    return rows[::step][:n]


def windows_for(day: str | None) -> dict[str, dict[str, str]]:
    """The date-filtered requests of one query: as_of a week after its article, and the 4 weeks around it."""
    if not day:
        return {}
    try:
        d = date.fromisoformat(day)
    except ValueError:
        return {}
    return {"as_of": {"as_of": (d + timedelta(days=7)).isoformat()},
            "window": {"date_from": (d - timedelta(days=14)).isoformat(), "date_to": (d + timedelta(days=14)).isoformat()}}


# -- the fast pipeline (qa) ------------------------------------------------------------------------

def run_fast(args: argparse.Namespace, plan: dict[str, Any]) -> dict[str, Any]:
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
        _measure_index(assistant, row, index_dir, queries, plan.get("query_dates") or [], args)
        if args.answers and args.no_llm:  # without a model: the extractive path, measured here
            row["answer"] = _answer_latency(assistant, queries[: args.answers])
        out["sizes"].append(row)
        _save_partial(args, "fast", out)  # a run stopped at a bigger size keeps the smaller sizes' results
        _log(f"fast: {row['articles']} articles, {row['chunks']} chunks, ingest {row['ingest']['seconds']} s, "
             f"retrieval p50 {row['retrieval']['total']['p50_ms']} ms")
    assistant.close()
    if plan.get("scale_index"):
        scale = Path(plan["scale_index"])
        a = Assistant.open(scale, **{"llm.enabled": False, "embedding.backend": built_with(scale)})
        counts = a.store.counts()
        row = {"articles": counts["articles"], "target": plan["total"], "chunks": counts["chunks"], "load_avg": load_avg(),
               "index": str(scale), "ingest": _scale_ingest(plan)}
        _measure_index(a, row, scale, queries, plan.get("query_dates") or [], args)
        a.close()
        out["sizes"].append(row)
        _log(f"fast: {scale} ({row['articles']} articles, {row['chunks']} chunks), "
             f"retrieval p50 {row['retrieval']['total']['p50_ms']} ms")
    out["load_avg_end"] = load_avg()
    return out


def retrieval_only(args: argparse.Namespace) -> int:
    """--retrieval-index: the retrieval rows of a full run for one existing index, read only."""
    import tempfile

    from qa.assistant import Assistant

    first = parse_sizes(args.sizes, count_records(args.corpus, args.articles))[0]
    with tempfile.TemporaryDirectory() as tmp:
        dated = pick_dated_queries(write_slices(args.corpus, [first], Path(tmp))[0], args.queries)
    folder = args.retrieval_index
    a = Assistant.open(folder, **{"llm.enabled": False, "embedding.backend": built_with(folder)})
    try:
        row = {"index": str(folder), "chunks": a.store.counts()["chunks"], "load_avg": load_avg()}
        _measure_index(a, row, folder, [q for q, _ in dated], [d for _, d in dated], args)
    finally:
        a.close()
    print(json.dumps(row, indent=2))
    return 0


def built_with(folder: Path) -> str:
    """The embedding backend an index was built with (its manifest)."""
    return json.loads((Path(folder) / "manifest.json").read_text())["embedding"]["backend"]


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


def _measure_index(assistant: Any, row: dict[str, Any], folder: Path, queries: list[str], dates: list[str | None],
                   args: argparse.Namespace) -> None:
    row["rss_mb"] = round(rss_mb(), 1)
    row["peak_rss_mb"] = round(peak_rss_mb(), 1)
    row["disk_mb"] = round(disk_mb(folder), 1)
    row["faiss"] = assistant.store._vectors_ready().kind if assistant.store._milvus is None else assistant.stats().faiss
    row["retrieval"] = _retrieval_latency(assistant, queries)
    row["retrieval_dated"] = _dated_latency(assistant, queries, dates)


def _save_partial(args: argparse.Namespace, role: str, data: dict[str, Any]) -> None:
    (Path(args.work) / f"{role}.json").write_text(json.dumps(dict(data, partial=True), indent=2))


def _retrieval_latency(assistant: Any, queries: list[str]) -> dict[str, Any]:
    """Warm latencies of the whole hybrid search and of its parts (query embedding, FAISS, BM25)."""
    for q in queries[:3]:
        assistant.search(q)
    from qa.search.hybrid import diversify

    total, embed, dense, bm25, rest = [], [], [], [], []
    r = assistant.retriever
    s = assistant.settings.retrieval
    k = s.candidates
    for q in queries:
        t = time.perf_counter()
        assistant.search(q)
        total.append(time.perf_counter() - t)
        t = time.perf_counter()
        vec = assistant.embedder.embed([q])[0]
        embed.append(time.perf_counter() - t)
        t = time.perf_counter()
        d = assistant.store.dense_search(vec, k)
        dense.append(time.perf_counter() - t)
        t = time.perf_counter()
        b = r.keyword(q, k)
        bm25.append(time.perf_counter() - t)
        # the rest of a search: passages of the candidates from SQLite, fusion, story ids, diversity
        t = time.perf_counter()
        scores: dict[int, float] = {}
        for ranked in (d, b):
            for rank, (cid, _) in enumerate(ranked, 1):
                scores[cid] = scores.get(cid, 0.0) + 1.0 / (s.rrf_k + rank)
        passages = assistant.store.passages(list(scores))
        for cid, p in passages.items():
            p.score = scores[cid]
        ranked_p = sorted(passages.values(), key=lambda p: (-p.score, p.chunk_id))
        diversify(ranked_p, s.top_k, s.max_per_article, assistant.store.story_ids([p.article_id for p in ranked_p]))
        rest.append(time.perf_counter() - t)
    return {"total": latency(total), "query_embedding": latency(embed), "faiss": latency(dense), "bm25": latency(bm25),
            "rest": latency(rest)}


def _dated_latency(assistant: Any, queries: list[str], dates: list[str | None]) -> dict[str, Any]:
    """Warm Assistant.search with an as_of date and with a 4-week window around each query's article."""
    from qa.index.backend import DateWindow

    out: dict[str, Any] = {}
    k = assistant.settings.retrieval.candidates
    pairs = [(q, windows_for(d)) for q, d in zip(queries, dates) if windows_for(d)]
    for name in ("as_of", "window"):
        for q, w in pairs[:3]:
            assistant.search(q, **w[name])
        total, cut, dense, bm25, sizes = [], [], [], [], []
        for q, w in pairs:
            kw = w[name]
            t = time.perf_counter()
            assistant.search(q, **kw)
            total.append(time.perf_counter() - t)
            lo = kw.get("date_from")
            hi = kw.get("date_to") or kw.get("as_of")
            window = DateWindow(lo, hi)
            assistant.store._windows.clear()  # the cut itself, uncached (the searches above cached it)
            t = time.perf_counter()
            allowed = assistant.store.chunk_ids_between(lo, hi)
            cut.append(time.perf_counter() - t)
            sizes.append(len(allowed))
            vec = assistant.embedder.embed([q])[0]
            t = time.perf_counter()
            assistant.store.dense_search(vec, k, window)
            dense.append(time.perf_counter() - t)
            t = time.perf_counter()
            assistant.store.bm25_search(q, k, window)
            bm25.append(time.perf_counter() - t)
        n = max(1, assistant.store.counts()["chunks"])
        out[name] = {"total": latency(total), "window_cut": latency(cut), "faiss": latency(dense), "bm25": latency(bm25),
                     "window_fraction_p50": _r(pct([s / n for s in sizes], 50), 3)}
    return out


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


def _stream_once(assistant: Any, question: str, **kw: Any) -> tuple[float | None, float, Any]:
    t = time.perf_counter()
    first = None
    answer = None
    for event in assistant.stream(question, **kw):
        if event.kind == "token" and first is None and event.text.strip():
            first = time.perf_counter() - t
        elif event.kind == "answer":
            answer = event.answer
    return first, time.perf_counter() - t, answer


# -- answers per model, idle and beside a competitor -----------------------------------------------------

def run_answers(args: argparse.Namespace, plan: dict[str, Any]) -> dict[str, Any]:
    """Warm answers of one model on one index: open questions (titles) and multiple choice, idle then loaded."""
    from qa.assistant import Assistant

    folder, model = Path(args.answer_index), args.answer_model
    t = time.perf_counter()
    a = Assistant.open(folder, **{"llm.model": model, "embedding.backend": built_with(folder)})
    counts = a.store.counts()
    opened_s = time.perf_counter() - t
    titles = plan["queries"][: args.answers]
    choice = plan.get("choice_questions", [])[: args.choice_answers]
    t = time.perf_counter()
    _stream_once(a, titles[0])  # model load, spaCy, first ONNX runs: not counted
    if choice:
        _stream_once(a, choice[0]["question"], choices=choice[0]["choices"])
    warm_s = time.perf_counter() - t
    gen = a.generator
    out: dict[str, Any] = {"index": str(folder), "label": args.answer_label, "articles": counts["articles"],
                           "chunks": counts["chunks"], "model": model, "model_file": getattr(gen, "name", "?"),
                           "open_s": round(opened_s, 2), "warm_up_s": round(warm_s, 2),
                           "reads": bool(a.settings.answer.model_reader != "off"), "cells": {}}
    for condition in ("idle", "competitor"):
        if condition == "competitor" and args.no_competitor:
            continue
        with Competitor(condition == "competitor"):
            la = load_avg()
            out["cells"][condition] = _answer_cell(a, gen, titles, choice)
            out["cells"][condition]["load_avg"] = la
        _log(f"answers {args.answer_label} {model} {condition}: open p50 "
             f"{out['cells'][condition]['open']['total']['p50_ms']} ms, first token "
             f"{out['cells'][condition]['open']['first_token']['p50_ms']} ms")
    out["rss_mb"] = round(rss_mb(), 1)
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    a.close()
    return out


def _answer_cell(a: Any, gen: Any, titles: list[str], choice: list[dict[str, Any]]) -> dict[str, Any]:
    calls_log = getattr(gen, "calls", None)
    per_call: dict[str, list[dict]] = {}
    cell: dict[str, Any] = {}
    for kind, items in (("open", [(q, {}) for q in titles]),
                        ("choice", [(c["question"], {"choices": c["choices"]}) for c in choice])):
        first, total, modes, calls_per_q = [], [], {}, []
        parts: dict[str, list[float]] = {}
        for q, kw in items:
            before = len(calls_log) if calls_log is not None else 0
            seen = list(calls_log)[-1:] if calls_log else []
            t_first, t_total, answer = _stream_once(a, q, **kw)
            total.append(t_total)
            if t_first is not None:
                first.append(t_first)
            modes[answer.mode] = modes.get(answer.mode, 0) + 1
            for name, seconds in (answer.timings or {}).items():
                parts.setdefault(name, []).append(seconds)
            if calls_log is not None:
                new = _new_calls(calls_log, before, seen)
                calls_per_q.append(len(new))
                for c in new:
                    per_call.setdefault(c["call"], []).append(c)
        cell[kind] = {"first_token": latency(first), "total": latency(total), "modes": modes,
                      "model_calls_per_question": _r(statistics.fmean(calls_per_q), 2) if calls_per_q else 0,
                      "parts_p50_ms": {k: _r(pct([x * 1000 for x in v], 50)) for k, v in parts.items()}}
    cell["calls"] = {name: _call_summary(rows) for name, rows in per_call.items()}
    return cell


def _new_calls(log: Any, before: int, seen: list[dict]) -> list[dict]:
    """Entries appended to a bounded deque since a point (its length then, and its last entry then)."""
    rows = list(log)
    if len(rows) < log.maxlen or not seen:
        return rows[before:]
    idx = max((i for i, r in enumerate(rows) if r is seen[0]), default=-1)
    return rows[idx + 1:]


def _call_summary(rows: list[dict]) -> dict[str, Any]:
    def p50(key: str) -> float | None:
        vals = [r[key] for r in rows if r.get(key) is not None]
        return _r(pct(vals, 50), 3) if vals else None

    threads: dict[str, int] = {}
    for r in rows:
        threads[str(r["threads"])] = threads.get(str(r["threads"]), 0) + 1
    seconds = [r["seconds"] for r in rows]
    evaluated = sum(r["evaluated_tokens"] for r in rows)
    return {"n": len(rows), "seconds_p50": p50("seconds"), "seconds_p95": _r(pct(seconds, 95), 3),
            "prompt_tokens_p50": p50("prompt_tokens"), "reused_tokens_p50": p50("reused_tokens"),
            "evaluated_tokens_p50": p50("evaluated_tokens"), "generated_tokens_p50": p50("generated_tokens"),
            "first_token_s_p50": p50("first_token_s"), "threads": threads,
            "evaluated_tokens_per_s": _r(evaluated / sum(seconds), 1) if sum(seconds) else None}


# -- cold `qa ask` ----------------------------------------------------------------------------------------

def run_cold(args: argparse.Namespace, plan: dict[str, Any]) -> dict[str, Any]:
    """`qa ask` in a fresh process, --cold times per model: wall seconds and that process's peak RSS."""
    qa = Path(sys.executable).with_name("qa")
    cmd0 = [str(qa)] if qa.is_file() else [sys.executable, "-m", "qa.cli"]
    out: dict[str, Any] = {"index": str(args.answer_index), "question": plan["queries"][0], "models": {}}
    for model in _models(args):
        runs = []
        for _ in range(args.cold):
            cmd = [*cmd0, "ask", plan["queries"][0], "--index", str(args.answer_index), "--model", model]
            t = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            if proc.stderr:
                proc.stderr.close()
            proc.returncode = os.waitstatus_to_exitcode(status)
            runs.append({"wall_s": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
                         "rc": proc.returncode, **({"stderr": err[-300:]} if proc.returncode else {})})
        ok = [r for r in runs if r["rc"] == 0]
        out["models"][model] = {"runs": runs, "wall_s_median": _r(statistics.median([r["wall_s"] for r in ok]), 2) if ok else None,
                                "peak_rss_mb": max((r["peak_rss_mb"] for r in ok), default=None)}
        _log(f"cold qa ask {model}: {[r['wall_s'] for r in runs]} s")
    return out


# -- the thread plan ----------------------------------------------------------------------------------------

def run_threads(args: argparse.Namespace, plan: dict[str, Any]) -> dict[str, Any]:
    """llama.cpp with 1, 2 and adaptive threads, and ONNX Runtime's two ways of using 2 threads, idle and loaded."""
    out: dict[str, Any] = {"omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(default)"), "llama": {}}
    texts = _chunk_texts(Path(plan["slices"][0]), 64)
    if not args.threads_llama_only:
        out["onnx"] = _onnx_threads(args, texts)
    for model in _models(args):
        out["llama"][model] = _llama_threads(model, texts, args)
    return out


def _chunk_texts(path: Path, n: int, words: int = 170) -> list[str]:
    """~n chunk-sized pieces of the corpus (170 words ≈ qa's 230 word-piece chunks)."""
    out: list[str] = []
    for line in iter_lines(path):
        w = json.loads(line).get("text", "").split()
        out += [" ".join(w[i : i + words]) for i in range(0, max(0, len(w) - words), words)]
        if len(out) >= n:
            break
    return out[:n]


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
            out[condition] = {k: _r(statistics.median(v), 1) for k, v in rates.items()}
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
                cell[name] = {"prompt_s": _r(statistics.median(prompt_s), 3),
                              "prompt_tokens_per_s": _r(p["evaluated_tokens"] / statistics.median(prompt_s), 1),
                              "generated_tokens_per_s": _r(statistics.median(gen_rate), 1) if gen_rate else None,
                              "threads_used": sorted(set(used))}
            out[condition] = cell
    gen._share.free_cores = adaptive
    return out


# -- the compute limit of int8 MiniLM here --------------------------------------------------------------------

def run_limit(args: argparse.Namespace, plan: dict[str, Any]) -> dict[str, Any]:
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
    texts = _chunk_texts(Path(plan["slices"][0]), 64)
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
           "texts": len(texts), "tokens": tokens, "tokens_per_text": _r(tokens / len(texts), 1),
           "model_1_thread_texts_per_s": _r(len(texts) / model_s, 1),
           "int8_gemm_gmacs": _r(gemm_macs / 1e9, 2), "fp32_attention_gmacs": _r(attn_macs / 1e9, 2),
           "gemm_only_1_thread_s": _r(gemm_s, 3), "model_1_thread_s": _r(model_s, 3),
           "gemm_gmac_per_s_1_thread": _r(gemm_macs / gemm_s / 1e9, 1),
           "gemm_share_of_model": _r(gemm_s / model_s, 3),
           "ceiling_1_thread_texts_per_s": _r(len(texts) / gemm_s, 1), "profile_share": profile}
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
                             "window_fraction_p50": _r(pct(c["fraction"], 50), 3)}
                      for name, c in sorted(windowed.items()) if c["recall"]}
    out["subset_exact_max"] = vector_module.SUBSET_EXACT
    return out


# -- orchestration ---------------------------------------------------------------------------------

def _log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _models(args: argparse.Namespace) -> list[str]:
    return [] if args.no_llm else [m.strip() for m in args.models.split(",") if m.strip()]


def run_role(role: str, args: argparse.Namespace) -> dict[str, Any]:
    plan = json.loads((Path(args.work) / "plan.json").read_text())
    if role == "fast":
        return run_fast(args, plan)
    if role == "plain":
        return run_plain(args, [Path(p) for p in plan["slices"]], plan["reference_articles"], plan["queries"])
    if role == "hnsw":
        if plan.get("scale_index") and not args.hnsw_index:
            args.hnsw_index = plan["scale_index"]
        return run_hnsw(args, plan["queries"], plan.get("query_dates"))
    if role == "limit":
        return run_limit(args, plan)
    if role == "threads":
        return run_threads(args, plan)
    if role == "answers":
        return run_answers(args, plan)
    return run_cold(args, plan)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="JSONL(.gz) of articles")
    ap.add_argument("--sizes", default="1000,10000,all", help="corpus sizes to ingest and measure at (default 1000,10000,all)")
    ap.add_argument("--articles", type=int, help="use only the first N articles of the corpus")
    ap.add_argument("--scale-index", metavar="DIR", type=Path,
                    help="an existing index of the whole corpus (built by `qa index`), measured read only as the last size")
    ap.add_argument("--scale-build-log", metavar="FILE", type=Path,
                    help="the output of the `qa index` run that built --scale-index (its summary line: ingest at scale)")
    ap.add_argument("--backend", default="onnx-int8", choices=["torch", "onnx", "onnx-int8", "hash"],
                    help="embedding backend of the fast pipeline (default onnx-int8)")
    ap.add_argument("--queries", type=int, default=40, help="retrieval queries per size (default 40)")
    ap.add_argument("--answers", type=int, default=12, help="open questions per model, index and condition (default 12; 0 = skip)")
    ap.add_argument("--choice-answers", type=int, default=4, help="multiple-choice questions per cell (default 4)")
    ap.add_argument("--models", default=MODELS, help=f"answer models, comma-separated (default {MODELS})")
    ap.add_argument("--no-competitor", action="store_true", help="answers only on the idle machine")
    ap.add_argument("--cold", type=int, default=3, help="cold `qa ask` runs per model (default 3; 0 = skip)")
    ap.add_argument("--no-threads", action="store_true", help="skip the thread-plan measurement")
    ap.add_argument("--threads-reps", type=int, default=3, help="repetitions per thread setting (default 3)")
    ap.add_argument("--threads-llama-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-limit", action="store_true", help="skip the int8 compute-limit measurement")
    ap.add_argument("--reference-articles", default="1000",
                    help="articles through the plain reference loop (default 1000, 'all', or 0 to skip)")
    ap.add_argument("--hnsw-queries", type=int, default=500, help="extra chunk-vector queries for HNSW recall")
    ap.add_argument("--no-hnsw", action="store_true", help="skip the HNSW recall measurement")
    ap.add_argument("--hnsw-index", metavar="DIR",
                    help="only measure HNSW recall, on the vectors of this existing index (read only), and print it")
    ap.add_argument("--retrieval-index", metavar="DIR", type=Path,
                    help="only warm retrieval on this existing index (undated, as_of, 4-week window), with the queries "
                         "a full run takes from the corpus's first --sizes slice; prints JSON")
    ap.add_argument("--no-llm", action="store_true", help="end-to-end answers without the language model")
    ap.add_argument("--model", help="(earlier name) one GGUF model for the answers: the same as --models MODEL")
    ap.add_argument("--out", type=Path, default=REPO / "eval" / "runs" / "bench", help="output folder (default eval/runs/bench)")
    ap.add_argument("--inline", action="store_true", help="run the pipelines in this process (tests)")
    ap.add_argument("--resume", action="store_true",
                    help="same arguments as a stopped run: keep the steps it finished (their result files), run the rest")
    ap.add_argument("--report-only", action="store_true",
                    help="only rebuild the tables, JSON and plot from DIR/work (e.g. after stopping a long run)")
    ap.add_argument("--role", choices=ROLES, help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    ap.add_argument("--answer-index", help=argparse.SUPPRESS)
    ap.add_argument("--answer-model", help=argparse.SUPPRESS)
    ap.add_argument("--answer-label", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.model:
        args.models = args.model
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.role:
        result = run_role(args.role, args)
        (Path(args.work) / (args.result or f"{args.role}.json")).write_text(json.dumps(result, indent=2))
        return 0
    if args.hnsw_index and not args.role:
        print(json.dumps(run_hnsw(args, []), indent=2))  # queries: chunk vectors of the index
        return 0
    if args.report_only:
        return report(args.out, collect(args.out / "work"))
    if not args.corpus.is_file():
        print(f"error: corpus {args.corpus} does not exist: pass --corpus FILE.jsonl(.gz)", file=sys.stderr)
        return 1
    if args.retrieval_index:
        return retrieval_only(args)
    if args.scale_index and not (args.scale_index / "manifest.json").is_file():
        print(f"error: --scale-index {args.scale_index} holds no index: build it with "
              f"`qa index {args.corpus} --index {args.scale_index}`, or leave the option out", file=sys.stderr)
        return 1
    out = args.out
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    args.work = str(work)
    total = count_records(args.corpus, args.articles)
    sizes = parse_sizes(args.sizes, total)
    if args.scale_index:
        sizes = [s for s in sizes if s < total] or sizes[:1]  # the whole corpus is the scale index
    ref = args.reference_articles
    ref_n = total if str(ref).lower() == "all" else min(int(ref), total)
    slices = write_slices(args.corpus, sizes, work / "slices")
    dated = pick_dated_queries(slices[0], args.queries)
    plan = {"corpus": str(args.corpus), "total": total, "sizes": sizes, "slices": [str(p) for p in slices],
            "queries": [q for q, _ in dated], "query_dates": [d for _, d in dated], "reference_articles": ref_n,
            "scale_index": str(args.scale_index.resolve()) if args.scale_index else None,
            "scale_build_log": str(args.scale_build_log) if args.scale_build_log else None,
            "choice_questions": pick_choice_questions(DEV_QUESTIONS, args.choice_answers + 1)}
    (work / "plan.json").write_text(json.dumps(plan, indent=2))
    _log(f"{total} articles, sizes {sizes}{' + ' + str(args.scale_index) if args.scale_index else ''}, "
         f"{len(plan['queries'])} queries, reference on {ref_n} articles; load average {load_avg()}")
    results: dict[str, Any] = {"plan": {k: v for k, v in plan.items() if k != "slices"}, "machine": machine(),
                               "command": "python -m eval.bench " + " ".join(argv if argv is not None else sys.argv[1:])}
    (work / "meta.json").write_text(json.dumps(results, indent=2))
    for stale in work.glob("*.json"):  # results of an earlier run in this folder must not mix into this one's report
        if stale.name not in ("plan.json", "meta.json") and not args.resume:
            stale.unlink()
    steps: list[tuple[str, list[str], str, dict[str, str]]] = []  # (role, extra args, result file, extra env)
    if ref_n:
        steps.append(("plain", [], "plain.json", {}))
    steps.append(("fast", [], "fast.json", {}))
    if not args.no_hnsw:
        steps.append(("hnsw", [], "hnsw.json", {}))
    if not args.no_limit and args.backend == "onnx-int8":
        steps.append(("limit", [], "limit.json", {}))
    if not args.no_threads and _models(args):
        steps.append(("threads", [], "threads.json", {}))
        steps.append(("threads", ["--threads-llama-only"], "threads-passive.json", {"OMP_WAIT_POLICY": "PASSIVE"}))
    answer_indexes = [("last ingested", str(work / f"index-{args.backend}"))]
    if args.scale_index:
        answer_indexes.append(("scale", str(args.scale_index)))
    if args.answers and _models(args):
        for label, folder in answer_indexes:
            for model in _models(args):
                name = f"answers-{label.split()[0]}-{model}.json"
                steps.append(("answers", ["--answer-index", folder, "--answer-model", model, "--answer-label", label], name, {}))
    if args.cold and _models(args):
        steps.append(("cold", ["--answer-index", answer_indexes[-1][1]], "cold.json", {}))
    for role, extra, name, env in steps:
        if args.resume and (work / name).is_file() and not json.loads((work / name).read_text()).get("partial"):
            _log(f"{role} {' '.join(extra)}: kept from the stopped run ({name})")
            continue
        _log(f"{role} {' '.join(extra)} ...")
        if args.inline and not env:
            sub = argparse.Namespace(**vars(args))
            for flag, value in zip(extra[::2], extra[1::2]):
                setattr(sub, flag.lstrip("-").replace("-", "_"), value)
            if "--threads-llama-only" in extra:
                sub.threads_llama_only = True
            (work / name).write_text(json.dumps(run_role(role, sub), indent=2))
            continue
        if args.inline:
            continue  # an environment of its own needs a process of its own
        cmd = [sys.executable, "-m", "eval.bench", "--role", role, "--work", str(work), "--result", name, *extra,
               *_passthrough(args)]
        proc = subprocess.run(cmd, cwd=REPO, env={**os.environ, **env})
        if proc.returncode != 0:
            print(f"error: the {role} step failed (exit {proc.returncode}); see the lines above", file=sys.stderr)
            return 1
    return report(out, collect(work))


def collect(work: Path) -> dict[str, Any]:
    """The results of every step in a work folder (what the report is made from)."""
    results: dict[str, Any] = {}
    for role in ("plain", "fast", "hnsw", "limit", "cold"):
        if (work / f"{role}.json").is_file():
            results[role] = json.loads((work / f"{role}.json").read_text())
    threads = {}
    for name, key in (("threads.json", "default"), ("threads-passive.json", "passive")):
        if (work / name).is_file():
            threads[key] = json.loads((work / name).read_text())
    if threads:
        results["threads"] = threads
    answers = [json.loads(f.read_text()) for f in sorted(work.glob("answers-*.json"))]
    if answers:
        results["answers"] = answers
    return results


def _passthrough(args: argparse.Namespace) -> list[str]:
    out = ["--backend", args.backend, "--answers", str(args.answers), "--hnsw-queries", str(args.hnsw_queries),
           "--choice-answers", str(args.choice_answers), "--models", args.models, "--cold", str(args.cold),
           "--threads-reps", str(args.threads_reps)]
    for flag in ("no_llm", "no_competitor"):
        if getattr(args, flag):
            out.append("--" + flag.replace("_", "-"))
    return out


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "cpu": cpu_model(), "cpu_features": cpu_features(), "load_avg": load_avg(),
            "python": sys.version.split()[0]}


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


# -- the report ------------------------------------------------------------------------------------

def report(out: Path, results: dict[str, Any]) -> int:
    """Tables (printed and bench.md), bench.json and bench.png from the steps' results."""
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


def _ms(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def render_table(results: dict[str, Any]) -> str:
    """The Markdown tables of the README's Performance section."""
    parts = [_ingest_table(results)]
    for render in (_retrieval_table, _hnsw_lines, _answers_table, _calls_table, _cold_table, _threads_table, _limit_lines):
        text = render(results)
        if text:
            parts.append(text)
    return "\n\n".join(parts)


def _ingest_table(results: dict[str, Any]) -> str:
    lines = ["| pipeline | articles | chunks | ingest s | articles/s | chunks/s | embed chunks/s | "
             "parse / chunk / enrich / embed / write s | peak RSS MB | disk MB | retrieval p50 / p95 ms | "
             "first token p50 / p95 ms | answer p50 / p95 ms |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    fast = results.get("fast")
    if fast:
        for row in fast["sizes"]:
            ing = row["ingest"]
            st = ing.get("stages_s") or {}
            ret = row["retrieval"]["total"]
            ans = row.get("answer") or {}
            ft, tot = ans.get("first_token") or {}, ans.get("total") or {}
            added = f" (+{ing['articles']})" if ing.get("articles") and ing["articles"] != row["articles"] else ""
            name = f"qa ({fast['backend']})" + (" `qa index`, scale index" if row.get("index") else "")
            stages = (f"{st.get('parse')} / {st.get('chunk')} / {st.get('enrich')} / {st.get('embed')} / {st.get('write')}"
                      if st else "–")
            lines.append(
                f"| {name} | {row['articles']} | {row['chunks']} | {ing.get('seconds') or '–'}{added} | "
                f"{ing.get('articles_per_s') or '–'} | {ing.get('chunks_per_s') or '–'} | {ing.get('embed_chunks_per_s') or '–'} | "
                f"{stages} | {row['peak_rss_mb']} | {row['disk_mb']} | {ret['p50_ms']} / {ret['p95_ms']} | "
                f"{ft.get('p50_ms', '–')} / {ft.get('p95_ms', '–')} | {tot.get('p50_ms', '–')} / {tot.get('p95_ms', '–')} |")
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
    return out


def _retrieval_table(results: dict[str, Any]) -> str:
    fast = results.get("fast")
    if not fast or not any(r.get("retrieval_dated") for r in fast["sizes"]):
        return ""
    lines = ["| index | chunks | FAISS | search p50 / p95 ms | query embedding | FAISS | BM25 | passages + fusion + diversity "
             "| as_of: search p50 / p95 (window cut, FAISS, BM25 p50) | 4-week window: search p50 / p95 (cut, FAISS, BM25) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in fast["sizes"]:
        r = row["retrieval"]
        cells = []
        for name in ("as_of", "window"):
            d = (row.get("retrieval_dated") or {}).get(name)
            if not d:
                cells.append("–")
                continue
            cells.append(f"{_ms(d['total']['p50_ms'])} / {_ms(d['total']['p95_ms'])} ({_ms(d['window_cut']['p50_ms'])}, "
                         f"{_ms(d['faiss']['p50_ms'])}, {_ms(d['bm25']['p50_ms'])}; {round(100 * (d['window_fraction_p50'] or 0))}% "
                         "of chunks)")
        lines.append(f"| {row['articles']:,} articles | {row['chunks']:,} | {row.get('faiss', '?')} | "
                     f"{_ms(r['total']['p50_ms'])} / {_ms(r['total']['p95_ms'])} | {_ms(r['query_embedding']['p50_ms'])} | "
                     f"{_ms(r['faiss']['p50_ms'])} | {_ms(r['bm25']['p50_ms'])} | {_ms((r.get('rest') or {}).get('p50_ms'))} | "
                     f"{cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def _hnsw_lines(results: dict[str, Any]) -> str:
    h = results.get("hnsw")
    if not h:
        return ""
    out = (f"HNSW (M=32, efConstruction 80; {h.get('hnsw_source', 'built here')}) on {h['vectors']} vectors, "
           f"{h['queries']} queries, against exact search: recall@10 {h['recall_at_10']} at efSearch {h['efSearch']} (p50 "
           f"{h['latency']['hnsw']['p50_ms']} ms), {h['recall_at_10_ef256']} at efSearch 256 (p50 "
           f"{h['latency']['hnsw_ef256']['p50_ms']} ms); flat p50 {h['latency']['flat']['p50_ms']} ms; "
           f"HNSW build {h['build_s']} s.")
    for name, w in (h.get("windows") or {}).items():
        out += (f"\nDate window ({name}; {w['n']} queries, median window {round(100 * (w['window_fraction_p50'] or 0))}% "
                f"of chunks): recall@10 {w['recall_at_10']} (min {w['min_recall_at_10']}), p50 {w['latency']['p50_ms']} ms.")
    return out


def _md_table(header: str, rows: list[str]) -> str:
    """A Markdown table: the header row, its separator (one cell per column), the rows; empty without rows."""
    if not rows:
        return ""
    return "\n".join([header, "|" + "---|" * (header.count("|") - 1), *rows])


def _answer_cells(results: dict[str, Any]):  # noqa: ANN202
    """(answers of one model and index, 'idle' / '+1 CPU-bound process', that condition's cell) for every cell."""
    for a in results.get("answers") or []:
        for condition, cell in a["cells"].items():
            yield a, "idle" if condition == "idle" else "+1 CPU-bound process", cell


def _answers_table(results: dict[str, Any]) -> str:
    rows = []
    for a, machine, cell in _answer_cells(results):
        o, c = cell["open"], cell["choice"]
        threads: dict[str, int] = {}
        for call in cell["calls"].values():
            for t, n in call["threads"].items():
                threads[t] = threads.get(t, 0) + n
        rows.append(
            f"| {a['model']} | {a['articles']:,} articles | {machine} | "
            f"{_ms(o['total']['p50_ms'])} / {_ms(o['total']['p95_ms'])} | {_ms(o['first_token']['p50_ms'])} / "
            f"{_ms(o['first_token']['p95_ms'])} | {_ms(c['total']['p50_ms'])} / {_ms(c['total']['p95_ms'])} | "
            f"{o['model_calls_per_question']} open, {c['model_calls_per_question']} choice | "
            f"{', '.join(f'{t}: {n}' for t, n in sorted(threads.items())) or '–'} | {a['peak_rss_mb']} |")
    return _md_table("| model | index | machine | open question: answer p50 / p95 ms | first token p50 / p95 ms | "
                     "multiple choice: answer p50 / p95 ms | model calls per question | threads used | peak RSS MB |", rows)


def _calls_table(results: dict[str, Any]) -> str:
    what = {"complete": "read: few-word answer", "next_token_logprobs": "choose: letter log-probs",
            "generate": "phrase: streamed answer"}
    rows = [f"| {a['model']} | {a['articles']:,} | `{name}` ({what.get(name, name)}) | {machine} | {c['n']} | "
            f"{c['prompt_tokens_p50']} | {c['reused_tokens_p50']} | {c['evaluated_tokens_p50']} | "
            f"{c['generated_tokens_p50']} | {c['seconds_p50']} / {c['seconds_p95']} | {c['evaluated_tokens_per_s']} |"
            for a, machine, cell in _answer_cells(results) for name, c in cell["calls"].items()]
    return _md_table("| model | index | call (what for) | machine | calls | prompt tokens | reused from KV cache | "
                     "evaluated | generated | seconds p50 / p95 | evaluated tokens/s |", rows)


def _cold_table(results: dict[str, Any]) -> str:
    cold = results.get("cold")
    if not cold:
        return ""
    lines = ["| cold `qa ask` (fresh process) | runs (wall s) | median wall s | peak RSS MB |", "|---|---|---|---|"]
    for model, m in cold["models"].items():
        lines.append(f"| {model} | {', '.join(str(r['wall_s']) + ('' if r['rc'] == 0 else ' (failed)') for r in m['runs'])} | "
                     f"{m['wall_s_median']} | {m['peak_rss_mb']} |")
    return "\n".join(lines)


def _threads_table(results: dict[str, Any]) -> str:
    th = results.get("threads")
    if not th:
        return ""
    lines = []
    base = th.get("default") or {}
    onnx = base.get("onnx")
    if onnx:
        lines += ["| ONNX Runtime embedding (int8 " + str(onnx.get("weights")) + f", {onnx['texts']} chunks) | idle chunks/s | +1 process chunks/s |",
                  "|---|---|---|"]
        for name in onnx["idle"]:
            lines.append(f"| {name} | {onnx['idle'][name]} | {(onnx.get('competitor') or {}).get(name, '–')} |")
        lines.append("")
    lines += ["| llama.cpp | OpenMP wait | threads | idle: prompt tokens/s, generated tokens/s | "
              "+1 process: prompt tokens/s, generated tokens/s | threads the adaptive plan took |",
              "|---|---|---|---|---|---|"]
    for key, label in (("default", "spin (default)"), ("passive", "PASSIVE")):
        for model, m in ((th.get(key) or {}).get("llama") or {}).items():
            for setting in m["idle"]:
                i, c = m["idle"][setting], (m.get("competitor") or {}).get(setting, {})
                took = f"idle {i['threads_used']}, loaded {c.get('threads_used', '–')}" if setting == "adaptive" else ""
                lines.append(f"| {model} ({m['prompt_tokens']}-token prompt) | {label} | {setting} | "
                             f"{i['prompt_tokens_per_s']}, {i['generated_tokens_per_s']} | "
                             f"{c.get('prompt_tokens_per_s', '–')}, {c.get('generated_tokens_per_s', '–')} | {took} |")
    return "\n".join(lines)


def _limit_lines(results: dict[str, Any]) -> str:
    lim = results.get("limit")
    if not lim:
        return ""
    prof = ", ".join(f"{k} {round(100 * v)}%" for k, v in list(lim["profile_share"].items())[:6])
    out = (f"Compute limit of int8 MiniLM ({lim['cpu']}, {lim['cores']} cores; CPU features "
           f"{' '.join(lim['cpu_features'])}; int8 weights {lim['weights']}): {lim['texts']} chunks of "
           f"{lim['tokens_per_text']} word-pieces = {lim['int8_gemm_gmacs']} G int8 multiply-adds in the matrix "
           f"products + {lim['fp32_attention_gmacs']} G fp32 in attention. One thread: the model embeds "
           f"{lim['model_1_thread_texts_per_s']} chunks/s; its int8 GEMMs alone (MatMulInteger, same shapes, same MLAS "
           f"kernels) take {lim['gemm_only_1_thread_s']} s of the model's {lim['model_1_thread_s']} s "
           f"({round(100 * lim['gemm_share_of_model'])}%), at {lim['gemm_gmac_per_s_1_thread']} G multiply-adds/s: "
           f"even with everything else free, {lim['ceiling_1_thread_texts_per_s']} chunks/s per core. "
           f"Time by operator: {prof}.")
    sp = results.get("speedup") or {}
    free = gemms_free_factor(lim)
    if free and sp.get("ingest_chunks_per_s"):
        out += (f" The other {round(100 * (1 - lim['gemm_share_of_model']))}% is work int8 does not shrink (attention "
                f"scores and softmax, layer norms, GELU, quantising activations): were the int8 GEMMs free, the model "
                f"would be {free:.2f}x as fast, so embedding at most {sp['embed_chunks_per_s'] * free:.2f}x and ingest "
                f"at most {sp['ingest_chunks_per_s'] * free:.2f}x the plain loop (measured: "
                f"{sp['embed_chunks_per_s']}x, {sp['ingest_chunks_per_s']}x).")
    return out


def gemms_free_factor(lim: dict[str, Any]) -> float | None:
    """How much faster the model would be if its int8 GEMMs took no time (model time / the rest's time)."""
    model_s, gemm_s = lim.get("model_1_thread_s"), lim.get("gemm_only_1_thread_s")
    return model_s / (model_s - gemm_s) if model_s and gemm_s is not None and model_s > gemm_s else None


def plot(results: dict[str, Any], path: Path) -> None:
    """Ingest, retrieval, answers, memory, thread plan."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fast = results.get("fast") or {"sizes": []}
    fig, axes = plt.subplots(2, 3, figsize=(17, 9))
    ax = axes[0][0]
    names, rates = [], []
    plain = results.get("plain")
    if plain:
        names.append(f"plain loop\n(torch fp32)\n{plain['articles']} art.")
        rates.append(plain["ingest"]["chunks_per_s"] or 0)
    for r in fast["sizes"]:
        if r["ingest"].get("chunks_per_s"):
            names.append(f"qa\n{r['articles']:,} art." + ("\n(qa index)" if r.get("index") else ""))
            rates.append(r["ingest"]["chunks_per_s"])
    lim = results.get("limit")
    first = next((r for r in fast["sizes"] if r["ingest"].get("chunks_per_s")), None)
    free = gemms_free_factor(lim) if lim and first else None
    if free:  # the bound: this ingest with its int8 GEMMs taking no time
        names.append("qa bound:\nint8 GEMMs\nfree")
        rates.append(first["ingest"]["chunks_per_s"] * free)
    lim = lim if free else None
    ax.bar(range(len(rates)), rates, color=["C3"] * bool(plain) + ["C0"] * (len(rates) - bool(plain) - bool(lim)) + ["C7"] * bool(lim))
    ax.set_xticks(range(len(rates)), names, fontsize=7)
    if plain:
        ax.axhline(2.5 * (plain["ingest"]["chunks_per_s"] or 0), color="C3", ls="--", lw=1, label="2.5x plain loop")
        ax.legend(fontsize=8)
    ax.set(title="ingest (chunks/s)", ylabel="chunks/s")
    ax = axes[0][1]
    xs = [r["chunks"] for r in fast["sizes"]]
    for key, label, style in (("total", "search p50", "o-"), ("bm25", "BM25 p50", "s--"), ("faiss", "FAISS p50", "^--"),
                              ("query_embedding", "query embedding p50", "v--"), ("rest", "passages+fusion+diversity", "d--")):
        ys = [(r["retrieval"].get(key) or {}).get("p50_ms") for r in fast["sizes"]]
        if any(y is not None for y in ys):
            ax.plot(xs, [float("nan") if y is None else y for y in ys], style, label=label)
    for name, style in (("as_of", "o:"), ("window", "x:")):
        ys = [((r.get("retrieval_dated") or {}).get(name) or {}).get("total", {}).get("p50_ms") for r in fast["sizes"]]
        if any(y is not None for y in ys):
            ax.plot(xs, [float("nan") if y is None else y for y in ys], style, label=f"search p50, {name}")
    ax.axhline(30, color="C3", ls="--", lw=1, label="30 ms target")
    ax.set(title="retrieval (warm)", xlabel="chunks", ylabel="ms")
    ax.legend(fontsize=7)
    ax = axes[0][2]
    answers = results.get("answers") or []
    labels, p50s, firsts, colors = [], [], [], []
    for a in answers:
        for condition, cell in a["cells"].items():
            labels.append(f"{a['model'].split('-')[0]}\n{a['articles'] // 1000 or a['articles']}{'k' if a['articles'] >= 1000 else ''}"
                          f"\n{'idle' if condition == 'idle' else '+1 proc'}")
            p50s.append((cell["open"]["total"]["p50_ms"] or 0) / 1000)
            firsts.append((cell["open"]["first_token"]["p50_ms"] or float("nan")) / 1000)
            colors.append("C0" if "smol" in a["model"] else "C1")
    if labels:
        ax.bar(range(len(p50s)), p50s, color=colors, alpha=0.8, label="answer p50")
        ax.plot(range(len(firsts)), firsts, "k^", label="first token p50")
        ax.set_xticks(range(len(labels)), labels, fontsize=6)
        ax.legend(fontsize=8)
    ax.set(title="answers, open questions (warm)", ylabel="seconds")
    ax = axes[1][0]
    ax.plot(xs, [r["peak_rss_mb"] for r in fast["sizes"]], "o-", label="peak RSS (search process)")
    ax.plot(xs, [r["disk_mb"] for r in fast["sizes"]], "s-", label="index on disk")
    for a in answers:
        ax.plot([a["chunks"]], [a["peak_rss_mb"]], "^", color="C0" if "smol" in a["model"] else "C1")
    ax.set(title="memory and disk (triangles: answering, per model)", xlabel="chunks", ylabel="MB")
    ax.legend(fontsize=8)
    ax = axes[1][1]
    th = (results.get("threads") or {})
    bars, vals = [], []
    for key in ("default", "passive"):
        for model, m in ((th.get(key) or {}).get("llama") or {}).items():
            for condition in ("idle", "competitor"):
                for setting, v in (m.get(condition) or {}).items():
                    bars.append(f"{model.split('-')[0]} {'P ' if key == 'passive' else ''}{setting}\n{'idle' if condition == 'idle' else '+1'}")
                    vals.append(v["prompt_tokens_per_s"] or 0)
    if bars:
        ax.barh(range(len(vals)), vals, color=["C0" if "smol" in b else "C1" for b in bars])
        ax.set_yticks(range(len(bars)), bars, fontsize=5)
    ax.set(title="llama.cpp prompt tokens/s by threads", xlabel="tokens/s")
    ax = axes[1][2]
    onnx = (th.get("default") or {}).get("onnx")
    if onnx:
        names = list(onnx["idle"])
        w = 0.38
        ax.bar([i - w / 2 for i in range(len(names))], [onnx["idle"][n] for n in names], w, label="idle")
        if onnx.get("competitor"):
            ax.bar([i + w / 2 for i in range(len(names))], [onnx["competitor"][n] for n in names], w, label="+1 process")
        ax.set_xticks(range(len(names)), [n.replace(", ", "\n") for n in names], fontsize=7)
        ax.legend(fontsize=8)
    ax.set(title="ONNX Runtime embedding (chunks/s)", ylabel="chunks/s")
    m = results.get("machine", {})
    fig.suptitle(f"{m.get('cpu', '?')}, {m.get('cpus', '?')} cores; 1-minute load average at each size: "
                 f"{[r.get('load_avg', [None])[0] for r in fast['sizes']]}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
