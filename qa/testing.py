"""Deterministic fakes for fast unit tests: a hash embedder, a word counter, a scripted generator.

They are first-class code (STYLE.md 6) but never stand in for a real component in an integration test.
`embedding.backend = "hash"` selects `HashEmbedder` (for tests and demos without the model).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence

import numpy as np

Message = dict[str, str]


class WordCounter:
    """Approximate word-piece counter for tests: 4 word-pieces per 3 words, punctuation counted."""

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(re.findall(r"\w+|[^\w\s]", t)) * 4 // 3 + 0 for t in texts]


class HashEmbedder:
    """Deterministic fake: hashed word and word-pair features. Similar wording → similar vectors; no model."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hash-{dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"\w+", text.lower())
            feats = words + [a + " " + b for a, b in zip(words, words[1:])]
            for f in feats:
                h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
            norm = np.linalg.norm(out[row])
            if norm > 0:
                out[row] /= norm
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return WordCounter().count_tokens(texts)


class ScriptedGenerator:
    """Replays queued replies (the last one repeats) and records every prompt it was given."""

    def __init__(self, replies: Sequence[str] = ("",), n_ctx: int = 2048) -> None:
        self.replies = list(replies) or [""]
        self.prompts: list[list[Message]] = []
        self.stops: list[list[str]] = []
        self.name = "scripted"
        self.n_ctx = n_ctx

    def count_tokens(self, text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]", text))

    def generate(self, messages: Sequence[Message], max_tokens: int, stream: bool = False,
                 stop: Sequence[str] = ()) -> str | Iterator[str]:
        self.prompts.append([dict(m) for m in messages])
        self.stops.append(list(stop))
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if stream:
            return iter(re.findall(r"\S+\s*", reply))
        return reply


class ScriptedReader(ScriptedGenerator):
    """A ScriptedGenerator that also reads raw prompts, as the llama.cpp backend does (qa/answer/model.py): `complete`
    replays the queued replies too, and `next_token_logprobs` gives the first option ``p_first`` (a probability)."""

    def __init__(self, replies: Sequence[str] = ("",), n_ctx: int = 2048, p_first: float = 0.9) -> None:
        super().__init__(replies, n_ctx)
        self.name = "scripted-reader"
        self.p_first = p_first
        self.raw: list[str] = []

    def chat_prompt(self, messages: Sequence[Message], reply_prefix: str = "") -> str:
        return "\n".join(f"<{m['role']}>{m['content']}" for m in messages) + "\n<assistant>" + reply_prefix

    def complete(self, prompt: str, max_tokens: int, stop: Sequence[str] = (), stream: bool = False) -> str | Iterator[str]:
        self.raw.append(prompt)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        return iter(re.findall(r"\S+\s*", reply)) if stream else reply

    def generate(self, messages: Sequence[Message], max_tokens: int, stream: bool = False,
                 stop: Sequence[str] = ()) -> str | Iterator[str]:
        out = super().generate(messages, max_tokens, stream, stop)
        return self._writing(out) if stream else out

    def _writing(self, pieces: Iterator[str]) -> Iterator[str]:
        """Like llama.cpp's context, busy until the reply is read to its end."""
        self.busy = True
        try:
            yield from pieces
        finally:
            self.busy = False

    def next_token_logprobs(self, prompt: str, options: Sequence[str]) -> list[float]:
        import math

        if getattr(self, "busy", False):  # the llama.cpp backend would wait for its own lock forever
            raise RuntimeError("next_token_logprobs called while the model is still writing a reply")
        self.raw.append(prompt)
        rest = (1 - self.p_first) / max(1, len(options) - 1)
        return [math.log(self.p_first)] + [math.log(rest)] * (len(options) - 1)
