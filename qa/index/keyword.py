"""Keyword (FTS5 BM25) queries — an OR of the query's words, each quoted so none is read as syntax — and IDF."""

from __future__ import annotations

import math
import re

from ..text.tokens import STOPWORDS

_FTS_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’]*")


def fts_query(text: str) -> str:
    """An FTS5 OR-query of the text's words (stopwords left out)."""
    words = []
    for w in _FTS_WORD.findall(text):
        w = w.replace("’", "'").strip("'")
        if w and w.lower() not in STOPWORDS and w.lower() not in words:
            words.append(w.lower())
    return " OR ".join(f'"{w}"' for w in words)


def fts_phrase(text: str) -> str:
    """An FTS5 phrase query of a text (quotes doubled so nothing is read as syntax)."""
    return '"' + text.replace('"', '""') + '"'


def idf_from_counts(n_docs: int, doc_freq: dict[str, int]) -> dict[str, float]:
    """Smoothed inverse document frequency, log((N + 1) / (df + 0.5)).

    A word found nowhere in the index weighs as much as a word found once: it is more often a paraphrase
    ('open' for 'inaugurated') than the key of the question, and absent names are handled by `missing_names`.
    """
    return {t: math.log((n_docs + 1) / (max(df, 1) + 0.5)) for t, df in doc_freq.items()}
