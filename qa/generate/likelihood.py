"""How likely the LLM finds each of a few short continuations of one prompt (to rerank answer candidates).

The prompt is evaluated once; each continuation reuses its KV cache (the cache past the prompt is dropped
before the next continuation), so scoring k candidates costs one prompt plus k short tails.
Logits are read from the llama.cpp context directly: the model is loaded with logits_all=False, which leaves
`Llama.scores` unfilled, so only the last position's logits are available after each eval.
"""

from __future__ import annotations

from collections.abc import Sequence


def continuation_logprobs(generator, prompt: str, continuations: Sequence[str]) -> list[tuple[float, int]]:  # noqa: ANN001
    """(sum of token log-probabilities, token count) of each continuation after ``prompt``."""
    import numpy as np

    with generator.lock:
        llm = generator.llm
        n_vocab = llm.n_vocab()

        def last_logits() -> np.ndarray:
            return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(n_vocab,)).astype(np.float64)

        head = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        head = head[-(generator.n_ctx - 32):]
        llm.reset()
        llm.eval(head)
        first = last_logits()
        out: list[tuple[float, int]] = []
        for text in continuations:
            toks = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)[:24]
            llm.n_tokens = len(head)  # eval() drops the KV cache past n_tokens
            logits, total = first, 0.0
            for j, tok in enumerate(toks):
                m = logits.max()
                total += float(logits[tok] - m - np.log(np.exp(logits - m).sum()))
                if j + 1 < len(toks):
                    llm.eval([tok])
                    logits = last_logits()
            out.append((total, len(toks)))
        return out
