"""Overlap of word bags and phrases: the one place for Jaccard and token F1."""

from __future__ import annotations

from collections.abc import Collection


def jaccard(a: Collection, b: Collection) -> float:
    """|a ∩ b| / |a ∪ b| of two sets (0 when either is empty)."""
    a, b = set(a), set(b)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def token_f1(a: str, b: str) -> float:
    """Token F1 of two space-separated keys (distinct tokens)."""
    ta, tb = a.split(), b.split()
    common = len(set(ta) & set(tb))
    if not common:
        return 0.0
    p, r = common / len(ta), common / len(tb)
    return 2 * p * r / (p + r)
