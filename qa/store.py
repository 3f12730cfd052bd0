"""The index folder: SQLite (articles, chunks, FTS5, quotes, vectors) as the source of truth, FAISS beside it.

Layout of an index folder:
  manifest.json   schema version, embedding model + dimension, chunking settings, counts (the fingerprint)
  index.sqlite    articles, chunks (with their float32 vectors), chunks_fts (BM25), quotes, meta
  vectors.faiss   the FAISS index over chunk vectors (ids = chunks.id); vectors.json records its generation

Crash safety: every ingest batch is one SQLite transaction that also bumps `generation`. FAISS is saved
(atomically, by rename) when an ingest ends; if it is missing or older than the database, e.g. after a kill -9
mid-ingest, it is rebuilt from the vectors stored in SQLite when the index is opened.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .config import Settings
from .errors import IndexMismatchError, StoreError, missing
from .types import Article, Chunk, Passage

SCHEMA_VERSION = 1
CHUNKER_VERSION = 3  # bump when chunking.py changes how text is cut, so old indexes are not silently mixed
MANIFEST = "manifest.json"
DB = "index.sqlite"
FAISS_FILE = "vectors.faiss"
FAISS_META = "vectors.json"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS articles(
    id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT, url TEXT, published TEXT, authors TEXT,
    text TEXT NOT NULL, origin TEXT, content_hash TEXT NOT NULL, story_id TEXT, added_at REAL);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE INDEX IF NOT EXISTS articles_origin ON articles(origin);
CREATE INDEX IF NOT EXISTS articles_story ON articles(story_id);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY AUTOINCREMENT, article_id TEXT NOT NULL, position INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, n_tokens INTEGER, text_hash TEXT, vector BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE INDEX IF NOT EXISTS chunks_hash ON chunks(text_hash);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(title, text, tokenize='porter unicode61');
CREATE TABLE IF NOT EXISTS quotes(
    id INTEGER PRIMARY KEY AUTOINCREMENT, article_id TEXT NOT NULL, speaker TEXT NOT NULL,
    canonical TEXT NOT NULL, statement TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    kind TEXT, cue TEXT);
CREATE INDEX IF NOT EXISTS quotes_article ON quotes(article_id);
CREATE INDEX IF NOT EXISTS quotes_canonical ON quotes(canonical);
CREATE TABLE IF NOT EXISTS minhash(article_id TEXT PRIMARY KEY, signature BLOB NOT NULL);
"""


def fingerprint(settings: Settings, embedder_name: str, dim: int) -> dict[str, Any]:
    """What must match for vectors and chunks of two runs to be mixed in one index."""
    c = settings.chunking
    return {
        "schema_version": SCHEMA_VERSION,
        "embedding": {"model": embedder_name, "backend": _backend_family(settings.embedding.backend), "dim": dim,
                      "max_tokens": settings.embedding.max_tokens},
        "chunking": {"max_tokens": c.max_tokens, "overlap_tokens": c.overlap_tokens, "min_tokens": c.min_tokens,
                     "tokenizer": embedder_name, "version": CHUNKER_VERSION},
    }


def _backend_family(backend: str) -> str:
    return "hash" if backend == "hash" else backend


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
        from dataclasses import asdict

        return asdict(self)


