"""The short-answer ranker: features of each candidate phrase, and a linear score over them.

Features do not depend on the answers of any set: type fit, the sentence's evidence score and rank, closeness to
the question's rare words in the same sentence, agreement across sentences and articles, the head noun next to
the span, recency against as_of, how rare the words are, how candidates nest. The weights are data, not code:
`weights.json` beside this file, written by the fitting command (`python -m eval.fit.reader`), which records
what they were fit on.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..text.dates import is_recent, parse_iso
from ..text.tokens import TOKEN, content_words, stem
from ..types import Passage
from .candidates import Phrase, gather, in_question
from .evidence import Embed, Idf, Pool
from .question import QuestionInfo, analyse, ask_clause
from .spans import UNITS, place_kind

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
RECENT_DAYS = 7  # the 'recent' feature: published at most this many days before as_of


@lru_cache(maxsize=4)
def load_weights(path: Path = WEIGHTS_FILE) -> dict[str, Any]:
    """The fitted parameters file: {'short': {...}, 'choice': {...}, 'fit': what they were fit on}."""
    from ..errors import ConfigError

    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"reader weights {path} cannot be read ({exc}): restore it from the repository, "
                          "or refit with `python -m eval.fit.reader fit`") from None


def short_weights() -> dict[str, float]:
    """The short-answer ranking's weights."""
    return load_weights()["short"]


def type_fit(qtype: str, label: str, text: str, unit: str = "") -> float:
    """How well a span of this label fits the expected answer type (0..1)."""
    if label == "PAIR":
        parts = re.split(r"\s+(?:and|&)\s+", text)
        return min(type_fit(qtype, "GPE" if place_kind(p) else "NAME", p, unit) for p in parts)
    kind = place_kind(text)
    low = text.lower()
    has_digit = any(ch.isdigit() for ch in text)
    if qtype == "person":
        return {"PERSON": 1.0, "NAME": 0.5, "ORG": 0.15, "NORP": 0.1}.get(label, 0.0) if not kind else 0.0
    if qtype == "org":
        return {"ORG": 1.0, "NAME": 0.5, "PRODUCT": 0.5, "FAC": 0.4, "WORK": 0.2, "PERSON": 0.1, "NP": 0.1}.get(label, 0.0) if not kind else 0.05
    if qtype == "country":
        return 1.0 if kind == "country" else 0.2 if label in {"GPE", "NORP"} else 0.0
    if qtype == "state":
        return 1.0 if kind == "state" else 0.2 if label == "GPE" else 0.0
    if qtype == "city":
        return 0.3 if kind == "country" else 0.6 if kind == "state" else 1.0 if label == "GPE" else 0.5 if label in {"LOC", "FAC"} else 0.2 if label == "NAME" else 0.0
    if qtype == "place":
        return 1.0 if label in {"GPE", "LOC"} else 0.7 if label == "FAC" else 0.4 if label in {"NAME", "ORG"} else 0.1 if label == "NP" else 0.0
    if qtype == "number":
        if label == "QUANTITY":
            return 1.0 if unit and unit in low else 0.6
        return {"NUMBER": 0.8, "MONEY": 0.2, "PERCENT": 0.1, "DATE": 0.1}.get(label, 0.0)
    if qtype == "money":
        return {"MONEY": 1.0, "NUMBER": 0.3}.get(label, 0.0)
    if qtype == "percent":
        return {"PERCENT": 1.0, "NUMBER": 0.2}.get(label, 0.0)
    if qtype == "date":
        return 1.0 if label == "DATE" and re.fullmatch(r"(1[89]|20)\d\d", text) else 0.6 if label == "DATE" else 0.1 if label == "NUMBER" else 0.0
    if qtype == "duration":
        if label == "QUANTITY":
            return (1.0 if not unit or unit.rstrip("s") in low else 0.7) if any(u in low.split() for u in UNITS["time"]) else 0.3
        return {"DATE": 0.5, "NUMBER": 0.3, "TIME": 0.5}.get(label, 0.0)
    if qtype == "title":
        return {"WORK": 1.0, "EVENT": 0.8, "PRODUCT": 0.7, "NAME": 0.7, "LAW": 0.7, "ORG": 0.5, "PERSON": 0.2, "NP": 0.2}.get(label, 0.0)
    if qtype == "yesno":
        return 0.0
    # a common-noun phrase
    if has_digit:
        return 0.05
    return {"NP": 1.0, "PRODUCT": 0.8, "NAME": 0.6, "EVENT": 0.6, "NORP": 0.5, "WORK": 0.5, "ORG": 0.4, "GPE": 0.2,
            "LOC": 0.3, "FAC": 0.4, "PERSON": 0.1, "LAW": 0.4, "DATE": 0.05}.get(label, 0.0)


def positions(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), stem(m.group(0))) for m in TOKEN.finditer(text)]


