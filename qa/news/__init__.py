"""News-aware enrichment: quotes and speakers, name variants, near-duplicate stories.

At ingest, `enrich(article)` extracts the article's attributed statements (quotes.py, names.py) and its MinHash
shingles (dedup.py) before the database transaction: plain rows, no SQL. `store_enrichment` runs inside the
transaction (qa/index): rows in `quotes`, the signature in `minhash`, and `articles.story_id` set to an earlier
near-duplicate's story. An article that has a `minhash` row has been enriched (ingest uses that to enrich indexes
built before this). Query side: speakers.py (`speakers`, `quotes`, `speaker_in_question`, `focus`, `aliases`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..types import Article

DEDUP_THRESHOLD = 0.7  # the default of settings.ingest.dedup_threshold


@dataclass
class Enrichment:
    """What ingest stores beside an article's chunks: its attributed statements and its word 5-gram shingles."""

    quotes: list[tuple] = field(default_factory=list)  # (speaker, canonical, statement, start, end, kind, cue)
    shingles: set[int] = field(default_factory=set)


def enrich(article: Article) -> Enrichment:
    """The article's quotes and shingles (worked out before the ingest transaction)."""
    from . import dedup, quotes

    rows = [(s.speaker, s.canonical, s.statement, s.start, s.end, s.kind, s.cue)
            for s in quotes.extract(article.text) if s.speaker and s.canonical]
    return Enrichment(rows, dedup.shingles(article.text))


def store_enrichment(db: Any, article: Article, enrichment: Enrichment, threshold: float = DEDUP_THRESHOLD) -> None:
    """Write an enrichment inside the index's ingest transaction (``db``: `qa.index.db.Database`)."""
    from . import dedup

    db.replace_quotes(article.id, enrichment.quotes)
    dedup.record(db, article.id, article.text, threshold, enrichment.shingles, article.title)
