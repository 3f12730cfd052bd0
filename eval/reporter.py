"""The reporter's questions: answers scored against hand-written references and key facts.

Gold sets: eval/gold/reporter-dev.jsonl (50 questions from DEV articles, the figures to report) and
eval/gold/reporter-train.jsonl (50 from TRAIN articles, the set to develop on), one line each:
{id, split, shape, question, history?, answerable, articles, reference, key_facts: [{fact, any?}], tempting?}.

    python -m eval.reporter build [--index index/reporter] [--base index/dev]   # DEV corpus + the gold TRAIN articles
    qa eval eval/gold/reporter-dev.jsonl --index index/reporter [--out DIR]       # answer, then score (resumes)
    python -m eval.reporter score DIR [DIR ...]                                   # score again; several runs pooled

Per question and per shape (`score`):
  * key-fact recall: a fact with `any` strings (a name, number or date) counts when one of them is in the answer
    text (case, punctuation, month abbreviations and thousands separators aside); every other fact when the judge
    model says the answer states it (eval/prompts/keyfact.txt). The judge's view of every fact is reported too.
  * unsupported sentences: answer sentences the judge model does not find supported by what they cite
    (eval/prompts/judge.txt, as eval/judge.py); a sentence citing nothing counts as unsupported, except the
    answer's own "The articles don't say ..." sentence.
  * junk sentences: answer sentences that are, or cite, a headline or sub-head of their article (a line of its
    own without a sentence end, or a question standing alone), a related-story link, a live-blog stamp, a share
    or newsletter button, a byline or a photo credit: read off the article text here, not with the pipeline's
    own filter.
  * citation precision (ALCE): a citation is precise when the judge finds it supports its sentence alone, or the
    sentence's citations together do and stop doing so without it.
  * abstention on the unanswerable questions (Answer.abstained), false abstention on the answerable ones;
    answer time and first shown text (first 'token' or 'sentence' event), p50 / p95.
The judge is Qwen2.5-Coder-1.5B by default, reading prompts of its own: it is independent of the answer's
verifier, not of the model family. Its judgments are memoised in the run folder (judge.pkl).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import sqlite3
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .data import DEV_CORPUS, TRAIN_CORPUS

HERE = Path(__file__).resolve().parent
GOLD = (HERE / "gold" / "reporter-train.jsonl", HERE / "gold" / "reporter-dev.jsonl")
SHAPES = ("fact", "number", "quote", "explanation", "summary", "timeline", "comparison")


def is_reporter_gold(path: str | Path) -> bool:
    """Whether a gold file is in the reporter format (its first line has key_facts)."""
    with open(path, encoding="utf-8") as fh:
        first = next((line for line in fh if line.strip()), "")
    return '"key_facts"' in first


def load(path: str | Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


# -- the index ---------------------------------------------------------------------------------------------------

def build(index: Path, base: Path | None, gold: Sequence[Path] = GOLD) -> None:
    """index = the DEV corpus (copied from ``base`` when it holds it) + the TRAIN articles the gold sets cite."""
    from qa.assistant import Assistant

    wanted = {a for g in gold for q in load(g) if q["split"] == "train" for a in q["articles"]}
    extra = index.parent / f"{index.name}-train-articles.jsonl"
    with gzip.open(TRAIN_CORPUS, "rt", encoding="utf-8") as fh, open(extra, "w", encoding="utf-8") as out:
        for line in fh:
            if json.loads(line)["id"] in wanted:
                out.write(line)
    if base and base.is_dir() and not index.exists():
        shutil.copytree(base, index)
    a = Assistant.open(index, create=True)
    try:
        for path in (DEV_CORPUS, extra):
            report = a.add([path])
            print(f"{path.name}: {report.summary()}", file=sys.stderr)
    finally:
        a.close()


# -- answering ---------------------------------------------------------------------------------------------------

def answer_all(gold_path: Path, index: Path, out: Path, limit: int | None = None, settings: Any = None) -> list[dict]:
    """Ask every question (resuming a run folder), recording what a reader sees and how long it took."""
    from qa.assistant import Assistant
    from qa.config import Settings

    out.mkdir(parents=True, exist_ok=True)
    path = out / "answers.jsonl"
    done = {r["id"]: r for r in load(path)} if path.is_file() else {}
    questions = load(gold_path)[:limit]
    settings = (settings or Settings.load()).replace(**{"llm.temperature": 0.0})
    a = Assistant.open(index, settings=settings)
    try:
        a.search("warm up", 1)  # the embedding model and the answer model load before the first timed question
        if settings.llm.enabled:
            a.generator.count_tokens("warm up")
        with open(path, "a", encoding="utf-8") as fh:
            for i, q in enumerate(questions, 1):
                if q["id"] in done:
                    continue
                rec = ask_one(a, q)
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                fh.flush()
                done[q["id"]] = rec
                print(f"[{i}/{len(questions)}] {q['id']} {rec['shape']} {rec['seconds']:.1f}s "
                      f"{'ABSTAINED ' if rec['abstained'] else ''}{rec['text'][:100]!r}", file=sys.stderr)
    finally:
        a.close()
    return [done[q["id"]] for q in questions if q["id"] in done]


def ask_one(a: Any, q: dict[str, Any]) -> dict[str, Any]:
    t, first, ans = time.perf_counter(), None, None
    for e in a.stream(q["question"], history=q.get("history") or None):
        if e.kind in ("token", "sentence") and e.text.strip() and first is None:
            first = time.perf_counter() - t
        elif e.kind == "answer":
            ans = e.answer
    seconds = time.perf_counter() - t
    cites = [{"n": c.n, "article_id": c.article_id, "sentence": c.sentence, "start": c.start, "end": c.end,
              "title": c.title, "published": c.published} for c in ans.citations]
    shape = getattr(ans, "shape", None) or q["shape"]  # (the answer stage before issue 24 had none: the gold's)
    return {"id": q["id"], "question": q["question"], "shape": shape, "text": ans.text, "short": ans.short,
            "abstained": ans.abstained, "mode": ans.mode, "citations": cites, "dropped": ans.dropped,
            "seconds": round(seconds, 3), "first_s": round(first if first is not None else seconds, 3),
            "timings": ans.timings, "tokens": ans.tokens}


# -- scoring -----------------------------------------------------------------------------------------------------

_MONTHS = {"jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june", "jul": "july",
           "aug": "august", "sep": "september", "sept": "september", "oct": "october", "nov": "november",
           "dec": "december"}


def norm(text: str) -> str:
    """Lower case, straight quotes, no punctuation but what numbers need, month abbreviations spelled out."""
    t = text.lower().replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').replace("–", "-").replace("—", "-")
    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t)
    t = re.sub(r"\b(jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\b\.?", lambda m: _MONTHS[m.group(1)], t)
    t = re.sub(r"[^\w$%.'\- ]+", " ", t)
    t = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", t)
    return " ".join(t.split())


def exact_hit(answer: str, any_of: Sequence[str]) -> bool:
    hay = f" {norm(answer)} "
    return any(f" {norm(x)} " in hay or (len(norm(x)) > 3 and norm(x) in hay) for x in any_of)


def sentences(rec: dict[str, Any]) -> list[tuple[str, list[int]]]:
    """(sentence, citation numbers) of an answer text: one per line of a list, else per sentence."""
    from qa.answer.cite import parse_claims

    text = re.sub(r"^As of \d{4}-\d\d-\d\d, ", "", rec["text"])
    lines = [x for x in text.splitlines() if x.strip()] if "\n" in text else [text]
    out = []
    for line in lines:
        for c in parse_claims(re.sub(r"^\s*-\s+", "", line) if "\n" in text else line):
            out.append((c.text, c.cites))
    return out


_LINK = re.compile(r"^\s*(?:more|read more|related|see also|also read|watch|listen)\s*[:|]", re.I)
_STAMP = re.compile(r"\b\d{1,2}:\d\d\s*(?:[ap]\.?m\.?)?\s*(?:e[sd]?t|p[sd]?t|gmt|utc)\b.{0,40}\bshare\b|\bshare this "
                    r"(?:update|post|article|story)\b|^\s*sign up\b|\bnewsletter\b.*\bsign up\b|\bclick here\b|^\s*subscribe\b|"
                    r"getty images|/afp\b|/reuters\b|\(photo", re.I)


def junk(sentence: str, cited: Sequence[dict[str, Any]], articles: Any) -> str | None:
    """Why an answer sentence is debris (a heading, a link, a stamp, a caption), judged from the article text."""
    if _LINK.match(sentence) or _STAMP.search(sentence):
        return "link, stamp, button or credit"
    for c in cited:
        text = articles(c["article_id"])
        if not text:
            continue
        a = text.rfind("\n", 0, c["start"]) + 1
        b = text.find("\n", c["end"])
        line = text[a: b if b >= 0 else len(text)].strip()
        s = c["sentence"].strip()
        if line == s and (not re.search(r"[.!…:;][\"'”’)\]]*$", s) or s.endswith("?")) and len(s.split()) <= 25:
            return f"cites a heading: {s[:80]!r}"
        if _LINK.match(s) or _STAMP.search(s):
            return f"cites a link, stamp or caption: {s[:80]!r}"
    return None


class Judge:
    """Qwen2.5-Coder-1.5B's yes/no (eval/prompts/*.txt), memoised in a file."""

    def __init__(self, memo: Path, model: str = "qwen2.5-coder-1.5b") -> None:
        from .judge import ModelJudge

        self.model = ModelJudge(model, memo=memo)

    def supported(self, claim: str, cited: Sequence[str]) -> bool:
        return bool(cited) and self.model.p_yes(claim, cited) >= 0.5

    def states(self, answer: str, fact: str) -> float:
        import math

        key = ("keyfact", answer, fact)
        memo = self.model.memo
        if key not in memo:
            gen, prompts = self.model.gen, self.model.prompts
            messages = prompts.messages("keyfact", answer=answer, fact=fact)
            yes, no = gen.next_token_logprobs(gen.chat_prompt(messages, reply_prefix="Answer:"), [" Yes", " No"])
            memo[key] = 1.0 / (1.0 + math.exp(no - yes))
        return memo[key]

    def save(self) -> None:
        self.model.save()


