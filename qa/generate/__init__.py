"""Generators: one small protocol and a name → implementation choice. Prompts are files (prompts.py).

  llama.py       a GGUF model in process through llama-cpp-python (loaded once per process)
  models.py      which GGUF file a model name means (the packaged SmolLM2-135M, the assembled Qwen2.5-Coder-1.5B)
  likelihood.py  how likely the model finds a few short continuations of one prompt
  qa.testing     ScriptedGenerator, the deterministic fake
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from ..config import LLMSettings

Message = dict[str, str]


class Generator(Protocol):
    """Produces text from chat messages (or a plain prompt); counts tokens in its own vocabulary."""

    name: str
    n_ctx: int

    def generate(self, messages: Sequence[Message], max_tokens: int, stream: bool = False,
                 stop: Sequence[str] = ()) -> str | Iterator[str]: ...

    def count_tokens(self, text: str) -> int: ...


def make_generator(settings: LLMSettings) -> Generator:
    """The llama.cpp generator for the configured (or default) GGUF file."""
    from .llama import LlamaCppGenerator

    return LlamaCppGenerator(settings)
