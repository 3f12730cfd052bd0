"""`python -m eval.bench` / `qa bench`: the options, the plan, one process per role, then the report."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import __doc__ as OVERVIEW
from ..data import DEV_QUESTIONS, REPO, SCALE_CORPUS
from .corpus import count_records, parse_sizes, pick_choice_questions, pick_dated_queries, write_slices
from .measure import answer_models, built_with, measure_index
from .plot import plot
from .probes import load_avg, log, machine
from .render import render_table, speedup
from .roles import ROLES, run_role
from .roles.hnsw import run_hnsw

DEFAULT_CORPUS = SCALE_CORPUS
MODELS = "smollm2-135m,qwen2.5-coder-1.5b"


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m eval.bench", description=OVERVIEW.split("\n")[0])
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
    log(f"{total} articles, sizes {sizes}{' + ' + str(args.scale_index) if args.scale_index else ''}, "
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
    if not args.no_threads and answer_models(args):
        steps.append(("threads", [], "threads.json", {}))
        steps.append(("threads", ["--threads-llama-only"], "threads-passive.json", {"OMP_WAIT_POLICY": "PASSIVE"}))
    answer_indexes = [("last ingested", str(work / f"index-{args.backend}"))]
    if args.scale_index:
        answer_indexes.append(("scale", str(args.scale_index)))
    if args.answers and answer_models(args):
        for label, folder in answer_indexes:
            for model in answer_models(args):
                name = f"answers-{label.split()[0]}-{model}.json"
                steps.append(("answers", ["--answer-index", folder, "--answer-model", model, "--answer-label", label], name, {}))
    if args.cold and answer_models(args):
        steps.append(("cold", ["--answer-index", answer_indexes[-1][1]], "cold.json", {}))
    for role, extra, name, env in steps:
        if args.resume and (work / name).is_file() and not json.loads((work / name).read_text()).get("partial"):
            log(f"{role} {' '.join(extra)}: kept from the stopped run ({name})")
            continue
        log(f"{role} {' '.join(extra)} ...")
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
        measure_index(a, row, folder, [q for q, _ in dated], [d for _, d in dated], args)
    finally:
        a.close()
    print(json.dumps(row, indent=2))
    return 0



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