def score_record(q: dict[str, Any], rec: dict[str, Any], judge: Any, articles: Any) -> dict[str, Any]:
    """Every measure of one answer (see the module docstring)."""
    answer_text = re.sub(r"\s*\[\d+\]", "", rec["text"])
    out: dict[str, Any] = {"id": q["id"], "shape": q["shape"], "answerable": q["answerable"],
                           "abstained": rec["abstained"], "seconds": rec["seconds"], "first_s": rec["first_s"]}
    if q["answerable"] and not rec["abstained"]:
        facts = []
        for f in q["key_facts"]:
            p = judge.states(answer_text, f["fact"])
            ex = exact_hit(answer_text, f["any"]) if f.get("any") else None
            facts.append({"fact": f["fact"], "exact": ex, "judge": round(p, 3), "hit": ex if ex is not None else p >= 0.5})
        out["facts"] = facts
    elif q["answerable"]:
        out["facts"] = [{"fact": f["fact"], "exact": False if f.get("any") else None, "judge": 0.0, "hit": False}
                        for f in q["key_facts"]]
    by_n = {c["n"]: c for c in rec["citations"]}
    sents = []
    for text, cites in sentences(rec):
        cited = [by_n[n] for n in cites if n in by_n]
        not_said = bool(re.match(r"^\W*the articles? (?:do not|don't|does not|doesn't) (?:say|report|name|give)\b|"
                                 r"^I couldn't find this in the indexed articles", text, re.I))
        ok = not_said or judge.supported(text, [c["sentence"] for c in cited])
        precise = []
        for c in cited:
            alone = judge.supported(text, [c["sentence"]])
            rest = [x["sentence"] for x in cited if x is not c]
            precise.append(alone or (ok and len(cited) > 1 and not judge.supported(text, rest)))
        sents.append({"text": text, "cites": cites, "supported": ok, "junk": junk(text, cited, articles),
                      "precise": precise, "not_said": not_said})
    out["sentences"] = sents
    return out


