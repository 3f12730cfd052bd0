"""Retrieval-only settings sweep: hit@k / MRR of the evidence article (and answer recall) per setting value.

Fast (no reader, no LLM): it calls only `Assistant.search` with each question's as_of, the same search
`Assistant.ask` runs. Use it to shortlist a retrieval setting before a full `qa eval` run.

    python -m eval.studies.sweep ../shared/data/realtimeqa-dev/questions.jsonl --index index/dev \
        --set retrieval.recency_weight=0,0.5,1,2,3
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from qa.config import Settings

from .. import metrics as M
from ..gold import load_gold
from ..scoring import contains_gold, skipped_for_generation


def sweep(gold_path: str, index_dir: str, name: str, values: list[str], limit: int | None = None) -> list[dict[str, Any]]:
    """One row of retrieval figures per value of the dotted setting ``name``."""
    from qa import Assistant

    questions = load_gold(gold_path)[:limit]
    rows = []
    for value in values:
        settings = Settings.load(**{"index_dir": index_dir, name: value})
        assistant = Assistant.open(settings=settings)
        try:
            per_q = []
            for q in questions:
                passages = assistant.search(q.question, as_of=q.as_of)
                m = M.retrieval_metrics(q.evidence_id, passages)
                if q.format == "rtqa" and q.answers and not skipped_for_generation(q.question):
                    m["passages_gold"] = float(any(contains_gold(f"{p.title} {p.text}", q.answers) for p in passages))
                per_q.append(m)
        finally:
            assistant.close()
        agg = M.aggregate(per_q)
        rows.append({"setting": name, "value": value, **{k: agg[k] for k in ("hit@1", "hit@5", "hit@10", "mrr", "passages_gold")}})
        print(_line(rows[-1]), file=sys.stderr)
    return rows


def _line(row: dict[str, Any]) -> str:
    cells = [f"{k} {100 * row[k]['value']:.1f}" for k in ("hit@1", "hit@5", "hit@10", "mrr", "passages_gold") if row[k]["n"]]
    return f"{row['setting']}={row['value']}: " + ", ".join(cells)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.studies.sweep", description=__doc__.splitlines()[0])
    p.add_argument("gold")
    p.add_argument("--index", required=True)
    p.add_argument("--set", required=True, metavar="NAME=V1,V2,...", help="a dotted setting and its values")
    p.add_argument("--limit", type=int)
    args = p.parse_args(argv)
    name, _, values = args.set.partition("=")
    rows = sweep(args.gold, args.index, name, values.split(","), args.limit)
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
