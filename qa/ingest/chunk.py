"""Sentence-aligned chunks sized in embedding tokens, with character offsets into the article.

all-MiniLM-L6-v2 reads 256 word-pieces and silently drops the rest, so chunks are measured with the
embedding model's own tokenizer (`TokenCounter`), never in words or characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from ..text.sentences import split_sentences
from ..types import Article, Chunk


class TokenCounter(Protocol):
    """Counts embedding-model word-pieces (without special tokens) for each text."""

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


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