def summarize(scored: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled figures overall and per shape."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in scored:
        groups["all"].append(s)
        groups[s["shape"]].append(s)
    table = {}
    for name, rows in groups.items():
        facts = [f for r in rows if r["answerable"] for f in r.get("facts", [])]
        exact = [f for f in facts if f["exact"] is not None]
        sents = [x for r in rows for x in r["sentences"]]
        cites = [p for x in sents for p in x["precise"]]
        una = [r for r in rows if not r["answerable"]]
        ans = [r for r in rows if r["answerable"]]
        secs = [r["seconds"] for r in rows]
        first = [r["first_s"] for r in rows]
        table[name] = {
            "questions": len(rows), "answerable": len(ans), "unanswerable": len(una),
            "key_fact_recall": _share(sum(f["hit"] for f in facts), len(facts)),
            "key_fact_recall_judge": _share(sum(f["judge"] >= 0.5 for f in facts), len(facts)),
            "key_fact_recall_exact": _share(sum(f["exact"] for f in exact), len(exact)),
            "sentences": len(sents),
            "unsupported": _share(sum(not x["supported"] for x in sents), len(sents)),
            "junk": sum(bool(x["junk"]) for x in sents),
            "citation_precision": _share(sum(cites), len(cites)),
            "abstention": _share(sum(r["abstained"] for r in una), len(una)),
            "false_abstention": _share(sum(r["abstained"] for r in ans), len(ans)),
            "answer_p50_s": _pct(secs, 50), "answer_p95_s": _pct(secs, 95),
            "first_p50_s": _pct(first, 50), "first_p95_s": _pct(first, 95),
        }
    return table


def _share(a: float, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _pct(xs: Sequence[float], q: int) -> float | None:
    return round(float(np.percentile(xs, q)), 2) if xs else None


def markdown(table: dict[str, dict[str, Any]], title: str) -> str:
    cols = [("questions", "n"), ("key_fact_recall", "key facts"), ("key_fact_recall_judge", "(judge)"),
            ("key_fact_recall_exact", "(exact)"), ("unsupported", "unsupported"), ("junk", "junk"),
            ("citation_precision", "cit. precision"), ("abstention", "abstain (unans.)"),
            ("false_abstention", "false abstain"), ("answer_p50_s", "p50 s"), ("answer_p95_s", "p95 s"),
            ("first_p50_s", "first p50 s")]
    lines = [f"### {title}", "", "| shape | " + " | ".join(c[1] for c in cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name in ("all", *SHAPES):
        if name not in table:
            continue
        row = table[name]
        cells = []
        for key, _ in cols:
            v = row[key]
            cells.append("–" if v is None else f"{v:.1%}" if isinstance(v, float) and key not in (
                "answer_p50_s", "answer_p95_s", "first_p50_s") else f"{v}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def score(run_dirs: Sequence[Path], judge_model: str = "qwen2.5-coder-1.5b") -> dict[str, Any]:
    """Score run folders (each with answers.jsonl and gold.json naming its gold file); writes score.json and report.md."""
    everything = []
    for run in run_dirs:
        meta = json.loads((run / "run.json").read_text(encoding="utf-8"))
        gold = {q["id"]: q for q in load(meta["gold"])}
        records = load(run / "answers.jsonl")
        db = sqlite3.connect(f"file:{Path(meta['index']) / 'index.sqlite'}?mode=ro", uri=True)
        texts: dict[str, str | None] = {}

        def articles(article_id: str) -> str | None:
            if article_id not in texts:
                row = db.execute("SELECT text FROM articles WHERE id = ?", (article_id,)).fetchone()
                texts[article_id] = row[0] if row else None
            return texts[article_id]

        judge = Judge(run / "judge.pkl", judge_model)
        scored = [score_record(gold[r["id"]], r, judge, articles) for r in records if r["id"] in gold]
        judge.save()
        table = summarize(scored)
        (run / "score.json").write_text(json.dumps({"table": table, "questions": scored}, indent=1, ensure_ascii=False),
                                        encoding="utf-8")
        (run / "report.md").write_text(markdown(table, f"{Path(meta['gold']).name} — {meta['model']}"), encoding="utf-8")
        print(markdown(table, f"{Path(meta['gold']).name} ({run})"))
        everything += scored
    if len(run_dirs) > 1:
        table = summarize(everything)
        print(markdown(table, "pooled"))
        return table
    return summarize(everything)


def run(gold_path: Path, index: Path, out: Path | None, limit: int | None, settings: Any = None) -> dict[str, Any]:
    """`qa eval` of a reporter gold file: answer (resuming), then score."""
    from qa.config import Settings

    out = out or HERE / "runs" / gold_path.stem
    settings = settings or Settings.load()
    out.mkdir(parents=True, exist_ok=True)
    meta = {"gold": str(gold_path.resolve()), "index": str(index.resolve()), "model": settings.llm.model or "default",
            "settings": settings.to_dict()}
    (out / "run.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    answer_all(gold_path, index, out, limit, settings)
    return score([out])


def read_grades(grades_path: Path, gold_path: Path) -> dict[str, Any]:
    """Shares from a file of grades written by reading (eval/grades/*.jsonl: {id, fact, stated} per key fact of an
    answerable question; {id, unanswerable, presents_an_answer} per unanswerable one), per gold shape."""
    gold = {q["id"]: q for q in load(gold_path)}
    rows = load(grades_path)
    unknown = sorted({r["id"] for r in rows} - set(gold))
    if unknown:
        raise SystemExit(f"{grades_path}: ids not in {gold_path}: {', '.join(unknown[:5])} - grade the matching gold file")
    facts = [r for r in rows if not r.get("unanswerable")]
    out: dict[str, Any] = {}
    for shape in ["all", *dict.fromkeys(q["shape"] for q in gold.values())]:
        mine = [r for r in facts if shape == "all" or gold[r["id"]]["shape"] == shape]
        out[shape] = {"facts": len(mine), "stated": sum(bool(r["stated"]) for r in mine),
                      "share": _share(sum(bool(r["stated"]) for r in mine), len(mine))}
    una = [r for r in rows if r.get("unanswerable")]
    out["unanswerable"] = {"n": len(una), "present_an_answer": sum(bool(r["presents_an_answer"]) for r in una)}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.reporter", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="index the DEV corpus and the gold sets' TRAIN articles")
    b.add_argument("--index", type=Path, default=Path("index/reporter"))
    b.add_argument("--base", type=Path, default=Path("index/dev"), help="an index of the DEV corpus to start from (copied)")
    s = sub.add_parser("score", help="score run folders (several: also pooled)")
    s.add_argument("runs", nargs="+", type=Path)
    s.add_argument("--judge", default="qwen2.5-coder-1.5b")
    r = sub.add_parser("run", help="answer and score one gold file")
    r.add_argument("gold", type=Path)
    r.add_argument("--index", type=Path, default=Path("index/reporter"))
    r.add_argument("--out", type=Path)
    r.add_argument("--limit", type=int)
    g = sub.add_parser("grades", help="key facts stated, from grades written by reading (eval/grades/)")
    g.add_argument("grades", type=Path)
    g.add_argument("--gold", type=Path, default=Path("eval/gold/reporter-dev.jsonl"))
    args = p.parse_args(argv)
    if args.cmd == "grades":
        got = read_grades(args.grades, args.gold)
        for shape, v in got.items():
            if shape == "unanswerable":
                print(f"unanswerable: {v['present_an_answer']} of {v['n']} answers present a fact as the answer")
            else:
                print(f"{shape:12} {v['stated']:3} of {v['facts']:3} key facts stated ({100 * (v['share'] or 0):.1f}%)")
    elif args.cmd == "build":
        build(args.index, args.base)
    elif args.cmd == "score":
        score(args.runs, args.judge)
    else:
        run(args.gold, args.index, args.out, args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
