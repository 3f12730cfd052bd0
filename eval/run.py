"""The eval runner: ask every gold question through `qa.Assistant`, score it, write the records and the report.

Output folder (--out):
  run.json         what the run used (gold file hash, index, settings, model); a resumed run must match it
  questions.jsonl  one record per question, appended as it is answered (re-running skips the ids already there)
  summary.json     every metric overall and by question source, latency, tokens/s, peak memory
  report.md        one table per metric by source, beside the published baselines; chart.png
"""

from __future__ import annotations

import json
import re
import resource
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qa.config import Settings, default_index_home
from qa.errors import ConfigError, MissingDependencyError, ModelError, QAError, StoreError

from . import metrics as M
from .gold import GoldQuestion, file_sha1, load_gold
from .report import write_chart, write_markdown
from .reporter import is_reporter_gold
from .reporter import run as reporter_run

_CHECKOUT = Path(__file__).resolve().parent.parent
# run folders: eval/runs/ of the checkout when the suite runs from one, else ./eval-runs
RUNS_DIR = _CHECKOUT / "eval" / "runs" if (_CHECKOUT / "pyproject.toml").is_file() else Path("eval-runs")
QUESTIONS, SUMMARY, REPORT, CHART, RUN = "questions.jsonl", "summary.json", "report.md", "chart.png", "run.json"
# Errors that would fail every question the same way stop the run; others are recorded against the question.
_FATAL = (ConfigError, StoreError, ModelError, MissingDependencyError)


def run_eval(gold_path: str | Path, *, index_dir: str | Path | None = None, corpus: Sequence[str | Path] | None = None,
             out: str | Path | None = None, limit: int | None = None, choices: bool = False,
             settings: Settings | None = None, assistant: Any = None, progress: bool = True) -> dict[str, Any]:
    """Evaluate the assistant on a gold file and write the run folder; returns the summary.

    ``assistant`` (an open qa.Assistant) is used as given; otherwise one is opened on ``index_dir`` (default: a
    folder under index/ named from ``corpus``, else the settings' index) with temperature 0. ``corpus`` paths
    are indexed first unless the index already holds every one of their articles unchanged.
    """
    gold_path = Path(gold_path)
    questions = load_gold(gold_path)
    if limit is not None:
        if limit <= 0:
            raise ConfigError(f"--limit must be > 0, got {limit}")
        questions = questions[:limit]
    out_dir = Path(out) if out else RUNS_DIR / gold_path.stem
    own = assistant is None
    if own:
        settings = (settings or Settings.load()).replace(**{"llm.temperature": 0.0})
        index_dir = Path(index_dir) if index_dir else (default_index_dir(corpus) if corpus else Path(settings.index_dir))
        from qa import Assistant

        assistant = Assistant.open(index_dir, settings=settings, create=bool(corpus))
    try:
        if corpus:
            ensure_indexed(assistant, corpus, progress)
        info = run_info(gold_path, assistant, choices, limit)
        out_dir.mkdir(parents=True, exist_ok=True)
        check_resume(out_dir / RUN, info)
        records = answer_all(assistant, questions, out_dir / QUESTIONS, choices, progress)
    finally:
        if own:
            assistant.close()
    return write_outputs(records, info, out_dir)


