"""The reader: short answers and multiple choice picked from the evidence, without trusting the LLM.

This first version is deliberately simple: the short answer is the first verified answer sentence, and a
choice is scored by how much of its distinctive wording the best evidence sentences contain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .evidence import Candidate
from .textutil import content_words


@dataclass
class ChoiceResult:
    """The picked choice (None = none is supported), the candidate sentence behind it, and every score."""

    index: int | None
    support: Candidate | None
    scores: list[float] = field(default_factory=list)


def short_from_text(text: str) -> str:
    """The phrase used for scoring when no typed short answer is found: the first sentence, unmarked."""
    return text.split(". ")[0].strip().rstrip(".")


def choose(question: str, choices: Sequence[str], candidates: Sequence[Candidate], top: int = 12,
           min_score: float = 0.15) -> ChoiceResult:
    """Score each choice by the relevance-weighted share of its own words found in the best sentences."""
    q_words = set(content_words(question))
    best = list(candidates)[:top]
    scores: list[float] = []
    supports: list[Candidate | None] = []
    for choice in choices:
        own = [w for w in content_words(choice) if w not in q_words] or content_words(choice)
        best_score, best_cand = 0.0, None
        for c in best:
            have = set(content_words(c.text))
            share = sum(w in have for w in own) / len(own) if own else 0.0
            s = share * c.relevance
            if s > best_score:
                best_score, best_cand = s, c
        scores.append(best_score)
        supports.append(best_cand)
    if not scores or max(scores) < min_score:
        return ChoiceResult(None, None, scores)
    i = max(range(len(scores)), key=lambda k: scores[k])
    return ChoiceResult(i, supports[i], scores)
