"""News-aware enrichment: quotes and speakers, name variants, near-duplicate stories.

At ingest, `NewsEnricher.extract(article)` works out the article's attributed statements (quotes.py, names.py) and
its MinHash shingles (dedup.py) before the database transaction: plain rows, no SQL. `NewsEnricher.keep` runs
inside the transaction (qa/index hands it the database, as `NewsRecords`): rows in `quotes`, the signature in
`minhash`, and `articles.story_id` set to an earlier near-duplicate's story. An article that has a `minhash` row
has been enriched (ingest uses that to enrich indexes built before this). Query side: speakers.py (`speakers`,
`quotes`, `speaker_in_question`, `focus`, `aliases`), over `QuoteRecords`.
"""

from __future__ import annotations

from ..types import Article, Enrichment
from . import dedup, quotes
from .records import NewsRecords, QuoteRecords, StoryRecords

__all__ = ["DEDUP_THRESHOLD", "Enrichment", "NewsEnricher", "NewsRecords", "QuoteRecords", "StoryRecords", "enrich",
           "store_enrichment"]

DEDUP_THRESHOLD = 0.7  # the default of settings.ingest.dedup_threshold


def enrich(article: Article) -> Enrichment:
    """The article's quotes and shingles (worked out before the ingest transaction)."""
    rows = [(s.speaker, s.canonical, s.statement, s.start, s.end, s.kind, s.cue)
            for s in quotes.extract(article.text) if s.speaker and s.canonical]
    return Enrichment(rows, dedup.shingles(article.text))


def store_enrichment(db: NewsRecords, article: Article, enrichment: Enrichment, threshold: float = DEDUP_THRESHOLD) -> None:
    """Write an enrichment inside the index's ingest transaction."""
    db.replace_quotes(article.id, enrichment.quotes)
    dedup.record(db, article.id, article.text, threshold, enrichment.shingles, article.title)


class NewsEnricher:
    """What ingest runs per article (qa.ingest.pipeline.Enricher): `extract` before the write transaction, `keep`
    inside it."""

    def __init__(self, threshold: float = DEDUP_THRESHOLD) -> None:
        self.threshold = threshold

    def extract(self, article: Article) -> Enrichment:
        return enrich(article)

    def keep(self, db: NewsRecords, article: Article, enrichment: Enrichment) -> None:
        store_enrichment(db, article, enrichment, self.threshold)
