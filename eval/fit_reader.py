"""Fit the reader on the RealTimeQA TRAIN set, score it on DEV: cache retrieval once, then iterate offline.

    python -m eval.fit_reader cache --set train        # retrieval + evidence per question (as the Assistant does)
    python -m eval.fit_reader cache --set dev
    python -m eval.fit_reader fit                      # fit on TRAIN (week folds), write qa/answer/weights.json
    python -m eval.fit_reader report --set dev         # score the shipped weights on DEV (nothing is fit there)

Sets: train = ../shared/data/realtimeqa-train with index/train, dev = ../shared/data/realtimeqa-dev with index/dev
(`--index` overrides; an index without the quiz-evidence paragraphs gives the "--no-ev" figures, see `noev-index`).
Cross-validation by week: the 69 weekly quizzes are split into 10 blocks of contiguous weeks; `fit` learns the
short-answer ranking and the choice scoring on the other blocks and scores the held-out one, for every block.
Those are the cross-validated figures, printed per quiz source and written into the weights file with what the
weights were fit on (set, its hash, date).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
SETS = {"train": DATA / "realtimeqa-train", "dev": DATA / "realtimeqa-dev"}
CACHE = Path(os.environ.get("READER_CACHE", "/tmp/reader-cache"))
WEIGHTS = REPO / "qa" / "answer" / "weights.json"


def questions_file(name: str) -> Path:
    return SETS[name] / "questions.jsonl"


def load_questions(name: str) -> list[dict]:
    path = questions_file(name)
    if not path.is_file():
        sys.exit(f"error: {path} is absent (../shared/data is not mounted here)")
    with open(path, encoding="utf-8") as fh:
        qs = [json.loads(line) for line in fh if line.strip()]
    for q in qs:
        q["week"] = q["id"].split("_")[0]
    return qs


def cache_path(name: str, index: str) -> Path:
    return CACHE / f"{name}-{Path(index).name}.pkl"


# -- retrieval cache ------------------------------------------------------------------------------

def build_cache(name: str, index: str, limit: int | None = None) -> Path:
    """For every question: what `Assistant.read` gives (passages, ranked sentences), with and without the choices'
    own searches, the IDF of the words involved and the keyword score of 'question + choice' per choice."""
    from qa import Assistant
    from qa.text.tokens import content_words

    a = Assistant.open(index, **{"llm.enabled": False})
    qs = load_questions(name)[:limit]
    path = cache_path(name, index)
    rows: dict[str, dict] = {}
    if path.is_file():
        with open(path, "rb") as fh:
            rows = pickle.load(fh)
    t0 = time.perf_counter()
    for n, q in enumerate(qs, 1):
        if q["id"] in rows:
            continue
        t = time.perf_counter()
        r = a.read(q["question"], q["question"], q["as_of"])
        seconds = time.perf_counter() - t
        mc = a.read(q["question"], q["question"], q["as_of"], choices=q["choices"])
        allowed = a.retriever.allowed_ids(r.req)
        search = [max((s for _, s in a.retriever.keyword(f"{q['question']} {c}", 1, allowed)), default=0.0)
                  for c in q["choices"]]
        terms = set(content_words(q["question"])).union(*(content_words(c) for c in q["choices"]))
        for s in [*r.ranked[:60], *mc.ranked[:80]]:
            terms |= set(content_words(s.text))
        rows[q["id"]] = dict(q, passages=[p.to_dict() for p in r.ctx.passages], ranked=[asdict(s) for s in r.ranked],
                             evidence=[asdict(e) for e in r.evidence], mc_passages=[p.to_dict() for p in mc.ctx.passages],
                             mc_ranked=[asdict(s) for s in mc.ranked], search=search, idf=a.store.idf(sorted(terms)),
                             as_of_used=r.ctx.as_of, retrieve_s=seconds)
        if n % 25 == 0 or n == len(qs):
            _save(rows, path)
            print(f"{n}/{len(qs)} {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    _save(rows, path)
    return path


def _save(rows: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(rows, fh)
    os.replace(tmp, path)


def load_cache(name: str, index: str) -> list[dict]:
    """Cached rows in question order, with Passage / Sentence objects rebuilt."""
    from qa.answer.evidence import Sentence
    from qa.types import Passage

    path = cache_path(name, index)
    if not path.is_file():
        sys.exit(f"no cache at {path}: run `python -m eval.fit_reader cache --set {name} --index {index}` first")
    with open(path, "rb") as fh:
        rows = pickle.load(fh)
    out = []
    for q in load_questions(name):
        r = rows.get(q["id"])
        if r is None:
            continue
        for key in ("passages", "mc_passages"):
            r[key] = [Passage(**p) for p in r[key]]
        for key in ("ranked", "mc_ranked"):
            r[key] = [Sentence(**s) for s in r[key]]
        out.append(r)
    return out


# -- spans and phrase vectors, memoised on disk (spaCy and the embedding model are the slow parts) ----------------

class SpanCache:
    """spaCy's spans of a text keyed by the text (the regex numbers are recomputed: they change while tuning)."""

    def __init__(self) -> None:
        self.path = CACHE / "spacy-spans.pkl"
        self.data: dict[str, list] = pickle.loads(self.path.read_bytes()) if self.path.is_file() else {}
        self.dirty = False

    def __call__(self, texts):  # noqa: ANN001, ANN204
        from qa.answer.spans import number_spans, spacy_model_spans

        todo = [t for t in dict.fromkeys(texts) if t not in self.data]
        if todo:
            for t, spans in zip(todo, spacy_model_spans(todo)):
                self.data[t] = spans
            self.dirty = True
        return [number_spans(t) + self.data[t] for t in texts]

    def save(self) -> None:
        if self.dirty:
            _save(self.data, self.path)


