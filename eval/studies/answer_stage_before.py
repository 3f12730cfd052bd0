"""The answer stage as it was before issue 24 (commit 8d1689d) on a reporter gold set, written as eval/reporter.py's
answers.jsonl so that `python -m eval.reporter score` and hand grades treat both stages alike (docs/answers.md).

    git worktree add /tmp/qa-before 8d1689d
    PYTHONPATH=/tmp/qa-before python eval/studies/answer_stage_before.py eval/gold/reporter-dev.jsonl index/reporter \
        eval/runs/reporter-dev-before
    python -m eval.reporter score eval/runs/reporter-dev-before

Run as a script (not with -m), so that PYTHONPATH's old `qa` package comes before this checkout's."""
import json
import sys
from pathlib import Path

import qa

if Path(qa.__file__).resolve().parents[1] == Path(__file__).resolve().parents[2]:
    raise SystemExit("this is the current qa package: put a checkout of 8d1689d first on PYTHONPATH (see the docstring)")
from qa.assistant import Assistant  # noqa: E402 - after the check of which qa this is
from qa.config import Settings  # noqa: E402

# this checkout's eval/ (the old checkout on PYTHONPATH has no eval/reporter.py); qa is imported already and keeps
# loading its submodules from the old checkout
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from eval.reporter import ask_one  # noqa: E402 - the same record as `qa eval` writes

gold, index, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
out.mkdir(parents=True, exist_ok=True)
(out / "run.json").write_text(json.dumps({"gold": str(gold.resolve()), "index": index, "model": "default (before issue 24, 8d1689d)"}))
settings = Settings.load().replace(**{"llm.temperature": 0.0})
a = Assistant.open(index, settings=settings)
a.search("warm up", 1)
qs = [json.loads(l) for l in gold.read_text().splitlines() if l.strip()]
with open(out / "answers.jsonl", "w") as fh:
    for i, q in enumerate(qs, 1):
        rec = ask_one(a, q)
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        fh.flush()
        print(f"[{i}/{len(qs)}] {q['id']} {rec['seconds']:.1f}s {rec['text'][:90]!r}", file=sys.stderr)
a.close()
