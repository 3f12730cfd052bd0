"""News-aware enrichment: quotes and speakers, name variants, near-duplicate stories.

At ingest, `enrich(article, chunks)` extracts the article's attributed statements (quotes.py, names.py) and its
MinHash shingles (dedup.py) before the database transaction, and returns the writer that ingest runs inside it:
rows in `quotes`, the signature in `minhash`, and `articles.story_id` set to an earlier near-duplicate's story.
An article that has a `minhash` row has been enriched (ingest uses that to enrich indexes built before this).
Query side: speakers.py (`speakers`, `quotes`, `speaker_in_question`, `focus`, `aliases`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from ..types import Article, Chunk

DEDUP_THRESHOLD = 0.7  # the default of settings.ingest.dedup_threshold


def enrich(article: Article, chunks: Sequence[Chunk] = (), *,
           threshold: float = DEDUP_THRESHOLD) -> Callable[[sqlite3.Connection], None]:
    """Work out the article's quotes and shingles now; return the writer ingest runs in its transaction."""
    from . import dedup, quotes

    rows = [(article.id, s.speaker, s.canonical, s.statement, s.start, s.end, s.kind, s.cue)
            for s in quotes.extract(article.text) if s.speaker and s.canonical]
    hashes = dedup.shingles(article.text)

    def write(db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM quotes WHERE article_id = ?", (article.id,))
        db.executemany('INSERT INTO quotes(article_id, speaker, canonical, statement, start, "end", kind, cue) '
                       "VALUES(?, ?, ?, ?, ?, ?, ?, ?)", rows)
        dedup.record(db, article.id, article.text, threshold, hashes, article.title)

    return write
