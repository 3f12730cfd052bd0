"""Evidence selection: the sentences of the retrieved passages that best answer the question, numbered.

Each sentence gets
    relevance = 0.5 * cosine(question, sentence) + 0.5 * coverage
where coverage is the IDF-weighted share of the question's content words found in the sentence (with the
sentence's passage title and the neighbouring sentence counted at half weight; only the 32 sentences with the
best coverage are embedded, the rest count cosine 0), plus small bonuses for the
passage's retrieval rank and for sentences attributed to a speaker the question names. The best `n` are
numbered [1]..[n]. The best sentence's relevance is the signal the abstention threshold is compared with.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..embed import Embedder
from ..text.sentences import split_sentences
from ..text.dates import date_mentions
from ..text.junk import dateline_end, not_evidence
from ..text.similarity import jaccard
from ..text.tokens import FIGURE, capitalized_names, content_words, words
from ..types import Evidence, Passage
from .injection import injected
from .spans import Span

Idf = Callable[[Sequence[str]], dict[str, float]]  # stemmed terms -> inverse document frequency in the index
Embed = Callable[[Sequence[str]], np.ndarray]  # texts -> unit-length vectors (the embedding model)
SpansFn = Callable[[Sequence[str]], list[list[Span]]]  # texts -> candidate spans of each (spans.py)


EMBED_TOP = 32  # sentences per question whose cosine with the question is computed


@dataclass
class Sentence:
    """A sentence of a passage (offsets into its article), with its evidence scores."""

    text: str
    article_id: str
    start: int
    end: int
    passage_index: int
    cosine: float = 0.0
    coverage: float = 0.0
    relevance: float = 0.0
    score: float = 0.0


_ENDS_SENTENCE = re.compile(r"[.!?…:;][\"'”’)\]]*$")


def is_fragment(text: str) -> bool:
    """A heading, caption or one-line fragment ('Huawei phones'), not a sentence that can answer anything:
    under 4 words, or at most 10 words without a sentence-ending mark."""
    n = len(words(text))
    return n < 4 or (n <= 10 and not _ENDS_SENTENCE.search(text.strip()))


def sentences_of(passages: Sequence[Passage]) -> list[Sentence]:
    """Every sentence of every passage, with offsets into its article's text (headings and fragments left out)."""
    out: list[Sentence] = []
    seen: set[tuple[str, int]] = set()
    for i, p in enumerate(passages):
        spans = split_sentences(p.text)
        hostile = injected(p.text, spans)  # text addressed to the assistant is no evidence (injection.py)
        lines = _line_spans(p.text)
        for k, (a, b) in enumerate(spans):
            key = (p.article_id, p.start + a)
            if key in seen:  # overlapping chunks repeat sentences
                continue
            seen.add(key)
            text = p.text[a:b]
            if is_fragment(text) or k in hostile or not_evidence(text, _line_of(p.text, lines, a)):
                continue
            a += dateline_end(text)  # "WASHINGTON — The ..." is kept from "The"
            out.append(Sentence(p.text[a:b], p.article_id, p.start + a, p.start + b, i))
    return out


def _line_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]


def _line_of(text: str, lines: list[tuple[int, int]], at: int) -> str:
    """The line (paragraph) of ``text`` holding offset ``at``."""
    for a, b in lines:
        if a <= at < b:
            return text[a:b]
    return ""


def select_evidence(
    question: str,
    passages: Sequence[Passage],
    embedder: Embedder,
    n: int,
    idf: Callable[[Sequence[str]], dict[str, float]] | None = None,
    boost: Callable[[Sentence], float] | None = None,
    embed_top: int = EMBED_TOP,
) -> tuple[list[Evidence], list[Sentence]]:
    """Top ``n`` numbered evidence sentences, and every scored candidate (best first)."""
    cands = sentences_of(passages)
    if not cands:
        return [], []
    score_candidates(question, cands, passages, embedder, idf, boost, embed_top)
    ranked = sorted(cands, key=lambda c: (-c.score, c.passage_index, c.start))
    chosen: list[Sentence] = []
    for c in ranked:
        if any(_same(c.text, k.text) for k in chosen):
            continue
        chosen.append(c)
        if len(chosen) >= n:
            break
    evidence = [Evidence(i + 1, c.text, c.article_id, c.start, c.end, c.passage_index, round(c.score, 4))
                for i, c in enumerate(chosen)]
    return evidence, ranked


