"""The KV cache of llama.cpp: a prompt it already holds whole is evaluated afresh (fast: a stand-in context)."""

from __future__ import annotations

from qa.generate.llama import _fresh_if_repeated


class Context:
    def __init__(self, cached):
        self.input_ids, self.n_tokens, self.resets = list(cached), len(cached), 0

    def reset(self):
        self.n_tokens, self.resets = 0, self.resets + 1


def test_the_same_prompt_again_is_evaluated_afresh_and_a_longer_one_reuses_the_cache():
    same = Context([1, 2, 3, 4])
    _fresh_if_repeated(same, [1, 2, 3, 4])
    assert same.resets == 1  # llama.cpp would evaluate only the last token, alone: the answer could change
    shorter = Context([1, 2, 3, 4])
    _fresh_if_repeated(shorter, [1, 2, 3])
    assert shorter.resets == 1
    longer = Context([1, 2, 3])
    _fresh_if_repeated(longer, [1, 2, 3, 4, 5])
    assert longer.resets == 0 and longer.n_tokens == 3  # a shared prefix stays cached
    other = Context([1, 2, 3, 4])
    _fresh_if_repeated(other, [1, 2, 9, 4])
    assert other.resets == 0