def featurize(q: QuestionInfo, cands: list[Phrase], passages: Sequence[Passage], as_of: str | None,
              weights_idf: dict[str, float], embed: Embed | None = None) -> None:
    """Fill each candidate's feature dict (values roughly 0..1)."""
    sims = _similarities(q, cands, embed)
    total_idf = sum(weights_idf.get(t, 1.0) for t in set(q.terms)) or 1.0
    pos_cache: dict[int, list[tuple[int, int, str]]] = {}
    ref = parse_iso(as_of)
    head = q.head
    for c in cands:
        f = dict.fromkeys(FEATURES, 0.0)
        fits = {lab: type_fit(q.type, lab, c.text, q.unit) for lab in (c.labels or {c.label: 1})}
        n_lab = sum((c.labels or {c.label: 1}).values())
        f["type"] = max(fits.values())
        f["type_mean"] = sum(fits[lab] * k for lab, k in (c.labels or {c.label: 1}).items()) / n_lab
        sent_scores: dict[tuple[str, int], float] = {}
        arts: set[str] = set()
        best_rank = 10_000
        for m in c.mentions:
            s = m.sentence
            if m.in_title:
                f["title"] = 1.0
                arts.add(s.article_id)
                best_rank = min(best_rank, m.rank)
                continue
            sent_scores[(s.article_id, s.start)] = s.score
            arts.add(s.article_id)
            best_rank = min(best_rank, m.rank)
            f["best"] = max(f["best"], s.score)
            toks = pos_cache.setdefault(id(s), positions(s.text))
            a = next((i for i, t in enumerate(toks) if t[1] > m.span.start), len(toks))
            b = next((i for i, t in enumerate(toks) if t[0] >= m.span.end), len(toks))
            near, seen = 0.0, set()
            for i, (_, _, st) in enumerate(toks):
                if a <= i < b or st not in q.terms or st in seen:
                    continue
                seen.add(st)
                d = a - i if i < a else i - b + 1
                near += weights_idf.get(st, 1.0) / (1.0 + d / 4.0)
            f["near"] = max(f["near"], near / total_idf)
            tight = {st for _, _, st in toks[max(0, a - 3): a] + toks[b: b + 3] if st in q.terms}
            f["tight"] = max(f["tight"], sum(weights_idf.get(st, 1.0) for st in tight) / total_idf)
            if head:
                window = [t[2] for t in toks[max(0, a - 4): b + 4]]
                if head in window:
                    f["head"] = 1.0
            numeric = any(ch.isdigit() for ch in c.text) or c.label in {"NUMBER", "QUANTITY", "MONEY", "PERCENT"}
            if numeric and q.unit and q.unit.rstrip("s") in (c.text + " " + s.text[m.span.end: m.span.end + 25]).lower():
                f["unit"] = 1.0
            p = passages[s.passage_index] if s.passage_index < len(passages) else None
            if p is not None and is_recent(p.published, ref, RECENT_DAYS):
                f["recent"] = 1.0
            f["prank"] = max(f["prank"], 1.0 / (1.0 + s.passage_index))
            before, after = s.text[max(0, m.span.start - 1): m.span.start], s.text[m.span.end: m.span.end + 1]
            if before in "\"“‘'" and before and after in "\"”’'" and after:
                f["quoted"] = 1.0  # 'the city of "Taiyuan"', a show's “title”
        f["rank"] = 1.0 / (1.0 + best_rank) if best_rank < 10_000 else 0.0
        f["sum"] = math.log1p(sum(sent_scores.values()))
        f["articles"] = math.log1p(len(arts))
        f["mentions"] = math.log1p(len(sent_scores))
        f["qover"] = in_question(c.text, q)
        n = len(c.text.split())
        f["len1"] = 1.0 if n == 1 else 0.0
        f["len"] = min(n, 6) / 6.0
        f["cap"] = 1.0 if c.text[:1].isupper() else 0.0
        f["pair"] = 1.0 if c.label == "PAIR" else 0.0
        f["country"] = 1.0 if place_kind(c.text) == "country" else 0.0  # 'where ...?' is more often a city or a site
        f["round"] = 1.0 if q.approx and _is_round(c.text) else 0.0
        if sims is not None:
            f["sim_kind"], f["sim_q"] = sims[c.key]
        f["type_best"] = f["type"] * f["best"]
        f["type_near"] = f["type"] * f["near"]
        c.features = f
    _nesting(cands)


def _specificity(cands: list[Phrase], idf: Idf | None) -> None:
    """How rare the candidate's words are in the index ('mustard' over 'food', 'witch' over 'costumes'): the mean and
    the lowest IDF of its content words, on a 0..1 scale (IDF 10 ~ a word found once in 20,000 chunks)."""
    if idf is None:
        return
    bags = [content_words(c.text) or [c.key] for c in cands]
    table = idf(sorted({t for b in bags for t in b}))
    for c, bag in zip(cands, bags):
        vals = [min(table.get(t, 10.0), 10.0) / 10.0 for t in bag]
        c.features["spec"] = sum(vals) / len(vals)
        c.features["spec_min"] = min(vals)


