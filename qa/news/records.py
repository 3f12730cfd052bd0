"""What qa/news reads and writes of an index, as small protocols (`qa.index.db.Database` implements both): the news
rooms never import qa/index, and a test can hand them a few rows of its own."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np


class StoryRecords(Protocol):
    """Near-duplicate stories (dedup.py), written inside the ingest transaction."""

    def band_candidates(self, band_keys: Sequence[int], exclude: str, limit: int = 200) -> list[tuple[str, bytes, str]]:
        """(article id, MinHash signature, title) of other articles sharing an LSH band key."""
        ...

    def text_story_title(self, article_id: str) -> tuple[str, str | None, str] | None: ...

    def replace_signature(self, article_id: str, signature: bytes, band_keys: Sequence[int]) -> None: ...

    def set_story(self, article_id: str, story_id: str) -> None: ...


class QuoteRecords(Protocol):
    """Attributed statements (quotes.py writes them at ingest, speakers.py reads them)."""

    def generation(self) -> int:
        """Changes with every write (caches are kept per generation)."""
        ...

    def replace_quotes(self, article_id: str, rows: Sequence[tuple]) -> None: ...

    def speaker_pairs(self) -> list[tuple[str, str, int]]: ...

    def statements(self, canonicals: Sequence[str], date_from: str | None, date_to: str | None) -> list[tuple]: ...

    def speakers_at(self, article_id: str, start: int, end: int) -> list[str]: ...

    def speaker_forms(self, canonical: str) -> list[str]: ...

    def chunk_vectors(self, chunk_ids: Iterable[int]) -> dict[int, np.ndarray]: ...


class NewsRecords(StoryRecords, QuoteRecords, Protocol):
    """Everything an article's enrichment is stored into."""
