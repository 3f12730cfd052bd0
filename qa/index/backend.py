"""Where an index's chunks are searched: one small protocol, one file per engine, chosen by name.

SQLite (db.py) is the source of truth of every index folder: articles, chunks with their vectors, the FTS5 keyword
rows. A `Backend` keeps what search needs in step with it and owns every write to that copy:

  faiss   faiss_fts5.py: the FAISS file beside the database for dense search, SQLite FTS5 for BM25; a date window
          is the set of chunk ids of articles published in it (cut from one table of dates, per generation)
  milvus  milvus.py: one Milvus collection, dense vectors and Milvus's built-in BM25 function in one engine, the
          date window pushed down as a scalar filter on the publication day

`Index` (the package's face) holds the writer lock and the SQLite transaction; after each committed transaction it
hands the backend what changed (`apply`), and `save` when an ingest ends. Both backends return (chunk id, score;
higher is better) lists, so fusion, recency and diversity (qa/search/hybrid.py) do not know which one found a chunk.
Undated articles are kept inside every window, as a missing date says nothing about when a story happened.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np

if TYPE_CHECKING:
    from ..config import Settings
    from .db import Database

# index.backend → "module:class" of this package (imported on first use: pymilvus is heavy and optional)
BACKENDS = {"faiss": "faiss_fts5:FaissFts5", "milvus": "milvus:Milvus"}


@dataclass(frozen=True)
class DateWindow:
    """Articles published within [date_from, date_to] (ISO dates, either end open), undated articles included."""

    date_from: str | None = None
    date_to: str | None = None


class ChunkRow(NamedTuple):
    """What a backend keeps of one chunk (the database's row; `Database.iter_search_rows` yields these)."""

    chunk_id: int
    article_id: str
    published: str | None
    title: str
    text: str
    vector: np.ndarray


class Backend(Protocol):
    """Dense + keyword search over the chunks of one index folder, kept in step with its database."""

    name: str  # the index.backend value

    @property
    def kind(self) -> str:
        """What `qa stats` shows, e.g. 'IndexFlatIP' or 'Milvus Lite, collection chunks: HNSW (IP) + BM25'."""
        ...

    def load(self) -> None:
        """Be in step with the database: read the saved copy when it matches, else rebuild it from the database."""
        ...

    def apply(self, removed: Sequence[int], added: Sequence[ChunkRow], before: int, after: int) -> None:
        """One committed transaction: remove the chunk ids ``removed``, add the rows ``added``. ``before``/``after``
        are the database generations around it; a copy that did not match ``before`` is rebuilt instead."""
        ...

    def save(self, generation: int) -> None:
        """Make the copy durable, recording the database generation it matches."""
        ...

    def dense(self, query_vec: np.ndarray, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        """(chunk id, cosine) of the k nearest chunks."""
        ...

    def keyword(self, query: str, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        """(chunk id, BM25 score) of the k best chunks for an OR-query of the query's words."""
        ...

    def close(self) -> None: ...


class BackendClass(Protocol):
    def __call__(self, folder: Path, settings: Settings, dim: int, db: Database) -> Backend: ...

    def files(self, folder: Path) -> Iterable[Path]:
        """The files and folders this engine keeps in an index folder (a rebuild removes them)."""
        ...


def backend_class(name: str) -> BackendClass:
    """The class `index.backend` names (the settings validated the name)."""
    module, _, klass = BACKENDS[name].partition(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), klass)


def open_backend(folder: Path, settings: Settings, dim: int, db: Database) -> Backend:
    return backend_class(settings.index.backend)(folder, settings, dim, db)