class EmbedCache:
    """The embedding model's vectors of short texts (candidate phrases repeat across questions)."""

    def __init__(self) -> None:
        self.path = CACHE / "phrase-vectors.pkl"
        self.data: dict = pickle.loads(self.path.read_bytes()) if self.path.is_file() else {}
        self.model = None
        self.dirty = False

    def __call__(self, texts):  # noqa: ANN001, ANN204
        import numpy as np

        todo = [t for t in dict.fromkeys(texts) if t not in self.data]
        if todo:
            if self.model is None:
                from qa.config import Settings
                from qa.embed import make_embedder

                self.model = make_embedder(Settings.load().embedding)
            for t, v in zip(todo, self.model.embed(todo)):
                self.data[t] = v
            self.dirty = True
        return np.stack([self.data[t] for t in texts])

    def save(self) -> None:
        if self.dirty:
            _save(self.data, self.path)


def idf_fn(row: dict):  # noqa: ANN201
    table = row["idf"]
    default = max(table.values()) if table else 1.0
    return lambda terms: {t: table.get(t, default) for t in terms}


def pool(row: dict, spans: SpanCache, embed: EmbedCache | None, mc: bool = False):  # noqa: ANN201
    from qa.answer.evidence import Pool

    return Pool(row["question"], row["mc_ranked" if mc else "ranked"], row["mc_passages" if mc else "passages"],
                row["as_of_used"], idf_fn(row), embed, spans)


# -- features, fitting, scoring ------------------------------------------------------------------------

