"""RealTimeQA's official scoring rule (scripts/evaluate_main.py + scripts/utils/tools.py), reproduced exactly.

normalize: lowercase; delete every ASCII punctuation character; delete the counters 年 歳 人 년; collapse whitespace.
Articles (a/an/the) are NOT removed (unlike SQuAD).
Gold strings: the gold choice text(s); several gold choices are joined with a space in every order.
EM and F1 are the max over gold strings. Questions whose lower-cased, stripped text has 'except' in its last 10
characters are skipped for EM/F1 (not for multiple-choice accuracy).
"""

from __future__ import annotations

import itertools
import string
from collections import Counter
from collections.abc import Sequence

_PUNCT = set(string.punctuation)
_COUNTERS = ("年", "歳", "人", "년")


def normalize(text: str) -> str:
    """RealTimeQA answer normalisation."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    for c in _COUNTERS:
        text = text.replace(c, "")
    return " ".join(text.split())


def gold_strings(answers: Sequence[str]) -> list[str]:
    """Every gold string: one answer as is, several joined with a space in every order."""
    answers = [a for a in answers if a is not None]
    if len(answers) <= 1:
        return list(answers)
    return [" ".join(p) for p in itertools.permutations(answers)]


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize(prediction) == normalize(gold))


def f1(prediction: str, gold: str) -> float:
    """Token-level F1 of the normalised strings (0 when they share no token)."""
    pred, ref = normalize(prediction).split(), normalize(gold).split()
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def em_f1(prediction: str, answers: Sequence[str]) -> tuple[float, float]:
    """(EM, F1) of one prediction: the max over the gold strings."""
    golds = gold_strings(answers)
    if not golds:
        return 0.0, 0.0
    return max(exact_match(prediction, g) for g in golds), max(f1(prediction, g) for g in golds)


def skipped_for_generation(question: str) -> bool:
    """RealTimeQA's gen_eval skips 'Which of these ... EXCEPT' questions."""
    return "except" in question.lower().strip()[-10:]


def contains_gold(text: str, answers: Sequence[str]) -> bool:
    """Whether the normalised gold string appears, as whole tokens, in the normalised text."""
    hay = f" {normalize(text)} "
    return any(f" {normalize(g)} " in hay for g in gold_strings(answers) if normalize(g))


def choice_correct(predicted: int | Sequence[int] | None, gold: int | Sequence[int]) -> bool:
    """Multiple choice: the predicted 0-based index list equals the gold index list."""
    as_list = lambda x: sorted(x) if isinstance(x, (list, tuple)) else ([] if x is None else [x])  # noqa: E731
    return as_list(predicted) == as_list(gold)
