"""Per-question metrics and their aggregation (definitions: eval/README.md).

A metric that does not apply to a question is None in its record and is left out of that metric's mean.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from qa.answer.cite import MARKER, parse_claims, supports
from qa.config import AnswerSettings
from qa.types import Answer, Passage

from .gold import GoldQuestion
from .scoring import choice_correct, contains_gold, em_f1, skipped_for_generation

HIT_KS = (1, 5, 10)
# The assistant may open an answer with 'As of 2022-06-20, ...': a framing backed by the passages' dates, not by
# the cited sentence, so it is cut before the support test (its digits would fail the number check).
_AS_OF = re.compile(r"^As of \d{4}-\d{2}-\d{2},\s*")
# The yardstick is the lexical part of the pipeline's own test at its default thresholds, without embeddings and
# without speaker aliases: tuning the pipeline's settings must not move it.
_YARDSTICK = AnswerSettings()


# -- free text ------------------------------------------------------------------------------------

def plain_text(text: str) -> str:
    """Answer text without its [n] markers."""
    return " ".join(MARKER.sub(" ", text).split())


def answer_metrics(gold: GoldQuestion, answer: Answer) -> dict[str, Any]:
    """Metrics of the free-text answer: EM/F1/contains-gold (RealTimeQA) or answers_any correctness (seed)."""
    m: dict[str, Any] = {"abstained": bool(answer.abstained), "answerable": gold.answerable}
    text = plain_text(answer.text) if not answer.abstained else ""
    if gold.format == "rtqa":
        scored = not skipped_for_generation(gold.question) and bool(gold.answers)
        if scored:
            m["em"], m["f1"] = em_f1(answer.short or "", gold.answers)
            m["contains_gold"] = float(contains_gold(text, gold.answers))
            m["cited_gold"] = float(any(contains_gold(c.sentence, gold.answers) for c in answer.citations))
            m["passages_gold"] = float(any(contains_gold(f"{p.title} {p.text}", gold.answers) for p in answer.passages))
            m["failure"] = failure_kind(m)
        else:
            m["em"] = m["f1"] = m["contains_gold"] = m["cited_gold"] = m["passages_gold"] = m["failure"] = None
    else:
        m["seed_correct"] = float(seed_correct(gold, answer))
        m["seed_short"] = float(seed_correct(gold, answer, short=True))
        if gold.answerable and gold.support:
            m["cited_support"] = float(any(s in c.passage_text for c in answer.citations for s in gold.support))
    m.update(citation_metrics(answer))
    m.update(retrieval_metrics(gold.evidence_id, answer.passages))
    return m


FAILURES = {
    "abstained": "abstained",
    "not_retrieved": "gold text in no retrieved passage",
    "not_in_answer": "gold text retrieved, not in the answer",
    "short_wrong": "gold text in the answer, short answer not exact",
}


def failure_kind(m: dict[str, Any]) -> str | None:
    """Where a free-text RealTimeQA answer that is not an exact match went wrong (None when EM = 1)."""
    if m["em"] == 1.0:
        return None
    if m["abstained"]:
        return "abstained"
    if not m["passages_gold"]:
        return "not_retrieved"
    return "short_wrong" if m["contains_gold"] else "not_in_answer"


def seed_correct(gold: GoldQuestion, answer: Answer, short: bool = False) -> bool:
    """Seed rule: an unanswerable question must be abstained on; otherwise the answer (with ``short``: Answer.short,
    the phrase itself) contains an answers_any string."""
    if not gold.answerable:
        return bool(answer.abstained)
    if answer.abstained:
        return False
    low = (answer.short if short else plain_text(answer.text)).lower()
    return any(a.lower() in low for a in gold.answers_any)


# -- citations ------------------------------------------------------------------------------------

def citation_metrics(answer: Answer) -> dict[str, Any]:
    """Citation recall and precision counts, after ALCE (Gao et al., 2023), with `supported` as the support test.

    A sentence is supported when the union of the sentences it cites supports it (recall). A citation is precise
    when it supports its sentence alone, or when the union supports the sentence and stops doing so without it.
    """
    empty = {"cit_pairs": None, "cit_supported": None, "sentences": None, "sentences_supported": None,
             "cit_precision": None, "cit_recall": None}
    if answer.abstained:
        return empty
    by_n = {c.n: c.sentence for c in answer.citations}
    claims = parse_claims(_AS_OF.sub("", answer.text))
    if not claims:
        return empty
    pairs = precise = good_sentences = 0
    for claim in claims:
        cited = {n: by_n[n] for n in claim.cites if n in by_n}
        whole = bool(cited) and supported(claim.text, list(cited.values()))
        good_sentences += whole
        for n in claim.cites:
            pairs += 1
            if n not in cited:
                continue
            rest = [t for k, t in cited.items() if k != n]
            if supported(claim.text, [cited[n]]) or (whole and not (rest and supported(claim.text, rest))):
                precise += 1
    return {"cit_pairs": pairs, "cit_supported": precise, "sentences": len(claims), "sentences_supported": good_sentences,
            "cit_precision": precise / pairs if pairs else None, "cit_recall": good_sentences / len(claims)}


def supported(sentence: str, cited: Sequence[str]) -> bool:
    """The yardstick: `qa.cite.supports` at default thresholds, lexical only, hyphens read as spaces on both sides.

    Hyphens are split because the pipeline's name check reads 'Four-time' as one name but the cited text as the
    words 'four' and 'time', which would fail every sentence opening with a hyphenated word.
    """
    unhyphen = lambda t: t.replace("-", " ").replace("‑", " ")  # noqa: E731
    return supports(unhyphen(sentence), [unhyphen(c) for c in cited], _YARDSTICK)[0]


# -- retrieval ------------------------------------------------------------------------------------

def article_ranking(passages: Sequence[Passage]) -> list[set[str]]:
    """Distinct articles in passage order; each entry also holds the near-duplicates collapsed into it."""
    out: list[set[str]] = []
    seen: set[str] = set()
    for p in passages:
        if p.article_id in seen:
            continue
        ids = {p.article_id, *p.duplicates}
        seen |= ids
        out.append(ids)
    return out


def retrieval_metrics(evidence_id: str | None, passages: Sequence[Passage]) -> dict[str, Any]:
    """hit@k and reciprocal rank of the evidence article among the distinct retrieved articles."""
    if not evidence_id:
        return {**{f"hit@{k}": None for k in HIT_KS}, "rr": None, "evidence_rank": None}
    rank = next((i for i, ids in enumerate(article_ranking(passages), 1) if evidence_id in ids), None)
    out: dict[str, Any] = {f"hit@{k}": float(rank is not None and rank <= k) for k in HIT_KS}
    out["rr"] = 1.0 / rank if rank else 0.0
    out["evidence_rank"] = rank
    return out


# -- multiple choice ------------------------------------------------------------------------------

def choice_metrics(gold: GoldQuestion, answer: Answer) -> dict[str, Any]:
    """Multiple choice: correct when Answer.choice equals gold_choice (None = no choice = wrong)."""
    if not gold.choices or gold.gold_choice is None:
        return {"mc_correct": None, "mc_none": None}
    return {"mc_correct": float(choice_correct(answer.choice, gold.gold_choice)), "mc_none": float(answer.choice is None)}


# -- aggregation ----------------------------------------------------------------------------------

# name → (how it aggregates, the per-question key(s)); 'mean' averages non-None values, 'ratio' pools counts.
METRICS: dict[str, tuple[str, Any]] = {
    "em": ("mean", "em"),
    "f1": ("mean", "f1"),
    "contains_gold": ("mean", "contains_gold"),
    "cited_gold": ("mean", "cited_gold"),
    "passages_gold": ("mean", "passages_gold"),
    "seed_correct": ("mean", "seed_correct"),
    "seed_short_correct": ("mean", "seed_short"),
    "cited_support": ("mean", "cited_support"),
    "mc_accuracy": ("mean", "mc_correct"),
    "mc_none": ("mean", "mc_none"),
    "hit@1": ("mean", "hit@1"),
    "hit@5": ("mean", "hit@5"),
    "hit@10": ("mean", "hit@10"),
    "mrr": ("mean", "rr"),
    "citation_precision": ("ratio", ("cit_supported", "cit_pairs")),
    "citation_recall": ("ratio", ("sentences_supported", "sentences")),
    "abstention_accuracy": ("abstain", False),  # share abstained among unanswerable questions
    "false_abstention": ("abstain", True),  # share abstained among answerable questions
}


def aggregate(metric_rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, float | int | None]]:
    """{metric: {'value': mean or pooled ratio (None when no question applies), 'n': questions counted}}."""
    rows = list(metric_rows)
    out: dict[str, dict[str, float | int | None]] = {}
    for name, (kind, key) in METRICS.items():
        if kind == "mean":
            vals = [r[key] for r in rows if r.get(key) is not None]
            out[name] = {"value": sum(vals) / len(vals) if vals else None, "n": len(vals)}
        elif kind == "ratio":
            num_key, den_key = key
            used = [r for r in rows if r.get(den_key) is not None]
            num, den = sum(r[num_key] for r in used), sum(r[den_key] for r in used)
            out[name] = {"value": num / den if den else None, "n": len(used)}
        else:
            used = [r for r in rows if r.get("answerable") is key and r.get("abstained") is not None]
            out[name] = {"value": sum(bool(r["abstained"]) for r in used) / len(used) if used else None, "n": len(used)}
    return out


def failures(metric_rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many exact-match failures of each kind (see FAILURES)."""
    counts = dict.fromkeys(FAILURES, 0)
    for r in metric_rows:
        if r.get("failure"):
            counts[r["failure"]] += 1
    return counts


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile with linear interpolation between closest ranks (numpy's default)."""
    vals = sorted(values)
    if not vals:
        return None
    pos = (len(vals) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(vals) - 1)
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)


def latency(timing_rows: Iterable[dict[str, float]]) -> dict[str, dict[str, float | int | None]]:
    """p50/p95 (seconds) of every stage that appears in the timings."""
    rows = [t for t in timing_rows if t]
    stages = list(dict.fromkeys(k for t in rows for k in t))
    return {s: {"p50": percentile([t[s] for t in rows if s in t], 50), "p95": percentile([t[s] for t in rows if s in t], 95),
                "n": sum(s in t for t in rows)} for s in stages}


def tokens_per_second(records: Iterable[dict[str, Any]]) -> dict[str, float | int | None]:
    """Completion tokens over generation seconds, pooled over the answers that called the model."""
    tok = secs = n = 0
    for r in records:
        t, k = r.get("timings") or {}, r.get("tokens") or {}
        if t.get("generate") and k.get("completion") is not None:
            tok += k["completion"]
            secs += t["generate"]
            n += 1
    return {"value": tok / secs if secs else None, "completion_tokens": tok, "generate_s": round(secs, 3), "n": n}
