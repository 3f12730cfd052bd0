"""Reading with the language model: what it says, mapped back onto the evidence.

  * `read`: the model answers in a few words from the best evidence sentences (prompts/read.txt). Its words are
    never the answer themselves: `align` finds the span of an evidence sentence that matches them best (token F1
    over stems), so the short answer is always text the evidence contains. The match becomes features of the
    candidate ranking (`features`), whose weights are fit on TRAIN like the others (ranker.py).
  * `choose`: for multiple choice, the log-probability of each choice's letter as the model's next token after
    the evidence, the question and the lettered choices (prompts/choose.txt): one prompt evaluation, no sampling.
Both need a generator that reads raw prompts (`chat_prompt`, `complete`, `next_token_logprobs`: the llama.cpp
backend); with any other, the reader ranks without them.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeGuard

from ..text.tokens import STOPWORDS, TOKEN, stem
from .evidence import Sentence

if TYPE_CHECKING:
    from ..generate import Generator, Reader
    from ..generate.prompts import Prompts

EVIDENCE = 8  # sentences in the prompt (the best by evidence score)
CHOICE_EVIDENCE = 8
MAX_SPAN = 12  # words of an aligned span at most
MIN_MATCH = 0.5  # token F1 an aligned span needs
LETTERS = "ABCDEFGH"
NOT_FOUND = re.compile(r"^\W*(?:not in the evidence|not mentioned|unknown|n/?a|none|i (?:don't|do not) know)\W*$", re.I)
MODEL_FEATURES = ("m_f1", "m_span", "m_in")  # stacked on the feature ranking's score (ranker.stacked)


def can_read(generator: Generator) -> TypeGuard[Reader]:
    """Whether this generator can read raw prompts (the llama.cpp backend)."""
    return all(hasattr(generator, a) for a in ("chat_prompt", "complete", "next_token_logprobs"))


def wanted(mode: str, llm_enabled: bool, generator: Callable[[], Generator]) -> bool:
    """Whether the model reads (answer.model_reader): 'auto' = unless it is SmolLM2-135M, which reads no better
    than the feature ranking alone. ``generator``: a callable giving it (loaded only when needed)."""
    if mode == "off" or not llm_enabled:
        return False
    gen = generator()
    return can_read(gen) and (mode == "on" or "smollm2-135m" not in gen.name.lower())


@dataclass
class Reading:
    """The model's short answer, the evidence span it matches best, and how well."""

    said: str
    span: str = ""
    sentence: Sentence | None = None
    start: int = 0  # the span's offsets in sentence.text
    end: int = 0
    match: float = 0.0
    none: bool = False  # the model said the evidence does not answer the question
    seconds: float = 0.0
    sentences: list[Sentence] = field(default_factory=list)  # what the prompt showed
    messages: list[dict[str, str]] = field(default_factory=list)  # the read prompt, which a composed answer continues
    reply: str = ""  # what the model wrote, as written


def evidence_block(sentences: Sequence[Sentence]) -> str:
    return "\n".join(f"[{i}] {s.text}" for i, s in enumerate(sentences, 1))


def read(generator: Reader, prompts: Prompts, question: str, ranked: Sequence[Sentence], n: int = EVIDENCE,
         max_tokens: int = 16) -> Reading:
    """The model's few-word answer from the best ``n`` sentences, aligned to an evidence span."""
    t = time.perf_counter()
    shown = _distinct(ranked, n)
    messages = prompts.messages("read", evidence=evidence_block(shown), question=question)
    said = generator.complete(generator.chat_prompt(messages), max_tokens=max_tokens, stop=prompts.stop("read"))
    out = interpret(said, shown)
    out.messages, out.reply = messages, said
    out.seconds = time.perf_counter() - t
    return out


def interpret(said: str, shown: Sequence[Sentence]) -> Reading:
    """A Reading of what the model said about the sentences it was shown."""
    said = said.strip().strip("\"“”'").rstrip(".").strip()
    out = Reading(said, sentences=list(shown))
    if not said or NOT_FOUND.match(said):
        out.none = True
    else:
        out.span, out.sentence, out.match, out.start, out.end = align(said, shown)
    return out


def shown_for(ranked: Sequence[Sentence], n: int = EVIDENCE) -> list[Sentence]:
    """The sentences `read` shows the model."""
    return _distinct(ranked, n)


