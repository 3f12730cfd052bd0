"""What the Retriever needs of an index: dense + keyword search over chunk ids, within a date window.

Two backends implement `SearchBackend` (`index.backend`):

  faiss   the FAISS file beside the SQLite database (vectors.py) for dense search, SQLite FTS5 for BM25; a date
          window becomes the set of chunk ids of articles published in it (one SQL query, cached per generation)
  milvus  one Milvus collection (milvus.py): dense vectors and Milvus's built-in BM25 function in one engine,
          the date window pushed down as a scalar filter on the publication day

Both return (chunk id, score; higher is better) lists, so fusion, recency and diversity (qa/search/hybrid.py) do
not know which backend found a chunk. Undated articles are kept inside every window, as a missing date says nothing
about when a story happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from .keyword import fts_query

if TYPE_CHECKING:
    from . import Index

@dataclass(frozen=True)
class DateWindow:
    """Articles published within [date_from, date_to] (ISO dates, either end open), undated articles included."""

    date_from: str | None = None
    date_to: str | None = None


class SearchBackend(Protocol):
    """Dense + keyword search over the chunks of one index, optionally within a date window."""

    kind: str  # what `qa stats` shows, e.g. 'IndexFlatIP + FTS5' or 'Milvus Lite HNSW + BM25'

    def dense(self, query_vec: np.ndarray, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        """(chunk id, cosine) of the k nearest chunks."""
        ...

    def keyword(self, query: str, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        """(chunk id, BM25 score) of the k best chunks for an OR-query of the query's words."""
        ...


class FaissFts5:
    """The default backend: the FAISS file of the index folder and the SQLite FTS5 table."""

    def __init__(self, index: Index) -> None:
        self.index = index

    @property
    def kind(self) -> str:
        return "faiss"

    def allowed(self, window: DateWindow | None) -> np.ndarray | None:
        """Chunk ids inside the window (None: no window, every chunk)."""
        if window is None:
            return None
        return self.index.chunk_ids_between(window.date_from, window.date_to)

    def dense(self, query_vec: np.ndarray, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        allowed = self.allowed(window)
        with self.index.lock:
            return self.index._vectors_ready().search(query_vec, k, allowed)

    def keyword(self, query: str, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        expr = fts_query(query)
        return self.index.db.bm25(expr, k, self.allowed(window)) if expr else []
