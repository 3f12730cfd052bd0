"""The short answer: the best-ranked candidate phrase (ranker.py), or for yes/no and true/false questions the
verdict of `judge` with the sentence that states the claim. The phrase is always text of an evidence sentence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..text.tokens import TOKEN, content_words, stem
from .candidates import Phrase
from .evidence import Idf, Pool, Sentence, uniform_idf
from .question import TRUE_FALSE, QuestionInfo
from .ranker import candidates


@dataclass
class ShortAnswer:
    """The short answer phrase, the evidence sentence it was read from, the expected type and the score."""

    text: str
    candidate: Sentence
    type: str
    score: float
    alternatives: list[Phrase] = field(default_factory=list)


def without_question_unit(text: str, q: QuestionInfo) -> str:
    """'187' for 'how many minutes …?' when the phrase read is '187 minutes': the quiz answer does not repeat the unit
    the question names."""
    if q.type not in {"number", "duration"} or not q.unit:
        return text
    toks = text.split()
    if len(toks) > 1 and any(ch.isdigit() for ch in " ".join(toks[:-1])) and stem(toks[-1].lower()) == stem(q.unit.lower()):
        return " ".join(toks[:-1])
    return text


def short_answer(pool: Pool, weights: dict[str, float] | None = None, reading: Any = None) -> ShortAnswer | None:
    """The best-ranked answer phrase with the sentence it came from, or None when no candidate fits.

    ``reading``: the language model's answer (qa/answer/model.py), a feature of the ranking when given."""
    question = pool.question
    q, ranked_cands = candidates(pool, weights=weights, reading=reading)
    if q.type == "yesno":
        verdict, sentence = judge(question, pool.sentences, pool.idf)
        if not TRUE_FALSE.search(question) and reading is not None and reading.sentence is not None:
            return ShortAnswer("", reading.sentence, q.type, 1.0)  # the statement the model's answer was read from
        if sentence is None:
            return None
        if not TRUE_FALSE.search(question):  # "Will X ...?": no one-word answer; the sentence stating it leads
            return ShortAnswer("", sentence, q.type, 1.0 if verdict == "TRUE" else 0.0)
        return ShortAnswer(verdict, sentence, q.type, 0.0)
    if not ranked_cands:
        return None
    best = ranked_cands[0]
    best.text = without_question_unit(best.text, q)
    support = max((m for m in best.mentions if not m.in_title), key=lambda m: m.sentence.score, default=best.mentions[0])
    return ShortAnswer(best.text, support.sentence, q.type, best.score, ranked_cands[:5])


def judge(question: str, ranked: Sequence[Sentence], idf: Idf = uniform_idf, top: int = 10,
          threshold: float = 0.6) -> tuple[str, Sentence | None]:
    """'TRUE' when one of the best sentences states the claim (its rare words and every number), else 'FALSE'."""
    claim = re.sub(r"^.*?\btrue or false\b\s*[:?.-]?\s*", "", question, flags=re.I | re.S)
    terms = sorted(set(content_words(claim)))
    w = idf(terms)
    total = sum(w.get(t, 1.0) for t in terms) or 1.0
    nums = set(re.findall(r"\d[\d,.]*\d|\d", claim))
    best, best_c = 0.0, None
    for c in ranked[:top]:
        have = set(content_words(c.text))
        toks = TOKEN.findall(c.text.lower())
        have |= {stem(a + b) for a, b in zip(toks, toks[1:])}  # 'smart phone' covers 'smartphone'
        cover = sum(w.get(t, 1.0) for t in terms if t in have) / total
        if nums and not all(n in c.text for n in nums):
            cover *= 0.5
        if cover > best:
            best, best_c = cover, c
    return ("TRUE" if best >= threshold else "FALSE"), best_c


def yes_no(question: str, ranked: Sequence[Sentence], idf: Idf = uniform_idf) -> str:
    """The verdict of `judge` alone."""
    return judge(question, ranked, idf)[0]


def short_from_text(text: str) -> str:
    """The phrase used for scoring when no typed short answer is found: the first sentence, unmarked."""
    return text.split(". ")[0].strip().rstrip(".")