def prepare(rows: list[dict]) -> list[dict]:
    """Short-answer candidates with features (weight-independent) and their EM/F1 against gold; choice features."""
    from qa.answer import choices as ch
    from qa.answer import ranker

    from .scoring import em_f1

    spans, embed = SpanCache(), EmbedCache()
    items = []
    t0 = time.perf_counter()
    for n, r in enumerate(rows, 1):
        q, cands = ranker.candidates(pool(r, spans, embed))
        scored = [em_f1(c.text, r["answers"]) for c in cands]
        mc_pool = pool(r, spans, embed, mc=True)
        mc_cands = ranker.candidates(mc_pool, q=q)[1]
        feats, supports = ch.choice_features(mc_pool, r["choices"], mc_cands, q=q, search_scores=r["search"])
        items.append(dict(row=r, q=q, cands=cands, em=[e for e, _ in scored], f1=[f for _, f in scored],
                          mc_pool=mc_pool, mc_cands=mc_cands, feats=feats, supports=supports))
        if n % 200 == 0:
            print(f"prepared {n}/{len(rows)} {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    spans.save()
    embed.save()
    return items


def matrix(cands, names) -> Any:  # noqa: ANN001
    import numpy as np

    return np.asarray([[c.features.get(k, 0.0) for k in names] for c in cands], dtype=float).reshape(len(cands), len(names))


def fit_softmax(groups: list[tuple[Any, Any]], names: tuple[str, ...], l2: float = 0.3) -> dict[str, float]:
    """Weights maximising the log softmax probability of the correct items in each group (L2-regularised)."""
    import numpy as np
    from scipy.optimize import minimize

    data = [(X, t / t.sum()) for X, t in groups if len(X) and t.sum() > 0]

    def loss(w):  # noqa: ANN001, ANN202
        total, grad = l2 * float(w @ w), 2 * l2 * w
        for X, t in data:
            s = X @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            total -= float(t @ np.log(p + 1e-12))
            grad = grad + X.T @ (p - t)
        return total / len(data), grad / len(data)

    res = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return {k: round(float(v), 3) for k, v in zip(names, res.x)}


def short_groups(items: list[dict]) -> list[tuple[Any, Any]]:
    import numpy as np

    from qa.answer.ranker import FEATURES

    out = []
    for it in items:
        em, f1 = np.asarray(it["em"], float), np.asarray(it["f1"], float)
        target = em if em.sum() > 0 else np.where(f1 >= 0.5, f1, 0.0)
        out.append((matrix(it["cands"], FEATURES), target))
    return out


def choice_groups(items: list[dict]) -> list[tuple[Any, Any]]:
    import numpy as np

    from qa.answer.choices import CHOICE_FEATURES, NEGATED

    out = []
    for it in items:
        r = it["row"]
        if NEGATED.search(r["question"]):
            continue
        gold = r["gold_choice"] if isinstance(r["gold_choice"], list) else [r["gold_choice"]]
        X = np.asarray([[f[k] for k in CHOICE_FEATURES] for f in it["feats"]], float)
        out.append((X, np.asarray([1.0 if i in gold else 0.0 for i in range(len(it["feats"]))])))
    return out


def fit_both(items: list[dict], l2: float) -> dict[str, dict[str, float]]:
    """Short-answer weights first; then the choice weights, on choice features whose 'answer' part comes from
    the short-answer ranking under those weights (as at answer time)."""
    from qa.answer.choices import CHOICE_FEATURES
    from qa.answer.ranker import FEATURES

    short = fit_softmax(short_groups(items), FEATURES, l2)
    rescore_answer_features(items, short)
    return {"short": short, "choice": fit_softmax(choice_groups(items), CHOICE_FEATURES, l2)}


def rescore_answer_features(items: list[dict], short: dict[str, float]) -> None:
    from qa.answer import choices as ch
    from qa.answer import ranker

    for it in items:
        ch.set_answer_agreement(it["feats"], it["row"]["choices"], ranker.score(it["mc_cands"], short))


def predict(it: dict, weights: dict[str, dict[str, float]]) -> dict[str, Any]:
    """The reader's short answer and choice for a prepared item under the given weights, scored."""
    from qa.answer import choices as ch
    from qa.answer import ranker
    from qa.answer import short as sh

    from .scoring import choice_correct, em_f1, skipped_for_generation

    r = it["row"]
    if it["q"].type == "yesno":
        text = sh.yes_no(r["question"], r["ranked"], idf_fn(r))
    else:
        ranked = ranker.score(it["cands"], weights["short"])
        text = sh.without_question_unit(ranked[0].text, it["q"]) if ranked else (
            sh.short_from_text(r["ranked"][0].text) if r["ranked"] else "")
    em, f1 = em_f1(text, r["answers"])
    res = ch.decide(r["question"], r["choices"], it["feats"], it["supports"], r["mc_ranked"], idf_fn(r), weights["choice"])
    return dict(id=r["id"], week=r["week"], source=r["source"], type=it["q"].type, pred=text, gold=r["answers"][0],
                em=em, f1=f1, scored=not skipped_for_generation(r["question"]), has=float(max(it["em"], default=0.0)),
                mc=float(choice_correct(res.index, r["gold_choice"])), mc_none=float(res.index is None),
                ev=bool(r.get("evidence_id")))


def folds(items: list[dict], k: int) -> list[set[str]]:
    """The weeks split into k contiguous blocks (a week is never split across folds)."""
    weeks = sorted({it["row"]["week"] for it in items})
    k = min(k, len(weeks))
    return [set(weeks[i * len(weeks) // k: (i + 1) * len(weeks) // k]) for i in range(k)]


def cross_validate(items: list[dict], l2: float, k: int = 10) -> list[dict]:
    """Held-out predictions: for each block of weeks, fit on the other weeks and predict that block."""
    out = []
    for n, held in enumerate(folds(items, k), 1):
        w = fit_both([it for it in items if it["row"]["week"] not in held], l2)
        rescore_answer_features(items, w["short"])
        out += [predict(it, w) for it in items if it["row"]["week"] in held]
        print(f"fold {n}/{k}", file=sys.stderr)
    return out


def figures(preds: list[dict]) -> dict[str, Any]:
    """EM / F1 (questions scored under the official rule), MC accuracy, overall and per quiz source."""
    def agg(ps: list[dict]) -> dict[str, float]:
        s = [p for p in ps if p["scored"]]
        return {"n": len(ps), "em": round(100 * statistics.fmean(p["em"] for p in s), 1) if s else None,
                "f1": round(100 * statistics.fmean(p["f1"] for p in s), 1) if s else None,
                "mc": round(100 * statistics.fmean(p["mc"] for p in ps), 1) if ps else None,
                "mc_none": round(100 * statistics.fmean(p["mc_none"] for p in ps), 1) if ps else None,
                "candidate_equals_gold": round(100 * statistics.fmean(p["has"] for p in s), 1) if s else None}

    by_source = defaultdict(list)
    for p in preds:
        by_source[p["source"]].append(p)
    return {"overall": agg(preds), "by_source": {k: agg(v) for k, v in sorted(by_source.items())},
            "no_evidence_paragraph": agg([p for p in preds if not p["ev"]])}


def print_figures(title: str, fig: dict[str, Any]) -> None:
    print(f"\n{title}")
    print("| | n | EM | F1 | MC | MC none | a candidate = gold |\n|---|---|---|---|---|---|---|")
    rows = [("all", fig["overall"]), *fig["by_source"].items(), ("no quiz-evidence paragraph", fig["no_evidence_paragraph"])]
    for name, f in rows:
        print(f"| {name} | {f['n']} | {f['em']} | {f['f1']} | {f['mc']} | {f['mc_none']} | {f['candidate_equals_gold']} |")


def per_type(preds: list[dict]) -> None:
    by = defaultdict(list)
    for p in preds:
        if p["scored"]:
            by[p["type"]].append(p)
    print("\n| type | n | EM | F1 | a candidate = gold |\n|---|---|---|---|---|")
    for t, ps in sorted(by.items(), key=lambda kv: -len(kv[1])):
        n = len(ps)
        print(f"| {t} | {n} | {100 * sum(p['em'] for p in ps) / n:.1f} | {100 * sum(p['f1'] for p in ps) / n:.1f} | "
              f"{100 * sum(p['has'] for p in ps) / n:.1f} |")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fit(index: str, l2: float, write: bool = True, k: int = 10) -> dict[str, Any]:
    """Fit on TRAIN: cross-validated figures by week, then the weights on all TRAIN weeks (written with metadata)."""
    items = prepare(load_cache("train", index))
    cv = cross_validate(items, l2, k)
    fig = figures(cv)
    print_figures(f"TRAIN, cross-validated by week ({k} folds of contiguous weeks)", fig)
    per_type(cv)
    weights = fit_both(items, l2)
    data = {"fit": {"set": "RealTimeQA TRAIN (../shared/data/realtimeqa-train)", "questions": len(items),
                    "weeks": len({it["row"]["week"] for it in items}),
                    "questions_sha256": sha256(questions_file("train")), "index": str(index),
                    "date": time.strftime("%Y-%m-%d"), "l2": l2, "folds": k, "command": "python -m eval.fit_reader fit",
                    "cross_validated": fig},
            **weights}
    if write:
        WEIGHTS.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {WEIGHTS}")
    return data


def report(name: str, index: str) -> dict[str, Any]:
    """Score the shipped weights on a set (no fitting)."""
    from qa.answer.ranker import load_weights

    weights = load_weights()
    preds = [predict(it, weights) for it in prepare(load_cache(name, index))]
    fig = figures(preds)
    print_figures(f"{name.upper()} with the shipped weights (fit on {weights['fit']['set']})", fig)
    per_type(preds)
    return fig


def noev_index(src: str, dst: str) -> None:
    """A copy of an index without the quiz-evidence paragraphs (rtqa-ev-*): no re-embedding."""
    import shutil

    from qa import Assistant

    if Path(dst).exists():
        sys.exit(f"error: {dst} exists")
    shutil.copytree(src, dst)
    a = Assistant.open(dst, **{"llm.enabled": False})
    ids = [art.id for art in a.store.iter_articles() if art.id.startswith("rtqa-ev-")]
    print(f"removed {a.remove(ids)} quiz-evidence paragraphs from {dst}")
    a.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.fit_reader", description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["cache", "fit", "report", "noev-index"])
    p.add_argument("--set", default="train", choices=sorted(SETS))
    p.add_argument("--index", help="index folder (default index/<set>)")
    p.add_argument("--to", help="noev-index: the new folder")
    p.add_argument("--limit", type=int)
    p.add_argument("--l2", type=float, default=0.3)
    p.add_argument("--folds", type=int, default=10, help="fit: cross-validation folds (blocks of whole weeks)")
    p.add_argument("--dry-run", action="store_true", help="fit: print, do not write the weights file")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    index = args.index or str(REPO / "index" / args.set)
    if args.command == "cache":
        print(f"cached -> {build_cache(args.set, index, args.limit)}")
    elif args.command == "fit":
        fit(index, args.l2, write=not args.dry_run, k=args.folds)
    elif args.command == "report":
        report(args.set, index)
    elif args.command == "noev-index":
        noev_index(index, args.to or index + "-noev")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
