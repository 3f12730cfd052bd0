"""EM / F1 and gold-in-passages per expected answer type, from a `qa eval` run's per-question records.

    .venv/bin/python -m eval.studies.per_type eval/runs/dev/questions.jsonl
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict


def main(argv: list[str] | None = None) -> int:
    from qa.answer.question import analyse

    from ..scoring import skipped_for_generation

    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print("usage: python -m eval.studies.per_type RUN/questions.jsonl", file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    by: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if not skipped_for_generation(r["question"]):
            by[analyse(r["question"]).type].append(r.get("metrics") or {})
    print("| type | n | EM | F1 | gold in passages |\n|---|---|---|---|---|")
    for t, ms in sorted(by.items(), key=lambda kv: -len(kv[1])):
        n = len(ms)
        pct = lambda k: 100 * sum(m.get(k) or 0 for m in ms) / n  # noqa: E731
        print(f"| {t} | {n} | {pct('em'):.1f} | {pct('f1'):.1f} | {pct('passages_gold'):.1f} |")
    short = [r["timings"]["total"] for r in rows if r.get("timings")]
    mc = [r["choice"]["timings"]["total"] for r in rows if (r.get("choice") or {}).get("timings")]
    print(f"\nmedian seconds per question: short answer {statistics.median(short):.2f}"
          + (f", multiple choice {statistics.median(mc):.2f}" if mc else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
