"""A GGUF model in process through llama-cpp-python.

The model loads once per process (cached by path and context settings) and every call holds a lock: a
llama.cpp context is not thread-safe. Stop strings come from the prompt file (qa/generate/prompts.py).
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Iterator, Sequence

from ..config import LLMSettings
from ..errors import ModelError, missing
from . import Message
from .models import resolve_model

_MODELS: dict[tuple, object] = {}
_MODELS_LOCK = threading.Lock()


@atexit.register
def _close_models() -> None:
    """Free the models before interpreter teardown: llama_cpp's own __del__ then fails noisily ("NoneType ...")."""
    with _MODELS_LOCK:
        for llm in _MODELS.values():
            try:
                llm.close()
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
        _MODELS.clear()


class LlamaCppGenerator:
    """A GGUF model through llama-cpp-python, loaded on first use."""

    def __init__(self, settings: LLMSettings | None = None) -> None:
        self.settings = settings or LLMSettings()
        self.path = resolve_model(self.settings.model)
        self.name = self.path.name
        self.n_ctx = self.settings.n_ctx
        self.lock = threading.Lock()

    @property
    def llm(self):  # noqa: ANN201 - llama_cpp.Llama
        key = (str(self.path), self.settings.n_ctx, self.settings.threads, self.settings.seed)
        with _MODELS_LOCK:
            if key not in _MODELS:
                _MODELS[key] = self._load()
            return _MODELS[key]

    def _load(self):  # noqa: ANN202
        try:
            import llama_cpp
        except ImportError:
            raise missing("llama-cpp-python", "answer generation") from None
        _silence_llama(llama_cpp)
        try:
            with _quiet_stderr():
                return llama_cpp.Llama(
                    model_path=str(self.path),
                    n_ctx=self.settings.n_ctx,
                    n_threads=self.settings.threads or max(1, os.cpu_count() or 1),
                    # prompt evaluation too: left alone it uses every core even with llm.threads = 1 (measured on
                    # 2 busy cores: 1 thread 75 prompt tokens/s, 2 threads 21-30)
                    n_threads_batch=self.settings.threads or max(1, os.cpu_count() or 1),
                    seed=self.settings.seed,
                    logits_all=False,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"cannot load GGUF model {self.path} ({exc}): check the file is a complete .gguf model") from None

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def generate(self, messages: Sequence[Message], max_tokens: int, stream: bool = False,
                 stop: Sequence[str] = ()) -> str | Iterator[str]:
        if stream:
            return self._stream(messages, max_tokens, stop)
        return "".join(self._stream(messages, max_tokens, stop))

    def _stream(self, messages: Sequence[Message], max_tokens: int, stop: Sequence[str]) -> Iterator[str]:
        with self.lock:
            llm = self.llm
            params = dict(max_tokens=max_tokens, temperature=self.settings.temperature, top_k=1 if self.settings.temperature == 0 else 40,
                          seed=self.settings.seed, stream=True, repeat_penalty=1.1)
            if self.settings.chat_format == "plain":
                prompt = "\n\n".join(m["content"] for m in messages)
                for part in llm.create_completion(prompt, stop=list(stop), **params):
                    yield part["choices"][0].get("text", "")
            else:
                for part in llm.create_chat_completion(messages=list(messages), stop=list(stop), **params):
                    yield part["choices"][0]["delta"].get("content", "") or ""


    # -- reading: raw prompts, the KV cache of a shared prefix reused (qa/answer/model.py) ------------------------
    def chat_prompt(self, messages: Sequence[Message], reply_prefix: str = "") -> str:
        """The model's own chat template applied to ``messages``, ending where its reply starts (plus a prefix)."""
        if self.settings.chat_format == "plain":
            return "\n\n".join(m["content"] for m in messages) + "\n" + reply_prefix
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = self.llm
        template = llm.metadata.get("tokenizer.chat_template")
        if not template:
            return "\n\n".join(m["content"] for m in messages) + "\n" + reply_prefix
        fmt = Jinja2ChatFormatter(template=template, eos_token="", bos_token="", add_generation_prompt=True)
        return fmt(messages=list(messages)).prompt + reply_prefix

    def complete(self, prompt: str, max_tokens: int, stop: Sequence[str] = ()) -> str:
        """Greedy continuation of a raw prompt (the cache of the prefix it shares with the last call is reused)."""
        with self.lock:
            out = self.llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.0, top_k=1, stop=list(stop),
                                             repeat_penalty=1.0, seed=self.settings.seed)
        return out["choices"][0]["text"]

    def next_token_logprobs(self, prompt: str, options: Sequence[str]) -> list[float]:
        """Log-probability of each option's first token as the next token after ``prompt`` (prefix cache reused)."""
        import numpy as np

        with self.lock:
            llm = self.llm
            tokens = llm.tokenize(prompt.encode("utf-8"), special=True)[-(self.n_ctx - 8):]
            have = list(llm.input_ids[: llm.n_tokens])
            common = 0
            for a, b in zip(have, tokens[:-1]):  # at least the last token is evaluated again, for its logits
                if a != b:
                    break
                common += 1
            llm.n_tokens = common
            llm.eval(tokens[common:])
            logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).astype(np.float64)
            m = logits.max()
            log_z = m + np.log(np.exp(logits - m).sum())
            out = []
            for option in options:
                ids = llm.tokenize(option.encode("utf-8"), add_bos=False, special=False)
                out.append(float(logits[ids[0]] - log_z) if ids else float("-inf"))
            return out


def _silence_llama(llama_cpp) -> None:  # noqa: ANN001
    """Route llama.cpp's C-level log lines to nowhere (verbose=False alone misses some)."""
    try:
        cb = llama_cpp.llama_log_callback(lambda level, text, data: None)
        llama_cpp.llama_log_set(cb, None)
        _silence_llama.cb = cb  # keep a reference so it is not garbage collected
    except AttributeError:
        pass


class _quiet_stderr:
    """Redirect file descriptor 2 while a native library loads (it writes there directly)."""

    def __enter__(self) -> None:
        self.saved = os.dup(2)
        self.null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(self.null, 2)

    def __exit__(self, *exc: object) -> None:
        os.dup2(self.saved, 2)
        os.close(self.saved)
        os.close(self.null)
