"""The index folder: SQLite (the source of truth) with a vector index beside it, fingerprinted by a manifest.

  schema.py    file names, the SQLite schema
  manifest.py  the fingerprint (embedding model + weights digest, chunking settings) and its checks
  db.py        every SQL statement: articles, chunks + vectors, FTS5 keyword rows, quotes, MinHash, meta
  vectors.py   the `VectorIndex` protocol and its FAISS implementation
  keyword.py   the shape of BM25 queries
  backend.py   `SearchBackend` (dense + keyword search within a `DateWindow`), the FAISS + FTS5 one
  milvus.py    the Milvus one (`index.backend = "milvus"`): dense + BM25 in one collection, rebuilt from SQLite

Only this package touches sqlite3, faiss or pymilvus. One writer at a time: every write holds the folder's
`index.lock` (lock.py; readers never take it). Crash safety: every ingest batch is one SQLite transaction that
also bumps `generation`. The vector index is saved (atomically, by rename) when an ingest ends; if it is missing
or older than the database, e.g. after a kill -9 mid-ingest, it is rebuilt from the vectors stored in SQLite.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Settings
from ..errors import ConfigError, StoreError
from ..text.escape import shown, valid_utf8
from ..types import Article, Chunk, Passage
from . import manifest
from .backend import DateWindow, FaissFts5, SearchBackend
from .check import file_crc32, vectors_mismatch
from .db import Database
from .keyword import idf_from_counts, phrase
from .lock import WriterLock
from .schema import DB, FAISS_FILE, FAISS_META, FILES, MANIFEST
from .vectors import FaissIndex, VectorIndex

log = logging.getLogger(__name__)

# (article, content hash, chunks, vectors[len(chunks), dim], chunk text hashes, enrichment or None)
WriteItem = tuple[Article, str, Sequence[Chunk], np.ndarray, Sequence[str], Any]


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

    def __init__(self, path: str | Path, settings: Settings, embedder: Any, *, create: bool = True,
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
        self._vectors: VectorIndex | None = None
        self._vectors_generation = -1
        self._windows: dict[tuple, np.ndarray] = {}
        self._dates: tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None  # see _date_table
        self._doc_freq: dict[tuple[int, str], int] = {}
        self._milvus = None  # the Milvus collection when index.backend is 'milvus' (then no FAISS file is kept)
        if settings.index.backend == "milvus":
            from .milvus import MilvusSearch

            self._milvus = MilvusSearch(self.path, settings.index, self.dim, self.db)
        self.backend: SearchBackend = self._milvus or FaissFts5(self)

    def close(self) -> None:
        try:
            if self._milvus is not None:
                self._milvus.close()
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
    def write_batch(self, items: Sequence[WriteItem], enrich_only: Sequence[tuple[str, Any]] = ()) -> None:
        """Add or replace articles with their chunks, vectors and news enrichment, in one transaction.

        ``enrich_only``: (article id, enrichment) of stored articles that only lack their news enrichment.
        """
        from ..news import store_enrichment

        with self.writing(), self.lock:
            vectors = self._vectors_ready() if self._milvus is None else None
            added_ids: list[int] = []
            added_vecs: list[np.ndarray] = []
            added_rows: list[tuple] = []  # what the Milvus collection stores of each new chunk
            removed: list[int] = []
            before = self.generation()
            with self.db.transaction():
                _, removed = self.db.delete_articles([a.id for a, *_ in items])
                for article, chash, chunks, vecs, hashes, _ in items:
                    if vecs.shape != (len(chunks), self.dim):
                        raise StoreError(f"article {article.id}: {len(chunks)} chunks but vectors {vecs.shape}")
                    self.db.insert_article(article, chash)
                    for chunk, vec, th in zip(chunks, vecs, hashes):
                        added_ids.append(self.db.insert_chunk(article, chunk, vec, th))
                        added_vecs.append(vec)
                        added_rows.append((added_ids[-1], article.id, article.published, article.title, chunk.text, vec))
                for article, *_, enrichment in items:
                    if enrichment is not None:
                        store_enrichment(self.db, article, enrichment, self.settings.ingest.dedup_threshold)
                for article_id, enrichment in enrich_only:
                    store_enrichment(self.db, self.db.article(article_id), enrichment, self.settings.ingest.dedup_threshold)
            if self._milvus is not None:
                self._milvus.replace(removed, added_rows, before, self.generation())
            elif vectors.remove(removed):
                if added_ids:
                    vectors.add(np.asarray(added_ids, dtype=np.int64), np.vstack(added_vecs))
                self._vectors_generation = self.generation()
            else:
                self._vectors = None  # rebuilt from the database on next use
            self._windows.clear()

    def remove(self, article_ids: Iterable[str]) -> int:
        """Remove articles (chunks, keyword rows, quotes, signatures); returns how many existed."""
        ids = list(article_ids)
        with self.writing(), self.lock:
            before = self.generation()
            with self.db.transaction():
                n, removed = self.db.delete_articles(ids)
            if self._milvus is not None:
                self._milvus.replace(removed, [], before, self.generation())
            elif self._vectors is not None and self._vectors.remove(removed):
                self._vectors_generation = self.generation()
            else:
                self._vectors = None
            self._windows.clear()
            return n

    def save(self) -> None:
        """Write the vector index (atomically) and the manifest's counts, so the next open needs no rebuild."""
        with self.writing(), self.lock:
            if self._milvus is not None:
                self._milvus.save(self.generation())
                manifest.write(self.path, self.expected, self.counts())
                self._upgrade = False
                return
            vectors = self._vectors_ready()
            gen = self.generation()
            exact_max = self.settings.ingest.exact_search_max
            if vectors.kind == "IndexFlatIP" and len(vectors) > exact_max:
                # an ingest adds to the flat index it started with; past exact_search_max it becomes the HNSW
                # graph here, once, from the stored vectors (a few seconds per 100k vectors on 2 cores)
                log.info("building the HNSW index of %d vectors (ingest.exact_search_max %d)", len(vectors), exact_max)
                vectors = self._vectors = FaissIndex.build(self.dim, len(vectors), exact_max, self.db.iter_vectors())
                self._vectors_generation = gen
            try:
                vectors.save(self.path / FAISS_FILE)
            except (OSError, RuntimeError) as exc:  # faiss raises RuntimeError with a C++ trace for a failed write
                raise StoreError(f"cannot write {self.path / FAISS_FILE} ({_why(exc)}): free some disk space, then run "
                                 f"the same command again (every batch committed is in {DB}; the vector index is "
                                 "rebuilt from it)") from None
            manifest.atomic_write(self.path / FAISS_META, json.dumps(
                {"generation": gen, "ntotal": len(vectors), "type": vectors.kind,
                 "crc32": file_crc32(self.path / FAISS_FILE)}).encode())
            manifest.write(self.path, self.expected, self.counts())
            self._upgrade = False

    # -- the vector index in step with the database -----------------------------------------------
    def _vectors_ready(self) -> VectorIndex:
        """Loaded from disk when its generation matches the database, else rebuilt from the stored vectors."""
        gen = self.generation()
        if self._vectors is not None and self._vectors_generation == gen:
            return self._vectors
        self._vectors = self._saved_vectors(gen)
        if self._vectors is None:
            n = self.db.counts()["chunks"]
            self._vectors = FaissIndex.build(self.dim, n, self.settings.ingest.exact_search_max, self.db.iter_vectors())
        self._vectors_generation = gen
        return self._vectors

    def _saved_vectors(self, gen: int) -> VectorIndex | None:
        """vectors.faiss when it was saved at this generation, is readable and holds exactly these chunks' vectors.

        Anything else (damaged, cut short, copied from another index) is rebuilt from SQLite by the caller: the
        vectors there are the source of truth, so nothing is lost; a warning line says so."""
        meta_file, faiss_file = self.path / FAISS_META, self.path / FAISS_FILE
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
            from ..ingest.load import legacy_ids  # how an article id was derived from its file's path

            found.update(legacy_ids(legacy, roots))
        return found

    def origins(self, ids: Sequence[str]) -> dict[str, str]:
        return self.db.origins(ids)

    def update_origins(self, origins: dict[str, str]) -> None:
        """Record where unchanged articles are loaded from now (an older index's relative paths made absolute)."""
        if origins:
            with self.writing():
                self.db.set_origins(origins.items())

    def resolve_ids(self, ids_or_paths: Iterable[str]) -> list[str]:
        """Article ids for items that are ids, or files/folders whose articles were indexed.

        An empty item is an error (`qa remove "$F"` with F unset named the current folder), and so is a path
        naming one file that would match the articles of several."""
        from ..ingest.load import SUPPORTED, _extension  # which names are files the ingest reads

        ids: set[str] = set()
        for item in ids_or_paths:
            if not item.strip():
                raise ConfigError(f"an empty id or path was given ({item!r}; an unset shell variable?): name the "
                                  "articles' ids, or the files or folders they were loaded from")
            path = Path(item).expanduser()
            found = self.ids_from_origins([item]) if path.exists() or "/" in item else {}
            one_file = path.is_file() or (not path.exists() and _extension(path) in SUPPORTED)
            files = {_file_of(o) for o in found.values()}
            if one_file and len(files) > 1:
                raise StoreError(f"{shown(item)} names one file, but the articles of {len(files)} files match it "
                                 f"({', '.join(shown(f) for f in sorted(files)[:3])}, ...): nothing was removed")
            ids |= set(found) if found else {valid_utf8(item)}
        return sorted(ids)

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
                self._doc_freq[key] = self.db.doc_freq(t) if t.isalnum() else self.db.match_count(phrase(t))
            df[t] = self._doc_freq[key]
        return idf_from_counts(n, df)

    def chunk_ids_between(self, date_from: str | None, date_to: str | None, keep_undated: bool = True) -> np.ndarray:
        """Chunk ids (sorted) of articles published within [date_from, date_to] (undated kept by default), cached.

        Cut from one table of every chunk's date, sorted by date, read once per generation: a window is then two
        binary searches, where one SQL query per window read every chunk (tens of ms at 100k chunks)."""
        gen = self.generation()
        key = (date_from, date_to, keep_undated, gen)
        with self.lock:
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

    def passages(self, chunk_ids: Sequence[int]) -> dict[int, Passage]:
        return self.db.passages(chunk_ids)

    def story_ids(self, article_ids: Sequence[str]) -> dict[str, str]:
        return self.db.story_ids(article_ids)

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
        files = self.path.rglob("*") if self._milvus is not None else self.path.iterdir()  # + a Milvus Lite folder
        size = sum(f.stat().st_size for f in files if f.is_file())
        kind = _saved_kind(self.path / FAISS_META)
        if self._milvus is not None:
            kind = self._milvus.kind
        emb = self.expected["embedding"]
        return Stats(s["articles"], s["chunks"], s["sources"], s["date_from"], s["date_to"], s["undated"], s["quotes"],
                     s["stories"], size, f"{emb['model']} ({emb['backend']})", emb["dim"], self.expected["chunking"],
                     kind, str(self.path), s["top_sources"])


def _saved_kind(meta: Path) -> str:
    """The vector index type vectors.json records, for `qa stats`."""
    if not meta.is_file():
        return "not built yet"
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        return str(data.get("type", "?")) if isinstance(data, dict) else "? (vectors.json is damaged)"
    except (OSError, UnicodeDecodeError, ValueError):
        return "? (vectors.json is damaged; rebuilt from index.sqlite on use)"


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


def _file_of(origin: str) -> str:
    """The file an origin names: path, path:line (JSONL, CSV), path#n (JSON) or path#entryN (feeds)."""
    return re.sub(r"(?::\d+|#\d+|#entry\d+)$", "", origin)


def _why(exc: BaseException) -> str:
    text = str(exc)
    if getattr(exc, "errno", None) == 28 or "No space left" in text:
        return "no space left on the device"
    return getattr(exc, "strerror", None) or " ".join(text.split())[-160:]


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
    from .milvus import LITE_DIR, META  # a Milvus server's collection is rebuilt on first use: its milvus.json is gone

    (path / META).unlink(missing_ok=True)
    if (path / LITE_DIR).is_dir():
        shutil.rmtree(path / LITE_DIR)
    if path.exists() and not any(path.iterdir()):
        shutil.rmtree(path)