def align(said: str, sentences: Sequence[Sentence]) -> tuple[str, Sentence | None, float, int, int]:
    """The evidence span (up to MAX_SPAN words of one sentence) with the best token F1 against ``said``.

    Ties go to the shorter span, then to the better-ranked sentence. Below MIN_MATCH: no span.
    """
    want = [stem(w) for w in _words(said)]
    if not want:
        return "", None, 0.0, 0, 0
    bag = _bag(want)
    content = {stem(w) for w in _words(said) if w not in STOPWORDS}  # a span must share one of these
    best = (0.0, 0, 0, None, 0, 0)  # f1, -length, -rank, sentence, start, end
    for rank, s in enumerate(sentences):
        toks = [(m.start(), m.end(), stem(m.group(0).lower())) for m in TOKEN.finditer(s.text)]
        for i in range(len(toks)):
            if toks[i][2] not in bag:
                continue  # a best span starts and ends on a word the answer has
            shares = False
            have: dict[str, int] = {}
            for j in range(i, min(len(toks), i + MAX_SPAN)):
                have[toks[j][2]] = have.get(toks[j][2], 0) + 1
                shares = shares or toks[j][2] in content
                if toks[j][2] not in bag or not shares:
                    continue
                common = sum(min(c, bag.get(w, 0)) for w, c in have.items())
                p, r = common / (j - i + 1), common / len(want)
                f1 = 2 * p * r / (p + r) if common else 0.0
                key = (round(f1, 6), -(j - i + 1), -rank)
                if key > best[:3]:
                    best = (*key, s, toks[i][0], toks[j][1])
    f1, _, _, sent, a, b = best
    if f1 < MIN_MATCH or sent is None:
        return "", None, f1, 0, 0
    return sent.text[a:b], sent, f1, a, b


def features(phrases: Sequence[Any], reading: Reading | None) -> None:
    """Set each candidate's model features: token F1 with what the model said, equal to the aligned span, and
    inside what it said (all 0 when the model said the evidence has no answer)."""
    for c in phrases:
        f = c.features
        for k in MODEL_FEATURES:
            f[k] = 0.0
        if reading is None or reading.none:
            continue
        key = " ".join(stem(w) for w in _words(c.text))
        said = " ".join(stem(w) for w in _words(reading.said))
        span = " ".join(stem(w) for w in _words(reading.span))
        f["m_f1"] = _f1(key.split(), said.split())
        f["m_span"] = 1.0 if key and key == span else 0.0
        f["m_in"] = 1.0 if key and f" {key} " in f" {said} " else 0.0


def choose(generator: Reader, prompts: Prompts, question: str, choices: Sequence[str], ranked: Sequence[Sentence],
           n: int = CHOICE_EVIDENCE) -> list[float]:
    """Log-probability of each choice's letter as the model's answer (normalised over the letters)."""
    shown = _distinct(ranked, n)
    lettered = "\n".join(f"{LETTERS[i]}. {c}" for i, c in enumerate(choices[: len(LETTERS)]))
    messages = prompts.messages("choose", evidence=evidence_block(shown), question=question, choices=lettered)
    prompt = generator.chat_prompt(messages, reply_prefix="Answer:")
    lp = generator.next_token_logprobs(prompt, [f" {LETTERS[i]}" for i in range(len(choices[: len(LETTERS)]))])
    z = max(lp)
    total = math.log(sum(math.exp(x - z) for x in lp)) + z
    return [x - total for x in lp] + [float("-inf")] * (len(choices) - len(lp))


def _distinct(ranked: Sequence[Sentence], n: int) -> list[Sentence]:
    out: list[Sentence] = []
    seen: set[str] = set()
    for s in ranked:
        key = " ".join(_words(s.text))
        if key in seen or len(key.split()) < 4:  # repeats and one-line fragments ('Huawei phones') are not evidence
            continue
        seen.add(key)
        out.append(s)
        if len(out) >= n:
            break
    return out


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in TOKEN.findall(text)]


def _bag(tokens: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in tokens:
        out[t] = out.get(t, 0) + 1
    return out


def _f1(a: Sequence[str], b: Sequence[str]) -> float:
    if not a or not b:
        return 0.0
    ba, bb = _bag(a), _bag(b)
    common = sum(min(c, bb.get(w, 0)) for w, c in ba.items())
    if not common:
        return 0.0
    p, r = common / len(a), common / len(b)
    return 2 * p * r / (p + r)
