"""What several roles measure alike: an index's retrieval latency (undated and dated), warm answers, partial results."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from .corpus import windows_for
from .probes import disk_mb, latency, pct, peak_rss_mb, rnd, rss_mb


def answer_models(args: argparse.Namespace) -> list[str]:
    """The answer models of --models (none with --no-llm)."""
    return [] if args.no_llm else [m.strip() for m in args.models.split(",") if m.strip()]



def built_with(folder: Path) -> str:
    """The embedding backend an index was built with (its manifest)."""
    return json.loads((Path(folder) / "manifest.json").read_text())["embedding"]["backend"]



def save_partial(args: argparse.Namespace, role: str, data: dict[str, Any]) -> None:
    (Path(args.work) / f"{role}.json").write_text(json.dumps(dict(data, partial=True), indent=2))



def measure_index(assistant: Any, row: dict[str, Any], folder: Path, queries: list[str], dates: list[str | None],
                   args: argparse.Namespace) -> None:
    row["rss_mb"] = round(rss_mb(), 1)
    row["peak_rss_mb"] = round(peak_rss_mb(), 1)
    row["disk_mb"] = round(disk_mb(folder), 1)
    backend = assistant.store.backend
    row["faiss"] = backend.vectors().kind if backend.name == "faiss" else backend.kind
    row["retrieval"] = retrieval_latency(assistant, queries)
    row["retrieval_dated"] = dated_latency(assistant, queries, dates)



def retrieval_latency(assistant: Any, queries: list[str]) -> dict[str, Any]:
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



def dated_latency(assistant: Any, queries: list[str], dates: list[str | None]) -> dict[str, Any]:
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
            backend = assistant.store.backend
            if backend.name == "faiss":  # the FAISS backend cuts a window into chunk ids (Milvus filters in the engine)
                backend._windows.clear()  # the cut itself, uncached (the searches above cached it)
                t = time.perf_counter()
                allowed = backend.chunk_ids_between(lo, hi)
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
                     "window_fraction_p50": rnd(pct([s / n for s in sizes], 50), 3)}
    return out



class AnswerTally:
    """Streamed answers counted: time to the first shown text and to the answer, modes, the stages' timings."""

    def __init__(self) -> None:
        self.first: list[float] = []
        self.total: list[float] = []
        self.modes: dict[str, int] = {}
        self.parts: dict[str, list[float]] = {}

    def add(self, t_first: float | None, t_total: float, answer: Any) -> None:
        self.total.append(t_total)
        if t_first is not None:
            self.first.append(t_first)
        self.modes[answer.mode] = self.modes.get(answer.mode, 0) + 1
        for name, seconds in (answer.timings or {}).items():
            self.parts.setdefault(name, []).append(seconds)

    def summary(self, **extra: Any) -> dict[str, Any]:
        return {"first_token": latency(self.first), "total": latency(self.total), "modes": self.modes, **extra,
                "parts_p50_ms": {k: rnd(pct([x * 1000 for x in v], 50)) for k, v in self.parts.items()}}


def answer_latency(assistant: Any, questions: list[str]) -> dict[str, Any]:
    """Warm end-to-end latency through Assistant.stream: first 'token' event and the final answer."""
    if questions:
        stream_once(assistant, questions[0])  # loads the GGUF model and spaCy: not counted
    tally = AnswerTally()
    for q in questions:
        tally.add(*stream_once(assistant, q))
    return tally.summary()



def stream_once(assistant: Any, question: str, **kw: Any) -> tuple[float | None, float, Any]:
    t = time.perf_counter()
    first = None
    answer = None
    for event in assistant.stream(question, **kw):
        if event.kind == "token" and first is None and event.text.strip():
            first = time.perf_counter() - t
        elif event.kind == "answer":
            answer = event.answer
    return first, time.perf_counter() - t, answer