def write_outputs(records: list[dict[str, Any]], info: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """Summarize the records and write summary.json, report.md and chart.png; returns the summary."""
    summary = summarize(records, info)
    (out_dir / SUMMARY).write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    write_markdown(summary, out_dir / REPORT)
    write_chart(summary, out_dir / CHART)
    summary["out"] = str(out_dir)
    return summary


# -- index ----------------------------------------------------------------------------------------

def default_index_dir(corpus: Sequence[str | Path]) -> Path:
    """index/eval-<name of the corpus paths> (e.g. corpus/sample → index/eval-sample)."""
    parts = []
    for p in map(Path, corpus):
        stem = p.name.split(".")[0]
        parts.append(p.name if p.is_dir() else f"{p.resolve().parent.name}-{stem}")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", "+".join(parts)).strip("-") or "corpus"
    return default_index_home() / f"eval-{name[:80]}"


def ensure_indexed(assistant: Any, corpus: Sequence[str | Path], progress: bool = True) -> int:
    """Index ``corpus`` unless every article in it is already stored unchanged (then nothing is written)."""
    from qa.ids import content_hash
    from qa.ingest.load import Skipped, load_paths

    articles = [a for a in load_paths(corpus, assistant.settings.ingest.max_file_mb) if not isinstance(a, Skipped)]
    known = assistant.store.known_hashes([a.id for a in articles])
    stale = sum(known.get(a.id) != content_hash(a) for a in articles)
    if not articles or stale:
        report = assistant.add(list(corpus), progress=progress)
        print(f"indexed {', '.join(map(str, corpus))}: {report.summary()}", file=sys.stderr)
    return stale


# -- the run ------------------------------------------------------------------------------------

def run_info(gold_path: Path, assistant: Any, choices: bool, limit: int | None) -> dict[str, Any]:
    """What a run used; everything but 'limit' must match for a resumed run to add to the same folder."""
    s = assistant.settings
    model = assistant.generator.name if s.llm.enabled else "none (extractive answers, llm.enabled = false)"
    settings = s.to_dict()
    settings.pop("index_dir")
    return {"gold": str(gold_path.resolve()), "gold_sha1": file_sha1(gold_path), "index": str(Path(s.index_dir).resolve()), "model": model,
            "temperature": s.llm.temperature, "choices": bool(choices), "settings": settings, "limit": limit}


def check_resume(path: Path, info: dict[str, Any]) -> None:
    """Refuse to add answers made under other settings to an existing run folder."""
    if path.is_file():
        old = json.loads(path.read_text(encoding="utf-8"))
        differ = [k for k in info if k != "limit" and old.get(k) != info[k]]
        if differ:
            detail = ", ".join(differ)
            if "settings" in differ:
                a, b = _flat(old.get("settings") or {}), _flat(info["settings"])
                detail += " (" + ", ".join(f"{k}: {a.get(k)!r} → {b.get(k)!r}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)) + ")"
            raise ConfigError(f"{path.parent} holds a run made with another {detail}: use another --out folder, or delete it")
    path.write_text(json.dumps(info, indent=2, ensure_ascii=False), encoding="utf-8")


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        out.update(_flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k: v})
    return out


def read_records(path: Path) -> list[dict[str, Any]]:
    """Records already written; a line cut short by a crash is dropped (and removed from the file)."""
    if not path.is_file():
        return []
    good, bad = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            good.append(json.loads(line))
        except json.JSONDecodeError:
            bad += 1
    if bad:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in good), encoding="utf-8")
    return good


def answer_all(assistant: Any, questions: list[GoldQuestion], path: Path, choices: bool, progress: bool) -> list[dict[str, Any]]:
    """Ask the questions not yet in ``path``, appending one record each; returns the records of ``questions``."""
    from tqdm import tqdm

    done = {r["id"]: r for r in read_records(path)}
    todo = [q for q in questions if q.id not in done]
    with path.open("a", encoding="utf-8") as fh, tqdm(total=len(questions), initial=len(questions) - len(todo), desc="eval",
                                                      unit="q", disable=not progress, file=sys.stderr, dynamic_ncols=True) as bar:
        for q in todo:
            rec = evaluate_question(assistant, q, choices)
            done[q.id] = rec
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            fh.flush()
            bar.update(1)
            bar.set_postfix_str(_running(done.values()), refresh=False)
    return [done[q.id] for q in questions]


def _running(records: Any) -> str:
    agg = M.aggregate(r["metrics"] for r in records)
    parts = [f"{k} {100 * agg[k]['value']:.0f}" for k in ("em", "f1", "seed_correct", "mc_accuracy") if agg[k]["n"]]
    return " ".join(parts)


