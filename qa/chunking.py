"""Sentence splitting with character offsets, and sentence-aligned chunks sized in embedding tokens.

all-MiniLM-L6-v2 reads 256 word-pieces and silently drops the rest, so chunks are measured with the
embedding model's own tokenizer (`TokenCounter`), never in words or characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol

from .types import Article, Chunk

ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "gen", "gov", "sen", "rep", "lt", "col", "capt", "sgt",
    "vs", "etc", "inc", "co", "corp", "ltd", "no", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "mt", "ft", "ave", "blvd", "dept", "est", "fig", "approx", "rev", "hon",
    "pres", "supt", "atty", "messrs", "u.s", "u.k", "u.n", "e.g", "i.e", "a.m", "p.m", "d.c", "n.y", "l.a",
}
# End of a sentence: . ! ? (or …), optional closing quotes/brackets, then whitespace.
_END = re.compile(r"""([.!?…]+)(["'”’)\]]*)(\s+)""")
_NEXT_OK = re.compile(r"""["'“‘(\[]?[A-Z0-9]""")


class TokenCounter(Protocol):
    """Counts embedding-model word-pieces (without special tokens) for each text."""

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of text[start:end], whitespace trimmed; newlines always end a sentence."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+", text[start:end]):
        p0, p1 = start + para.start(), start + para.end()
        cursor = p0
        for m in _END.finditer(text, p0, p1):
            cut = m.end(2)
            if m.end() >= p1 or not _NEXT_OK.match(text, m.end()):
                continue
            if m.group(1) == "." and _is_abbreviation(text, cursor, m.start(1)):
                continue
            spans.append((cursor, cut))
            cursor = m.end()
        spans.append((cursor, p1))
    return [_trim(text, a, b) for a, b in spans if text[a:b].strip()]


def _is_abbreviation(text: str, sent_start: int, dot: int) -> bool:
    word = re.search(r"([A-Za-z][A-Za-z.'’]*)$", text[sent_start:dot])
    if not word or "'" in word.group(1) or "’" in word.group(1):  # "Hannity’s." ends a sentence
        return False
    token = word.group(1).lower()
    return token in ABBREVIATIONS or len(token) == 1 or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", token))


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def chunk_article(
    article: Article,
    counter: TokenCounter,
    max_tokens: int = 230,
    overlap_tokens: int = 40,
    min_tokens: int = 40,
) -> list[Chunk]:
    """Pack whole sentences into chunks of at most ``max_tokens``; repeat ~``overlap_tokens`` between chunks."""
    text = article.text
    spans = split_sentences(text)
    if not spans:
        return []
    counts = counter.count_tokens([text[a:b] for a, b in spans])
    spans, counts = _split_long(text, spans, counts, max_tokens, counter)

    groups: list[list[int]] = []
    current: list[int] = []
    size = 0
    for i, n in enumerate(counts):
        if current and size + n > max_tokens:
            groups.append(current)
            current, size = _overlap(current, counts, overlap_tokens, min(max_tokens - n, max_tokens // 2))
        current.append(i)
        size += n
    if current:
        groups.append(current)
    # A short tail chunk is merged into its predecessor when the result still fits.
    if len(groups) > 1:
        tail_new = [i for i in groups[-1] if i not in set(groups[-2])]
        if sum(counts[i] for i in tail_new) < min_tokens and sum(counts[i] for i in set(groups[-2]) | set(tail_new)) <= max_tokens:
            groups[-2] = sorted(set(groups[-2]) | set(tail_new))
            groups.pop()

    chunks = []
    for position, group in enumerate(groups):
        a, b = spans[group[0]][0], spans[group[-1]][1]
        chunks.append(Chunk(article.id, position, a, b, text[a:b], sum(counts[i] for i in group)))
    return chunks


def _overlap(group: list[int], counts: list[int], overlap_tokens: int, room: int) -> tuple[list[int], int]:
    """Trailing sentences repeated in the next chunk: until about overlap_tokens, never more than ``room``."""
    keep: list[int] = []
    size = 0
    if overlap_tokens <= 0:
        return keep, size
    for i in reversed(group[1:]):  # never repeat the whole previous chunk
        if size >= overlap_tokens or size + counts[i] > room:
            break
        keep.insert(0, i)
        size += counts[i]
    return keep, size


def _split_long(
    text: str, spans: list[tuple[int, int]], counts: list[int], max_tokens: int, counter: TokenCounter
) -> tuple[list[tuple[int, int]], list[int]]:
    """Cut sentences longer than max_tokens at word boundaries, so no text is ever dropped."""
    out_spans, out_counts = [], []
    for (a, b), n in zip(spans, counts):
        if n <= max_tokens:
            out_spans.append((a, b))
            out_counts.append(n)
            continue
        words = [(m.start() + a, m.end() + a) for m in re.finditer(r"\S+", text[a:b])]
        piece_len = max(1, int(len(words) * max_tokens / n * 0.9))
        for k in range(0, len(words), piece_len):
            part = words[k : k + piece_len]
            out_spans.append((part[0][0], part[-1][1]))
        out_counts.extend(counter.count_tokens([text[s:e] for s, e in out_spans[len(out_counts):]]))
    return out_spans, out_counts


class WordCounter:
    """Approximate word-piece counter for tests: 4 word-pieces per 3 words, punctuation counted."""

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(re.findall(r"\w+|[^\w\s]", t)) * 4 // 3 + 0 for t in texts]


def sentences_of(text: str) -> Callable[[int, int], list[tuple[int, int]]]:
    """A splitter bound to one text (for citing sentences inside passages)."""
    return lambda a, b: split_sentences(text, a, b)
