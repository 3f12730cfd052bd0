"""A GGUF model in process through llama-cpp-python.

The model loads once per process (cached by path and context settings) and every call holds a lock: a
llama.cpp context is not thread-safe. Stop strings come from the prompt file (qa/generate/prompts.py).

Threads (`llm.threads` = 0, the thread plan of docs/performance.md): each call runs on the cores other processes
left idle since the previous call (all of them on an idle machine, one of two while another CPU-bound process
runs), read from /proc/stat less this process's own CPU time. llama.cpp's threads wait for each other at every
operation of every layer; one thread on a core another process holds stalls all of them. A fixed llm.threads
> 0 is used as given. `calls` records what each call cost (tokens evaluated, tokens reused from the KV cache,
tokens generated, seconds, threads), for the benchmark (eval/bench/).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ..config import LLMSettings
from ..errors import ModelError, missing
from . import Message
from .models import resolve_model, trained_context

log = logging.getLogger(__name__)
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
        trained = trained_context(self.path)
        if trained and self.n_ctx > trained:  # llama.cpp would allocate the whole window (200k tokens: > 4 GB)
            log.warning("llm.n_ctx %d is over the %d tokens %s was trained with: using %d (set llm.n_ctx <= %d)",
                        self.n_ctx, trained, self.name, trained, trained)
            self.n_ctx = trained
        self.lock = threading.Lock()
        self.calls: deque[dict] = deque(maxlen=256)  # the cost of each recent call, newest last
        self._share = CpuShare()
        self._threads = 0  # what the context is set to now (0: as loaded)

    @property
    def llm(self):  # noqa: ANN201 - llama_cpp.Llama
        key = (str(self.path), self.n_ctx, self.settings.threads, self.settings.seed, self.repack, self.settings.lookup)
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
            with _quiet_stderr(), _model_params(llama_cpp, use_extra_bufts=self.repack):
                return llama_cpp.Llama(
                    model_path=str(self.path),
                    n_ctx=self.n_ctx,
                    n_threads=self.settings.threads or cores(),
                    # prompt evaluation too: left alone it uses every core even with llm.threads = 1 (measured on
                    # 2 busy cores: 1 thread 75 prompt tokens/s, 2 threads 21-30)
                    n_threads_batch=self.settings.threads or cores(),
                    seed=self.settings.seed,
                    # prompt-lookup decoding (llm.lookup): draft tokens copied from the prompt's n-grams, checked in one
                    # batch; it needs every token's logits, and llama-cpp-python 0.3.36 sizes its logits buffer from
                    # this argument alone (a draft model with logits_all=False overflows it past n_batch tokens)
                    logits_all=self.settings.lookup > 0,
                    draft_model=_lookup(self.settings.lookup),
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"cannot load GGUF model {self.path} ({exc}): check the file is a complete .gguf model") from None

    @property
    def repack(self) -> bool:
        """Whether llama.cpp may repack weights into its extra buffer types (llm.repack; 'auto': not with AMX)."""
        return self.settings.repack == "on" or (self.settings.repack == "auto" and not has_amx())

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
            threads = self._plan(llm)
            t, first, pieces = time.perf_counter(), None, 0
            before = list(llm.input_ids[: llm.n_tokens])
            try:  # the prompt as llama-cpp-python formats it (the model's chat template), for the cost record
                text = self.chat_prompt(messages)
                prompt_ids = llm.tokenize(text.encode("utf-8"), special=True)
            except Exception:  # noqa: BLE001 - only the record would be off
                prompt_ids = []
            _fresh_if_repeated(llm, prompt_ids)
            params = dict(max_tokens=max_tokens, temperature=self.settings.temperature, top_k=1 if self.settings.temperature == 0 else 40,
                          seed=self.settings.seed, stream=True, repeat_penalty=1.1)
            if self.settings.chat_format == "plain":
                prompt = "\n\n".join(m["content"] for m in messages)
                parts = (part["choices"][0].get("text", "") for part in llm.create_completion(prompt, stop=list(stop), **params))
            else:
                parts = (part["choices"][0]["delta"].get("content", "") or ""
                         for part in llm.create_chat_completion(messages=list(messages), stop=list(stop), **params))
            try:
                for piece in parts:
                    if piece and first is None:
                        first = time.perf_counter() - t
                    pieces += bool(piece)
                    yield piece
            finally:
                self._record("generate", len(prompt_ids), _reused(before, prompt_ids), pieces, t, threads, first)


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

    def complete(self, prompt: str, max_tokens: int, stop: Sequence[str] = (), stream: bool = False) -> str | Iterator[str]:
        """Greedy continuation of a raw prompt (the cache of the prefix it shares with the last call is reused)."""
        if stream:
            return self._complete_stream(prompt, max_tokens, stop)
        return "".join(self._complete_stream(prompt, max_tokens, stop))

    def _complete_stream(self, prompt: str, max_tokens: int, stop: Sequence[str]) -> Iterator[str]:
        with self.lock:
            llm = self.llm
            threads = self._plan(llm)
            t, first, pieces = time.perf_counter(), None, 0
            tokens = llm.tokenize(prompt.encode("utf-8"), special=True)
            _fresh_if_repeated(llm, tokens)
            reused = _reused(llm.input_ids[: llm.n_tokens], tokens)
            try:
                for part in llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.0, top_k=1,
                                                  stop=list(stop), repeat_penalty=1.0, seed=self.settings.seed,
                                                  stream=True):
                    piece = part["choices"][0].get("text", "")
                    if piece and first is None:
                        first = time.perf_counter() - t
                    pieces += bool(piece)
                    yield piece
            finally:
                self._record("complete", len(tokens), reused, pieces, t, threads, first)

    def next_token_logprobs(self, prompt: str, options: Sequence[str]) -> list[float]:
        """Log-probability of each option's first token as the next token after ``prompt`` (prefix cache reused)."""
        import numpy as np

        with self.lock:
            llm = self.llm
            threads = self._plan(llm)
            t = time.perf_counter()
            tokens = llm.tokenize(prompt.encode("utf-8"), special=True)[-(self.n_ctx - 8):]
            # at least the last token is evaluated again, for its logits
            common = _common(llm.input_ids[: llm.n_tokens], tokens[:-1])
            llm.n_tokens = common
            llm.eval(tokens[common:])
            self._record("next_token_logprobs", len(tokens), common, 0, t, threads)
            if llm._logits_all:  # every token's logits are kept (prompt lookup): the last token's row
                logits = llm.scores[llm.n_tokens - 1].astype(np.float64)
            else:
                logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).astype(np.float64)
            m = logits.max()
            log_z = m + np.log(np.exp(logits - m).sum())
            out = []
            for option in options:
                ids = llm.tokenize(option.encode("utf-8"), add_bos=False, special=False)
                out.append(float(logits[ids[0]] - log_z) if ids else float("-inf"))
            return out


    # -- the thread plan and the cost of each call ----------------------------------------------------------------
    def _plan(self, llm) -> int:  # noqa: ANN001 - llama_cpp.Llama
        """Threads for the next call: llm.threads when set, else the cores other processes left idle."""
        want = self.settings.threads or self._share.free_cores()
        if want != self._threads:
            import llama_cpp

            llama_cpp.llama_set_n_threads(llm._ctx.ctx, want, want)
            self._threads = want
        return want

    def _record(self, call: str, prompt: int, reused: int, generated: int, started: float, threads: int,
                first: float | None = None) -> None:
        seconds = time.perf_counter() - started
        self.calls.append({"call": call, "prompt_tokens": prompt, "reused_tokens": reused, "evaluated_tokens": prompt - reused,
                           "generated_tokens": generated, "seconds": round(seconds, 4), "threads": threads,
                           "first_token_s": None if first is None else round(first, 4)})


