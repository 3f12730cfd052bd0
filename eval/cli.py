"""`qa eval` and `qa bench`: the eval suite's commands, offered to the `qa` command line through the entry point
group "newsqa.commands" (pyproject.toml), so the library never imports the eval suite."""

from __future__ import annotations

import argparse
from typing import Any


def register(cmd: Any, index_opt: Any, model_opt: Any) -> None:
    """Add the eval suite's subcommands (cheap: the suite itself is imported when a command runs)."""
    sp = cmd("eval", _eval, "Score the assistant against a gold question set.")
    sp.add_argument("gold", help="gold questions (.jsonl): seed, RealTimeQA or reporter (eval/reporter.py) format")
    sp.add_argument("--corpus", nargs="+", metavar="PATH", help="articles to index before asking (skipped when the index holds them all)")
    sp.add_argument("--limit", type=int, help="only the first N questions")
    sp.add_argument("--out", metavar="DIR", help="run folder (default eval/runs/<gold name>); re-running resumes it")
    sp.add_argument("--choices", action="store_true", help="also ask with the choices (multiple choice)")
    sp.add_argument("--index", metavar="DIR", help="index folder (default: index/eval-<corpus name> with --corpus, else index/default or $QA_INDEX)")
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    model_opt(sp)

    sp = cmd("bench", _bench, "Benchmark ingest and query latency against corpus size (see `qa bench -- --help`).")
    sp.add_argument("bench_args", nargs=argparse.REMAINDER, metavar="...", help="options of python -m eval.bench")


def _eval(args: argparse.Namespace) -> int:
    from .run import run_from_cli

    return run_from_cli(args)


def _bench(args: argparse.Namespace) -> int:
    from .bench.cli import main as bench_main

    return bench_main([a for a in args.bench_args if a != "--"])
