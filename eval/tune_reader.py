"""Dev loop for the reader (qa/reader.py) on the RealTimeQA DEV set: cache retrieval once, iterate offline.

    .venv/bin/python -m eval.tune_reader cache [--no-ev]        # retrieval + evidence per question -> /tmp (minutes)
    .venv/bin/python -m eval.tune_reader choice-cache [--no-ev] # only the multiple-choice evidence (per-choice search)
    .venv/bin/python -m eval.tune_reader report [--no-ev]       # EM/F1 + MC accuracy, week-held-out folds, per type
    .venv/bin/python -m eval.tune_reader fit [--no-ev]          # refit the ranker weights (prints them for reader.py)
    .venv/bin/python -m eval.tune_reader llm [--model GGUF]     # does LLM likelihood of the top candidates help?
    .venv/bin/python -m eval.tune_reader speed [--with-llm]     # median seconds per question through Assistant.ask

Cross-validation: the 8 weekly quizzes are the folds. `fit` learns the candidate-ranking and choice-scoring
weights on 7 weeks and scores the 8th, for each week in turn; the held-out figures are what `report` prints.
The weights shipped in qa/reader.py are fit on all 8 weeks (their in-sample figure is printed too, for contrast).
`--no-ev` removes the quiz-evidence paragraphs (ids rtqa-ev-*) from retrieval, without touching the index.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEV = REPO.parent / "shared" / "data" / "realtimeqa-dev"
CACHE = Path(os.environ.get("READER_CACHE", "/tmp/reader-cache"))


def load_questions() -> list[dict]:
    with open(DEV / "questions.jsonl", encoding="utf-8") as fh:
        qs = [json.loads(line) for line in fh if line.strip()]
    for q in qs:
        q["week"] = q["id"].split("_")[0]
    return qs


def cache_path(no_ev: bool) -> Path:
    return CACHE / (("dev-noev" if no_ev else "dev") + ("-approx" if os.environ.get("READER_APPROX") else "") + ".pkl")


# -- retrieval cache --------------------------------------------------------------------------

APPROX_INDEX = CACHE / "approx-index"


def approx_assistant():  # noqa: ANN201
    """An Assistant over a private BM25-only copy of the DEV corpus (same chunks as index/dev, no dense vectors).

    Used only while index/dev cannot be built in time on a loaded machine: the chunks are those of the real
    index (same tokenizer counts), retrieval is BM25 + recency + diversity (dense search off), and evidence
    sentences are scored with the real embedding model. Figures from it are labelled 'approx'.
    """
    from qa.assistant import Assistant
    from qa.config import Settings
    from qa.embed import HashEmbedder, make_embedder
    from qa.ingest import ingest
    from qa.store import Store

    settings = Settings.load(**{"index_dir": str(APPROX_INDEX), "llm.enabled": False})
    real = make_embedder(settings.embedding)

    class TokenHash(HashEmbedder):
        def __init__(self) -> None:
            super().__init__(64)
            self.name = "hash-64-realtokens"

        def count_tokens(self, texts):  # noqa: ANN001, ANN202
            return real.count_tokens(texts)

    fake = TokenHash()
    store = Store(APPROX_INDEX, settings, fake.name, fake.dim, create=True)
    if store.counts()["articles"] < 1702:
        ingest([str(DEV / "corpus.jsonl")], store, fake, settings, progress=True)
        store.save()
    a = Assistant(settings, store, fake)
    a.embedder = real  # evidence sentences are scored with the real model
    a.retriever.dense = lambda text, k, allowed=None: []
    return a


def without_quiz_evidence(a) -> None:  # noqa: ANN001
    """Make the assistant's retriever skip the quiz-evidence chunks (rtqa-ev-*), keeping its date filter."""
    import numpy as np

    ev_ids = {r[0] for r in a.store.db.execute("SELECT id FROM chunks WHERE article_id LIKE 'rtqa-ev-%'")}
    original = a.retriever.allowed_ids

    def allowed(req):  # noqa: ANN001, ANN202
        ids = original(req)
        if ids is None:
            ids = np.asarray([r[0] for r in a.store.db.execute("SELECT id FROM chunks")], dtype=np.int64)
        return np.asarray([i for i in ids.tolist() if i not in ev_ids], dtype=np.int64)

    a.retriever.allowed_ids = allowed


