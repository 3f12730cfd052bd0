"""Query side of the quotes table: who is quoted, what a person said (about a topic), and speaker questions.

A query name matches a canonical speaker when it equals the canonical name or one of its variants (the names
the statements were written under), or — for a one-word query — one of the canonical name's words; failing
those, when it sounds/spells alike (names.py's rule). `about` ranks a person's statements by
    score = 0.5 * cosine(topic, statement) + 0.5 * share of the topic's content words in the statement
and keeps a statement when it contains a topic word, or its cosine reaches ABOUT_MIN_COSINE, or its cosine is at
least ABOUT_RELATIVE times that of the speaker's most on-topic statement (itself >= ABOUT_MIN_COSINE). The last
clause is there because one-word topics get low cosines from all-MiniLM-L6-v2 ("chips" vs a statement about
buying "American components": 0.16, while unrelated statements of the same speaker stay near 0.1 and below).
"""

from __future__ import annotations

import re
import weakref
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from ..text.dates import upper_bound
from ..text.tokens import content_words
from ..types import Evidence
from . import names as nm
from .records import QuoteRecords

if TYPE_CHECKING:
    from ..embed import Embedder

ABOUT_MIN_COSINE = 0.3  # a statement this close to the topic is about it
ABOUT_RELATIVE = 0.4  # ... and so is one at least this fraction as close as the speaker's closest statement
# For answering (stricter than listing): a statement clearly on the topic shares a topic word or has this cosine;
# "What did Ren say about Apple's iPhone sales?" finds Ren's statements on Huawei phones at 0.30–0.36, none clear.
CLEAR_COSINE = 0.45
TOP_RELATIVE = 0.8  # the statements an answer should lead with score at least this fraction of the best
EMBED_AT_MOST = 64  # statements embedded per query; more are pre-ranked by word overlap and their chunk's vector
_PRONOUNS = {"he", "she"}


@dataclass
class Speaker:
    """A canonical speaker, the names their statements were written under, and how many statements."""

    name: str
    variants: list[str]
    count: int


@dataclass
class Quote:
    """One statement of a speaker, located in its article."""

    canonical: str
    speaker: str
    statement: str
    article_id: str
    title: str
    published: str | None
    start: int
    end: int
    score: float = 0.0
    chunk_id: int | None = field(default=None, repr=False)


def speakers(store: QuoteRecords, limit: int = 20) -> list[Speaker]:
    """The most quoted speakers with their name variants (most statements first)."""
    by_name: dict[str, Counter[str]] = defaultdict(Counter)
    for canonical, speaker, n in _pairs(store):
        by_name[canonical][speaker] += n
    out = [Speaker(c, variants(c, forms), sum(forms.values())) for c, forms in by_name.items()]
    out.sort(key=lambda s: (-s.count, s.name))
    return out[:limit]


def variants(canonical: str, forms: Counter[str]) -> list[str]:
    """The canonical name first, then the other written forms by frequency (pronouns left out, case folded)."""
    seen = {canonical.lower()}
    out = [canonical]
    for form, _ in sorted(forms.items(), key=lambda kv: (-kv[1], kv[0])):
        key = form.lower()
        if key in seen or key in _PRONOUNS:
            continue
        seen.add(key)
        out.append(form)
    return out


def match(store: QuoteRecords, name: str) -> list[str]:
    """Canonical speakers a query name refers to (see the module docstring)."""
    q = " ".join(name.split()).strip(" ?.,")
    ql = q.lower()
    if not ql:
        return []
    pairs = _pairs(store)
    exact = {c for c, s, _ in pairs if c.lower() == ql or s.lower() == ql}
    one_word = len(nm.tokens(q)) == 1
    if one_word:
        exact |= {c for c, _, _ in pairs if ql in (t.lower() for t in nm.tokens(c))}
    if exact:
        return sorted(exact)
    if one_word:
        alike = {c for c, s, _ in pairs if s.lower() not in _PRONOUNS and (nm.could_be(q, c) or nm.could_be(q, s))}
    else:
        alike = {c for c, s, _ in pairs if nm.same_full_name(q, c) or nm.same_full_name(q, s)}
    return sorted(alike)


def quotes(store: QuoteRecords, name: str, about: str | None = None, embedder: Embedder | None = None, limit: int = 10, *,
           date_from: date | None = None, date_to: date | None = None) -> list[Quote]:
    """Statements attributed to ``name`` (any variant); with ``about``, only those on that topic, best first."""
    canon = match(store, name)
    if not canon:
        return []
    rows = _statements(store, canon, date_from, date_to)
    if not about or not about.strip():
        rows.sort(key=lambda q: (q.published or "", q.article_id, -q.start), reverse=True)
        return rows[:limit]
    return rank_about(store, rows, about, embedder)[:limit]


