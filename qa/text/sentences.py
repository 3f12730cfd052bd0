"""Sentence splitting with character offsets: the one splitter of the project (chunks, evidence, claims, quotes)."""

from __future__ import annotations

import re

ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "gen", "gov", "sen", "rep", "lt", "col", "capt", "sgt",
    "vs", "etc", "inc", "co", "corp", "ltd", "no", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "mt", "ft", "ave", "blvd", "dept", "est", "fig", "approx", "rev", "hon",
    "pres", "supt", "atty", "messrs", "u.s", "u.k", "u.n", "e.g", "i.e", "a.m", "p.m", "d.c", "n.y", "l.a",
}
# End of a sentence: . ! ? (or …), optional closing quotes/brackets, then whitespace.
_END = re.compile(r"""([.!?…]+)(["'”’)\]]*)(\s+)""")
_NEXT_OK = re.compile(r"""["'“‘(\[]?[A-Z0-9]""")


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


def sentences(text: str) -> list[str]:
    """The sentences of a text, as strings."""
    return [text[a:b] for a, b in split_sentences(text)]
