"""Plain data records passed between the pipeline stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Article:
    """One news article, normalised from any input format."""

    id: str
    title: str
    text: str
    source: str = ""
    url: str = ""
    published: str | None = None  # ISO date (YYYY-MM-DD) or None
    authors: list[str] = field(default_factory=list)
    origin: str = ""  # file (and line) it came from
    pages: list[int] = field(default_factory=list)  # where each page starts in text (PDFs), for "p. 7" in citations

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Enrichment:
    """What ingest stores beside an article's chunks (qa/news): its attributed statements and its word 5-gram
    shingles (for near-duplicate stories)."""

    quotes: list[tuple] = field(default_factory=list)  # (speaker, canonical, statement, start, end, kind, cue)
    shingles: set[int] = field(default_factory=set)


@dataclass
class Chunk:
    """A token-sized, sentence-aligned span of an article's text."""

    article_id: str
    position: int
    start: int  # character offsets into Article.text
    end: int
    text: str
    n_tokens: int = 0


@dataclass
class Passage:
    """A retrieved chunk with its article metadata and retrieval scores."""

    chunk_id: int
    article_id: str
    position: int
    start: int
    end: int
    text: str
    title: str
    source: str
    url: str
    published: str | None
    score: float = 0.0
    dense_score: float | None = None
    bm25_score: float | None = None
    dense_rank: int | None = None
    bm25_rank: int | None = None
    duplicates: list[str] = field(default_factory=list)  # ids of near-duplicate articles collapsed into this one
    pages: list[int] = field(default_factory=list)  # the article's page starts (PDFs; see Article.pages)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Evidence:
    """One numbered sentence offered to the reader/generator, with exact offsets in its article."""

    n: int
    text: str
    article_id: str
    start: int  # character offsets into Article.text
    end: int
    passage_index: int  # index into the retrieved passages
    score: float = 0.0


@dataclass
class Citation:
    """A [n] marker resolved to the exact sentence it points at."""

    n: int
    article_id: str
    title: str
    source: str
    url: str
    published: str | None
    sentence: str
    start: int
    end: int
    passage_text: str = ""
    passage_start: int = 0
    page: int | None = None  # the PDF page the sentence is on

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """What the assistant returns for one question."""

    question: str
    text: str  # the answer with [n] markers
    short: str  # the phrase that answers the question (used for scoring)
    citations: list[Citation]
    passages: list[Passage]
    abstained: bool = False
    query: str = ""  # the standalone query actually searched (after condensing a follow-up)
    choice: int | None = None  # multiple choice: index of the picked choice (None = none supported)
    mode: str = "generated"  # generated | extractive | abstained | not said | choice
    shape: str = ""  # the question's shape: fact | number | quote | explanation | summary | timeline | comparison | choice
    timings: dict[str, float] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)  # generated sentences removed as unsupported
    as_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        """The Answer a `to_dict` (or a saved chat's record of it) describes; unknown keys are ignored."""
        known = _known(cls, data)
        known["citations"] = [Citation(**_known(Citation, c)) for c in known.get("citations", [])]
        known["passages"] = [Passage(**_known(Passage, p)) for p in known.get("passages", [])]
        return cls(**known)


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in cls.__dataclass_fields__}


@dataclass
class StreamEvent:
    """What `Assistant.stream` yields: 'status' and 'token' events while working, then one 'answer'."""

    kind: str
    text: str = ""
    answer: Answer | None = None