def rank_about(store: QuoteRecords, rows: list[Quote], about: str, embedder: Embedder | None = None) -> list[Quote]:
    """The statements that are about the topic, best first (scores set)."""
    topic = set(content_words(about))
    if not rows or not topic:
        return []
    overlap = [len(topic & set(content_words(q.statement))) / len(topic) for q in rows]
    if embedder is None:
        for q, o in zip(rows, overlap):
            q.score = o
        return sorted((q for q, o in zip(rows, overlap) if o > 0), key=lambda q: (-q.score, q.article_id, q.start))
    qvec = embedder.embed([about])[0]
    order = list(range(len(rows)))
    if len(rows) > EMBED_AT_MOST:  # pre-rank by overlap and the stored vector of the chunk holding the statement
        cvec = store.chunk_vectors(q.chunk_id for q in rows if q.chunk_id is not None)
        pre = [o + float(cvec[q.chunk_id] @ qvec) if q.chunk_id in cvec else o for q, o in zip(rows, overlap)]
        order = sorted(order, key=lambda i: -pre[i])[:EMBED_AT_MOST]
    vecs = embedder.embed([rows[i].statement for i in order])
    cosines = [float(np.dot(v, qvec)) for v in vecs]
    best = max(cosines, default=0.0)
    floor = min(ABOUT_MIN_COSINE, ABOUT_RELATIVE * best) if best >= ABOUT_MIN_COSINE else ABOUT_MIN_COSINE
    kept = []
    for i, cos in zip(order, cosines):
        if overlap[i] == 0 and cos < floor:
            continue
        rows[i].score = round(0.5 * max(cos, 0.0) + 0.5 * overlap[i], 4)
        kept.append(rows[i])
    return sorted(kept, key=lambda q: (-q.score, q.article_id, q.start))


# -- speaker questions ------------------------------------------------------------------------------

_NAME = r"(?P<n>[A-Z][\w’'.\-]*(?:\s+[A-Z][\w’'.\-]*){0,3}|the\s+[\w’'\- ]{3,40}?)"
_VERBS = (r"(?:say|said|says|tell|told|think|thought|feel|felt|believe|believed|comment(?:ed)?|claim(?:ed)?|write|"
          r"wrote|argue|argued|mean|meant|stress|stressed|add|added|predict|predicted|warn|warned|announce|announced|"
          r"reveal|revealed|hope|hoped|hopes|want|wanted|wants|promise|promised|promises)")
_TOPIC = r"(?:about|on|of|regarding|concerning|to)\s+(?P<t>.+)"
_QUESTIONS = [
    re.compile(rf"^(?:what|how)\s+(?:did|does|do|has|have|had|would|will)\s+{_NAME}\s+{_VERBS}\b(?:\s+\w+){{0,2}}?"
               rf"(?:\s+{_TOPIC})?$", re.I),
    re.compile(rf"^(?:did|has|had|does|have|was|is)\s+{_NAME}\s+(?:ever\s+)?(?:say|said|comment(?:ed)?|speak|spoken|"
               rf"talk(?:ed)?|mention(?:ed)?|remark(?:ed)?|respond(?:ed)?|react(?:ed)?|weigh(?:ed)?\s+in)\b"
               rf"(?:\s+anything)?\s+{_TOPIC}$", re.I),
    re.compile(rf"^according\s+to\s+{_NAME}\s*,\s*(?P<t>.+)$", re.I),
    re.compile(rf"^(?:what|how)\s+(?:is|was|are|were)\s+{_NAME}['’]s?\s+(?:view|views|position|stance|opinion|take|"
               rf"comments?|"
               rf"reaction|response|statement|remarks?)\s+{_TOPIC}$", re.I),
]
_TOPIC_STOP = re.compile(r"^(?:the|a|an)\s+", re.I)


def speaker_in_question(question: str) -> tuple[str, str] | None:
    """(name, topic) of 'what did X say about Y', 'did X comment on Y', 'according to X, ...', 'what does X think of Y'.

    The topic is '' for 'what did X say?'; None when the question is not about what someone said.
    """
    q = " ".join(question.split()).strip().rstrip("?!. ")
    for pattern in _QUESTIONS:
        m = pattern.match(q)
        if not m:
            continue
        name = m.group("n").strip()
        if not (name[0].isupper() or name.lower().startswith("the ")) or name.lower() in {"he", "she", "they", "it"}:
            continue
        topic = (m.groupdict().get("t") or "").strip()
        return name, topic
    return None


