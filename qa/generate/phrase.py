"""Phrasing: the model writes the full answer from the numbered evidence sentences (prompts/answer.txt), streamed.

What it writes is only a draft: qa/answer/cite.py keeps the sentences their citations support.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from ..config import LLMSettings
from ..errors import ConfigError
from . import Generator, Message
from .prompts import Prompts


class Phrasing:
    """Iterate to stream the model's tokens; afterwards `text`, `used` (the evidence in the prompt), `tokens`."""

    def __init__(self, generator: Generator, prompts: Prompts, settings: LLMSettings, question: str,
                 evidence: Sequence[Any], sentinel: str) -> None:
        self.generator, self.prompts, self.settings = generator, prompts, settings
        self.question, self.evidence, self.sentinel = question, evidence, sentinel
        self.text, self.used, self.tokens, self.seconds = "", [], {}, 0.0

    def __iter__(self) -> Iterator[str]:
        t = time.perf_counter()
        plain = self.settings.chat_format == "plain"
        name = "answer_plain" if plain else "answer"
        messages, self.used, self.tokens = answer_messages(
            self.prompts, self.generator, self.question, self.evidence, sentinel=self.sentinel,
            max_answer_tokens=self.settings.max_answer_tokens, plain=plain)
        raw = []
        for piece in self.generator.generate(messages, max_tokens=self.settings.max_answer_tokens, stream=True,
                                             stop=self.prompts.stop(name)):
            raw.append(piece)
            yield piece
        self.text = "".join(raw)
        self.tokens["completion"] = self.generator.count_tokens(self.text) if raw else 0
        self.seconds = time.perf_counter() - t


def answer_messages(prompts: Prompts, generator: Generator, question: str, evidence: Sequence[Any], *, sentinel: str,
                    max_answer_tokens: int, plain: bool = False) -> tuple[list[Message], list[Any], dict[str, int]]:
    """The answer prompt with as much numbered evidence as fits the context (whole sentences; drops are counted).

    Returns (messages, the evidence used, token counts)."""
    name = "answer_plain" if plain else "answer"
    budget = generator.n_ctx - max_answer_tokens - 16
    used = list(evidence)
    while True:
        block = "\n".join(f"[{e.n}] {e.text}" for e in used)
        values = dict(evidence=block, question=question, sentinel=sentinel)
        messages = [{"role": "user", "content": prompts.render(name, **values)}] if plain else prompts.messages(name, **values)
        n = sum(generator.count_tokens(m["content"]) + 8 for m in messages)
        if n <= budget or len(used) <= 1:
            break
        used = used[:-1]
    if n > budget:
        asked = generator.count_tokens(question)
        if asked * 2 > budget:  # the question itself is what does not fit: no setting should be raised for it
            raise ConfigError(f"the question is too long for the model ({asked} tokens of the {budget} its prompt can "
                              f"hold): shorten the question")
        raise ConfigError(f"the prompt needs {n} tokens but llm.n_ctx leaves {budget}: raise llm.n_ctx")
    return messages, used, {"prompt": n, "evidence_used": len(used), "evidence_dropped": len(evidence) - len(used)}
