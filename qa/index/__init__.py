"""The index folder: SQLite (the source of truth) with a vector index beside it, fingerprinted by a manifest.

  schema.py    file names, the SQLite schema
  manifest.py  the fingerprint (embedding model + weights digest, chunking settings) and its checks
  db.py        every SQL statement: articles, chunks + vectors, FTS5 keyword rows, quotes, MinHash, meta
  backend.py   `Backend`: what search needs, kept in step with the database (load, apply a committed write, save,
               dense + keyword search within a `DateWindow`); `index.backend` names one of:
  faiss_fts5.py  the FAISS file + SQLite FTS5 (default), with vectors.py (the `VectorIndex` protocol, FAISS)
  milvus.py      one Milvus collection: dense + BM25 in one engine, rebuilt from SQLite
  keyword.py   the shape of BM25 queries

Only this package touches sqlite3, faiss or pymilvus. One writer at a time: every write holds the folder's
`index.lock` (lock.py; readers never take it). Crash safety: every ingest batch is one SQLite transaction that
also bumps `generation`; the backend is handed the committed change, and saves its copy when an ingest ends. A copy
that is missing or older than the database, e.g. after a kill -9 mid-ingest, is rebuilt from SQLite.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import Settings
from ..errors import StoreError
from ..ids import legacy_ids
from ..text.escape import valid_utf8
from ..types import Article, Chunk, Enrichment, Passage
from . import manifest
from .backend import BACKENDS, Backend, ChunkRow, DateWindow, backend_class, open_backend
from .db import Database
from .keyword import fts_phrase, idf_from_counts
from .lock import WriterLock
from .schema import DB, FILES, MANIFEST

if TYPE_CHECKING:
    from ..embed import Embedder

log = logging.getLogger(__name__)

# (article, content hash, chunks, vectors[len(chunks), dim], chunk text hashes, enrichment or None)
WriteItem = tuple[Article, str, Sequence[Chunk], np.ndarray, Sequence[str], Enrichment | None]
# stores an article's enrichment inside the write transaction, handed the database (qa/news's NewsEnricher.keep)
Keep = Callable[[Database, Article, Enrichment], None]


@dataclass
class Stats:
    """What `qa stats` shows."""

    articles: int
    chunks: int
    sources: int
    date_from: str | None
    date_to: str | None
    undated: int
    quotes: int
    stories: int
    bytes_on_disk: int
    embedding: str
    dim: int
    chunking: dict[str, Any]
    faiss: str
    path: str
    top_sources: list[tuple[str, int]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Index:
    """One index folder. Thread-safe: the database lock guards every read and write."""

    def __init__(self, path: str | Path, settings: Settings, embedder: Embedder, *, create: bool = True,
                 rebuild: bool = False) -> None:
        self.path = Path(path).expanduser()
        self.settings = settings
        self.dim = embedder.dim
        self._writer = WriterLock(self.path)
        self._writer_mutex = threading.RLock()  # threads of this process take turns; the file lock is per process
        self._writer_depth = 0
        self._files: tuple[int, int] | None = None  # (device, inode) of the database this object has open
        # A rebuild is one write with the ingest that follows it: the lock is held from the wipe until close().
        # Starting a new index is a write too (the manifest): another writer must not start it at the same time.
        hold = rebuild or (create and not (self.path / MANIFEST).is_file())
        if hold:
            self._take_writer()
        try:
            if rebuild and self.path.exists():
                _wipe(self.path)
            self._upgrade = False
            found = _open_checks(self.path, create)
            manifest.adopt(found, embedder)  # an int8 index is read with the int8 weights it was built with
            self.expected = manifest.fingerprint(settings, embedder)
            if found is None:
                self.path.mkdir(parents=True, exist_ok=True)
                manifest.write(self.path, self.expected)
            else:
                self._upgrade = manifest.check(self.path, found, self.expected)
            self.db = Database(self.path / DB)
            self._files = _identity(self.path / DB)
            _compare_counts(self.path, found, self.db)
        except BaseException:
            if hold:
                self._drop_writer()
            raise
        if hold and not rebuild:
            self._drop_writer()
        self.lock = self.db.lock
        self._doc_freq: dict[tuple[int, str], int] = {}
        self.backend: Backend = open_backend(self.path, settings, self.dim, self.db)

    def close(self) -> None:
        try:
            self.backend.close()
            self.db.close()
        finally:
            while self._writer_depth:
                self._drop_writer()

    # -- one writer at a time -----------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the folder's writer lock (re-entrant): another process writing it is a one-line error, at once."""
        self._take_writer()
        try:
            yield
        finally:
            self._drop_writer()

    def _take_writer(self) -> None:
        self._writer_mutex.acquire()
        if self._writer_depth == 0:
            try:
                self._writer.acquire()
                if self._files is not None and _identity(self.path / DB) != self._files:
                    raise StoreError(f"{self.path / DB} was replaced (rebuilt or deleted by another process) after "
                                     "this one opened it: run the same command again")
            except BaseException:
                self._writer.release()
                self._writer_mutex.release()
                raise
        self._writer_depth += 1

    def _drop_writer(self) -> None:
        self._writer_depth -= 1
        if self._writer_depth == 0:
            self._writer.release()
        self._writer_mutex.release()

    def generation(self) -> int:
        return self.db.generation()

    # -- writing ----------------------------------------------------------------------------------
    def write_batch(self, items: Sequence[WriteItem], enrich_only: Sequence[tuple[str, Enrichment]] = (),
                    keep: Keep | None = None) -> None:
        """Add or replace articles with their chunks, vectors and enrichment, in one transaction.

        ``enrich_only``: (article id, enrichment) of stored articles that only lack their enrichment; ``keep``
        stores each enrichment (needed when there is one).
        """
        if keep is None and (enrich_only or any(item[-1] is not None for item in items)):
            raise ValueError("write_batch: enrichments were given without `keep` to store them")
        with self.writing(), self.lock:
            self.backend.load()  # in step with the database before this change, so the change extends it
            added: list[ChunkRow] = []
            before = self.generation()
            with self.db.transaction():
                _, removed = self.db.delete_articles([a.id for a, *_ in items])
                for article, chash, chunks, vecs, hashes, _ in items:
                    if vecs.shape != (len(chunks), self.dim):
                        raise StoreError(f"article {article.id}: {len(chunks)} chunks but vectors {vecs.shape}")
                    self.db.insert_article(article, chash)
                    for chunk, vec, th in zip(chunks, vecs, hashes):
                        cid = self.db.insert_chunk(article, chunk, vec, th)
                        added.append(ChunkRow(cid, article.id, article.published, article.title, chunk.text, vec))
                for article, *_, enrichment in items:
                    if enrichment is not None:
                        keep(self.db, article, enrichment)
                for article_id, enrichment in enrich_only:
                    keep(self.db, self.db.article(article_id), enrichment)
            self.backend.apply(removed, added, before, self.generation())

    def remove(self, article_ids: Iterable[str]) -> int:
        """Remove articles (chunks, keyword rows, quotes, signatures); returns how many existed."""
        ids = list(article_ids)
        with self.writing(), self.lock:
            before = self.generation()
            with self.db.transaction():
                n, removed = self.db.delete_articles(ids)
            self.backend.apply(removed, [], before, self.generation())
            return n

    def save(self) -> None:
        """Make the backend's copy durable and write the manifest's counts, so the next open needs no rebuild."""
        with self.writing(), self.lock:
            self.backend.save(self.generation())
            manifest.write(self.path, self.expected, self.counts())
            self._upgrade = False

    # -- reading ------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        return self.db.counts()

    def known_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        return self.db.known_hashes(ids)

    def cached_vectors(self, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        return self.db.cached_vectors(text_hashes)

    def enriched_ids(self, ids: Sequence[str]) -> set[str]:
        return self.db.enriched_ids(ids)

    def ids_from_origins(self, paths: Iterable[str | Path]) -> dict[str, str]:
        """{article id: origin} of articles loaded from files under the given paths (made absolute, resolved).

        Origins are stored absolute; an older index's relative origins match only where the article's id proves
        the file was this one (see `legacy_ids`), never by a folder of the same name elsewhere."""
        roots = [Path(p).expanduser().resolve() for p in paths]
        found = self.db.ids_from_origins(valid_utf8(str(r)) for r in roots)  # as load.py records a name's bytes
        legacy = self.db.relative_origins()
        if legacy:
            found.update(legacy_ids(legacy, roots))
        return found

    def origins(self, ids: Sequence[str]) -> dict[str, str]:
        return self.db.origins(ids)

    def update_origins(self, origins: dict[str, str]) -> None:
        """Record where unchanged articles are loaded from now (an older index's relative paths made absolute)."""
        if origins:
            with self.writing():
                self.db.set_origins(origins.items())

    def newest_date(self) -> str | None:
        return self.db.newest_date()

    def dense_search(self, query_vec: np.ndarray, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        """(chunk id, cosine) of the k nearest chunks; ``window`` keeps articles published in it (and undated ones)."""
        return self.backend.dense(query_vec, k, window)

    def bm25_search(self, query: str, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        """(chunk id, BM25 score; higher is better) for an OR-query of the query's words, within ``window``."""
        return self.backend.keyword(query, k, window)

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        """IDF of stemmed terms over the chunks (document frequencies from the keyword index, cached)."""
        gen = self.generation()
        n = self.counts()["chunks"]
        df = {}
        for t in terms:
            key = (gen, t)
            if key not in self._doc_freq:
                if len(self._doc_freq) > 50_000:
                    self._doc_freq.clear()
                # a stem of letters and digits is one term of the keyword index; 'covid-19' is a phrase there
                self._doc_freq[key] = self.db.doc_freq(t) if t.isalnum() else self.db.match_count(fts_phrase(t))
            df[t] = self._doc_freq[key]
        return idf_from_counts(n, df)

    def passages(self, chunk_ids: Sequence[int]) -> dict[int, Passage]:
        return self.db.passages(chunk_ids)

    def story_ids(self, article_ids: Sequence[str]) -> dict[str, str]:
        return self.db.story_ids(article_ids)

    def chunks_of(self, article_ids: Sequence[str]) -> list[tuple[str, int]]:
        return self.db.chunks_of(article_ids)

    def article(self, article_id: str) -> Article | None:
        return self.db.article(article_id)

    def iter_articles(self, batch: int = 200) -> Iterable[Article]:
        return self.db.iter_articles(batch)

    def list_articles(self, date_from: str | None = None, date_to: str | None = None, source: str | None = None,
                      words: Sequence[str] = (), limit: int = 200) -> list[Article]:
        return self.db.list_articles(date_from, date_to, source, words, limit)

    def sources(self) -> list[tuple[str, int]]:
        return self.db.sources()

    def stats(self) -> Stats:
        s = self.db.summary()
        size = sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())  # a Milvus Lite folder included
        emb = self.expected["embedding"]
        return Stats(s["articles"], s["chunks"], s["sources"], s["date_from"], s["date_to"], s["undated"], s["quotes"],
                     s["stories"], size, f"{emb['model']} ({emb['backend']})", emb["dim"], self.expected["chunking"],
                     self.backend.kind, str(self.path), s["top_sources"])


def _open_checks(path: Path, create: bool) -> dict[str, Any] | None:
    """The manifest of an existing index (None: start a new one), after checking the folder is whole enough to
    open: a missing or 0-byte database beside a saved manifest is never silently replaced by an empty one."""
    db_file, man = path / DB, path / MANIFEST
    fix = f"restore the index folder from a backup, or rebuild it with `qa index PATH --index {path} --rebuild`"
    if not man.is_file():
        if db_file.is_file() and db_file.stat().st_size > 0:
            raise StoreError(f"{man} is missing but {db_file} is there: {fix}")
        if not create:
            raise StoreError(f"no index at {path}: build one with `qa index PATH --index {path}`")
        return None
    found = manifest.read(path)
    saved = "updated" in found  # a manifest that was never saved belongs to an index whose first ingest never ended
    if saved and not db_file.is_file():
        raise StoreError(f"{db_file} is missing ({MANIFEST} is there): {fix}")
    if saved and db_file.stat().st_size == 0:
        raise StoreError(f"{db_file} is empty (0 bytes; {MANIFEST} records a saved index): {fix}")
    return found


def _compare_counts(path: Path, found: dict[str, Any] | None, db: Database) -> None:
    """An empty database where the manifest recorded chunks is damage, not an empty index. (Counting also walks
    the tables' pages, so most truncations are caught here, as a one-line error.)"""
    counts = db.counts()
    saved = (found or {}).get("counts")
    chunks = saved.get("chunks") if isinstance(saved, dict) else None
    if isinstance(chunks, int) and chunks > 0 and counts["chunks"] == 0:
        raise StoreError(f"{path / DB} holds no chunks but {MANIFEST} records {chunks}: restore the index folder "
                         f"from a backup, or rebuild it with `qa index PATH --index {path} --rebuild`")


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _wipe(path: Path) -> None:
    for name in FILES:
        f = path / name
        if f.exists():
            f.unlink()
    for name in BACKENDS:
        for f in backend_class(name).files(path):
            if f.is_dir():
                shutil.rmtree(f)
            else:
                f.unlink(missing_ok=True)
    if path.exists() and not any(path.iterdir()):
        shutil.rmtree(path)
