"""Evidence-article hit@k of one or more indexes on the RealTimeQA DEV set: does a faster embedding lose retrieval?

    .venv/bin/python -m eval.studies.hit_at_k --index index/dev --index /tmp/dev-int8 [--limit N]

For the questions with an evidence article and an as_of date (160), with the default retrieval settings:
  hybrid   Assistant.search(question, as_of=...) — dense + BM25 + fusion, date filter, recency prior, diversity
  dense    dense search alone (the part an embedding backend changes), as_of filter
A hit: the evidence article is among the first k distinct articles. Each index is opened with the embedding
backend its manifest names (an index built with another backend is another index), read only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..data import DEV, REPO

KS = (1, 5, 10)


def load_questions(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [q for q in rows if q.get("evidence_id") and q.get("as_of")]


def distinct_articles(article_ids: list[str], n: int) -> list[str]:
    out: list[str] = []
    for a in article_ids:
        if a not in out:
            out.append(a)
        if len(out) >= n:
            break
    return out


def measure(index: str, questions: list[dict]) -> dict:
    """hit@k counts (hybrid and dense) of one index."""
    from qa.assistant import Assistant
    from qa.search import SearchRequest
    from qa.text.dates import parse_iso

    manifest = json.loads((Path(index) / "manifest.json").read_text())
    backend = manifest["embedding"]["backend"]
    # the search backend its manifest names too (FAISS when it names none)
    a = Assistant.open(index, **{"embedding.backend": backend,
                                 "index.backend": manifest.get("index", {}).get("backend", "faiss")})
    try:
        s = a.settings.retrieval
        depth = max(KS) * s.max_per_article * 2
        hits = {"hybrid": dict.fromkeys(KS, 0), "dense": dict.fromkeys(KS, 0)}
        t0 = time.perf_counter()
        for q in questions:
            hybrid = [p.article_id for p in a.search(q["question"], k=depth, as_of=q["as_of"])]
            allowed = a.retriever.allowed_ids(SearchRequest(q["question"], as_of=parse_iso(q["as_of"])))
            dense_ids = [cid for cid, _ in a.retriever.dense(q["question"], s.candidates * 2, allowed)]
            passages = a.store.passages(dense_ids)
            dense = [passages[c].article_id for c in dense_ids if c in passages]
            for name, ranked in (("hybrid", hybrid), ("dense", dense)):
                found = distinct_articles(ranked, max(KS))
                for k in KS:
                    hits[name][k] += q["evidence_id"] in found[:k]
        seconds = time.perf_counter() - t0
    finally:
        a.close()
    return {"index": index, "backend": backend, "chunks": manifest.get("counts", {}).get("chunks"),
            "n": len(questions), "hits": hits, "seconds": round(seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", action="append", help="index folder (repeat to compare; default index/dev)")
    ap.add_argument("--questions", default=str(DEV / "questions.jsonl"))
    ap.add_argument("--limit", type=int)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    if not Path(args.questions).is_file():
        print(f"error: {args.questions} is absent (../shared/data is not mounted here)", file=sys.stderr)
        return 1
    questions = load_questions(Path(args.questions))[: args.limit]
    results = [measure(i, questions) for i in (args.index or [str(REPO / "index" / "dev")])]
    print(f"Evidence-article hit@k, RealTimeQA DEV ({len(questions)} questions with evidence_id and as_of)\n")
    print("| index | backend | chunks | " + " | ".join(f"hybrid hit@{k}" for k in KS) + " | "
          + " | ".join(f"dense hit@{k}" for k in KS) + " |")
    print("|---|---|---|" + "---|" * (2 * len(KS)))
    for r in results:
        n = r["n"] or 1
        cells = [f"{100 * r['hits'][m][k] / n:.1f} ({r['hits'][m][k]})" for m in ("hybrid", "dense") for k in KS]
        print(f"| {r['index']} | {r['backend']} | {r['chunks']} | " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
