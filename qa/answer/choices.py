"""Multiple choice: each choice is scored by its support in the evidence (IDF-weighted share of its distinctive
words in sentences that hold the question's rare words, exact phrase matches, agreement with the short-answer
ranking, keyword search of 'question + choice'); the best wins unless none is supported at all ("none")."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..text.similarity import token_f1
from ..text.tokens import content_words
from .candidates import Phrase, clean_span, phrase_key
from .evidence import Idf, Pool, Sentence, uniform_idf
from .question import QuestionInfo, analyse
from .ranker import candidates, load_weights, positions
from .short import judge


@dataclass
class ChoiceResult:
    """The picked choice (None = none is supported), the candidate sentence behind it, and every score."""

    index: int | None
    support: Sentence | None
    scores: list[float] = field(default_factory=list)


NEGATED = re.compile(r"\bexcept\b|\bnot one of\b|\bwhich (?:of these |one )?(?:is|was|are|were) not\b|\bnot among\b", re.I)
CHOICE_FEATURES = ("support", "support_near", "phrase", "phrase_n", "words_n", "passage", "answer", "answer_top",
                   "search", "search_top")


_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty".split()) if i != 1}  # 'one' is as often a pronoun as a number
_UNIFY = [(re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.I), lambda m: _NUMBER_WORDS[m.group(1).lower()]),
          (re.compile(r"(\d)\s*(?:%|\bper ?cent\b)", re.I), lambda m: m.group(1) + "percent"),
          (re.compile(r"([$£€])\s*(?=\d)"), lambda m: {"$": "dollar", "£": "pound", "€": "euro"}[m.group(1)]),
          (re.compile(r"(?<![\w.])(?:U\.K\.|UK|(?:Great )?Britain)(?![\w.])"), lambda m: "United Kingdom"),
          (re.compile(r"(?<![\w.])(?:U\.S\.A?\.?|USA|US|America)(?![\w])"), lambda m: "United States")]


def _unify(text: str) -> str:
    """Choice matching sees 'three months' as '3 months', '15%' as '15percent' and '$15' as 'dollar15' (one word each),
    and 'UK'/'Britain' as 'United Kingdom', 'US'/'America' as 'United States': a '15%' choice is not found in
    '$15 billion', '3 months' is found in 'three months' and 'United Kingdom' in 'the UK'."""
    for pattern, repl in _UNIFY:
        text = pattern.sub(repl, text)
    return text


# Evidence sentences read per multiple-choice question. DEV, week-held-out MC accuracy (the former eval/tune_reader.py) for
# 10 / 15 / 20 / 25 / 40: 83.8 / 85.0 / 85.8 / 84.2 / 83.8 (quiz-evidence removed, 25 vs 20: 73.8 vs 75.4).
CHOICE_SENTENCES = 20


def _choice_terms(choices: Sequence[str], q: QuestionInfo) -> list[list[str]]:
    """Each choice's distinctive stemmed words: not in the question, not shared by every choice."""
    choices = [_unify(c) for c in choices]
    bags = [[w for w in content_words(c) if w not in q.vocab] or content_words(c) for c in choices]
    common = set.intersection(*(set(b) for b in bags)) if len(bags) > 1 else set()
    return [[w for w in b if w not in common] or b for b in bags]


def _phrase_in(phrase: str, text: str) -> bool:
    return bool(phrase) and f" {phrase} " in f" {text} "


