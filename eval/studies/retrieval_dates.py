"""Does the date handling help retrieval? Evidence-article hit@k on the RealTimeQA DEV set, before and after.

    .venv/bin/python -m eval.studies.retrieval_dates [--index index/dev] [--limit N]

For the 160 questions that have an evidence article (`evidence_id`) and an `as_of` date, search the index with
the question and count a hit when the evidence article is among the top k distinct articles (k = 1, 5, 10).
Rows:
  no dates               the question alone: no as_of filter, no recency prior
  as_of filter           articles published after as_of are excluded; no recency prior (weights set to 0)
  filter + recency       what `Assistant.search(question, as_of=...)` does: the filter, plus the recency prior
                         (articles 0..recency_days before as_of get recency_weight, or recency_weight_temporal
                         when the question asks for the latest news)
  filter + recency 2.0   the filter and the temporal weight (2.0) for every question
The index is only read.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from ..data import DEV, REPO
from .hit_at_k import KS, load_questions  # the same questions and k as hit_at_k


def top_articles(passages, n: int) -> list[str]:
    """The first n distinct article ids of a ranked passage list."""
    out: list[str] = []
    for p in passages:
        if p.article_id not in out:
            out.append(p.article_id)
        if len(out) >= n:
            break
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", default=str(REPO / "index" / "dev"))
    ap.add_argument("--questions", default=str(DEV / "questions.jsonl"))
    ap.add_argument("--limit", type=int)
    args = ap.parse_args(argv)

    from qa.assistant import Assistant
    from qa.search import Retriever, SearchRequest
    from qa.text.dates import parse_iso

    if not Path(args.questions).is_file():
        print(f"error: {args.questions} is absent (../shared/data is not mounted here)", file=sys.stderr)
        return 1
    questions = load_questions(Path(args.questions))[: args.limit]
    a = Assistant.open(args.index)
    try:
        s = a.settings.retrieval
        depth = max(KS) * s.max_per_article * 2  # enough passages for max(KS) distinct articles
        no_prior = Retriever(a.store, a.embedder,
                             dataclasses.replace(s, recency_weight=0.0, recency_weight_temporal=0.0))
        temporal = Retriever(a.store, a.embedder, dataclasses.replace(s, recency_weight=s.recency_weight_temporal))
        runs = {
            "no dates": lambda q: no_prior.search(SearchRequest(q["question"], top_k=depth, prefers_recent=False)),
            "as_of filter": lambda q: no_prior.search(
                SearchRequest(q["question"], as_of=parse_iso(q["as_of"]), top_k=depth)),
            "filter + recency": lambda q: a.search(q["question"], k=depth, as_of=q["as_of"]),
            f"filter + recency {s.recency_weight_temporal}": lambda q: temporal.search(
                SearchRequest(q["question"], as_of=parse_iso(q["as_of"]), top_k=depth, prefers_recent=False)),
        }
        t0 = time.perf_counter()
        hits = {name: {k: 0 for k in KS} for name in runs}
        for q in questions:
            for name, run in runs.items():
                found = top_articles(run(q), max(KS))
                for k in KS:
                    hits[name][k] += q["evidence_id"] in found[:k]
        seconds = time.perf_counter() - t0
    finally:
        a.close()

    n = len(questions)
    print(f"Evidence-article hit@k, RealTimeQA DEV ({n} questions with evidence_id and as_of), index {args.index}")
    print(f"(recency: {s.recency_days} days, weight {s.recency_weight}, temporal {s.recency_weight_temporal}; "
          f"{seconds:.0f} s)\n")
    print("| retrieval | " + " | ".join(f"hit@{k}" for k in KS) + " |")
    print("|---|" + "---|" * len(KS))
    for name, row in hits.items():
        print(f"| {name} | " + " | ".join(f"{100 * row[k] / n:.1f} ({row[k]})" for k in KS) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