def build_choice_cache(index: str, no_ev: bool) -> None:
    """Multiple-choice evidence as `Assistant.ask(..., choices=...)` gathers it: the question's passages plus
    `retrieval.per_choice_k` more per choice ('question + choice'), and the sentences ranked over all of them."""
    from qa import Assistant
    from qa.evidence import select_evidence
    from qa.textutil import content_words

    a = Assistant.open(index, **{"llm.enabled": False})
    if no_ev:
        without_quiz_evidence(a)
    out = {}
    t0 = time.perf_counter()
    for n, q in enumerate(load_questions(), 1):
        req = a._request(q["question"], q["as_of"], None, None)
        passages = a.retriever.search_choices(req, q["choices"], a.settings.retrieval.per_choice_k)
        _, ranked = select_evidence(q["question"], passages, a.embedder, a.settings.answer.evidence_sentences, a.idf)
        terms = set(content_words(q["question"])).union(*(content_words(c) for c in q["choices"]))
        for c in ranked[:80]:
            terms |= set(content_words(c.text))
        out[q["id"]] = dict(passages=[p.to_dict() for p in passages], ranked=[asdict(c) for c in ranked],
                            idf=a.idf(sorted(terms)))
        if n % 40 == 0:
            print(f"{n}/240 {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    with open(choice_cache_path(no_ev), "wb") as fh:
        pickle.dump(out, fh)


def choice_cache_path(no_ev: bool) -> Path:
    return CACHE / f"choice-pool{'-noev' if no_ev else ''}.pkl"


def build_cache(index: str, no_ev: bool, limit: int | None = None, approx: bool = False) -> None:
    """Retrieval + evidence sentences + IDF for every DEV question, as the Assistant computes them."""
    import numpy as np

    from qa import Assistant
    from qa.evidence import select_evidence
    from qa.textutil import content_words

    a = approx_assistant() if approx else Assistant.open(index, **{"llm.enabled": False})
    if no_ev:
        without_quiz_evidence(a)
    qs = load_questions()[:limit]
    rows = []
    t0 = time.perf_counter()
    for n, q in enumerate(qs, 1):
        t = time.perf_counter()
        req = a._request(q["question"], q["as_of"], None, None)
        passages = a.retriever.search(req)
        evidence, ranked = select_evidence(q["question"], passages, a.embedder, a.settings.answer.evidence_sentences, a.idf)
        seconds = time.perf_counter() - t
        terms = set(content_words(q["question"]))
        for c in q["choices"]:
            terms |= set(content_words(c))
        for c in ranked[:60]:
            terms |= set(content_words(c.text))
        rows.append(dict(q, passages=[p.to_dict() for p in passages], ranked=[asdict(c) for c in ranked],
                         evidence=[asdict(e) for e in evidence], idf=a.idf(sorted(terms)), retrieve_s=seconds))
        if n % 20 == 0:
            print(f"{n}/{len(qs)} {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(cache_path(no_ev), "wb") as fh:
        pickle.dump(rows, fh)
    print(f"cached {len(rows)} questions -> {cache_path(no_ev)} "
          f"(median retrieval+evidence {statistics.median(r['retrieve_s'] for r in rows):.2f}s)")


def load_cache(no_ev: bool) -> list[dict]:
    """Cached rows with Passage / Candidate objects rebuilt."""
    from qa.evidence import Candidate
    from qa.types import Passage

    path = cache_path(no_ev)
    if not path.is_file():
        sys.exit(f"no cache at {path}: run `python -m eval.tune_reader cache{' --no-ev' if no_ev else ''}` first")
    with open(path, "rb") as fh:
        rows = pickle.load(fh)
    for r in rows:
        r["passages"] = [Passage(**p) for p in r["passages"]]
        r["ranked"] = [Candidate(**c) for c in r["ranked"]]
    return rows


# -- spans cache (spaCy is the slow part; its output depends on the sentence text only) -----------------

class SpanCache:
    """Memoised `qa.spans.spans_many` keyed by text, kept on disk between runs."""

    def __init__(self, extractor: str) -> None:
        self.extractor = extractor
        self.path = CACHE / f"spacy-spans.pkl"
        self.data: dict[str, list] = {}
        if self.path.is_file():
            with open(self.path, "rb") as fh:
                self.data = pickle.load(fh)
        self.dirty = False
        self.seconds = 0.0
        self.texts = 0

    def __call__(self, texts):  # noqa: ANN001, ANN204
        from qa.spans import number_spans, regex_spans, spacy_model_spans

        if self.extractor == "regex":
            return [regex_spans(t) for t in texts]
        todo = [t for t in dict.fromkeys(texts) if t not in self.data]
        if todo:
            t0 = time.perf_counter()
            for t, spans in zip(todo, spacy_model_spans(todo)):
                self.data[t] = spans
            self.seconds += time.perf_counter() - t0
            self.texts += len(todo)
            self.dirty = True
        # only the model's spans are cached: the regex numbers are recomputed (they change while tuning)
        return [number_spans(t) + self.data[t] for t in texts]

    def save(self) -> None:
        if self.dirty:
            CACHE.mkdir(parents=True, exist_ok=True)
            with open(self.path, "wb") as fh:
                pickle.dump(self.data, fh)


class EmbedCache:
    """The real embedding model's vectors for short texts, memoised on disk (candidate phrases repeat)."""

    def __init__(self) -> None:
        self.path = CACHE / "phrase-vectors.pkl"
        self.data: dict = {}
        if self.path.is_file():
            with open(self.path, "rb") as fh:
                self.data = pickle.load(fh)
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
            with open(self.path, "wb") as fh:
                pickle.dump(self.data, fh)


# -- features, fitting, scoring ------------------------------------------------------------------

def idf_fn(row: dict):  # noqa: ANN201
    table = row["idf"]
    default = max(table.values()) if table else 1.0
    return lambda terms: {t: table.get(t, default) for t in terms}


def gold_match(text: str, answers: list[str]) -> tuple[float, float]:
    from eval.scoring import em_f1

    return em_f1(text, answers)


def prepare(rows: list[dict], extractor: str, top: int) -> list[dict]:
    """Candidates with features (weight-independent) and their EM/F1 against gold, per question."""
    from qa import reader

    spans = SpanCache(extractor)
    embed = EmbedCache() if not os.environ.get("READER_NO_EMBED") else None
    out = []
    for r in rows:
        q, cands = reader.candidates(r["question"], r["ranked"], r["passages"], r["as_of"], idf_fn(r),
                                     extractor=extractor, spans_fn=spans, top=top, embed=embed)
        em = [gold_match(c.text, r["answers"]) for c in cands]
        out.append(dict(row=r, q=q, cands=cands, em=[e for e, _ in em], f1=[f for _, f in em]))
    spans.save()
    if embed is not None:
        embed.save()
    return out


def matrix(cands, names) -> "np.ndarray":  # noqa: ANN001, F821
    import numpy as np

    return np.asarray([[c.features.get(k, 0.0) for k in names] for c in cands], dtype=float).reshape(len(cands), len(names))


def fit_softmax(groups: list[tuple["np.ndarray", "np.ndarray"]], names: tuple[str, ...], l2: float = 0.3) -> dict[str, float]:  # noqa: F821
    """Weights maximising the log softmax probability of the correct items in each group (L2-regularised)."""
    import numpy as np
    from scipy.optimize import minimize

    data = [(X, t / t.sum()) for X, t in groups if len(X) and t.sum() > 0]

    def loss(w):  # noqa: ANN001, ANN202
        total, grad = l2 * float(w @ w), 2 * l2 * w
        for X, t in data:
            s = X @ w
            s = s - s.max()
            p = np.exp(s)
            p /= p.sum()
            # cross-entropy against the target distribution t
            total -= float(t @ np.log(p + 1e-12))
            grad = grad + X.T @ (p - t)
        return total / len(data), grad / len(data)

    w0 = np.zeros(len(names))
    res = minimize(loss, w0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return {k: round(float(v), 3) for k, v in zip(names, res.x)}


def short_targets(item: dict) -> "np.ndarray":  # noqa: F821
    import numpy as np

    em, f1 = np.asarray(item["em"], float), np.asarray(item["f1"], float)
    if em.sum() > 0:
        return em
    return np.where(f1 >= 0.5, f1, 0.0)


def pick(item: dict, weights: dict[str, float]) -> tuple[str, object]:
    """The reader's short answer for a prepared item under the given weights (fallback: the first evidence sentence)."""
    from qa import reader

    r = item["row"]
    if item["q"].type == "yesno":
        return reader.yes_no(r["question"], r["ranked"], idf_fn(r)), None
    ranked = reader.score(item["cands"], weights)
    if not ranked:
        return (reader.short_from_text(r["ranked"][0].text) if r["ranked"] else ""), None
    return reader.without_question_unit(ranked[0].text, item["q"]), ranked[0]


def evaluate_short(items: list[dict], weights_by_week: dict[str, dict[str, float]]) -> list[dict]:
    from eval.scoring import em_f1, skipped_for_generation

    out = []
    for it in items:
        r = it["row"]
        if skipped_for_generation(r["question"]):
            continue
        text, _ = pick(it, weights_by_week[r["week"]])
        em, f1 = em_f1(text, r["answers"])
        out.append(dict(id=r["id"], week=r["week"], type=it["q"].type, pred=text, gold=r["answers"][0], em=em, f1=f1,
                        has=float(max(it["em"], default=0.0))))
    return out


def cross_fit_short(items: list[dict], l2: float) -> dict[str, dict[str, float]]:
    from qa.reader import FEATURES

    weeks = sorted({it["row"]["week"] for it in items})
    out = {}
    for wk in weeks:
        train = [(matrix(it["cands"], FEATURES), short_targets(it)) for it in items if it["row"]["week"] != wk]
        out[wk] = fit_softmax(train, FEATURES, l2)
    return out


def fit_all_short(items: list[dict], l2: float) -> dict[str, float]:
    from qa.reader import FEATURES

    return fit_softmax([(matrix(it["cands"], FEATURES), short_targets(it)) for it in items], FEATURES, l2)


def choice_search_scores(rows: list[dict], no_ev: bool, index: str) -> dict[str, list[float]]:
    """Best keyword-search score of 'question + choice' per choice, as of the question's date (cached)."""
    path = CACHE / f"choice-search{'-noev' if no_ev else ''}.pkl"
    if path.is_file():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    import numpy as np

    from qa import Assistant

    a = Assistant.open(index, **{"llm.enabled": False})
    ev = {r[0] for r in a.store.db.execute("SELECT c.id FROM chunks c WHERE c.article_id LIKE 'rtqa-ev-%'")} if no_ev else set()
    out = {}
    for r in rows:
        allowed = a.retriever.allowed_ids(a._request(r["question"], r["as_of"], None, None))
        if ev:
            allowed = np.asarray([i for i in allowed.tolist() if i not in ev], dtype=np.int64)
        out[r["id"]] = [max((s for _, s in a.retriever.keyword(f"{r['question']} {c}", 1, allowed)), default=0.0)
                        for c in r["choices"]]
    with open(path, "wb") as fh:
        pickle.dump(out, fh)
    return out


def choice_rows(rows: list[dict], no_ev: bool) -> dict[str, dict]:
    """Each question's row with the multiple-choice evidence (`build_choice_cache`) in place of the question's own."""
    from qa.evidence import Candidate
    from qa.types import Passage

    path = choice_cache_path(no_ev)
    if not path.is_file():
        sys.exit(f"no cache at {path}: run `python -m eval.tune_reader cache{' --no-ev' if no_ev else ''}` first")
    with open(path, "rb") as fh:
        pool = pickle.load(fh)
    out = {}
    for r in rows:
        p = pool[r["id"]]
        out[r["id"]] = dict(r, passages=[Passage(**d) for d in p["passages"]], ranked=[Candidate(**d) for d in p["ranked"]],
                            idf={**r["idf"], **p["idf"]})
    return out


def choice_items(items: list[dict], search: dict[str, list[float]] | None = None,
                 mc_rows: dict[str, dict] | None = None) -> list[dict]:
    """Choice features per question (the short-answer candidates feed the 'answer' features)."""
    from qa import reader

    out = []
    for it in items:
        r = (mc_rows or {}).get(it["row"]["id"], it["row"])
        cands = reader.score(it["cands"])  # shipped short-answer weights
        feats, supports = reader.choice_features(r["question"], r["choices"], r["ranked"], r["passages"], idf_fn(r),
                                                 cands, q=it["q"], search_scores=(search or {}).get(r["id"]))
        out.append(dict(row=r, feats=feats, supports=supports))
    return out


def choice_predict(ci: dict, weights: dict[str, float]) -> int | None:
    """The pick `qa.reader.choose` makes from these features (None when it would say no choice is supported)."""
    from qa import reader

    r = ci["row"]
    return reader.decide(r["question"], r["choices"], ci["feats"], ci["supports"], r["ranked"], idf_fn(r), weights).index


def choice_groups(cis: list[dict]):  # noqa: ANN201
    import numpy as np

    from qa.reader import CHOICE_FEATURES, NEGATED

    groups = []
    for ci in cis:
        r = ci["row"]
        if NEGATED.search(r["question"]):
            continue
        gold = r["gold_choice"] if isinstance(r["gold_choice"], list) else [r["gold_choice"]]
        X = np.asarray([[f[k] for k in CHOICE_FEATURES] for f in ci["feats"]], float)
        t = np.asarray([1.0 if i in gold else 0.0 for i in range(len(ci["feats"]))])
        groups.append((X, t))
    return groups


def cross_fit_choice(cis: list[dict], l2: float) -> dict[str, dict[str, float]]:
    from qa.reader import CHOICE_FEATURES

    weeks = sorted({ci["row"]["week"] for ci in cis})
    return {wk: fit_softmax(choice_groups([c for c in cis if c["row"]["week"] != wk]), CHOICE_FEATURES, l2) for wk in weeks}


def evaluate_choice(cis: list[dict], weights_by_week: dict[str, dict[str, float]]) -> list[dict]:
    from eval.scoring import choice_correct

    out = []
    for ci in cis:
        r = ci["row"]
        pred = choice_predict(ci, weights_by_week[r["week"]])
        out.append(dict(id=r["id"], week=r["week"], ok=float(choice_correct(pred, r["gold_choice"])), pred=pred))
    return out


def summarize(short: list[dict], choice: list[dict], title: str) -> None:
    n = len(short)
    em = 100 * sum(s["em"] for s in short) / n
    f1 = 100 * sum(s["f1"] for s in short) / n
    has = 100 * sum(s["has"] for s in short) / n
    acc = 100 * sum(c["ok"] for c in choice) / len(choice)
    print(f"{title}: short answers EM {em:.1f} / F1 {f1:.1f} (n={n}; a candidate equal to gold exists for {has:.1f}%)"
          f" | multiple choice accuracy {acc:.1f} (n={len(choice)})")


def per_type(short: list[dict]) -> None:
    by = defaultdict(list)
    for s in short:
        by[s["type"]].append(s)
    print(f"{'type':10} {'n':>4} {'EM':>6} {'F1':>6} {'cand=gold':>10}")
    for t, ss in sorted(by.items(), key=lambda kv: -len(kv[1])):
        n = len(ss)
        print(f"{t:10} {n:4d} {100 * sum(s['em'] for s in ss) / n:6.1f} {100 * sum(s['f1'] for s in ss) / n:6.1f}"
              f" {100 * sum(s['has'] for s in ss) / n:10.1f}")


def report(no_ev: bool, extractor: str, top: int, l2: float, show: bool = False, refit: bool = False,
           index: str = "") -> None:
    from qa import reader

    rows = load_cache(no_ev)
    t0 = time.perf_counter()
    items = prepare(rows, extractor, top)
    prep_s = time.perf_counter() - t0
    weeks = sorted({r["week"] for r in rows})
    shipped = {wk: reader.WEIGHTS for wk in weeks}
    held = cross_fit_short(items, l2)
    s_held = evaluate_short(items, held)
    search = None if os.environ.get("READER_APPROX") else choice_search_scores(rows, no_ev, index)
    cis = choice_items(items, search, choice_rows(rows, no_ev))
    c_held = cross_fit_choice(cis, l2)
    ch_held = evaluate_choice(cis, c_held)
    label = f"{'no rtqa-ev' if no_ev else 'full corpus'}, extractor={extractor}, top={top}"
    summarize(s_held, ch_held, f"[{label}] week-held-out (fit on 7 weeks, scored on the 8th)")
    summarize(evaluate_short(items, shipped), evaluate_choice(cis, {wk: reader.CHOICE_WEIGHTS for wk in weeks}),
              f"[{label}] shipped weights (fit on all 8 weeks: in-sample)")
    per_type(s_held)
    print(f"candidate preparation {prep_s:.1f}s for {len(rows)} questions")
    if show:
        for s in s_held:
            print(f"{s['id']:12} {s['type']:8} em={s['em']:.0f} f1={s['f1']:.2f} has={s['has']:.0f} | {s['pred']!r} vs {s['gold']!r}")
    if refit:
        print("short-answer WEIGHTS =", json.dumps(fit_all_short(items, l2)))
        from qa.reader import CHOICE_FEATURES
        print("CHOICE_WEIGHTS =", json.dumps(fit_softmax(choice_groups(cis), CHOICE_FEATURES, l2)))


# -- LLM likelihood of the top candidates --------------------------------------------------------------

LLM_PROMPT_CHAT = "Answer the question in a few words, using the evidence.\n\nEvidence:\n{evidence}\n\nQuestion: {question}"
LLM_PROMPT_PLAIN = ("Evidence: The city council voted on Tuesday to close the Main Street bridge for repairs until March. "
                    "Mayor Ann Lee said the repairs would cost $4 million.\nQuestion: How much will the bridge repairs cost?\n"
                    "Answer: $4 million\n\nEvidence: {evidence}\nQuestion: {question}\nAnswer:")


def llm_prompt(generator, question: str, sentences: list[str], plain: bool) -> str:  # noqa: ANN001
    evidence = " ".join(sentences) if plain else "\n".join(sentences)
    if plain:
        return LLM_PROMPT_PLAIN.format(evidence=evidence, question=question)
    msgs = [{"role": "user", "content": LLM_PROMPT_CHAT.format(evidence=evidence, question=question)}]
    # the model's own chat template, ending where the assistant's reply starts
    if not generator.llm.metadata.get("tokenizer.chat_template"):
        return LLM_PROMPT_PLAIN.format(evidence=evidence, question=question)
    return _chat(generator, msgs)


def _chat(generator, messages) -> str:  # noqa: ANN001
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    llm = generator.llm
    fmt = Jinja2ChatFormatter(template=llm.metadata["tokenizer.chat_template"], eos_token="", bos_token="")
    return fmt(messages=messages).prompt


def llm_scores(no_ev: bool, extractor: str, top: int, l2: float, model: str | None, k: int, n_sent: int) -> None:
    """Score the top-k candidates (week-held-out base ranking) by LLM likelihood; report with/without it."""
    import numpy as np

    from qa.config import LLMSettings
    from qa.generate import LlamaCppGenerator
    from qa.likelihood import continuation_logprobs
    from qa.reader import score

    rows = load_cache(no_ev)
    items = prepare(rows, extractor, top)
    held = cross_fit_short(items, l2)  # the feature ranking, week-held-out
    if os.environ.get("READER_WEEKS"):  # LLM-score a subset of weeks only, to bound its CPU time
        keep = set(os.environ["READER_WEEKS"].split(","))
        items = [it for it in items if it["row"]["week"] in keep]
    plain = bool(model) and "gemma" in Path(model).name.lower()
    gen = LlamaCppGenerator(LLMSettings(model_path=model or "", threads=int(os.environ.get("READER_LLM_THREADS", "2")), chat_format="plain" if plain else ""))
    name = Path(model).name if model else "SmolLM2-135M-Instruct"
    cache_file = CACHE / f"llm-{'noev' if no_ev else 'full'}-{name}-{k}-{n_sent}.pkl"
    done = pickle.load(open(cache_file, "rb")) if cache_file.is_file() else {}
    times = []
    for n, it in enumerate(items, 1):
        r = it["row"]
        ranked = score(it["cands"], held[r["week"]])[:k]
        it["top"] = ranked
        key = (r["id"], tuple(c.key for c in ranked))
        if key not in done and ranked:
            sents = [c.text for c in r["ranked"][:n_sent]]
            prompt = llm_prompt(gen, r["question"], sents, plain)
            t = time.perf_counter()
            done[key] = continuation_logprobs(gen, prompt, [(" " if plain else "") + c.text for c in ranked])
            times.append(time.perf_counter() - t)
            if n % 20 == 0:
                pickle.dump(done, open(cache_file, "wb"))
                print(f"{n}/{len(items)} median {statistics.median(times):.2f}s", file=sys.stderr)
        it["lp"] = done.get(key, [])
    pickle.dump(done, open(cache_file, "wb"))
    if times:
        print(f"LLM scoring: median {statistics.median(times):.2f}s per question ({name}, k={k}, {n_sent} sentences)")
    # rerank: base score + a * logprob_sum/len + b * (logprob - best logprob), a and b fit week-held-out
    from eval.scoring import em_f1, skipped_for_generation

    def feats(it):  # noqa: ANN001, ANN202
        base = np.asarray([c.score for c in it["top"]], float)
        lp = np.asarray([s for s, _ in it["lp"]], float)
        mean = np.asarray([s / max(n, 1) for s, n in it["lp"]], float)
        return np.stack([base - base.max(), lp - lp.max(), mean - mean.max()], axis=1)

    # Does the LLM pick better among the top-k than the feature ranking? (no weights fit: plain argmax)
    results = {"feature ranking (top 1)": [], "LLM sum log-prob among top-k": [], "LLM mean log-prob among top-k": []}
    for it in items:
        r = it["row"]
        if skipped_for_generation(r["question"]):
            continue
        base_pred = pick(it, held[r["week"]])[0]
        by_sum = by_mean = base_pred
        if it.get("lp") and it["q"].type != "yesno":
            lp = it["lp"]
            by_sum = it["top"][int(np.argmax([s for s, _ in lp]))].text
            by_mean = it["top"][int(np.argmax([s / max(n, 1) for s, n in lp]))].text
        for label, pred in zip(results, (base_pred, by_sum, by_mean)):
            results[label].append(em_f1(pred, r["answers"]))
    for label, res in results.items():
        print(f"[{name}] {label}: EM {100 * np.mean([e for e, _ in res]):.1f} / F1 {100 * np.mean([f for _, f in res]):.1f} "
              f"(n={len(res)}, weeks {','.join(sorted({it['row']['week'] for it in items}))})")


# -- speed: the whole Assistant per question -----------------------------------------------------------

def reader_speed(no_ev: bool, n: int) -> None:
    """Median seconds the reader itself takes per question (spaCy + features + candidate embeddings), warm models."""
    from qa import reader
    from qa.config import Settings
    from qa.embed import make_embedder

    rows = load_cache(no_ev)[:n]
    embed = make_embedder(Settings.load().embedding).embed
    r0 = rows[0]
    reader.short_answer(r0["question"], r0["ranked"], r0["passages"], r0["as_of"], idf_fn(r0), embed=embed)  # warm-up
    short, mc = [], []
    for r in rows:
        t = time.perf_counter()
        reader.short_answer(r["question"], r["ranked"], r["passages"], r["as_of"], idf_fn(r), embed=embed)
        short.append(time.perf_counter() - t)
        t = time.perf_counter()
        reader.choose(r["question"], r["choices"], r["ranked"], r["passages"], r["as_of"], idf_fn(r), embed=embed)
        mc.append(time.perf_counter() - t)
    retrieval = statistics.median(r["retrieve_s"] for r in load_cache(no_ev))
    print(f"reader alone over {len(rows)} questions: median {statistics.median(short):.2f}s per short answer, "
          f"{statistics.median(mc):.2f}s per multiple-choice pick; retrieval + evidence selection median {retrieval:.2f}s "
          f"(load average {os.getloadavg()[0]:.1f})")


def speed(index: str, n: int, llm: bool, no_ev: bool = False) -> None:
    """Median seconds per question through Assistant.ask: short answers, then multiple choice (first n questions)."""
    from qa import Assistant

    a = Assistant.open(index, **{"llm.enabled": llm, "llm.threads": 2})
    qs = load_questions()[:n]
    a.ask(qs[0]["question"], as_of=qs[0]["as_of"])  # warm-up: models load once per process
    a.ask(qs[0]["question"], as_of=qs[0]["as_of"], choices=qs[0]["choices"])
    short, mc, reader_s = [], [], []
    for q in qs:
        t = time.perf_counter()
        a.ask(q["question"], as_of=q["as_of"])
        short.append(time.perf_counter() - t)
        t = time.perf_counter()
        a.ask(q["question"], as_of=q["as_of"], choices=q["choices"])
        mc.append(time.perf_counter() - t)
    print(f"Assistant.ask over {len(qs)} DEV questions (llm.enabled={llm}, 2 threads): median {statistics.median(short):.2f}s "
          f"per short answer, {statistics.median(mc):.2f}s per multiple-choice question "
          f"(load average {os.getloadavg()[0]:.1f} while measuring)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.tune_reader", description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["cache", "choice-cache", "report", "fit", "llm", "speed"])
    p.add_argument("--no-ev", action="store_true", help="quiz-evidence paragraphs (rtqa-ev-*) removed from retrieval")
    p.add_argument("--index", default=str(REPO / "index" / "dev"))
    p.add_argument("--limit", type=int)
    p.add_argument("--extractor", default="spacy", choices=["spacy", "regex"])
    p.add_argument("--top", type=int, default=25, help="evidence sentences the reader reads")
    p.add_argument("--l2", type=float, default=0.3)
    p.add_argument("--with-llm", action="store_true", help="speed: with the LLM phrasing the full answer")
    p.add_argument("--show", action="store_true", help="print every question's prediction")
    p.add_argument("--k", type=int, default=5, help="llm: candidates scored per question")
    p.add_argument("--sentences", type=int, default=4, help="llm: evidence sentences in the prompt")
    p.add_argument("--model", help="GGUF for the llm command (default SmolLM2-135M-Instruct)")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.command == "cache":
        build_cache(args.index, args.no_ev, args.limit, approx=bool(os.environ.get("READER_APPROX")))
        build_choice_cache(args.index, args.no_ev)
    elif args.command == "choice-cache":
        build_choice_cache(args.index, args.no_ev)
    elif args.command in ("report", "fit"):
        report(args.no_ev, args.extractor, args.top, args.l2, show=args.show, refit=args.command == "fit",
               index=args.index)
    elif args.command == "speed":
        reader_speed(args.no_ev, args.limit or 30)
        speed(args.index, args.limit or 30, args.with_llm)
    elif args.command == "llm":
        llm_scores(args.no_ev, args.extractor, args.top, args.l2, args.model, args.k, args.sentences)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
