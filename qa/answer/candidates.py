"""Answer candidates: the distinct phrases (spans, see spans.py) of the best evidence sentences and passage titles.

A phrase made only of the question's own words is never a candidate; 'Hurricane Ian' for 'which hurricane' also
gives 'Ian'; a demonym gives its country for 'which country'; 'Serena' and 'Williams' count for 'Serena Williams'.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..text.tokens import STOPWORDS, stem, words
from .evidence import Pool, Sentence
from .question import QuestionInfo
from .spans import Span, country_of, spans_many, strip_span


@dataclass
class Mention:
    """One occurrence of a candidate answer in a sentence (or a passage title)."""

    sentence: Sentence
    rank: int  # rank of the sentence among the evidence candidates (0 = best)
    span: Span
    in_title: bool = False


@dataclass
class Phrase:
    """A distinct answer phrase with its mentions, features and score."""

    text: str
    key: str
    label: str
    mentions: list[Mention] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    labels: dict[str, int] = field(default_factory=dict)  # how often each span label was seen (labellers disagree)




def phrase_key(text: str) -> str:
    """Grouping key of a phrase: lower-case words, no leading 'the', no punctuation."""
    w = [x.replace("’", "'") for x in words(text)]
    if w and w[0] == "the":
        w = w[1:]
    return " ".join(w)


def clean_span(text: str, label: str) -> str:
    t = strip_span(text)
    t = t.strip("\"“”‘’'")
    if label == "PERCENT":
        t = re.sub(r"\s?(?:percent|per cent)$", "%", t, flags=re.I)
    return t


def _trim_question_words(text: str, q: QuestionInfo) -> str:
    """Remove question words at either edge of a phrase ('Hurricane Ian' for 'which hurricane' -> 'Ian')."""
    toks = text.split()

    def inq(t: str) -> bool:
        w = t.lower().strip(".,;:'\"’").replace("’", "'").removesuffix("'s")
        return w in q.vocab or stem(w) in q.vocab or (t.islower() and w in STOPWORDS)
    while toks and inq(toks[0]):
        toks.pop(0)
    while toks and inq(toks[-1]):
        toks.pop()
    return " ".join(toks)


def in_question(text: str, q: QuestionInfo) -> float:
    """Share of the phrase's words that the question already contains."""
    w = [x for x in words(text) if x not in STOPWORDS or x.isdigit()]
    if not w:
        return 1.0
    return sum(x in q.vocab or stem(x) in q.vocab for x in w) / len(w)


# What/why/how questions are answered by a phrase of the sentence that answers them, never by a headline (or a title
# made from a file name): their candidates come from the evidence sentences only.
TITLELESS = frozenset({"thing", "yesno"})


def gather(q: QuestionInfo, pool: Pool, top: int = 25) -> list[Phrase]:
    """Distinct candidate phrases from the best ``top`` sentences and the passages' titles."""
    sents = list(pool.sentences[:top])
    passages = pool.passages
    titles: list[tuple[Sentence, int]] = []
    seen_titles: set[str] = set()
    for i, p in enumerate(passages if q.type not in TITLELESS else ()):
        if p.title and p.title not in seen_titles and not p.title.startswith("Quiz evidence"):
            seen_titles.add(p.title)
            best = min((r for r, c in enumerate(sents) if c.passage_index == i), default=len(sents))
            titles.append((Sentence(p.title, p.article_id, 0, 0, i, relevance=0.0, score=0.0), best))
    texts = [c.text for c in sents] + [t.text for t, _ in titles]
    all_spans = (pool.spans or spans_many)(texts)
    found: dict[str, Phrase] = {}
    for idx, spans in enumerate(all_spans):
        if q.plural:
            spans = spans + _pairs(texts[idx], spans)
        in_title = idx >= len(sents)
        sent, rank = (sents[idx], idx) if not in_title else titles[idx - len(sents)]
        for sp in spans:
            for text, label in _variants(sp, q):
                if not text or len(text) > 80 or len(text.split()) > 8:
                    continue
                if in_question(text, q) >= 1.0:
                    continue
                key = phrase_key(text)
                if not key:
                    continue
                cand = found.get(key)
                if cand is None:
                    cand = found[key] = Phrase(text, key, label)
                elif _label_rank(label) > _label_rank(cand.label):
                    cand.label = label
                cand.labels[label] = cand.labels.get(label, 0) + 1
                cand.mentions.append(Mention(sent, rank, sp, in_title))
    _credit_full_names(found)
    return list(found.values())


def _pairs(text: str, spans: Sequence[Span]) -> list[Span]:
    """'A and B' / 'A & B' spans from two names of one kind joined in the text."""
    names = sorted((s for s in spans if s.label in {"PERSON", "ORG", "GPE", "LOC", "NAME", "NORP"}), key=lambda s: s.start)
    out = []
    for a, b in zip(names, names[1:]):
        if re.fullmatch(r"\s*(?:and|&)\s*", text[a.end:b.start]):
            out.append(Span(a.start, b.end, text[a.start:b.end], "PAIR"))
    return out


def _variants(sp: Span, q: QuestionInfo) -> list[tuple[str, str]]:
    """The phrase as written, without the question's own words at its edges, and typed rewrites of it."""
    text = clean_span(sp.text, sp.label)
    out = [(text, sp.label)]
    trimmed = _trim_question_words(text, q)
    if trimmed != text:
        out.append((trimmed, sp.label))
    m = re.match(r"^(?:[a-z][\w\-]*\s+)+(?=[A-Z])", text)
    if m and sp.label in {"NP", "NAME"}:  # 'beloved Pumpkin Spice Latte' -> 'Pumpkin Spice Latte'
        out.append((text[m.end():], "NAME"))
    if q.type in {"country", "place"}:
        for part in (text, " ".join(text.split()[:2]), text.split()[0] if text else ""):
            country = country_of(part)
            if country:
                out.append((country, "GPE"))
                break
    return out


def _credit_full_names(found: dict[str, Phrase]) -> None:
    """'Serena' and 'Williams' mentions also count for 'Serena Williams' (names are shortened after first use)."""
    names = [c for c in found.values() if c.text[:1].isupper() and not any(ch.isdigit() for ch in c.key)]
    by_token: dict[str, list[Phrase]] = {}
    for c in names:
        for t in set(c.key.split()):
            by_token.setdefault(t, []).append(c)
    for short in names:
        toks = short.key.split()
        if len(toks) != 1 or len(toks[0]) < 3 or toks[0] in STOPWORDS:
            continue
        for full in by_token.get(toks[0], []):
            if full is not short and len(full.key.split()) in (2, 3):
                full.mentions.extend(Mention(m.sentence, m.rank, m.span, m.in_title) for m in short.mentions)


def _label_rank(label: str) -> int:
    return 0 if label in {"NP", "NAME"} else 2 if label == "PAIR" else 1