def _nesting(cands: list[Phrase]) -> None:
    """How candidates nest: 'Rolls-Royce' inside 'Rolls-Royce Spectre' and 'Phantom Rolls-Royce' (the shared core),
    'Title 42' around 'Title' (a longer form that adds a number)."""
    keys = [f" {c.key} " for c in cands]
    for c, k in zip(cands, keys):
        inside = [o for o in keys if o != k and k in o]
        around = [o for o in keys if o != k and o in k]
        c.features["inner"] = math.log1p(len(inside))
        c.features["outer"] = 1.0 if around else 0.0
        c.features["outer_digit"] = 1.0 if any(re.search(r"\d", k.replace(o.strip(), "")) for o in around) else 0.0


FEATURES = ("type", "best", "rank", "near", "head", "unit", "recent", "prank", "sum", "articles", "mentions", "title",
            "qover", "len1", "len", "cap", "type_best", "type_near", "pair", "type_mean", "round", "sim_kind", "sim_q",
            "inner", "outer", "outer_digit", "spec", "spec_min", "tight", "quoted", "country")



def _similarities(q: QuestionInfo, cands: list[Phrase], embed: Embed | None) -> dict[str, tuple[float, float]] | None:
    """Embedding cosine of each candidate with what the question asks for ('festive crop') and with the question."""
    if embed is None or not cands:
        return None
    kind = q.kind or ask_clause(q.text)
    vecs = embed([kind, ask_clause(q.text)] + [c.text for c in cands])
    return {c.key: (float(vecs[i + 2] @ vecs[0]), float(vecs[i + 2] @ vecs[1])) for i, c in enumerate(cands)}


def _is_round(text: str) -> bool:
    """'10,000', '3 million', '$300,000', '2.5 million': the numbers a quiz rounds to."""
    m = re.search(r"(\d[\d,]*(?:\.\d+)?)\s*(million|billion|trillion|thousand|bn|m|k)?\b", text.lower())
    if not m:
        return False
    digits = m.group(1).replace(",", "")
    if m.group(2):
        return len(digits.replace(".", "")) <= 2
    return bool(re.fullmatch(r"[1-9]\d?0+", digits)) and len(digits) >= 3


def score(cands: list[Phrase], weights: dict[str, float] | None = None) -> list[Phrase]:
    """Candidates sorted by their linear score, best first."""
    w = weights or short_weights()
    for c in cands:
        c.score = sum(w.get(k, 0.0) * v for k, v in c.features.items())
    return sorted(cands, key=lambda c: (-c.score, c.key))


def candidates(pool: Pool, *, q: QuestionInfo | None = None, top: int = 25, weights: dict[str, float] | None = None,
               reading: Any = None, stack: dict[str, float] | None = None) -> tuple[QuestionInfo, list[Phrase]]:
    """The analysed question and its scored answer candidates, best first.

    ``reading`` (qa/answer/model.py): the language model's answer; the evidence span it matches joins the
    candidates, and the final score stacks the model features on the feature ranking's score (``stack``:
    the 'short_model' weights, fit on TRAIN like the others).
    """
    from . import model

    q = q or analyse(pool.question)
    cands = gather(q, pool, top=top)
    if reading is not None and reading.span and reading.sentence is not None:
        add_span(cands, reading, pool)
    featurize(q, cands, pool.passages, pool.as_of, pool.idf(sorted(set(q.terms))), pool.embed)
    _specificity(cands, pool.idf)
    ranked = score(cands, weights)
    if reading is None:
        return q, ranked
    model.features(cands, reading)
    return q, stacked(cands, stack if stack is not None else load_weights().get("short_model", {}))


def stacked(cands: list[Phrase], stack: dict[str, float]) -> list[Phrase]:
    """Candidates re-scored as w_base * (feature-ranking score) + the weighted model features, best first."""
    from .model import MODEL_FEATURES

    if not stack:
        return sorted(cands, key=lambda c: (-c.score, c.key))
    for c in cands:
        c.features["base"] = c.score
        c.score = stack.get("base", 1.0) * c.score + sum(stack.get(k, 0.0) * c.features.get(k, 0.0) for k in MODEL_FEATURES)
    return sorted(cands, key=lambda c: (-c.score, c.key))


def add_span(cands: list[Phrase], reading: Any, pool: Pool) -> None:
    """The evidence span the model's answer matches, as a candidate (or one more mention of an equal one)."""
    from .candidates import Mention, phrase_key
    from .spans import Span

    s = reading.sentence
    rank = next((i for i, x in enumerate(pool.sentences) if x.article_id == s.article_id and x.start == s.start), 0)
    key = phrase_key(reading.span)
    if not key:
        return
    mention = Mention(s, rank, Span(reading.start, reading.end, reading.span, "SPAN"))
    found = next((c for c in cands if c.key == key), None)
    if found is None:
        cands.append(Phrase(reading.span, key, "SPAN", [mention], labels={"SPAN": 1}))
    elif not any(m.sentence is s for m in found.mentions):
        found.mentions.append(mention)
