"""Generators: one small protocol and a name → implementation choice. Prompts are files (prompts.py).

  llama.py       a GGUF model in process through llama-cpp-python (loaded once per process)
  openai.py      any OpenAI-compatible server over HTTP (llama.cpp's server, vLLM, Ollama), streamed
  models.py      which GGUF file a model name means (the packaged SmolLM2-135M, the assembled Qwen2.5-Coder-1.5B)
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


class Reader(Generator, Protocol):
    """A generator that also reads raw prompts (the llama.cpp backend; `qa.answer.model.can_read` tells)."""

    def chat_prompt(self, messages: Sequence[Message], reply_prefix: str = "") -> str: ...

    def complete(self, prompt: str, max_tokens: int, stop: Sequence[str] = (), stream: bool = False) -> str | Iterator[str]: ...

    def next_token_logprobs(self, prompt: str, options: Sequence[str]) -> list[float]:
        """Log-probabilities of each option as the next token(s) after the prompt."""
        ...


# llm.backend → "module:class" (imported on first use: llama_cpp is heavy, and each backend needs only its own)
BACKENDS = {"llama": "qa.generate.llama:LlamaCppGenerator", "openai": "qa.generate.openai:OpenAIGenerator"}


def make_generator(settings: LLMSettings) -> Generator:
    """The generator ``llm.backend`` names: the in-process GGUF model, or an OpenAI-compatible server."""
    import importlib

    module, _, klass = BACKENDS[settings.backend].partition(":")  # the settings validated the name
    return getattr(importlib.import_module(module), klass)(settings)
