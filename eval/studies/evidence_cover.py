"""Does the evidence the model composes from hold the answer? Retrieval and evidence selection alone (no model).

    .venv/bin/python -m eval.studies.evidence_cover eval/gold/reporter-train.jsonl [--index index/reporter]

For every answerable question of a reporter gold set: is an article it was written from among the reader's
passages (the first retrieval.top_k), among all the passages the shape retrieves, among the articles of the
numbered evidence; and for every key fact with an exact form (a name or a number: `any` in the gold), is that form
in the numbered evidence, in any retrieved passage, in the gold article; and for every key fact, are 60% of its
content words in the numbered evidence, in the passages (a looser, noisier reading of the same). The evidence figure is a ceiling on the
exact key facts a composed answer can state; the gap between it and the passage figure is what evidence selection
loses. Per shape.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..reporter import exact_hit, load

ROWS = ("gold in reader's passages", "gold in all passages", "gold in evidence",
        "exact facts in evidence", "exact facts in passages", "exact facts in gold article",
        "facts' words in evidence", "facts' words in passages")
SOFT = 0.6  # a key fact's content words (stemmed) that one text must hold for the 'words' rows


def words_in(fact: str, text: str) -> bool:
    from qa.text.tokens import content_words

    want = set(content_words(fact))
    return bool(want) and len(want & set(content_words(text))) >= SOFT * len(want)


def cover(a: Any, q: dict[str, Any]) -> dict[str, Any]:
    from qa.answer.pipeline import covering_evidence
    from qa.search.condense import condense

    query, _ = condense(q["question"], q.get("history") or None, None, a.prompts)
    r = a.retrieve(q["question"], query)
    evidence = covering_evidence(r, a._services(r.request))
    gold = set(q.get("articles") or [])
    passages = r.ctx.passages
    ev_text = " ".join(e.text for e in evidence)
    pa_text = " ".join(p.text for p in passages)
    gold_text = " ".join((a.article(g).text if a.article(g) else "") for g in gold)
    facts = [f["any"] for f in q.get("key_facts", []) if f.get("any")]
    every = [f["fact"] for f in q.get("key_facts", [])]
    return {"id": q["id"], "shape": r.shape, "gold_shape": q["shape"],
            ROWS[0]: any(p.article_id in gold for p in passages[: r.base]),
            ROWS[1]: any(p.article_id in gold for p in passages),
            ROWS[2]: any(e.article_id in gold for e in evidence),
            "facts": len(facts),
            ROWS[3]: sum(exact_hit(ev_text, f) for f in facts),
            ROWS[4]: sum(exact_hit(pa_text, f) for f in facts),
            ROWS[5]: sum(exact_hit(gold_text, f) for f in facts),
            "all facts": len(every),
            ROWS[6]: sum(words_in(f, ev_text) for f in every),
            ROWS[7]: sum(words_in(f, pa_text) for f in every),
            "evidence": len(evidence), "passages": len(passages)}


def table(recs: list[dict[str, Any]]) -> str:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in recs:
        groups["all"].append(r)
        groups[r["gold_shape"]].append(r)
    head = "| shape | n | " + " | ".join(ROWS) + " |"
    out = [head, "|" + "---|" * (len(ROWS) + 2)]
    for name, rs in groups.items():
        n, facts = len(rs), sum(r["facts"] for r in rs)
        cells = [f"{sum(r[k] for r in rs)}/{n}" for k in ROWS[:3]] + [f"{sum(r[k] for r in rs)}/{facts}" for k in ROWS[3:6]] + [
            f"{sum(r[k] for r in rs)}/{sum(r['all facts'] for r in rs)}" for k in ROWS[6:]]
        out.append(f"| {name} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gold", nargs="+", type=Path)
    ap.add_argument("--index", default="index/reporter")
    ap.add_argument("--out", type=Path, help="write the per-question records here (jsonl)")
    args = ap.parse_args(argv)
    from qa.assistant import Assistant

    a = Assistant.open(args.index)
    recs = []
    try:
        for path in args.gold:
            for q in load(path):
                if q.get("answerable", True):
                    recs.append(cover(a, q))
                    print(f"{q['id']} {recs[-1]['shape']}", file=sys.stderr)
    finally:
        a.close()
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    print(table(recs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