def choice_features(pool: Pool, choices: Sequence[str], answer_cands: Sequence[Phrase] = (), top: int = CHOICE_SENTENCES,
                    q: QuestionInfo | None = None, search_scores: Sequence[float] | None = None
                    ) -> tuple[list[dict[str, float]], list[Sentence | None]]:
    """Support features of each choice in the evidence, and the sentence that supports it best."""
    q = q or analyse(pool.question)
    ranked, passages = pool.sentences, pool.passages
    terms = _choice_terms(choices, q)
    vocab = sorted({t for b in terms for t in b} | set(q.terms))
    w = pool.idf(vocab)
    q_total = sum(w.get(t, 1.0) for t in set(q.terms)) or 1.0
    sents = list(ranked[:top])
    sent_words = [positions(_unify(c.text)) for c in sents]
    sent_keys = [" " + phrase_key(_unify(c.text)) + " " for c in sents]
    texts = [_unify(p.title + " . " + p.text) for p in passages]
    passage_bags = [set(content_words(t)) for t in texts]
    passage_keys = [" " + phrase_key(t) + " " for t in texts]
    feats: list[dict[str, float]] = []
    supports: list[Sentence | None] = []
    for choice, own in zip(choices, terms):
        f = dict.fromkeys(CHOICE_FEATURES, 0.0)
        own_total = sum(w.get(t, 1.0) for t in set(own)) or 1.0
        key = phrase_key(clean_span(_unify(choice), ""))
        best_s, best_c = 0.0, None
        for c, toks, skey in zip(sents, sent_words, sent_keys):
            stems = [t[2] for t in toks]
            present = set(stems)
            share = sum(w.get(t, 1.0) for t in set(own) if t in present) / own_total
            if share <= 0:
                continue
            where = [i for i, st in enumerate(stems) if st in own]
            near = 0.0
            for t in set(q.terms):
                pos = [i for i, st in enumerate(stems) if st == t]
                if pos and where:
                    d = min(abs(i - j) for i in pos for j in where)
                    near += w.get(t, 1.0) / (1.0 + d / 4.0)
            s = share * c.relevance
            f["support_near"] = max(f["support_near"], share * near / q_total)
            f["words_n"] += share * c.score
            if key and _phrase_in(key, skey):
                f["phrase"] = max(f["phrase"], c.score)
                f["phrase_n"] += 1.0
            if s > best_s:
                best_s, best_c = s, c
        f["support"] = best_s
        f["words_n"] = math.log1p(f["words_n"])
        f["phrase_n"] = math.log1p(f["phrase_n"])
        for bag, pkey in zip(passage_bags, passage_keys):
            share = sum(w.get(t, 1.0) for t in set(own) if t in bag) / own_total
            f["passage"] = max(f["passage"], share)
            if key and _phrase_in(key, pkey):
                f["passage"] = max(f["passage"], 1.0)
        feats.append(f)
        supports.append(best_c)
    set_answer_agreement(feats, choices, answer_cands)
    if search_scores and len(search_scores) == len(feats):
        lo, hi = min(search_scores), max(search_scores)
        for f, sc in zip(feats, search_scores):
            f["search"] = (sc - lo) / (hi - lo) if hi > lo else 0.0
            f["search_top"] = 1.0 if hi > lo and sc == hi else 0.0
    return feats, supports


def set_answer_agreement(feats: list[dict[str, float]], choices: Sequence[str], answer_cands: Sequence[Phrase]) -> None:
    """The 'answer' features: how much of the short-answer ranking's probability (softmax of the scores of
    ``answer_cands``, best first) falls on phrases like each choice, and whether the top phrase is like it."""
    scored = list(answer_cands)
    z = max((c.score for c in scored), default=0.0)
    probs = [math.exp(c.score - z) for c in scored]
    total_p = sum(probs) or 1.0
    keys = [phrase_key(_unify(c.key)) for c in scored]
    for f, choice in zip(feats, choices):
        key = phrase_key(clean_span(_unify(choice), ""))
        f["answer"] = max((pr / total_p for k, pr in zip(keys, probs) if token_f1(k, key) >= 0.5), default=0.0)
        f["answer_top"] = 1.0 if scored and token_f1(scored[0].key, key) >= 0.5 else 0.0


MODEL_CHOICE_FEATURES = ("m_p", "m_top")


def set_model_choice(feats: list[dict[str, float]], logprobs: Sequence[float] | None) -> None:
    """The language model's letter probabilities as choice features (qa/answer/model.py `choose`)."""
    best = max(range(len(logprobs)), key=lambda i: logprobs[i]) if logprobs else None
    for i, f in enumerate(feats):
        f["m_p"] = math.exp(logprobs[i]) if logprobs else 0.0
        f["m_top"] = 1.0 if i == best else 0.0


def choose(pool: Pool, choices: Sequence[str], *, weights: dict[str, float] | None = None,
           answer_cands: Sequence[Phrase] | None = None, search: Callable[[str], float] | None = None,
           model_logprobs: Sequence[float] | None = None) -> ChoiceResult:
    """Pick the choice best supported by the evidence; None when no choice is supported at all.

    'Which of these is NOT ...' / '... except:' questions pick the least supported choice instead. ``search``
    gives the best keyword-search score of a text (the 'question + choice' features).
    """
    if not choices:
        return ChoiceResult(None, None, [])
    q = analyse(pool.question)
    if answer_cands is None:
        answer_cands = candidates(pool, q=q)[1]
    scores_kw = [search(f"{pool.question} {c}") for c in choices] if search else None
    feats, supports = choice_features(pool, choices, answer_cands, q=q, search_scores=scores_kw)
    stack = None
    if model_logprobs is not None:
        set_model_choice(feats, model_logprobs)
        stack = load_weights().get("choice_model") or None
    return decide(pool.question, choices, feats, supports, pool.sentences, pool.idf, weights, stack)


