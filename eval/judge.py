"""An independent citation judge: does the cited evidence support the answer sentence?

The eval's citation precision/recall (metrics.py) use the same lexical support test that the pipeline's verifier
uses to pick citations, so they grade the pipeline with its own rule. Two judges that do not share it:
  * the language model's yes/no (prompt eval/prompts/judge.txt; P(" Yes") against P(" No") for the next token);
  * hand labels: eval/gold/citations.jsonl, answer sentences with the sentences they cite, labelled by a person
    ({claim, cited: [...], supported: true/false, note, from}).

    python -m eval.judge labels [--model qwen2.5-coder-1.5b]     # agreement of both judges with the hand labels
    python -m eval.judge run eval/runs/dev [--model ...]          # citation precision/recall of a run by the model
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LABELS = HERE / "gold" / "citations.jsonl"
DEFAULT_MODEL = "qwen2.5-coder-1.5b"


class ModelJudge:
    """Yes/no from a GGUF model's next-token probabilities; judgments memoised in a file."""

    def __init__(self, model: str = DEFAULT_MODEL, threads: int = 2, memo: Path | None = None) -> None:
        from qa.config import LLMSettings
        from qa.generate.llama import LlamaCppGenerator
        from qa.generate.prompts import Prompts

        self.gen = LlamaCppGenerator(LLMSettings(model=model, threads=threads))
        self.prompts = Prompts(HERE / "prompts")
        self.memo_path = memo
        self.memo: dict[tuple[str, tuple[str, ...]], float] = pickle.loads(memo.read_bytes()) if memo and memo.is_file() else {}

    def p_yes(self, claim: str, cited: Sequence[str]) -> float:
        """P(yes) of 'does the evidence support the claim', normalised over yes and no."""
        key = (claim, tuple(cited))
        if key not in self.memo:
            messages = self.prompts.messages("judge", evidence="\n".join(cited), claim=claim)
            lp_yes, lp_no = self.gen.next_token_logprobs(self.gen.chat_prompt(messages, reply_prefix="Answer:"), [" Yes", " No"])
            self.memo[key] = 1.0 / (1.0 + math.exp(lp_no - lp_yes))
        return self.memo[key]

    def supports(self, claim: str, cited: Sequence[str]) -> bool:
        return bool(cited) and self.p_yes(claim, cited) >= 0.5

    def save(self) -> None:
        if self.memo_path:
            self.memo_path.write_bytes(pickle.dumps(self.memo))


def citation_scores(records: list[dict[str, Any]], judge: Any) -> dict[str, Any]:
    """ALCE-style citation precision and recall of a run's answers (as metrics.citation_metrics) with ``judge``."""
    from qa.answer.cite import parse_claims

    from .metrics import _AS_OF

    pairs = precise = sentences = good = 0
    for r in records:
        if r.get("error") or r.get("abstained") or not r.get("citations"):
            continue
        by_n = {c["n"]: c["sentence"] for c in r["citations"]}
        for claim in parse_claims(_AS_OF.sub("", r["answer"])):
            cited = {n: by_n[n] for n in claim.cites if n in by_n}
            whole = bool(cited) and judge.supports(claim.text, list(cited.values()))
            sentences += 1
            good += whole
            for n in claim.cites:
                pairs += 1
                if n not in cited:
                    continue
                rest = [t for k, t in cited.items() if k != n]
                if judge.supports(claim.text, [cited[n]]) or (whole and not (rest and judge.supports(claim.text, rest))):
                    precise += 1
    return {"citation_precision": precise / pairs if pairs else None, "citation_recall": good / sentences if sentences else None,
            "pairs": pairs, "sentences": sentences}


def load_labels(path: Path = LABELS) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def agreement(labels: list[dict[str, Any]], judge: Any) -> dict[str, Any]:
    """How often a judge says what the hand labels say, with its precision on 'supported'."""
    tp = fp = tn = fn = 0
    for row in labels:
        said = judge.supports(row["claim"], row["cited"])
        if row["supported"]:
            tp += said
            fn += not said
        else:
            fp += said
            tn += not said
    n = tp + fp + tn + fn
    return {"n": n, "agreement": (tp + tn) / n if n else None, "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None, "tp": tp, "fp": fp, "tn": tn, "fn": fn}


class LexicalJudge:
    """The pipeline's own support test (the eval's yardstick), for comparison with the others."""

    def supports(self, claim: str, cited: Sequence[str]) -> bool:
        from .metrics import supported

        return bool(cited) and supported(claim, list(cited))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.judge", description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["labels", "run"])
    p.add_argument("run_dir", nargs="?", help="run: a folder written by `qa eval --out`")
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    if args.command == "labels":
        labels = load_labels()
        judge = ModelJudge(args.model, args.threads, memo=HERE / "runs" / f"judge-memo-{args.model}.pkl")
        out = {"lexical (the pipeline's own test)": agreement(labels, LexicalJudge()),
               f"model ({args.model})": agreement(labels, judge)}
        judge.save()
        print(f"{len(labels)} hand-labelled (sentence, citations) pairs in {LABELS}: "
              f"{sum(r['supported'] for r in labels)} supported")
        print("| judge | agreement | precision | recall | tp | fp | tn | fn |\n|---|---|---|---|---|---|---|---|")
        for name, a in out.items():
            print(f"| {name} | {100 * a['agreement']:.1f} | {100 * a['precision']:.1f} | {100 * a['recall']:.1f} | "
                  f"{a['tp']} | {a['fp']} | {a['tn']} | {a['fn']} |")
        return 0
    if not args.run_dir:
        print("error: give the run folder: python -m eval.judge run eval/runs/dev", file=sys.stderr)
        return 2
    from .run import QUESTIONS, read_records

    run = Path(args.run_dir)
    records = read_records(run / QUESTIONS)
    judge = ModelJudge(args.model, args.threads, memo=run / f"judge-memo-{args.model}.pkl")
    scores = citation_scores(records, judge)
    judge.save()
    scores["judge"] = f"model {args.model}"
    (run / "judge.json").write_text(json.dumps(scores, indent=2), encoding="utf-8")
    print(f"{run}: citation precision {100 * scores['citation_precision']:.1f} / recall {100 * scores['citation_recall']:.1f} "
          f"by {scores['judge']} ({scores['pairs']} citations, {scores['sentences']} sentences); written to {run / 'judge.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
