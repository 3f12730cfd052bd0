"""Fit the reader on the RealTimeQA TRAIN set, score it on DEV: cache retrieval once, then iterate offline.

    python -m eval.fit.reader cache --set train        # retrieval + evidence per question (as the Assistant does)
    python -m eval.fit.reader cache --set dev
    python -m eval.fit.reader model --set train --every 3 --model qwen2.5-coder-1.5b   # the model's readings
    python -m eval.fit.reader fit [--model qwen2.5-coder-1.5b]   # fit on TRAIN (week folds), write qa/answer/weights.json
    python -m eval.fit.reader subset-corpus --shard 0/12 --to /tmp/train-sub12.jsonl.gz   # articles every 12th question can find
    python -m eval.fit.reader fit --model qwen2.5-coder-1.5b --index index/train12 --stack-only   # the stack only
    python -m eval.fit.reader report --set dev [--model ...]     # score the shipped weights on DEV (nothing is fit there)

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

from ..data import DEV, REPO, TRAIN

SETS = {"train": TRAIN, "dev": DEV}
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

def build_cache(name: str, index: str, limit: int | None = None, shard: str = "0/1") -> Path:
    """For every question: what `Assistant.read` gives (passages, ranked sentences), with and without the choices'
    own searches, the IDF of the words involved and the keyword score of 'question + choice' per choice."""
    from qa import Assistant
    from qa.text.tokens import content_words

    a = Assistant.open(index, **{"llm.enabled": False})
    i, n_shards = (int(x) for x in shard.split("/"))
    qs = [q for k, q in enumerate(load_questions(name)[:limit]) if k % n_shards == i]
    path = cache_path(name, index)
    if n_shards > 1:
        path = path.with_name(f"{path.stem}.shard{i}of{n_shards}.pkl")
    rows: dict[str, dict] = {}
    if path.is_file():
        with open(path, "rb") as fh:
            rows = pickle.load(fh)
    t0 = time.perf_counter()
    for n, q in enumerate(qs, 1):
        if q["id"] in rows:
            continue
        t = time.perf_counter()
        r = a.retrieve(q["question"], q["question"], q["as_of"])
        seconds = time.perf_counter() - t
        mc = a.retrieve(q["question"], q["question"], q["as_of"], choices=q["choices"])
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
    rows: dict[str, dict] = {}
    for part in sorted(path.parent.glob(f"{path.stem}.shard*.pkl")) + ([path] if path.is_file() else []):
        with open(part, "rb") as fh:
            rows.update(pickle.load(fh))
    if not rows:
        sys.exit(f"no cache at {path}: run `python -m eval.fit.reader cache --set {name} --index {index}` first")
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

def prepare(rows: list[dict], readings: dict[str, dict] | None = None) -> list[dict]:
    """Per question: short-answer candidates with features (weight-independent) and their EM/F1 against gold, and
    the choice features; where the language model's reading is cached, also the candidates with the model's span
    and features ("model") and the choice features with its letter probabilities."""
    from qa.answer import choices as ch
    from qa.answer import model
    from qa.answer import ranker

    from ..scoring import em_f1

    spans, embed = SpanCache(), EmbedCache()
    items = []
    t0 = time.perf_counter()
    for n, r in enumerate(rows, 1):
        q, cands = ranker.candidates(pool(r, spans, embed))
        scored = [em_f1(c.text, r["answers"]) for c in cands]
        mc_pool = pool(r, spans, embed, mc=True)
        mc_cands = ranker.candidates(mc_pool, q=q)[1]
        feats, supports = ch.choice_features(mc_pool, r["choices"], mc_cands, q=q, search_scores=r["search"])
        it: dict[str, Any] = {"row": r, "q": q, "cands": cands, "em": [e for e, _ in scored], "f1": [f for _, f in scored],
                              "mc_cands": mc_cands, "feats": feats, "supports": supports}
        got = (readings or {}).get(r["id"])
        if got:
            reading = model.interpret(got["said"], model.shown_for(r["ranked"]))
            m_cands = ranker.candidates(pool(r, spans, embed), q=q, reading=reading, stack={})[1]
            m_scored = [em_f1(c.text, r["answers"]) for c in m_cands]
            it["model"] = {"said": got["said"], "cands": m_cands, "em": [e for e, _ in m_scored],
                           "f1": [f for _, f in m_scored], "lp": got["lp"]}
        items.append(it)
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


def target(em: list[float], f1: list[float]) -> Any:
    """The correct candidates: exact matches, else the ones with F1 >= 0.5 (weighted by F1)."""
    import numpy as np

    em_a, f1_a = np.asarray(em, float), np.asarray(f1, float)
    return em_a if em_a.sum() > 0 else np.where(f1_a >= 0.5, f1_a, 0.0)


def gold_choices(r: dict) -> list[int]:
    return r["gold_choice"] if isinstance(r["gold_choice"], list) else [r["gold_choice"]]


def fit_base(items: list[dict], l2: float) -> dict[str, dict[str, float]]:
    """The feature ranking: short-answer weights first; then the choice weights, on choice features whose
    'answer' part comes from the short-answer ranking under those weights (as at answer time)."""
    import numpy as np

    from qa.answer.choices import CHOICE_FEATURES, NEGATED
    from qa.answer.ranker import FEATURES

    short = fit_softmax([(matrix(it["cands"], FEATURES), target(it["em"], it["f1"])) for it in items], FEATURES, l2)
    rescore_answer_features(items, short)
    groups = []
    for it in items:
        if NEGATED.search(it["row"]["question"]):
            continue
        X = np.asarray([[f[k] for k in CHOICE_FEATURES] for f in it["feats"]], float)
        groups.append((X, np.asarray([1.0 if i in gold_choices(it["row"]) else 0.0 for i in range(len(X))])))
    return {"short": short, "choice": fit_softmax(groups, CHOICE_FEATURES, l2)}


def rescore_answer_features(items: list[dict], short: dict[str, float]) -> None:
    from qa.answer import choices as ch
    from qa.answer import ranker

    for it in items:
        ch.set_answer_agreement(it["feats"], it["row"]["choices"], ranker.score(it["mc_cands"], short))


def _choice_base_scores(it: dict, w_choice: dict[str, float]) -> list[float]:
    return [sum(w_choice.get(k, 0.0) * v for k, v in f.items() if not k.startswith("m_")) for f in it["feats"]]


def fit_stack(items: list[dict], base: dict[str, dict[str, float]], l2: float) -> dict[str, dict[str, float]]:
    """The model's features stacked on the feature ranking's scores (few weights: a few hundred readings suffice)."""
    import numpy as np

    from qa.answer import ranker
    from qa.answer.choices import MODEL_CHOICE_FEATURES, NEGATED, set_model_choice
    from qa.answer.model import MODEL_FEATURES

    short_names, choice_names = ("base", *MODEL_FEATURES), ("base", *MODEL_CHOICE_FEATURES)
    sg, cg = [], []
    for it in items:
        m = it.get("model")
        if not m:
            continue
        ranker.score(m["cands"], base["short"])
        for c in m["cands"]:
            c.features["base"] = c.score
        sg.append((matrix(m["cands"], short_names), target(m["em"], m["f1"])))
        if NEGATED.search(it["row"]["question"]):
            continue
        set_model_choice(it["feats"], m["lp"])
        X = np.asarray([[b, f["m_p"], f["m_top"]] for b, f in zip(_choice_base_scores(it, base["choice"]), it["feats"])], float)
        cg.append((X, np.asarray([1.0 if i in gold_choices(it["row"]) else 0.0 for i in range(len(X))])))
    return {"short": fit_softmax(sg, short_names, l2), "choice": fit_softmax(cg, choice_names, l2)}


def predict(it: dict, base: dict[str, dict[str, float]], stack: dict[str, dict[str, float]] | None = None) -> dict[str, Any]:
    """The reader's short answer and choice for a prepared item (with ``stack``: using the model's reading)."""
    from qa.answer import choices as ch
    from qa.answer import ranker
    from qa.answer import short as sh

    from ..scoring import choice_correct, em_f1, skipped_for_generation

    r, m = it["row"], it.get("model") if stack else None
    cands, ems = (m["cands"], m["em"]) if m else (it["cands"], it["em"])
    if it["q"].type == "yesno":
        text = sh.yes_no(r["question"], r["ranked"], idf_fn(r))
    else:
        ranked = ranker.score(cands, base["short"])
        if m:
            ranked = ranker.stacked(cands, stack["short"])
        text = sh.without_question_unit(ranked[0].text, it["q"]) if ranked else (
            sh.short_from_text(r["ranked"][0].text) if r["ranked"] else "")
    em, f1 = em_f1(text, r["answers"])
    if m:
        ch.set_model_choice(it["feats"], m["lp"])
    res = ch.decide(r["question"], r["choices"], it["feats"], it["supports"], r["mc_ranked"], idf_fn(r), base["choice"],
                    stack["choice"] if m else None)
    return dict(id=r["id"], week=r["week"], source=r["source"], type=it["q"].type, pred=text, gold=r["answers"][0],
                em=em, f1=f1, scored=not skipped_for_generation(r["question"]), has=float(max(ems, default=0.0)),
                mc=float(choice_correct(res.index, r["gold_choice"])), mc_none=float(res.index is None),
                ev=bool(r.get("evidence_id")), said=m["said"] if m else None)


def folds(items: list[dict], k: int) -> list[set[str]]:
    """The weeks split into k contiguous blocks (a week is never split across folds)."""
    weeks = sorted({it["row"]["week"] for it in items})
    k = min(k, len(weeks))
    return [set(weeks[i * len(weeks) // k: (i + 1) * len(weeks) // k]) for i in range(k)]


def cross_validate(items: list[dict], l2: float, k: int = 10, with_model: bool = False) -> list[dict]:
    """Held-out predictions: for each block of weeks, fit on the other weeks and predict that block (with the
    model: only the questions that have a reading, with the stack fit on the other weeks' readings)."""
    out = []
    for n, held in enumerate(folds(items, k), 1):
        train = [it for it in items if it["row"]["week"] not in held]
        base = fit_base(train, l2)
        stack = fit_stack(train, base, l2) if with_model else None
        rescore_answer_features(items, base["short"])
        out += [predict(it, base, stack) for it in items
                if it["row"]["week"] in held and (not with_model or it.get("model"))]
        print(f"{'model ' if with_model else ''}fold {n}/{k}", file=sys.stderr)
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


def readings_path(name: str, index: str, model_name: str) -> Path:
    return CACHE / f"model-{name}-{Path(index).name}-{model_name}.pkl"


def load_readings(name: str, index: str, model_name: str) -> dict[str, dict]:
    path = readings_path(name, index, model_name)
    return pickle.loads(path.read_bytes()) if path.is_file() else {}


def build_readings(name: str, index: str, model_name: str, limit: int | None = None, every: int = 1,
                   threads: int = 2) -> Path:
    """The language model's short answer and choice-letter log-probabilities per question (qa/answer/model.py),
    on the cached evidence, exactly as the Assistant asks them."""
    from qa.answer import model
    from qa.config import LLMSettings
    from qa.generate.llama import LlamaCppGenerator
    from qa.generate.prompts import Prompts

    gen = LlamaCppGenerator(LLMSettings(model=model_name, threads=threads))
    prompts = Prompts()
    rows = load_cache(name, index)[:limit][::every]
    path = readings_path(name, index, model_name)
    done = load_readings(name, index, model_name)
    t0, times = time.perf_counter(), []
    for n, r in enumerate(rows, 1):
        if r["id"] in done:
            continue
        t = time.perf_counter()
        reading = model.read(gen, prompts, r["question"], r["ranked"])
        lp = model.choose(gen, prompts, r["question"], r["choices"], r["mc_ranked"])
        done[r["id"]] = {"said": reading.said, "lp": lp, "read_s": reading.seconds, "total_s": time.perf_counter() - t}
        times.append(done[r["id"]]["total_s"])
        if n % 20 == 0 or n == len(rows):
            _save(done, path)
            print(f"{n}/{len(rows)} {time.perf_counter() - t0:.0f}s (median {statistics.median(times):.2f}s per question)",
                  file=sys.stderr)
    _save(done, path)
    return path


def fit(index: str, l2: float, write: bool = True, k: int = 10, model_name: str | None = None,
        stack_only: bool = False) -> dict[str, Any]:
    """Fit on TRAIN: cross-validated figures by week, then the weights on all TRAIN weeks (written with metadata).

    With ``model_name``, the language model's readings (`build_readings`) are stacked on the feature ranking
    ('short_model', 'choice_model'), fit on the TRAIN questions that have a reading. With ``stack_only`` the
    feature ranking of the weights file is kept (fit on every TRAIN question) and only the stack is fit, on the
    questions of the cache (e.g. every 12th, `cache --shard 0/12`); its cross-validation refits both per fold."""
    readings = load_readings("train", index, model_name) if model_name else {}
    items = prepare(load_cache("train", index), readings)
    if stack_only:
        return _fit_stack_only(items, index, l2, write, k, model_name, readings)
    data: dict[str, Any] = {"fit": {"set": "RealTimeQA TRAIN (../shared/data/realtimeqa-train)", "questions": len(items),
                                    "weeks": len({it["row"]["week"] for it in items}),
                                    "questions_sha256": sha256(questions_file("train")), "index": str(index),
                                    "date": time.strftime("%Y-%m-%d"), "l2": l2, "folds": k,
                                    "command": "python -m eval.fit.reader fit" + (f" --model {model_name}" if model_name else ""),
                                    "cross_validated": {}}}
    for with_model in (False, True) if readings else (False,):
        cv = cross_validate(items, l2, k, with_model)
        fig = figures(cv)
        label = f"with {model_name}'s reading ({len(cv)} questions)" if with_model else "without the language model"
        print_figures(f"TRAIN, cross-validated by week ({k} folds of contiguous weeks), {label}", fig)
        per_type(cv)
        data["fit"]["cross_validated"]["model" if with_model else "base"] = fig
        if with_model:  # the same questions without the model, for the difference it makes
            same = figures([p for p in cross_validate(items, l2, k) if p["id"] in {x["id"] for x in cv}])
            print_figures("the same questions without the model", same)
            data["fit"]["cross_validated"]["base_on_model_questions"] = same
    base = fit_base(items, l2)
    data["short"], data["choice"] = base["short"], base["choice"]
    if readings:
        stack = fit_stack(items, base, l2)
        data["short_model"], data["choice_model"] = stack["short"], stack["choice"]
        data["fit"]["model"] = model_name
        data["fit"]["model_questions"] = sum(bool(it.get("model")) for it in items)
    if write:
        WEIGHTS.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {WEIGHTS}")
    return data


def _fit_stack_only(items: list[dict], index: str, l2: float, write: bool, k: int, model_name: str | None,
                    readings: dict) -> dict[str, Any]:
    if not readings:
        sys.exit("error: --stack-only needs --model and that model's readings (python -m eval.fit.reader model ...)")
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    cv = cross_validate(items, l2, k, with_model=True)
    fig = figures(cv)
    print_figures(f"TRAIN, cross-validated by week ({k} folds), with {model_name}'s reading ({len(cv)} questions)", fig)
    per_type(cv)
    ids = {p["id"] for p in cv}
    same = figures([p for p in cross_validate(items, l2, k) if p["id"] in ids])
    print_figures("the same questions without the model", same)
    base = {"short": data["short"], "choice": data["choice"]}
    rescore_answer_features(items, base["short"])
    stack = fit_stack(items, base, l2)
    data["short_model"], data["choice_model"] = stack["short"], stack["choice"]
    data["fit"]["cross_validated"]["model"] = fig
    data["fit"]["cross_validated"]["base_on_model_questions"] = same
    data["fit"]["model"] = model_name
    data["fit"]["model_questions"] = sum(bool(it.get("model")) for it in items)
    data["fit"]["model_fit"] = {"index": str(index), "date": time.strftime("%Y-%m-%d"), "questions": len(items),
                                "command": f"python -m eval.fit.reader fit --model {model_name} --stack-only",
                                "note": "the stack (short_model, choice_model) is fit on these questions with the "
                                        "feature ranking above fixed; its cross-validation refits both per fold; the "
                                        "index holds the articles they can find (python -m eval.fit.reader "
                                        "subset-corpus --shard 0/12: BM25 top 12 for the question and top 3 per "
                                        "choice, as_of rule; 1,937 of 11,453 articles)"}
    if write:
        WEIGHTS.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {WEIGHTS}")
    return data


def report(name: str, index: str, model_name: str | None = None) -> dict[str, Any]:
    """Score the shipped weights on a set (no fitting), without and (given readings) with the language model."""
    from qa.answer.ranker import load_weights

    weights = load_weights()
    readings = load_readings(name, index, model_name) if model_name else {}
    items = prepare(load_cache(name, index), readings)
    base = {"short": weights["short"], "choice": weights["choice"]}
    rescore_answer_features(items, base["short"])
    out = {}
    runs = [("base", None)]
    if readings and "short_model" in weights:
        runs.append(("model", {"short": weights["short_model"], "choice": weights["choice_model"]}))
    for variant, stack in runs:
        preds = [predict(it, base, stack) for it in items if stack is None or it.get("model")]
        fig = figures(preds)
        label = f"with {model_name}'s reading" if stack else "without the language model"
        print_figures(f"{name.upper()} with the shipped weights (fit on {weights['fit']['set']}), {label}", fig)
        per_type(preds)
        out[variant] = fig
    return out


def subset_corpus(name: str, out: str, shard: str, per_question: int = 12, per_choice: int = 3) -> None:
    """The articles a subset of questions (k %% n == i, as `cache --shard i/n`) can find: for each, the BM25 top
    articles (SQLite FTS5, porter, published on or before its as_of) for the question and for question + each choice,
    and its quiz-evidence paragraph. An index of these stands in for the whole TRAIN index (an hour to embed) when
    the language model is read on that subset: same scorer and date rule, fewer distractors."""
    import gzip
    import re
    import sqlite3

    i, n = (int(x) for x in shard.split("/"))
    qs = [q for k, q in enumerate(load_questions(name)) if k % n == i]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE a USING fts5(id UNINDEXED, published UNINDEXED, title, text, tokenize='porter')")
    rows = {}
    with gzip.open(SETS[name] / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            rows[d["id"]] = line
            db.execute("INSERT INTO a VALUES (?,?,?,?)", (d["id"], d.get("published", "")[:10], d["title"], d["text"]))
    words = lambda t: " OR ".join(f'"{w}"' for w in dict.fromkeys(re.findall(r"[A-Za-z0-9]{3,}", t.lower())))  # noqa: E731
    keep: set[str] = set()
    for q in qs:
        for text, k in [(q["question"], per_question), *((q["question"] + " " + c, per_choice) for c in q["choices"])]:
            if words(text):
                keep.update(r[0] for r in db.execute(
                    "SELECT id FROM a WHERE a MATCH ? AND published <= ? ORDER BY bm25(a) LIMIT ?",
                    (words(text), q["as_of"], k)))
        if q.get("evidence_id") in rows:
            keep.add(q["evidence_id"])
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        for aid, line in rows.items():
            if aid in keep:
                fh.write(line)
    print(f"{len(keep)} of {len(rows)} articles for {len(qs)} questions -> {out}")


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
    p = argparse.ArgumentParser(prog="python -m eval.fit.reader", description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["cache", "model", "fit", "report", "noev-index", "subset-corpus"])
    p.add_argument("--model", help="model / fit / report: the language model's readings as features (e.g. qwen2.5-coder-1.5b)")
    p.add_argument("--every", type=int, default=1, help="model: read every n-th question only")
    p.add_argument("--threads", type=int, default=2, help="model: llama.cpp threads")
    p.add_argument("--set", default="train", choices=sorted(SETS))
    p.add_argument("--index", help="index folder (default index/<set>)")
    p.add_argument("--to", help="noev-index: the new folder")
    p.add_argument("--limit", type=int)
    p.add_argument("--shard", default="0/1", help="cache: only questions k with k %% n == i (i/n), for parallel runs")
    p.add_argument("--l2", type=float, default=0.3)
    p.add_argument("--folds", type=int, default=10, help="fit: cross-validation folds (blocks of whole weeks)")
    p.add_argument("--dry-run", action="store_true", help="fit: print, do not write the weights file")
    p.add_argument("--stack-only", action="store_true",
                   help="fit: keep the weights file's feature ranking, fit only the model's stack on the cached questions")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    index = args.index or str(REPO / "index" / args.set)
    if args.command == "cache":
        print(f"cached -> {build_cache(args.set, index, args.limit, args.shard)}")
    elif args.command == "model":
        print(f"readings -> {build_readings(args.set, index, args.model or 'qwen2.5-coder-1.5b', args.limit, args.every, args.threads)}")
    elif args.command == "fit":
        fit(index, args.l2, write=not args.dry_run, k=args.folds, model_name=args.model, stack_only=args.stack_only)
    elif args.command == "report":
        report(args.set, index, args.model)
    elif args.command == "subset-corpus":
        subset_corpus(args.set, args.to or f"/tmp/{args.set}-subset.jsonl.gz", args.shard)
    elif args.command == "noev-index":
        noev_index(index, args.to or index + "-noev")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