_TRUE_FALSE_CHOICES = {"true", "false"}


def decide(question: str, choices: Sequence[str], feats: Sequence[dict[str, float]],
           supports: Sequence[Sentence | None], ranked: Sequence[Sentence], idf: Idf = uniform_idf,
           weights: dict[str, float] | None = None, stack: dict[str, float] | None = None) -> ChoiceResult:
    """The pick from the choice features, citing a sentence that mentions it; None when nothing supports any choice.

    ``stack`` ('choice_model' weights): the model's letter features stacked on the feature score.
    TRUE/FALSE choices are decided by `judge` (does a top sentence state the claim?), not by word support.
    """
    w = weights or load_weights()["choice"]
    scores = [sum(w.get(k, 0.0) * v for k, v in f.items() if not k.startswith("m_")) for f in feats]
    if stack:
        scores = [stack.get("base", 1.0) * sc + sum(stack.get(k, 0.0) * f.get(k, 0.0) for k in MODEL_CHOICE_FEATURES)
                  for sc, f in zip(scores, feats)]
    if len(choices) == 2 and {c.strip().lower() for c in choices} == _TRUE_FALSE_CHOICES:
        verdict, sentence = judge(question, ranked, idf)
        if sentence is None:
            return ChoiceResult(None, None, scores)
        return ChoiceResult(next(i for i, c in enumerate(choices) if c.strip().upper() == verdict), sentence, scores)
    supported = [any(v > 0 for k, v in f.items() if not k.startswith(("search", "m_"))) for f in feats]
    if not any(supported):
        return ChoiceResult(None, None, scores)
    best = max(range(len(scores)), key=lambda k: scores[k])
    if not NEGATED.search(question) and not can_answer(question, choices, feats, best):
        return ChoiceResult(None, None, scores)
    i = min(range(len(scores)), key=lambda k: scores[k]) if NEGATED.search(question) else best
    support = supports[best] or mentioning(choices[best], question, ranked, idf)
    return ChoiceResult(i, support, scores) if support is not None else ChoiceResult(None, None, scores)


_BARE_NUMBER = re.compile(r"[-+]?\d[\d.,]*\s*%?")
_NAMED_TYPES = {"person", "org", "country", "state", "city", "place"}


def can_answer(question: str, choices: Sequence[str], feats: Sequence[dict[str, float]], best: int) -> bool:
    """Whether the best-scored choice can stand as the answer (issue 28): not a bare number to a question asking
    for a person, an organisation or a place ('Who founded Huawei?' 1 / 2 / 3 / 4 gave '2'), nor a choice whose
    only support is that a retrieved passage mentions it, when another choice is mentioned as much (Paris /
    London / Tokyo / Berlin gave 'Paris [1]', citing the Paris Agreement). On DEV (extractive) it turns no right
    pick into none, and 1 wrong one; of the same questions asked with Paris / London / Tokyo / Berlin, 139 of
    232 are now none (122 before), with 1 / 2 / 3 / 4, 128 (15 before). Under 1% of the short-answer ranking's
    probability ('answer') is no agreement: it is what every phrase of the evidence gets."""
    if _BARE_NUMBER.fullmatch(choices[best].strip()) and analyse(question).type in _NAMED_TYPES:
        return False
    f = feats[best]
    others = [v for k, v in f.items() if k != "passage" and not k.startswith("m_") and not (k == "answer" and v < 0.01)]
    if f.get("passage", 0.0) > 0 and not any(v > 0 for v in others):
        return not any(g.get("passage", 0.0) >= f["passage"] for j, g in enumerate(feats) if j != best)
    return True


def mentioning(choice: str, question: str, ranked: Sequence[Sentence], idf: Idf = uniform_idf) -> Sentence | None:
    """The evidence sentence holding the most of a choice's distinctive words (ties: the better-ranked sentence)."""
    own = _choice_terms([choice], analyse(question))[0]
    w = idf(own)
    best, best_c = 0.0, None
    for c in ranked:
        present = set(content_words(_unify(c.text)))
        share = sum(w.get(t, 1.0) for t in set(own) if t in present)
        if share > best:
            best, best_c = share, c
    return best_c

