"""Role `cold`: `qa ask` in a fresh process per run and model: wall seconds and that process's peak RSS."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ...data import REPO
from ..measure import answer_models
from ..probes import log, rnd


def run(args: argparse.Namespace, plan: dict[str, Any]) -> dict[str, Any]:
    """`qa ask` in a fresh process, --cold times per model: wall seconds and that process's peak RSS."""
    qa = Path(sys.executable).with_name("qa")
    cmd0 = [str(qa)] if qa.is_file() else [sys.executable, "-m", "qa.cli"]
    out: dict[str, Any] = {"index": str(args.answer_index), "question": plan["queries"][0], "models": {}}
    for model in answer_models(args):
        runs = []
        for _ in range(args.cold):
            cmd = [*cmd0, "ask", plan["queries"][0], "--index", str(args.answer_index), "--model", model]
            t = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            if proc.stderr:
                proc.stderr.close()
            proc.returncode = os.waitstatus_to_exitcode(status)
            runs.append({"wall_s": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
                         "rc": proc.returncode, **({"stderr": err[-300:]} if proc.returncode else {})})
        ok = [r for r in runs if r["rc"] == 0]
        out["models"][model] = {"runs": runs, "wall_s_median": rnd(statistics.median([r["wall_s"] for r in ok]), 2) if ok else None,
                                "peak_rss_mb": max((r["peak_rss_mb"] for r in ok), default=None)}
        log(f"cold qa ask {model}: {[r['wall_s'] for r in runs]} s")
    return out
