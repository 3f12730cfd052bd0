"""The SQLite database of an index folder: every SQL statement of the project is in this module.

One connection per index, shared by the threads of one process (up to 4 questions at once in the UI) and
guarded by one re-entrant lock: every method takes it, reads included. Writes happen inside `transaction()`,
which also bumps the `generation` counter that the vector index and the caches are kept in step with.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StoreError
from ..types import Article, Chunk, Passage
from .backend import ChunkRow
from .schema import SCHEMA

BATCH = 500  # ids per `IN (...)` query (SQLite's parameter limit is far above, the plans stay simple)
_ARTICLE_COLUMNS = "id, title, text, source, url, published, authors, origin"
BM25 = "bm25(chunks_fts, 0.5, 1.0)"  # title weighs half as much as the chunk text


class Database:
    """articles, chunks (+ vectors), chunks_fts (BM25), quotes, minhash signatures and bands, meta."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        """Open (or create) the database; ``readonly`` (for `qa check`) changes nothing, not even the schema."""
        self.path = Path(path)
        self.lock = threading.RLock()
        try:
            raw = (sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None)
                   if readonly else
                   sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30))
        except sqlite3.Error as exc:
            raise _store_error(self.path, exc) from None
        self.conn = _Guarded(raw, self.path)
        if readonly:
            self.conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # reads the header: not a database?
            return
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=OFF")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        with self.lock:
            return self.conn.execute(sql, args).fetchall()

    def _one(self, sql: str, args: Sequence[Any] = ()) -> tuple | None:
        with self.lock:
            return self.conn.execute(sql, args).fetchone()

    def _in(self, sql: str, ids: Sequence[Any], extra: Sequence[Any] = ()) -> Iterator[tuple]:
        """Rows of ``sql`` (with one `{marks}` placeholder for an IN list) for ids in batches."""
        items = list(ids)
        for i in range(0, len(items), BATCH):
            part = items[i : i + BATCH]
            yield from self._all(sql.format(marks=",".join("?" * len(part))), [*part, *extra])

    # -- transactions and the generation counter -------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write; bumps `generation` when it commits."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.conn.execute(
                    "INSERT INTO meta(key, value) VALUES('generation', '1') "
                    "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")
                self.conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        """Undo the open transaction. SQLite has already undone it after some errors (a full disk): a ROLLBACK
        failing then must not hide the error that explains what happened."""
        try:
            self.conn.execute("ROLLBACK")
        except (sqlite3.Error, StoreError):
            pass

    def generation(self) -> int:
        row = self._one("SELECT value FROM meta WHERE key='generation'")
        return int(row[0]) if row else 0

    # -- articles and chunks: writing (inside a transaction) ---------------------------------------
    def insert_article(self, article: Article, content_hash: str) -> None:
        self.conn.execute(
            "INSERT INTO articles(id, title, source, url, published, authors, text, origin, content_hash, story_id, added_at)"
            " VALUES(?,?,?,?,?,?,?,?,?,?,?)",
            (article.id, article.title, article.source, article.url, article.published, json.dumps(article.authors),
             article.text, article.origin, content_hash, article.id, time.time()),
        )
        if article.pages:  # a PDF: where its pages start, so a citation can name its page
            self.conn.execute("INSERT OR REPLACE INTO pages(article_id, starts) VALUES(?, ?)",
                              (article.id, json.dumps(article.pages)))

    def insert_chunk(self, article: Article, chunk: Chunk, vector: np.ndarray, text_hash: str) -> int:
        """Store a chunk with its vector and keyword row; returns its id (the vector index uses the same id)."""
        cur = self.conn.execute(
            'INSERT INTO chunks(article_id, position, start, "end", n_tokens, text_hash, vector) VALUES(?,?,?,?,?,?,?)',
            (article.id, chunk.position, chunk.start, chunk.end, chunk.n_tokens, text_hash,
             np.asarray(vector, dtype=np.float32).tobytes()),
        )
        self.conn.execute("INSERT INTO chunks_fts(rowid, title, text) VALUES(?,?,?)", (cur.lastrowid, article.title, chunk.text))
        return int(cur.lastrowid)

    def delete_articles(self, ids: Sequence[str]) -> tuple[int, list[int]]:
        """Delete articles with everything derived from them; returns (articles deleted, their chunk ids)."""
        total, removed = 0, []
        for i in range(0, len(ids), BATCH):
            part = list(ids[i : i + BATCH])
            marks = ",".join("?" * len(part))
            chunk_ids = [r[0] for r in self.conn.execute(f"SELECT id FROM chunks WHERE article_id IN ({marks})", part)]
            for j in range(0, len(chunk_ids), BATCH):
                cpart = chunk_ids[j : j + BATCH]
                self.conn.execute(f"DELETE FROM chunks_fts WHERE rowid IN ({','.join('?' * len(cpart))})", cpart)
            for table, column in (("chunks", "article_id"), ("quotes", "article_id"), ("minhash", "article_id"),
                                  ("minhash_band", "article_id"), ("pages", "article_id")):
                self.conn.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", part)
            total += self.conn.execute(f"DELETE FROM articles WHERE id IN ({marks})", part).rowcount
            removed.extend(chunk_ids)
        return total, removed

    # -- subscriptions: feeds and watched folders (qa/ingest/feeds.py) ----------------------------------
    # Written outside `transaction`: they are no index content, so they do not bump the generation (which would
    # make the saved vector index look stale).
    def subscriptions(self) -> list[tuple[str, str, str, str, float | None, str]]:
        """(source, kind, etag, last_modified, checked_at, error) of every subscription, in the order added."""
        return [(r[0], r[1], r[2] or "", r[3] or "", r[4], r[5] or "") for r in self._all(
            "SELECT source, kind, etag, last_modified, checked_at, error FROM subscriptions ORDER BY added_at, source")]

    def add_subscription(self, source: str, kind: str) -> bool:
        with self.lock:
            return self.conn.execute("INSERT OR IGNORE INTO subscriptions(source, kind, added_at) VALUES(?,?,?)",
                                     (source, kind, time.time())).rowcount > 0

    def remove_subscription(self, source: str) -> bool:
        with self.lock:
            return self.conn.execute("DELETE FROM subscriptions WHERE source = ?", (source,)).rowcount > 0

    def set_subscription_state(self, source: str, etag: str | None, last_modified: str | None, error: str) -> None:
        """Record a refresh: the validators for the next conditional request (None: keep the stored ones)."""
        with self.lock:
            self.conn.execute(
                "UPDATE subscriptions SET etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified), "
                "checked_at = ?, error = ? WHERE source = ?", (etag, last_modified, time.time(), error, source))

    # -- articles and chunks: reading ---------------------------------------------------------------
    def known_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """content_hash of the given article ids that are already stored."""
        return dict(self._in("SELECT id, content_hash FROM articles WHERE id IN ({marks})", ids))

    def cached_vectors(self, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of chunk texts seen before (so unchanged text is never embedded twice)."""
        # one row per text: a text stored 5,000 times has one vector, not 5,000 to read
        rows = self._in("SELECT text_hash, vector FROM chunks WHERE text_hash IN ({marks}) GROUP BY text_hash",
                        sorted(set(text_hashes)))
        return {h: np.frombuffer(blob, dtype=np.float32) for h, blob in rows}

    def ids_from_origins(self, roots: Iterable[str]) -> dict[str, str]:
        """{article id: origin} of articles loaded from the given files, or from files under the given folders."""
        out: dict[str, str] = {}
        for root in roots:
            like = _like(root)
            rows = self._all(
                "SELECT id, origin FROM articles WHERE origin = ? OR origin LIKE ? ESCAPE '\\' OR origin LIKE ? ESCAPE '\\' "
                "OR origin LIKE ? ESCAPE '\\'", (root, like + "/%", like + ":%", like + "#%"))
            # 'd/report' is the file of 'd/report:12' (a line) and 'd/report#3' (a record), not of 'd/report#2.txt'
            # or 'd/report:final.txt', files of their own
            own = re.compile(re.escape(root.rstrip("/")) + r"(?:/.*|:\d+|#\d+|#entry\d+)?", re.S)
            out.update((i, o) for i, o in rows if own.fullmatch(o))
        return out

    def origins(self, ids: Sequence[str]) -> dict[str, str]:
        """{article id: origin} of the given stored articles."""
        return dict(self._in("SELECT id, origin FROM articles WHERE id IN ({marks})", ids))

    def set_origins(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Record new origins of (article id, origin) pairs, atomically; no chunk changes, so no new generation."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                self.conn.executemany("UPDATE articles SET origin = ? WHERE id = ?", [(o, i) for i, o in pairs])
                self.conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def relative_origins(self) -> list[tuple[str, str]]:
        """(id, origin) of articles whose origin is a relative path (indexes written before origins were absolute)."""
        return self._all("SELECT id, origin FROM articles WHERE origin != '' AND origin NOT LIKE '/%'")

    # -- consistency (`qa check`, and the vector index's check at open) -------------------------------------
    def integrity(self, full: bool = False) -> list[str]:
        """SQLite's own check of every page (quick_check; integrity_check when ``full``): [] when sound."""
        rows = self._all("PRAGMA integrity_check(20)" if full else "PRAGMA quick_check(20)")
        return [] if [r[0] for r in rows] == ["ok"] else [str(r[0]) for r in rows]

    def keyword_consistency(self) -> dict[str, int]:
        """Keyword (FTS5) rows against chunks: rows, chunks without a row, rows without a chunk, and whether
        FTS5's own integrity-check of its index passed (1) or not (0)."""
        with self.lock:
            one = lambda q: self.conn.execute(q).fetchone()[0]  # noqa: E731
            out = {"rows": one("SELECT COUNT(*) FROM chunks_fts"),
                   "chunks_without_row": one("SELECT COUNT(*) FROM chunks WHERE id NOT IN (SELECT rowid FROM chunks_fts)"),
                   "rows_without_chunk": one("SELECT COUNT(*) FROM chunks_fts WHERE rowid NOT IN (SELECT id FROM chunks)")}
        # FTS5's integrity-check is written as an INSERT (it changes nothing): a read-only connection can't run it
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES('integrity-check')")
            out["fts_ok"] = 1
        except sqlite3.DatabaseError:
            out["fts_ok"] = 0
        finally:
            conn.close()
        return out

    def chunk_ids(self) -> np.ndarray:
        """Every chunk id, ascending (what the vector index must hold)."""
        rows = self._all("SELECT id FROM chunks ORDER BY id")
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def counts(self) -> dict[str, int]:
        with self.lock:
            a = self.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            c = self.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return {"articles": a, "chunks": c}

    def newest_date(self) -> str | None:
        row = self._one("SELECT MAX(published) FROM articles")
        return row[0] if row else None

    def iter_vectors(self, batch: int = 20_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(chunk ids, vectors) of every chunk, in id order, a batch at a time."""
        last = 0
        while True:
            rows = self._all("SELECT id, vector FROM chunks WHERE id > ? ORDER BY id LIMIT ?", (last, batch))
            if not rows:
                return
            ids = np.asarray([r[0] for r in rows], dtype=np.int64)
            yield ids, np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
            last = int(ids[-1])

    def iter_search_rows(self, batch: int = 5_000) -> Iterator[list[ChunkRow]]:
        """(chunk id, article id, published, title, chunk text, vector) of every chunk, in id order, in batches:
        what a search backend that keeps its own copy (Milvus) is rebuilt from."""
        last = 0
        while True:
            rows = self._all(
                'SELECT c.id, c.article_id, a.published, a.title, substr(a.text, c.start + 1, c."end" - c.start), c.vector'
                " FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.id > ? ORDER BY c.id LIMIT ?", (last, batch))
            if not rows:
                return
            yield [ChunkRow(r[0], r[1], r[2], r[3], r[4], np.frombuffer(r[5], dtype=np.float32)) for r in rows]
            last = int(rows[-1][0])

    def chunk_ids_between(self, date_from: str | None, date_to: str | None, keep_undated: bool = True) -> np.ndarray:
        """Chunk ids of articles published within [date_from, date_to] (undated articles kept by default)."""
        cond, args = _published_within("a.published", date_from, date_to)
        where = " AND ".join(cond) or "1"
        if keep_undated:
            where = f"(({where}) OR a.published IS NULL)"
        rows = self._all(f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {where}", args)
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def chunk_dates(self) -> tuple[np.ndarray, list[str | None]]:
        """(chunk ids, their articles' published dates) of every chunk: what date windows are cut from."""
        rows = self._all("SELECT c.id, a.published FROM chunks c JOIN articles a ON a.id = c.article_id")
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)), [r[1] for r in rows]

    def passages(self, chunk_ids: Sequence[int]) -> dict[int, Passage]:
        """Passages (chunk text + article metadata) by chunk id."""
        rows = self._in(
            'SELECT c.id, c.article_id, c.position, c.start, c."end", substr(a.text, c.start + 1, c."end" - c.start),'
            " a.title, a.source, a.url, a.published, p.starts FROM chunks c JOIN articles a ON a.id = c.article_id"
            " LEFT JOIN pages p ON p.article_id = c.article_id WHERE c.id IN ({marks})", chunk_ids)
        return {r[0]: Passage(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] or "", r[8] or "", r[9],
                              pages=json.loads(r[10]) if r[10] else []) for r in rows}

    def chunks_of(self, article_ids: Sequence[str]) -> list[tuple[str, int]]:
        """(article id, chunk id) of every chunk of the articles, in reading order."""
        rows = self._in("SELECT article_id, id, position FROM chunks WHERE article_id IN ({marks})", sorted(set(article_ids)))
        return [(a, c) for a, c, _ in sorted(rows, key=lambda r: (r[0], r[2]))]

    def story_ids(self, article_ids: Sequence[str]) -> dict[str, str]:
        """{article id: story id}; near-duplicate articles share a story id."""
        return {a: s or a for a, s in self._in("SELECT id, story_id FROM articles WHERE id IN ({marks})", sorted(set(article_ids)))}

    def article(self, article_id: str) -> Article | None:
        row = self._one(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,))
        return _article(row) if row else None

    def iter_articles(self, batch: int = 200) -> Iterator[Article]:
        """Every stored article, streamed in id order."""
        last = ""
        while True:
            rows = self._all(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id > ? ORDER BY id LIMIT ?", (last, batch))
            if not rows:
                return
            yield from (_article(r) for r in rows)
            last = rows[-1][0]

    def list_articles(self, date_from: str | None = None, date_to: str | None = None, source: str | None = None,
                      words: Sequence[str] = (), limit: int = 200) -> list[Article]:
        """Articles (text not loaded: "") published within the dates, from the outlet, holding every word in their
        title or text (case-insensitive for ASCII), newest first; undated ones last and only without dates."""
        cond, args = _published_within("published", date_from, date_to)
        cond.insert(0, "1")
        if source:
            cond.append("source = ?")
            args.append(source)
        for w in words:
            cond.append("(title LIKE ? ESCAPE '\\' OR text LIKE ? ESCAPE '\\')")
            args += [f"%{_like(w)}%"] * 2
        rows = self._all(f"SELECT id, title, '', source, url, published, authors, origin FROM articles "
                         f"WHERE {' AND '.join(cond)} ORDER BY published IS NULL, published DESC, title LIMIT ?",
                         [*args, limit])
        return [_article(r) for r in rows]

    def sources(self) -> list[tuple[str, int]]:
        """(outlet, articles) for every outlet, most articles first."""
        return self._all("SELECT COALESCE(source, ''), COUNT(*) n FROM articles GROUP BY source ORDER BY n DESC, source")

    def summary(self) -> dict[str, Any]:
        """What `qa stats` shows of the database."""
        with self.lock:
            one = lambda q: self.conn.execute(q).fetchone()  # noqa: E731
            lo, hi = one("SELECT MIN(published), MAX(published) FROM articles")
            return {
                "articles": one("SELECT COUNT(*) FROM articles")[0], "chunks": one("SELECT COUNT(*) FROM chunks")[0],
                "sources": one("SELECT COUNT(DISTINCT source) FROM articles")[0], "date_from": lo, "date_to": hi,
                "undated": one("SELECT COUNT(*) FROM articles WHERE published IS NULL")[0],
                "quotes": one("SELECT COUNT(*) FROM quotes")[0],
                "stories": one("SELECT COUNT(DISTINCT story_id) FROM articles")[0],
                "top_sources": [(s or "?", n) for s, n in self.conn.execute(
                    "SELECT source, COUNT(*) n FROM articles GROUP BY source ORDER BY n DESC LIMIT 5")],
            }

    # -- keyword search (FTS5) ---------------------------------------------------------------------
    def bm25(self, expr: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk id, BM25 score; higher is better) of an FTS5 query; ``allowed`` restricts to those chunk ids
        (the first k of the best 20 k that are allowed).

        The score is computed once per matching row: ORDER BY its alias (ORDER BY -bm25(...) beside a selected
        bm25(...) made SQLite rank every match twice, ~10% of the query)."""
        sql = f"SELECT rowid, {BM25} AS s FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY s LIMIT ?"
        if allowed is None:
            return [(int(r), -float(s)) for r, s in self._all(sql, (expr, k))]
        rows = self._all(sql, (expr, k * 20))
        if not rows:
            return []
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        keep = _members(ids, allowed)
        return [(int(r), -float(s)) for (r, s), ok in zip(rows, keep) if ok][:k]

    def doc_freq(self, term: str) -> int:
        """How many chunks hold a stemmed term (title or text): the keyword index's own count of that stem."""
        row = self._one("SELECT doc FROM chunks_vocab WHERE term = ?", (term,))
        return int(row[0]) if row else 0

    def match_count(self, expr: str) -> int:
        """How many chunks match an FTS5 query."""
        return int(self._one("SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (expr,))[0])

    # -- quotes (qa/news) ----------------------------------------------------------------------------
    def replace_quotes(self, article_id: str, rows: Sequence[tuple]) -> None:
        """(speaker, canonical, statement, start, end, kind, cue) rows of one article (inside a transaction)."""
        self.conn.execute("DELETE FROM quotes WHERE article_id = ?", (article_id,))
        self.conn.executemany('INSERT INTO quotes(article_id, speaker, canonical, statement, start, "end", kind, cue) '
                              "VALUES(?, ?, ?, ?, ?, ?, ?, ?)", [(article_id, *r) for r in rows])

    def speaker_pairs(self) -> list[tuple[str, str, int]]:
        """(canonical, written form, statements) for the whole index."""
        return self._all("SELECT canonical, speaker, COUNT(*) FROM quotes GROUP BY canonical, speaker")

    def statements(self, canonicals: Sequence[str], date_from: str | None, date_to: str | None) -> list[tuple]:
        """(canonical, speaker, statement, article id, title, published, start, end, chunk id) of some speakers."""
        cond, args = "", list(canonicals)
        if date_from:
            cond += " AND (a.published IS NULL OR a.published >= ?)"
            args.append(date_from)
        if date_to:
            cond += " AND (a.published IS NULL OR a.published <= ?)"
            args.append(date_to)
        return self._all(
            'SELECT q.canonical, q.speaker, q.statement, q.article_id, a.title, a.published, q.start, q."end", '
            '(SELECT c.id FROM chunks c WHERE c.article_id = q.article_id AND c.start <= q.start AND c."end" > q.start '
            "ORDER BY c.position LIMIT 1) "
            f"FROM quotes q JOIN articles a ON a.id = q.article_id WHERE q.canonical IN ({','.join('?' * len(canonicals))}){cond}",
            args)

    def chunk_vectors(self, chunk_ids: Iterable[int]) -> dict[int, np.ndarray]:
        rows = self._in("SELECT id, vector FROM chunks WHERE id IN ({marks})", sorted(set(chunk_ids)))
        return {cid: np.frombuffer(blob, dtype=np.float32) for cid, blob in rows}

    def speakers_at(self, article_id: str, start: int, end: int) -> list[str]:
        """Canonical speakers whose statements overlap [start, end) of an article."""
        return [r[0] for r in self._all('SELECT DISTINCT canonical FROM quotes WHERE article_id = ? AND start < ? AND "end" > ?',
                                        (article_id, end, start))]

    def speaker_forms(self, canonical: str) -> list[str]:
        return [r[0] for r in self._all("SELECT DISTINCT speaker FROM quotes WHERE canonical = ?", (canonical,))]

    # -- near-duplicate signatures (qa/news/dedup.py) ------------------------------------------------
    def enriched_ids(self, ids: Sequence[str]) -> set[str]:
        """The articles among ``ids`` that have a MinHash signature (news enrichment done)."""
        return {r[0] for r in self._in("SELECT article_id FROM minhash WHERE article_id IN ({marks})", ids)}

    def replace_signature(self, article_id: str, signature: bytes, band_keys: Sequence[int]) -> None:
        self.conn.execute("DELETE FROM minhash_band WHERE article_id = ?", (article_id,))
        self.conn.execute("INSERT OR REPLACE INTO minhash(article_id, signature) VALUES(?, ?)", (article_id, signature))
        self.conn.executemany("INSERT INTO minhash_band(key, article_id) VALUES(?, ?)", [(k, article_id) for k in band_keys])

    def band_candidates(self, band_keys: Sequence[int], exclude: str, limit: int = 200) -> list[tuple[str, bytes, str]]:
        """(article id, signature, title) of at most ``limit`` other articles sharing at least one LSH band key
        (the limit stops the scan: 5,000 copies of one text share every key)."""
        return self._all(
            "SELECT m.article_id, m.signature, a.title FROM minhash m JOIN articles a ON a.id = m.article_id "
            "WHERE m.article_id IN (SELECT DISTINCT article_id FROM minhash_band "
            f"WHERE key IN ({','.join('?' * len(band_keys))}) AND article_id != ? LIMIT ?)", [*band_keys, exclude, limit])

    def text_story_title(self, article_id: str) -> tuple[str, str | None, str] | None:
        return self._one("SELECT text, story_id, title FROM articles WHERE id = ?", (article_id,))

    def set_story(self, article_id: str, story_id: str) -> None:
        self.conn.execute("UPDATE articles SET story_id = ? WHERE id = ?", (story_id, article_id))


class _Guarded:
    """The sqlite3 connection, where a damaged, locked or full database file is one `StoreError` line naming the
    file and the fix, never a traceback, whenever SQLite notices it (at open, or at the first query that reads a
    damaged page)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn, self._path = conn, path

    def execute(self, sql: str, args: Sequence[Any] = ()) -> _GuardedCursor:
        return _GuardedCursor(self._call(self._conn.execute, sql, args), self._path)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> _GuardedCursor:
        return _GuardedCursor(self._call(self._conn.executemany, sql, rows), self._path)

    def executescript(self, script: str) -> None:
        self._call(self._conn.executescript, script)

    def close(self) -> None:
        self._conn.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def _call(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except sqlite3.Error as exc:
            raise _store_error(self._path, exc) or exc from None


class _GuardedCursor:
    def __init__(self, cur: sqlite3.Cursor, path: Path) -> None:
        self._cur, self._path = cur, path

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cur.lastrowid

    def fetchone(self) -> tuple | None:
        return self._guard(self._cur.fetchone)

    def fetchall(self) -> list[tuple]:
        return self._guard(self._cur.fetchall)

    def __iter__(self) -> Iterator[tuple]:
        while (row := self._guard(self._cur.fetchone)) is not None:
            yield row

    def _guard(self, fn: Any) -> Any:
        try:
            return fn()
        except sqlite3.Error as exc:
            raise _store_error(self._path, exc) or exc from None


def _store_error(path: Path, exc: sqlite3.Error) -> StoreError | None:
    """The one-line error for a database file SQLite finds damaged, locked, full or unwritable; None for others
    (a bug in a statement stays a bug)."""
    msg = str(exc)
    folder = path.parent
    if type(exc) in (sqlite3.DatabaseError, sqlite3.OperationalError) and any(
            s in msg for s in ("malformed", "not a database", "disk I/O", "corrupt", "unable to open", "no such table",
                               "no such column", "vtable constructor", "unsupported file format")):
        return StoreError(f"{path} is damaged ({msg}): restore the index folder from a backup, or rebuild it with "
                          f"`qa index PATH --index {folder} --rebuild`")
    if "locked" in msg or "busy" in msg:
        return StoreError(f"{path} is locked by another process ({msg}): wait for it to finish, then try again")
    if "full" in msg:
        return StoreError(f"cannot write {path} ({msg}): free some disk space, then run the same command again")
    if "readonly" in msg or "read-only" in msg:
        return StoreError(f"cannot write {path} ({msg}): make the index folder writable")
    return None


def _members(ids: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Which of ``ids`` are in ``allowed`` (a sorted array is searched, any other one sorted first)."""
    allowed = np.asarray(allowed, dtype=np.int64)
    if len(allowed) == 0:
        return np.zeros(len(ids), dtype=bool)
    if len(allowed) > 1 and not bool(np.all(allowed[1:] >= allowed[:-1])):
        allowed = np.sort(allowed)
    at = np.minimum(np.searchsorted(allowed, ids), len(allowed) - 1)
    return allowed[at] == ids


def _published_within(column: str, date_from: str | None, date_to: str | None) -> tuple[list[str], list[str]]:
    """SQL conditions (and their arguments) for a publication date within [date_from, date_to], either end open."""
    cond, args = [], []
    if date_from:
        cond.append(f"{column} >= ?")
        args.append(date_from)
    if date_to:
        cond.append(f"{column} <= ?")
        args.append(date_to)
    return cond, args


def _article(row: tuple) -> Article:
    return Article(row[0], row[1], row[2], row[3] or "", row[4] or "", row[5], json.loads(row[6] or "[]"), row[7] or "")


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