def score_candidates(question: str, cands: list[Sentence], passages: Sequence[Passage], embedder: Embedder,
                     idf: Callable[[Sequence[str]], dict[str, float]] | None = None,
                     boost: Callable[[Sentence], float] | None = None, embed_top: int = EMBED_TOP) -> None:
    """Coverage for every sentence; cosine only for the `embed_top` best by coverage (embedding is the cost)."""
    q_terms = sorted(set(content_words(question)))
    weights = idf(q_terms) if idf else {t: 1.0 for t in q_terms}
    total = sum(weights.get(t, 1.0) for t in q_terms) or 1.0
    bags = [set(content_words(c.text)) for c in cands]
    titles = [set(content_words(p.title)) for p in passages]
    for i, c in enumerate(cands):
        around = set()
        if i > 0 and cands[i - 1].passage_index == c.passage_index:
            around |= bags[i - 1]
        if i + 1 < len(cands) and cands[i + 1].passage_index == c.passage_index:
            around |= bags[i + 1]
        around |= titles[c.passage_index]
        got = sum(weights.get(t, 1.0) * (1.0 if t in bags[i] else 0.5 if t in around else 0.0) for t in q_terms)
        c.coverage = got / total
        c.score = (boost(c) if boost else 0.0) + 0.05 / (1 + c.passage_index)
    # Sentences sharing few of the question's words are embedded only while they fit in the budget.
    order = sorted(range(len(cands)), key=lambda i: -(cands[i].coverage + cands[i].score))[:embed_top]
    vecs = embedder.embed([question] + [cands[i].text for i in order])
    for row, i in enumerate(order, 1):
        cands[i].cosine = float(max(0.0, vecs[row] @ vecs[0]))
    for c in cands:
        c.relevance = 0.5 * c.cosine + 0.5 * c.coverage
        c.score += c.relevance


@dataclass(frozen=True)
class CoverWeights:
    """What a composed answer's evidence favours beyond relevance (fitted on the TRAIN reporter questions:
    eval/studies/evidence_cover.py)."""

    story: float = 0.0  # a sentence of the story the question is about (the first passage's article)
    lead: float = 0.0  # ... and near its start (the lead of a news story carries who, what, when, how many)
    lead_chars: int = 1500  # the lead bonus falls to 0 this far into the article
    dated: float = 0.0  # a sentence naming a date (a timeline's events)
    quoted: float = 0.0  # a sentence with words in quotation marks (what someone said)
    figure: float = 0.0  # a sentence with a number in it (how many, how much: a summary's facts)
    repeat: float = 0.6  # word overlap (Jaccard) above which a sentence repeats a better one and is left out


COVER = {  # fitted on the TRAIN reporter questions with eval/studies/evidence_cover.py (docs/answers.md)
    "quote": CoverWeights(lead=0.2, figure=0.1, quoted=0.2),
    "explanation": CoverWeights(lead=0.2, figure=0.1),
    "summary": CoverWeights(lead=0.2, figure=0.1),
    "timeline": CoverWeights(lead=0.2, figure=0.1, dated=0.2),
    "comparison": CoverWeights(lead=0.2, figure=0.1),
}


QUOTED = re.compile(r"[“\"][^”\"]{12,}(?:[”\"]|$)|^[^“\"]{12,}[”\"]")  # words in quotation marks


def cover_scores(ranked: Sequence[Sentence], passages: Sequence[Passage], shape: str) -> list[Sentence]:
    """``ranked`` re-ranked for a composed answer of ``shape`` (COVER), near-repeats of better sentences left out."""
    w = COVER.get(shape, CoverWeights())
    story = passages[0].article_id if passages else None
    scored = []
    for x in ranked:
        bonus = 0.0
        if x.article_id == story:
            bonus += w.story + w.lead * max(0.0, 1.0 - x.start / w.lead_chars)
        if w.dated and date_mentions(x.text):
            bonus += w.dated
        if w.quoted and QUOTED.search(x.text):
            bonus += w.quoted
        if w.figure and FIGURE.search(x.text):
            bonus += w.figure
        scored.append((x.score + bonus, x))
    out: list[Sentence] = []
    bags: list[set[str]] = []
    for total, x in sorted(scored, key=lambda t: (-t[0], t[1].passage_index, t[1].start)):
        bag = set(content_words(x.text))
        if any(jaccard(bag, b) > w.repeat for b in bags):
            continue
        bags.append(bag)
        out.append(Sentence(x.text, x.article_id, x.start, x.end, x.passage_index, x.cosine, x.coverage, x.relevance,
                            total))
    return out


def missing_names(question: str, passages: Sequence[Passage], ignore: set[str] = frozenset()) -> list[str]:
    """Names the question asks about (capitalised, not its first word) that no retrieved passage mentions."""
    q_words = words(question)
    first = q_words[0] if q_words else ""
    names = {n for n in capitalized_names(question) if n != first and n not in ignore}
    text = " ".join(p.title + " " + p.text for p in passages).lower()
    have = set(words(text)) | {w[:-2] for w in words(text) if w.endswith("'s")}
    return sorted(n for n in names if n not in have and n.rstrip("s") not in have)


def _same(a: str, b: str) -> bool:
    return jaccard(words(a), words(b)) > 0.85


def uniform_idf(terms: Sequence[str]) -> dict[str, float]:
    """Every term weighs 1 (when no index statistics are at hand)."""
    return {t: 1.0 for t in terms}


@dataclass
class Pool:
    """What the reader reads for one question: the ranked evidence sentences and their passages, the date the
    question is asked on, the index's IDF, the embedding model, and the span extractor (None: spaCy)."""

    question: str
    sentences: Sequence[Sentence]
    passages: Sequence[Passage]
    as_of: str | None = None
    idf: Idf = uniform_idf
    embed: Embed | None = None
    spans: SpansFn | None = None
