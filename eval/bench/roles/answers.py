"""Role `answers`: warm answers of one model on one index, open and multiple choice, idle then beside a competitor."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from ..measure import AnswerTally, built_with, stream_once
from ..probes import Competitor, load_avg, log, pct, peak_rss_mb, rnd, rss_mb


def run(args: argparse.Namespace, plan: dict[str, Any]) -> dict[str, Any]:
    """Warm answers of one model on one index: open questions (titles) and multiple choice, idle then loaded."""
    from qa.assistant import Assistant

    folder, model = Path(args.answer_index), args.answer_model
    t = time.perf_counter()
    a = Assistant.open(folder, **{"llm.model": model, "embedding.backend": built_with(folder)})
    counts = a.store.counts()
    opened_s = time.perf_counter() - t
    titles = plan["queries"][: args.answers]
    choice = plan.get("choice_questions", [])[: args.choice_answers]
    t = time.perf_counter()
    stream_once(a, titles[0])  # model load, spaCy, first ONNX runs: not counted
    if choice:
        stream_once(a, choice[0]["question"], choices=choice[0]["choices"])
    warm_s = time.perf_counter() - t
    gen = a.generator
    out: dict[str, Any] = {"index": str(folder), "label": args.answer_label, "articles": counts["articles"],
                           "chunks": counts["chunks"], "model": model, "model_file": getattr(gen, "name", "?"),
                           "open_s": round(opened_s, 2), "warm_up_s": round(warm_s, 2),
                           "reads": bool(a.settings.answer.model_reader != "off"), "cells": {}}
    for condition in ("idle", "competitor"):
        if condition == "competitor" and args.no_competitor:
            continue
        with Competitor(condition == "competitor"):
            la = load_avg()
            out["cells"][condition] = _answer_cell(a, gen, titles, choice)
            out["cells"][condition]["load_avg"] = la
        log(f"answers {args.answer_label} {model} {condition}: open p50 "
             f"{out['cells'][condition]['open']['total']['p50_ms']} ms, first token "
             f"{out['cells'][condition]['open']['first_token']['p50_ms']} ms")
    out["rss_mb"] = round(rss_mb(), 1)
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    a.close()
    return out



def _answer_cell(a: Any, gen: Any, titles: list[str], choice: list[dict[str, Any]]) -> dict[str, Any]:
    calls_log = getattr(gen, "calls", None)
    per_call: dict[str, list[dict]] = {}
    cell: dict[str, Any] = {}
    for kind, items in (("open", [(q, {}) for q in titles]),
                        ("choice", [(c["question"], {"choices": c["choices"]}) for c in choice])):
        tally, calls_per_q = AnswerTally(), []
        for q, kw in items:
            before = len(calls_log) if calls_log is not None else 0
            seen = list(calls_log)[-1:] if calls_log else []
            tally.add(*stream_once(a, q, **kw))
            if calls_log is not None:
                new = _new_calls(calls_log, before, seen)
                calls_per_q.append(len(new))
                for c in new:
                    per_call.setdefault(c["call"], []).append(c)
        cell[kind] = tally.summary(model_calls_per_question=rnd(statistics.fmean(calls_per_q), 2) if calls_per_q else 0)
    cell["calls"] = {name: _call_summary(rows) for name, rows in per_call.items()}
    return cell



def _new_calls(log: Any, before: int, seen: list[dict]) -> list[dict]:
    """Entries appended to a bounded deque since a point (its length then, and its last entry then)."""
    rows = list(log)
    if len(rows) < log.maxlen or not seen:
        return rows[before:]
    idx = max((i for i, r in enumerate(rows) if r is seen[0]), default=-1)
    return rows[idx + 1:]



def _call_summary(rows: list[dict]) -> dict[str, Any]:
    def p50(key: str) -> float | None:
        vals = [r[key] for r in rows if r.get(key) is not None]
        return rnd(pct(vals, 50), 3) if vals else None

    threads: dict[str, int] = {}
    for r in rows:
        threads[str(r["threads"])] = threads.get(str(r["threads"]), 0) + 1
    seconds = [r["seconds"] for r in rows]
    evaluated = sum(r["evaluated_tokens"] for r in rows)
    return {"n": len(rows), "seconds_p50": p50("seconds"), "seconds_p95": rnd(pct(seconds, 95), 3),
            "prompt_tokens_p50": p50("prompt_tokens"), "reused_tokens_p50": p50("reused_tokens"),
            "evaluated_tokens_p50": p50("evaluated_tokens"), "generated_tokens_p50": p50("generated_tokens"),
            "first_token_s_p50": p50("first_token_s"), "threads": threads,
            "evaluated_tokens_per_s": rnd(evaluated / sum(seconds), 1) if sum(seconds) else None}
