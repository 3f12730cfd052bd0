"""The default backend (`index.backend = "faiss"`): the FAISS file beside the database, SQLite FTS5 for BM25.

The vector index is saved (atomically, by rename) when an ingest ends, with the database generation it matches in
vectors.json; if it is missing or older than the database, e.g. after a kill -9 mid-ingest, or damaged, it is
rebuilt from the vectors stored in SQLite (the source of truth), so nothing is lost.

A date window becomes the set of chunk ids of articles published in it, cut from one table of every chunk's date,
sorted by date and read once per generation: a window is then two binary searches, where one SQL query per window
read every chunk (tens of ms at 100k chunks).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import StoreError
from . import manifest
from .backend import ChunkRow, DateWindow
from .check import file_crc32, vectors_mismatch
from .keyword import fts_query
from .schema import DB, FAISS_FILE, FAISS_META
from .vectors import FaissIndex, VectorIndex

if TYPE_CHECKING:
    from ..config import Settings
    from .db import Database

log = logging.getLogger(__name__)


class FaissFts5:
    """The FAISS file of the index folder and the SQLite FTS5 table."""

    name = "faiss"

    def __init__(self, folder: Path, settings: Settings, dim: int, db: Database) -> None:
        self.folder = folder
        self.dim = dim
        self.db = db
        self.exact_max = settings.ingest.exact_search_max
        self._vectors: VectorIndex | None = None
        self._generation = -1  # the database generation self._vectors matches
        self._windows: dict[tuple, np.ndarray] = {}
        self._dates: tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None  # see _date_table

    @staticmethod
    def files(folder: Path) -> Iterable[Path]:
        return folder / FAISS_FILE, folder / FAISS_META

    @property
    def kind(self) -> str:
        """The vector index type vectors.json records."""
        meta = self.folder / FAISS_META
        if not meta.is_file():
            return "not built yet"
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            return str(data.get("type", "?")) if isinstance(data, dict) else "? (vectors.json is damaged)"
        except (OSError, UnicodeDecodeError, ValueError):
            return f"? (vectors.json is damaged; rebuilt from {DB} on use)"

    def close(self) -> None:
        self._vectors = None

    # -- in step with the database ------------------------------------------------------------------
    def vectors(self) -> VectorIndex:
        """The vector index, loaded from disk when its generation matches the database, else rebuilt from it."""
        gen = self.db.generation()
        if self._vectors is not None and self._generation == gen:
            return self._vectors
        self._vectors = self._saved(gen)
        if self._vectors is None:
            n = self.db.counts()["chunks"]
            self._vectors = FaissIndex.build(self.dim, n, self.exact_max, self.db.iter_vectors())
        self._generation = gen
        return self._vectors

    def load(self) -> None:
        with self.db.lock:
            self.vectors()

    def _saved(self, gen: int) -> VectorIndex | None:
        """vectors.faiss when it was saved at this generation, is readable and holds exactly these chunks' vectors.

        Anything else (damaged, cut short, copied from another index) is rebuilt from SQLite by the caller: the
        vectors there are the source of truth, so nothing is lost; a warning line says so."""
        meta_file, faiss_file = self.folder / FAISS_META, self.folder / FAISS_FILE
        if not (faiss_file.is_file() and meta_file.is_file()):
            return None
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            if not isinstance(meta, dict) or meta.get("generation") != gen:
                return None  # older than the database (an interrupted ingest): rebuilt, as always
            if "crc32" in meta and meta["crc32"] != file_crc32(faiss_file):  # damaged where no check would look
                raise ValueError("checksum")
            vectors = FaissIndex.load(faiss_file)
        except Exception as exc:  # noqa: BLE001 - faiss raises RuntimeError with a C++ trace; json, ValueError
            log.warning("%s or %s is damaged (%s): rebuilding the vector index from %s; `qa check --repair` saves it",
                        faiss_file, meta_file.name, type(exc).__name__, DB)
            return None
        why = vectors_mismatch(vectors, self.db.chunk_ids(), self.db.chunk_vectors)
        if why:
            log.warning("%s does not belong to this index (%s): rebuilding it from %s; `qa check --repair` saves it",
                        faiss_file, why, DB)
            return None
        return vectors

    # -- writing (after the SQLite transaction committed) -------------------------------------------
    def apply(self, removed: Sequence[int], added: Sequence[ChunkRow], before: int, after: int) -> None:
        self._windows.clear()
        if self._vectors is None or self._generation != before or not self._vectors.remove(removed):
            self._vectors = None  # rebuilt from the database (which holds this change) on next use
            return
        if added:
            self._vectors.add(np.asarray([r.chunk_id for r in added], dtype=np.int64), np.vstack([r.vector for r in added]))
        self._generation = after

    def save(self, generation: int) -> None:
        vectors = self.vectors()
        if vectors.kind == "IndexFlatIP" and len(vectors) > self.exact_max:
            # an ingest adds to the flat index it started with; past exact_search_max it becomes the HNSW
            # graph here, once, from the stored vectors (a few seconds per 100k vectors on 2 cores)
            log.info("building the HNSW index of %d vectors (ingest.exact_search_max %d)", len(vectors), self.exact_max)
            vectors = self._vectors = FaissIndex.build(self.dim, len(vectors), self.exact_max, self.db.iter_vectors())
            self._generation = generation
        faiss_file = self.folder / FAISS_FILE
        try:
            vectors.save(faiss_file)
        except (OSError, RuntimeError) as exc:  # faiss raises RuntimeError with a C++ trace for a failed write
            raise StoreError(f"cannot write {faiss_file} ({_why(exc)}): free some disk space, then run the same "
                             f"command again (every batch committed is in {DB}; the vector index is rebuilt from it)") from None
        manifest.atomic_write(self.folder / FAISS_META, json.dumps(
            {"generation": generation, "ntotal": len(vectors), "type": vectors.kind,
             "crc32": file_crc32(faiss_file)}).encode())

    # -- reading --------------------------------------------------------------------------------------
    def dense(self, query_vec: np.ndarray, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        allowed = self.allowed(window)
        with self.db.lock:
            return self.vectors().search(query_vec, k, allowed)

    def keyword(self, query: str, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        expr = fts_query(query)
        return self.db.bm25(expr, k, self.allowed(window)) if expr else []

    def allowed(self, window: DateWindow | None) -> np.ndarray | None:
        """Chunk ids inside the window (None: no window, every chunk)."""
        if window is None:
            return None
        return self.chunk_ids_between(window.date_from, window.date_to)

    def chunk_ids_between(self, date_from: str | None, date_to: str | None, keep_undated: bool = True) -> np.ndarray:
        """Chunk ids (sorted) of articles published within [date_from, date_to] (undated kept by default), cached."""
        with self.db.lock:
            gen = self.db.generation()
            key = (date_from, date_to, keep_undated, gen)
            if key not in self._windows:
                if len(self._windows) > 32:
                    self._windows.clear()
                _, dates, dated, undated, every = self._date_table(gen)
                if not date_from and not date_to:
                    ids = every  # no bound: every chunk, as the SQL's WHERE 1 had it
                else:
                    lo = int(np.searchsorted(dates, date_from, "left")) if date_from else 0
                    hi = int(np.searchsorted(dates, date_to, "right")) if date_to else len(dates)
                    ids = dated[lo:max(lo, hi)]
                    ids = np.sort(np.concatenate([ids, undated]) if keep_undated else ids)
                self._windows[key] = ids
            return self._windows[key]

    def _date_table(self, gen: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(generation, published dates sorted (ISO strings compare as SQLite compares them), the chunk ids in that
        order, the undated chunks' ids, every chunk id sorted)."""
        if self._dates is None or self._dates[0] != gen:
            ids, published = self.db.chunk_dates()
            has = np.fromiter((p is not None for p in published), dtype=bool, count=len(published))
            dates = np.array([p for p in published if p is not None], dtype=str)
            order = np.argsort(dates, kind="stable")
            self._dates = (gen, dates[order], ids[has][order], np.sort(ids[~has]), np.sort(ids))
        return self._dates


def _why(exc: BaseException) -> str:
    text = str(exc)
    if getattr(exc, "errno", None) == 28 or "No space left" in text:
        return "no space left on the device"
    return getattr(exc, "strerror", None) or " ".join(text.split())[-160:]