def evaluate_question(assistant: Any, q: GoldQuestion, choices: bool) -> dict[str, Any]:
    """Ask one question (free text, then with its choices if asked to) and score both answers."""
    rec: dict[str, Any] = {"id": q.id, "source": q.source, "format": q.format, "question": q.question,
                           "history": q.history, "as_of": q.as_of, "gold": _gold_fields(q), "error": None}
    metrics: dict[str, Any] = {}
    try:
        answer = assistant.ask(q.question, history=q.history or None, as_of=q.as_of)
        rec.update(_answer_fields(answer))
        metrics.update(M.answer_metrics(q, answer))
        if choices and q.choices:
            mc = assistant.ask(q.question, history=q.history or None, as_of=q.as_of, choices=q.choices)
            rec["choice"] = {"index": mc.choice, "text": q.choices[mc.choice] if mc.choice is not None else None,
                             "citations": [_citation(c) for c in mc.citations], "timings": mc.timings}
            metrics.update(M.choice_metrics(q, mc))
    except _FATAL:
        raise
    except QAError as exc:  # one bad question must not end a long run; it is counted as an error and as wrong
        rec["error"] = f"{type(exc).__name__}: {exc}"
        metrics = {"abstained": False, "answerable": q.answerable}
        if q.format == "rtqa" and q.answers and not M.skipped_for_generation(q.question):
            metrics.update(em=0.0, f1=0.0, contains_gold=0.0, cited_gold=0.0, passages_gold=None)
        if q.format == "seed":
            metrics["seed_correct"] = metrics["seed_short"] = 0.0
        if choices and q.choices and q.gold_choice is not None:
            metrics.update(mc_correct=0.0, mc_none=1.0)
    rec["metrics"] = metrics
    rec["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return rec


def _gold_fields(q: GoldQuestion) -> dict[str, Any]:
    keys = ("answerable", "answers_any", "support") if q.format == "seed" else ("answers", "choices", "gold_choice", "evidence_id")
    return {k: getattr(q, k) for k in keys}


def _citation(c: Any) -> dict[str, Any]:
    return {"n": c.n, "article_id": c.article_id, "title": c.title, "published": c.published, "sentence": c.sentence,
            "start": c.start, "end": c.end}


def _answer_fields(a: Any) -> dict[str, Any]:
    return {"answer": a.text, "short": a.short, "abstained": a.abstained, "mode": a.mode, "query": a.query,
            "citations": [_citation(c) for c in a.citations],
            "articles": [sorted(ids) if len(ids) > 1 else next(iter(ids)) for ids in M.article_ranking(a.passages)],
            "dropped": a.dropped, "timings": a.timings, "tokens": a.tokens}


# -- summary ----------------------------------------------------------------------------------------

def summarize(records: list[dict[str, Any]], info: dict[str, Any]) -> dict[str, Any]:
    """Every metric overall and by question source, plus latency, tokens/s and peak memory."""
    sources = sorted({r["source"] for r in records})
    return {
        "run": info,
        "n": len(records),
        "formats": dict(Counter(r["format"] for r in records)),
        "sources": sources,
        "overall": M.aggregate(r["metrics"] for r in records),
        "by_source": {s: M.aggregate(r["metrics"] for r in records if r["source"] == s) for s in sources},
        "failures": M.failures(r["metrics"] for r in records),
        "failures_by_source": {s: M.failures(r["metrics"] for r in records if r["source"] == s) for s in sources},
        "latency": M.latency(r.get("timings") or {} for r in records),
        "latency_choice": M.latency((r.get("choice") or {}).get("timings") or {} for r in records),
        "tokens_per_s": M.tokens_per_second(records),
        "peak_rss_mb": max((r.get("rss_mb") or 0.0 for r in records), default=0.0),
        "errors": sum(bool(r.get("error")) for r in records),
        "modes": dict(Counter(r.get("mode") or "error" for r in records)),
    }


def scores(summary: dict[str, Any]) -> dict[str, Any]:
    """The part of a summary that must be identical between two runs (no timings, no memory)."""
    return {"overall": summary["overall"], "by_source": summary["by_source"], "modes": summary["modes"],
            "errors": summary["errors"]}


# -- re-scoring ------------------------------------------------------------------------------------

def rescore(out: str | Path) -> dict[str, Any]:
    """Recompute the metrics of a run folder from its stored records (after a metric definition changed).

    Everything the records determine is recomputed (answers, citations, multiple choice, failure kinds); the
    figures that need text the records do not keep (retrieved passages, cited passages) are kept as stored.
    """
    from qa.types import Answer, Citation

    out_dir = Path(out)
    path = out_dir / QUESTIONS
    records = read_records(path)
    if not records:
        raise ConfigError(f"{path} holds no records: run `qa eval ... --out {out_dir}` first")
    info = json.loads((out_dir / RUN).read_text(encoding="utf-8"))
    kept = ("passages_gold", "cited_support", *(f"hit@{k}" for k in M.HIT_KS), "rr", "evidence_rank")
    for rec in records:
        if rec.get("error"):
            continue
        q = GoldQuestion(id=rec["id"], question=rec["question"], format=rec["format"], source=rec["source"],
                         as_of=rec["as_of"], history=rec["history"], **rec["gold"])
        cits = [Citation(c["n"], c["article_id"], c["title"], "", "", c["published"], c["sentence"], c["start"], c["end"])
                for c in rec["citations"]]
        answer = Answer(question=q.question, text=rec["answer"], short=rec["short"], citations=cits, passages=[],
                        abstained=rec["abstained"], mode=rec["mode"])
        old = rec["metrics"]
        m = M.answer_metrics(q, answer)
        m.update({k: old[k] for k in kept if k in old})
        if m.get("failure") is not None or old.get("failure") is not None:
            m["failure"] = M.failure_kind(m)
        if rec.get("choice") is not None:
            m.update(M.choice_metrics(q, Answer(question=q.question, text="", short="", citations=[], passages=[],
                                                choice=rec["choice"]["index"])))
        rec["metrics"] = m
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return write_outputs(records, info, out_dir)


# -- command line -----------------------------------------------------------------------------------

def run_from_cli(args: Any) -> int:
    """`qa eval GOLD [--corpus ...] [--index DIR] [--limit N] [--out DIR] [--choices] [--model GGUF] [--no-llm]`."""
    overrides: dict[str, Any] = {"preset": getattr(args, "preset", None)}
    if getattr(args, "model", None):
        overrides["llm.model"] = args.model
    if getattr(args, "no_llm", False):
        overrides["llm.enabled"] = False
    settings = Settings.load(getattr(args, "settings", None), **overrides)
    if Path(args.gold).is_file() and is_reporter_gold(args.gold):  # reporter questions: key facts, judged
        index = Path(args.index or settings.index_dir)
        reporter_run(Path(args.gold), index, Path(args.out) if args.out else None, args.limit, settings)
        return 0
    summary = run_eval(args.gold, index_dir=args.index, corpus=args.corpus, out=args.out, limit=args.limit,
                       choices=args.choices, settings=settings, progress=not getattr(args, "quiet", False))
    print(headline(summary))
    out = Path(summary["out"])
    print(f"report: {out / REPORT}\nper question: {out / QUESTIONS}\nsummary: {out / SUMMARY}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m eval.run rescore DIR`: recompute a run folder's metrics from its records."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m eval.run", description="Eval utilities (the run itself is `qa eval`).")
    p.add_argument("action", choices=["rescore"])
    p.add_argument("out", metavar="DIR", help="a run folder written by `qa eval --out DIR`")
    args = p.parse_args(argv)
    try:
        print(headline(rescore(args.out)))
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def headline(summary: dict[str, Any]) -> str:
    """One line of the main figures."""
    o = summary["overall"]
    parts = [f"{summary['n']} questions"]
    for key, label in (("em", "EM"), ("f1", "F1"), ("contains_gold", "contains-gold"), ("seed_correct", "correct"), ("seed_short_correct", "short correct"),
                       ("mc_accuracy", "MC acc"), ("hit@5", "hit@5"), ("citation_precision", "cit. precision"),
                       ("citation_recall", "cit. recall"), ("abstention_accuracy", "abstention acc"),
                       ("false_abstention", "false abstention")):
        if o[key]["n"]:
            parts.append(f"{label} {100 * o[key]['value']:.1f}%")
    total = summary["latency"].get("total")
    if total:
        parts.append(f"latency p50 {total['p50']:.2f}s p95 {total['p95']:.2f}s")
    return "; ".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
