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

    groups = _measured(text, spans, counts, groups, counter, max_tokens)
    chunks = []
    for position, (group, n) in enumerate(groups):
        a, b = spans[group[0]][0], spans[group[-1]][1]
        chunks.append(Chunk(article.id, position, a, b, text[a:b], n))
    return chunks


def _measured(text: str, spans: list[tuple[int, int]], counts: list[int], groups: list[list[int]],
              counter: TokenCounter, max_tokens: int) -> list[tuple[list[int], int]]:
    """(group, its word-pieces), the limit holding for the text that is embedded.

    Sentences and word-cut pieces are apart by whitespace, so a chunk counts exactly the sum of its parts (and
    normal text is cut as before); only pieces cut inside one word touch, and may join into more word-pieces
    than they had apart: such a chunk is measured whole, and halved until it fits."""
    out = []
    for group in groups:
        n = sum(counts[i] for i in group)
        glued = any(spans[i][1] == spans[j][0] for i, j in zip(group, group[1:]))
        if glued:
            n = counter.count_tokens([text[spans[group[0]][0]:spans[group[-1]][1]]])[0]
        if n <= max_tokens or len(group) == 1:
            out.append((group, n))
        else:
            half = len(group) // 2
            out.extend(_measured(text, spans, counts, [group[:half], group[half:]], counter, max_tokens))
    return out


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
    """Cut sentences longer than max_tokens at word boundaries (inside a word only when one word is too long),
    so no text is ever dropped and every piece, measured, fits."""
    out_spans, out_counts = [], []
    for (a, b), n in zip(spans, counts):
        if n <= max_tokens:
            out_spans.append((a, b))
            out_counts.append(n)
            continue
        pieces = _cut(text, a, b, n, max_tokens)
        measured = counter.count_tokens([text[s:e] for s, e in pieces])
        # The cut assumes word-pieces spread evenly over the words; where they are denser (numbers after prose,
        # a long run of symbols) a piece is still too long: cut it again by its own density until it fits.
        while any(m > max_tokens for m in measured):
            again_spans, again = [], []
            for (s, e), m in zip(pieces, measured):
                if m <= max_tokens:
                    again_spans.append((s, e))
                    again.append(m)
                else:
                    parts = _cut(text, s, e, m, max_tokens)
                    again_spans.extend(parts)
                    again.extend(counter.count_tokens([text[x:y] for x, y in parts]))
            pieces, measured = again_spans, again
        out_spans.extend(pieces)
        out_counts.extend(measured)
    return out_spans, out_counts


def _cut(text: str, a: int, b: int, n: int, max_tokens: int) -> list[tuple[int, int]]:
    """text[a:b] (n word-pieces) in pieces of about max_tokens * 0.9 pieces each, at word boundaries when it has
    several words, else at characters; always at least two pieces, so cutting again always progresses."""
    units = [(m.start() + a, m.end() + a) for m in re.finditer(r"\S+", text[a:b])]
    if len(units) < 2:
        units = [(i, i + 1) for i in range(a, b)]
    piece_len = max(1, int(len(units) * max_tokens / n * 0.9))
    if piece_len >= len(units):
        piece_len = max(1, len(units) // 2)
    return [(units[k][0], units[min(k + piece_len, len(units)) - 1][1]) for k in range(0, len(units), piece_len)]