def _lookup(n: int):  # noqa: ANN202 - a llama_cpp draft model or None
    """llama-cpp-python's prompt-lookup decoding proposing ``n`` tokens at a time (None when n is 0)."""
    if n <= 0:
        return None
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

    return LlamaPromptLookupDecoding(max_ngram_size=2, num_pred_tokens=n)


def has_amx() -> bool:
    """Whether this CPU has AMX (amx_int8 in /proc/cpuinfo's flags): llama.cpp then puts the weights in its AMX
    buffers, whose kernels segfaulted at the first prompt on this project's AMX machines (SmolLM2 Q4_1 and Qwen2.5
    Q4_K_M alike, 1 or 2 threads; ggml-org/llama.cpp#20824); without the extra buffers the same build runs."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return "amx_int8" in line.split(":", 1)[1].split()
    except OSError:
        pass
    return False


@contextmanager
def _model_params(llama_cpp, **fields: object) -> Iterator[None]:  # noqa: ANN001 - the llama_cpp package
    """Within the block, llama-cpp-python's `Llama()` starts from model parameters with these fields set (it takes
    no argument for them). Used under _MODELS_LOCK by the only caller, so no other load sees the change."""
    module = llama_cpp.llama_cpp
    original = module.llama_model_default_params

    def params():  # noqa: ANN202 - llama_model_params
        p = original()
        for name, value in fields.items():
            if hasattr(p, name):  # a build without the field keeps its default
                setattr(p, name, value)
        return p

    module.llama_model_default_params = params
    try:
        yield
    finally:
        module.llama_model_default_params = original


def cores() -> int:
    """CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class CpuShare:
    """How many cores other processes kept busy since the last look: all CPU time in /proc/stat less this
    process's own (every thread of it, llama.cpp's included), per second of wall time. The window spans our own
    calls too, so calls back to back still see a competitor: with 2 threads beside it, the cores are full and
    ours used ~1.3 of them."""

    MIN_WINDOW_S = 0.2  # a shorter window keeps the previous answer
    BUSY = 0.5  # a core counts as taken when others used at least half of one

    def __init__(self) -> None:
        self.last = self._sample()
        self.others = 0.0

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        try:
            with open("/proc/stat", encoding="ascii") as fh:
                fields = [int(x) for x in fh.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        tick = os.sysconf("SC_CLK_TCK")
        busy = (sum(fields[:8]) - fields[3] - (fields[4] if len(fields) > 4 else 0)) / tick  # not idle, not iowait
        own = sum(os.times()[:2])
        return time.monotonic(), busy, own

    def free_cores(self) -> int:
        """Cores minus the cores other processes used in the window since the last mark (at least one)."""
        now = self._sample()
        n = cores()
        if now is None or self.last is None:
            return n
        wall = now[0] - self.last[0]
        if wall >= self.MIN_WINDOW_S:
            self.others = max(0.0, ((now[1] - self.last[1]) - (now[2] - self.last[2])) / wall)
            self.last = now
        taken = int(self.others + (1 - self.BUSY))  # 0.5 core or more counts as one
        return max(1, min(n, n - taken))


def _common(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the common prefix of two token lists."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _fresh_if_repeated(llm, prompt_ids: Sequence[int]) -> None:  # noqa: ANN001 - llama_cpp.Llama
    """A prompt the KV cache already holds whole (the same question asked again) is evaluated afresh: llama.cpp
    would re-evaluate only its last token, alone, whose logits then differ slightly from the batch evaluation of
    the first time, and a greedy answer can change (seen with `qa serve` asked the same question twice)."""
    if prompt_ids and llm.n_tokens >= len(prompt_ids) and _common(llm.input_ids[: llm.n_tokens], prompt_ids) >= len(prompt_ids):
        llm.reset()


def _reused(cached: Sequence[int], prompt: Sequence[int]) -> int:
    """Prompt tokens llama-cpp-python takes from the KV cache: the common prefix, less the last prompt token,
    which is always evaluated again (its logits start the reply)."""
    return min(_common(cached, prompt), max(0, len(prompt) - 1))


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