@dataclass
class Focus:
    """What a speaker question steers: the speaker's statements on the topic, their chunks and sentences."""

    name: str
    topic: str
    canonicals: list[str]
    quotes: list[Quote]  # statements on the topic, best first
    spans: dict[str, list[tuple[int, int, bool]]]  # article id -> (start, end, on topic) of all their statements
    clear: list[Quote] = field(default_factory=list)  # statements clearly on the topic (all of them without a topic)

    @property
    def name_words(self) -> frozenset[str]:
        """The question's words for the speaker (resolved, so not 'missing' even if spelled differently)."""
        return frozenset(t.lower() for t in nm.tokens(self.name))

    @property
    def chunks(self) -> list[tuple[int, float]]:
        """Chunk ids holding the speaker's statements on the topic, as a ranked list for fusion."""
        seen: dict[int, float] = {}
        for q in self.quotes:
            if q.chunk_id is not None and q.chunk_id not in seen:
                seen[q.chunk_id] = q.score
        return list(seen.items())

    def boost(self, candidate: Any) -> float:
        """Evidence bonus for a sentence inside the speaker's statements (more when on the topic)."""
        best = 0.0
        for a, b, on_topic in self.spans.get(candidate.article_id, ()):
            if a < candidate.end and candidate.start < b:
                best = max(best, 0.15 if on_topic else 0.05)
        return best


def focus(store: QuoteRecords, question: str, embedder: Embedder | None = None, *, as_of: date | None = None,
          date_from: date | None = None, date_to: date | None = None, limit: int = 20) -> Focus | None:
    """The speaker focus of a 'what did X say about Y' question, or None when it is not one (or X is unknown)."""
    found = speaker_in_question(question)
    if not found:
        return None
    name, topic = found
    canon = match(store, name)
    if not canon:
        return None
    rows = _statements(store, canon, date_from, upper_bound(as_of, date_to))
    if not rows:
        return None
    on_topic = rank_about(store, list(rows), topic, embedder)[:limit] if topic else \
        sorted(rows, key=lambda q: (q.published or "", -q.start), reverse=True)[:limit]
    clear, lead = on_topic, on_topic
    if topic:
        words = set(content_words(topic))
        clear = [q for q in on_topic if words & set(content_words(q.statement)) or q.score >= CLEAR_COSINE / 2]
        lead = [q for q in clear if q.score >= TOP_RELATIVE * clear[0].score] if clear else []
    keys = {(q.article_id, q.start) for q in lead}
    spans: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
    for q in rows:
        spans[q.article_id].append((q.start, q.end, (q.article_id, q.start) in keys))
    return Focus(name, topic, canon, on_topic, dict(spans), clear)


def aliases(store: QuoteRecords) -> Callable[[Evidence], set[str]]:
    """For the citation check: the name words of every speaker whose statement overlaps a piece of evidence."""
    cache: dict[str, set[str]] = {}

    def names_of(e: Evidence) -> set[str]:
        out: set[str] = set()
        for c in store.speakers_at(e.article_id, e.start, e.end):
            if c not in cache:
                cache[c] = _name_words(store, c)
            out |= cache[c]
        return out

    return names_of


def _name_words(store: QuoteRecords, canonical: str) -> set[str]:
    forms = store.speaker_forms(canonical)
    words = set()
    for form in [canonical, *forms]:
        if form[:1].isupper() and form.lower() not in _PRONOUNS:
            words |= {t.lower() for t in nm.tokens(form)}
    return words


# -- storage helpers ---------------------------------------------------------------------------------

_PAIRS: weakref.WeakKeyDictionary[QuoteRecords, tuple[int, list[tuple[str, str, int]]]] = weakref.WeakKeyDictionary()


def _pairs(store: QuoteRecords) -> list[tuple[str, str, int]]:
    """(canonical, written form, statements) for the whole index, cached until the index changes."""
    gen = store.generation()
    hit = _PAIRS.get(store)
    if hit and hit[0] == gen:
        return hit[1]
    rows = store.speaker_pairs()
    _PAIRS[store] = (gen, rows)
    return rows


def _statements(store: QuoteRecords, canonicals: Sequence[str], date_from: date | None, date_to: date | None) -> list[Quote]:
    rows = store.statements(canonicals, date_from.isoformat() if date_from else None,
                               date_to.isoformat() if date_to else None)
    return [Quote(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], 0.0, r[8]) for r in rows]