class Store:
    """One index folder. Not thread-safe by itself: every public method takes the store's lock."""

    def __init__(self, path: str | Path, settings: Settings, embedder_name: str, dim: int, *,
                 create: bool = True, rebuild: bool = False, read_only: bool = False) -> None:
        self.path = Path(path).expanduser()
        self.settings = settings
        self.dim = dim
        self.lock = threading.RLock()
        self.expected = fingerprint(settings, embedder_name, dim)
        manifest = self.path / MANIFEST
        if rebuild and self.path.exists():
            _wipe(self.path)
        if not manifest.is_file():
            if not create:
                raise StoreError(
                    f"no index at {self.path}: build one with `qa index PATH --index {self.path}`"
                )
            if (self.path / DB).exists():
                raise StoreError(f"{self.path} holds a database but no {MANIFEST}: rebuild it with `qa index PATH --rebuild`")
            self.path.mkdir(parents=True, exist_ok=True)
            self._write_manifest(dict(self.expected, counts={"articles": 0, "chunks": 0}))
        else:
            self._check_manifest(json.loads(manifest.read_text()))
        self.read_only = read_only
        self.db = sqlite3.connect(self.path / DB, check_same_thread=False, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=OFF")
        self.db.executescript(SCHEMA)
        self._faiss = None
        self._faiss_generation = -1
        self._selector_cache: dict[tuple, Any] = {}
        self._removed: list[int] = []

    # -- manifest -----------------------------------------------------------------------------
    def _check_manifest(self, found: dict[str, Any]) -> None:
        for key in ("schema_version", "embedding", "chunking"):
            if found.get(key) != self.expected[key]:
                raise IndexMismatchError(
                    f"index {self.path} was built with {key} {json.dumps(found.get(key))}, but the settings ask for "
                    f"{json.dumps(self.expected[key])}: use the same settings, another --index folder, "
                    f"or `qa index PATH --rebuild` to rebuild it"
                )

    def _write_manifest(self, data: dict[str, Any]) -> None:
        _atomic_write(self.path / MANIFEST, json.dumps(data, indent=2, sort_keys=True).encode())

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.path / MANIFEST).read_text())

    # -- generation (bumped by every committed write) -----------------------------------------
    def generation(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def _bump(self) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # -- writing ------------------------------------------------------------------------------
    def known_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """content_hash of the given article ids that are already stored."""
        out: dict[str, str] = {}
        with self.lock:
            for part in _batches(list(ids), 500):
                q = f"SELECT id, content_hash FROM articles WHERE id IN ({','.join('?' * len(part))})"
                out.update(self.db.execute(q, part).fetchall())
        return out

    def cached_vectors(self, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of chunk texts seen before (so unchanged text is never embedded twice)."""
        out: dict[str, np.ndarray] = {}
        with self.lock:
            for part in _batches(sorted(set(text_hashes)), 500):
                q = f"SELECT text_hash, vector FROM chunks WHERE text_hash IN ({','.join('?' * len(part))})"
                for h, blob in self.db.execute(q, part):
                    out[h] = np.frombuffer(blob, dtype=np.float32)
        return out

    def write_batch(self, items: Sequence[tuple[Article, str, Sequence[Chunk], np.ndarray, Sequence[str]]],
                    extra: Any = None) -> None:
        """Add or replace articles with their chunks and vectors in one transaction.

        ``items``: (article, content_hash, chunks, vectors[len(chunks), dim], chunk_text_hashes).
        ``extra(db)`` runs inside the same transaction (quotes, near-duplicate signatures ...).
        """
        with self.lock:
            self._faiss_ready()
            added_ids: list[int] = []
            added_vecs: list[np.ndarray] = []
            try:
                self.db.execute("BEGIN IMMEDIATE")
                self._delete(self.db, [a.id for a, *_ in items])
                for article, chash, chunks, vectors, hashes in items:
                    if vectors.shape != (len(chunks), self.dim):
                        raise StoreError(f"article {article.id}: {len(chunks)} chunks but vectors {vectors.shape}")
                    self.db.execute(
                        "INSERT INTO articles(id, title, source, url, published, authors, text, origin, content_hash, story_id, added_at)"
                        " VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                        (article.id, article.title, article.source, article.url, article.published,
                         json.dumps(article.authors), article.text, article.origin, chash, article.id, time.time()),
                    )
                    for chunk, vec, th in zip(chunks, vectors, hashes):
                        cur = self.db.execute(
                            'INSERT INTO chunks(article_id, position, start, "end", n_tokens, text_hash, vector) VALUES(?,?,?,?,?,?,?)',
                            (article.id, chunk.position, chunk.start, chunk.end, chunk.n_tokens, th,
                             np.asarray(vec, dtype=np.float32).tobytes()),
                        )
                        rowid = cur.lastrowid
                        self.db.execute("INSERT INTO chunks_fts(rowid, title, text) VALUES(?,?,?)", (rowid, article.title, chunk.text))
                        added_ids.append(rowid)
                        added_vecs.append(vec)
                if extra is not None:
                    extra(self.db)
                self._bump()
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                self._removed = []
                raise
            if self._faiss is not None:
                self._drop_from_faiss()
                if self._faiss is not None:
                    if added_ids:
                        self._faiss.add_with_ids(np.vstack(added_vecs).astype(np.float32), np.asarray(added_ids, dtype=np.int64))
                    self._faiss_generation = self.generation()
            self._selector_cache.clear()

    def remove(self, article_ids: Iterable[str]) -> int:
        """Remove articles (chunks, FTS rows, quotes); returns how many existed."""
        ids = list(article_ids)
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                n = self._delete(self.db, ids)
                self._bump()
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                self._removed = []
                raise
            if self._faiss is not None:
                self._drop_from_faiss()
                if self._faiss is not None:
                    self._faiss_generation = self.generation()
            self._selector_cache.clear()
            return n

    def _drop_from_faiss(self) -> None:
        """Remove deleted chunk ids from the in-memory FAISS index (flat), or drop it for a rebuild (HNSW)."""
        if not self._removed:
            return
        if _faiss_type(self._faiss) == "IndexFlatIP":
            self._faiss.remove_ids(np.asarray(self._removed, dtype=np.int64))
        else:
            self._faiss = None
        self._removed = []

    def _delete(self, db: sqlite3.Connection, ids: Sequence[str]) -> int:
        self._removed = []
        total = 0
        for part in _batches(list(ids), 500):
            marks = ",".join("?" * len(part))
            chunk_ids = [r[0] for r in db.execute(f"SELECT id FROM chunks WHERE article_id IN ({marks})", part)]
            for cpart in _batches(chunk_ids, 500):
                db.execute(f"DELETE FROM chunks_fts WHERE rowid IN ({','.join('?' * len(cpart))})", cpart)
            db.execute(f"DELETE FROM chunks WHERE article_id IN ({marks})", part)
            db.execute(f"DELETE FROM quotes WHERE article_id IN ({marks})", part)
            db.execute(f"DELETE FROM minhash WHERE article_id IN ({marks})", part)
            total += db.execute(f"DELETE FROM articles WHERE id IN ({marks})", part).rowcount
            self._removed.extend(chunk_ids)
        return total

    def ids_from_origins(self, paths: Iterable[str | Path]) -> dict[str, str]:
        """{article id: origin} of articles loaded from files under the given paths."""
        out: dict[str, str] = {}
        with self.lock:
            for p in paths:
                root = str(Path(p).expanduser())
                rows = self.db.execute(
                    "SELECT id, origin FROM articles WHERE origin = ? OR origin LIKE ? ESCAPE '\\' OR origin LIKE ? ESCAPE '\\' OR origin LIKE ? ESCAPE '\\'",
                    (root, _like(root) + "/%", _like(root) + ":%", _like(root) + "#%"),
                ).fetchall()
                out.update(rows)
        return out

    def save(self) -> None:
        """Write FAISS (atomically) and the manifest's counts, so the next open needs no rebuild."""
        with self.lock:
            index = self._faiss_ready()
            import faiss

            gen = self.generation()
            tmp = self.path / (FAISS_FILE + ".tmp")
            faiss.write_index(index, str(tmp))
            os.replace(tmp, self.path / FAISS_FILE)
            _atomic_write(self.path / FAISS_META, json.dumps({"generation": gen, "ntotal": int(index.ntotal),
                                                               "type": _faiss_type(index)}).encode())
            counts = self.counts()
            self._write_manifest(dict(self.expected, counts=counts, updated=time.strftime("%Y-%m-%dT%H:%M:%S")))

    def counts(self) -> dict[str, int]:
        with self.lock:
            a = self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            c = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return {"articles": a, "chunks": c}

    # -- FAISS --------------------------------------------------------------------------------
    def _faiss_ready(self):  # noqa: ANN202 - faiss.Index
        """The FAISS index in step with the database: loaded from disk, or rebuilt from stored vectors."""
        gen = self.generation()
        if self._faiss is not None and self._faiss_generation == gen:
            return self._faiss
        try:
            import faiss
        except ImportError:
            raise missing("faiss-cpu", "vector search") from None
        meta_file, faiss_file = self.path / FAISS_META, self.path / FAISS_FILE
        if faiss_file.is_file() and meta_file.is_file():
            meta = json.loads(meta_file.read_text())
            if meta.get("generation") == gen:
                self._faiss = faiss.read_index(str(faiss_file))
                self._faiss_generation = gen
                return self._faiss
        self._faiss = self._build_faiss()
        self._faiss_generation = gen
        return self._faiss

    def _build_faiss(self):  # noqa: ANN202
        import faiss

        n = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        index = new_faiss_index(self.dim, n, self.settings.ingest.exact_search_max)
        faiss.omp_set_num_threads(max(1, os.cpu_count() or 1))  # building (HNSW above all) gains from threads
        ids, vecs = [], []
        for rowid, blob in self.db.execute("SELECT id, vector FROM chunks ORDER BY id"):
            ids.append(rowid)
            vecs.append(np.frombuffer(blob, dtype=np.float32))
            if len(ids) >= 20_000:
                index.add_with_ids(np.vstack(vecs), np.asarray(ids, dtype=np.int64))
                ids, vecs = [], []
        if ids:
            index.add_with_ids(np.vstack(vecs), np.asarray(ids, dtype=np.int64))
        faiss.omp_set_num_threads(1)
        return index

    # -- reading ------------------------------------------------------------------------------
    def dense_search(self, query_vec: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk id, cosine) of the k nearest chunks; ``allowed`` restricts to those chunk ids."""
        import faiss

        with self.lock:
            index = self._faiss_ready()
            if index.ntotal == 0:
                return []
            # one query: OpenMP threads only add barrier waits (3x slower on a busy 2-core machine, measured);
            # the setting is per calling thread, so it is made here, in the thread that searches
            faiss.omp_set_num_threads(1)
            q = np.asarray(query_vec, dtype=np.float32).reshape(1, -1)
            params = None
            if allowed is not None:
                if len(allowed) == 0:
                    return []
                params = _search_params(index, faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64)))
            scores, ids = index.search(q, min(k, index.ntotal), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def bm25_search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk id, BM25 score; higher is better) for an OR-query of the query's words."""
        expr = fts_query(query)
        if not expr:
            return []
        with self.lock:
            if allowed is None:
                rows = self.db.execute(
                    "SELECT rowid, -bm25(chunks_fts, 0.5, 1.0) FROM chunks_fts WHERE chunks_fts MATCH ? "
                    "ORDER BY bm25(chunks_fts, 0.5, 1.0) LIMIT ?", (expr, k)).fetchall()
            else:
                allowed_set = set(int(x) for x in allowed)
                rows = []
                cur = self.db.execute(
                    "SELECT rowid, -bm25(chunks_fts, 0.5, 1.0) FROM chunks_fts WHERE chunks_fts MATCH ? "
                    "ORDER BY bm25(chunks_fts, 0.5, 1.0) LIMIT ?", (expr, k * 20))
                for rowid, score in cur:
                    if rowid in allowed_set:
                        rows.append((rowid, score))
                        if len(rows) >= k:
                            break
        return [(int(r), float(s)) for r, s in rows]

    def chunk_ids_between(self, date_from: str | None, date_to: str | None, keep_undated: bool = True) -> np.ndarray:
        """Chunk ids of articles published within [date_from, date_to] (undated articles kept by default)."""
        key = (date_from, date_to, keep_undated, self.generation())
        with self.lock:
            if key in self._selector_cache:
                return self._selector_cache[key]
            cond, args = [], []
            if date_from:
                cond.append("a.published >= ?")
                args.append(date_from)
            if date_to:
                cond.append("a.published <= ?")
                args.append(date_to)
            where = " AND ".join(cond) or "1"
            if keep_undated:
                where = f"(({where}) OR a.published IS NULL)"
            rows = self.db.execute(f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {where}", args)
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64)
            if len(self._selector_cache) > 32:
                self._selector_cache.clear()
            self._selector_cache[key] = ids
            return ids

    def passages(self, chunk_ids: Sequence[int]) -> dict[int, Passage]:
        """Passages (chunk text + article metadata) by chunk id."""
        out: dict[int, Passage] = {}
        with self.lock:
            for part in _batches(list(chunk_ids), 500):
                q = (
                    'SELECT c.id, c.article_id, c.position, c.start, c."end", substr(a.text, c.start + 1, c."end" - c.start),'
                    " a.title, a.source, a.url, a.published FROM chunks c JOIN articles a ON a.id = c.article_id"
                    f" WHERE c.id IN ({','.join('?' * len(part))})"
                )
                for row in self.db.execute(q, part):
                    out[row[0]] = Passage(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7] or "", row[8] or "", row[9])
        return out

    def story_ids(self, article_ids: Sequence[str]) -> dict[str, str]:
        """{article id: story id}; near-duplicate articles share a story id."""
        out: dict[str, str] = {}
        with self.lock:
            for part in _batches(sorted(set(article_ids)), 500):
                q = f"SELECT id, story_id FROM articles WHERE id IN ({','.join('?' * len(part))})"
                out.update((a, s or a) for a, s in self.db.execute(q, part))
        return out

    def article(self, article_id: str) -> Article | None:
        with self.lock:
            row = self.db.execute(
                "SELECT id, title, text, source, url, published, authors, origin FROM articles WHERE id = ?", (article_id,)
            ).fetchone()
        if not row:
            return None
        return Article(row[0], row[1], row[2], row[3] or "", row[4] or "", row[5], json.loads(row[6] or "[]"), row[7] or "")

    def iter_articles(self, batch: int = 200) -> Iterable[Article]:
        """Every stored article, streamed."""
        last = ""
        while True:
            with self.lock:
                rows = self.db.execute(
                    "SELECT id, title, text, source, url, published, authors, origin FROM articles WHERE id > ? ORDER BY id LIMIT ?",
                    (last, batch)).fetchall()
            if not rows:
                return
            for row in rows:
                yield Article(row[0], row[1], row[2], row[3] or "", row[4] or "", row[5], json.loads(row[6] or "[]"), row[7] or "")
            last = rows[-1][0]

    def stats(self) -> Stats:
        with self.lock:
            one = lambda q: self.db.execute(q).fetchone()  # noqa: E731
            articles = one("SELECT COUNT(*) FROM articles")[0]
            chunks = one("SELECT COUNT(*) FROM chunks")[0]
            sources = one("SELECT COUNT(DISTINCT source) FROM articles")[0]
            lo, hi = one("SELECT MIN(published), MAX(published) FROM articles")
            undated = one("SELECT COUNT(*) FROM articles WHERE published IS NULL")[0]
            quotes = one("SELECT COUNT(*) FROM quotes")[0]
            stories = one("SELECT COUNT(DISTINCT story_id) FROM articles")[0]
            top = self.db.execute(
                "SELECT source, COUNT(*) n FROM articles GROUP BY source ORDER BY n DESC LIMIT 5").fetchall()
        size = sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
        faiss_meta = self.path / FAISS_META
        ftype = json.loads(faiss_meta.read_text()).get("type", "?") if faiss_meta.is_file() else "not built yet"
        emb = self.expected["embedding"]
        return Stats(articles, chunks, sources, lo, hi, undated, quotes, stories, size,
                     f"{emb['model']} ({emb['backend']})", emb["dim"], self.expected["chunking"], ftype,
                     str(self.path), [(s or "?", n) for s, n in top])

    def close(self) -> None:
        with self.lock:
            self.db.close()


# -- helpers ------------------------------------------------------------------------------------

def new_faiss_index(dim: int, n: int, exact_max: int):  # noqa: ANN201
    """Exact inner-product search up to ``exact_max`` vectors, an HNSW graph above (recall documented in README)."""
    import faiss

    if n <= exact_max:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 80
    hnsw.hnsw.efSearch = 128
    return faiss.IndexIDMap2(hnsw)


def _faiss_type(index: Any) -> str:
    import faiss

    inner = faiss.downcast_index(index.index) if hasattr(index, "index") else index
    return type(inner).__name__


def _search_params(index: Any, selector: Any) -> Any:
    import faiss

    inner = faiss.downcast_index(index.index) if hasattr(index, "index") else index
    if isinstance(inner, faiss.IndexHNSW):
        return faiss.SearchParametersHNSW(sel=selector, efSearch=256)
    return faiss.SearchParameters(sel=selector)


_FTS_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’]*")


def fts_query(text: str) -> str:
    """An FTS5 OR-query of the text's words (quoted, so no word is read as FTS syntax)."""
    from .textutil import STOPWORDS

    words = []
    for w in _FTS_WORD.findall(text):
        w = w.replace("’", "'").strip("'")
        if w and w.lower() not in STOPWORDS and w.lower() not in words:
            words.append(w.lower())
    return " OR ".join(f'"{w}"' for w in words)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _batches(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _wipe(path: Path) -> None:
    for name in (MANIFEST, DB, DB + "-wal", DB + "-shm", FAISS_FILE, FAISS_META):
        f = path / name
        if f.exists():
            f.unlink()
    if path.exists() and not any(path.iterdir()):
        shutil.rmtree(path)
