"""Near-duplicate articles (wire copies, re-posts): MinHash signatures of word 5-gram shingles.

signature[i] = min over the article's shingles s of (a_i * crc32(s) + b_i) mod (2^31 - 1), for 128 fixed (a_i, b_i);
the share of equal values of two signatures estimates the Jaccard similarity of their shingle sets.
Candidates are found by locality-sensitive hashing: 32 bands of 4 values each, stored in `minhash_band`; two
articles with Jaccard 0.7 share a band with probability 1 - (1 - 0.7^4)^32 > 0.999. A candidate whose estimate
is near the threshold is confirmed with the exact Jaccard of the shingle sets (recomputed from the stored text),
so `ingest.dedup_threshold` is applied exactly. A new article joins the story of its most similar earlier copy.
"""

from __future__ import annotations

import sqlite3
import zlib

import numpy as np

from ..textutil import words

SHINGLE = 5
NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
_P = np.uint64((1 << 31) - 1)
_rng = np.random.default_rng(20240607)  # fixed: signatures stored in an index must stay comparable
_A = _rng.integers(1, (1 << 31) - 1, size=(NUM_PERM, 1), dtype=np.uint64)
_B = _rng.integers(0, (1 << 31) - 1, size=(NUM_PERM, 1), dtype=np.uint64)

# Created on first use, inside the ingest transaction (executescript would commit it, so one statement each).
BAND_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS minhash_band(band INTEGER NOT NULL, key INTEGER NOT NULL, article_id TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS minhash_band_key ON minhash_band(band, key)",
    "CREATE INDEX IF NOT EXISTS minhash_band_article ON minhash_band(article_id)",
)


def shingles(text: str) -> set[int]:
    """crc32 of every run of 5 consecutive words (lower-cased); a text shorter than that is one shingle."""
    w = words(text)
    if len(w) < SHINGLE:
        return {zlib.crc32(" ".join(w).encode())} if w else set()
    return {zlib.crc32(" ".join(w[i : i + SHINGLE]).encode()) for i in range(len(w) - SHINGLE + 1)}


def signature(hashes: set[int]) -> np.ndarray:
    """The MinHash signature (NUM_PERM uint32 values) of a shingle set."""
    if not hashes:
        return np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    x = np.fromiter(hashes, dtype=np.uint64, count=len(hashes)) % _P
    return ((_A * x[None, :] + _B) % _P).min(axis=1).astype(np.uint32)


def estimate(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(a == b))


def jaccard(a: set[int], b: set[int]) -> float:
    """Exact Jaccard similarity of two shingle sets."""
    return len(a & b) / len(a | b) if a and b else 0.0


def band_keys(sig: np.ndarray) -> list[tuple[int, int]]:
    """(band, key) pairs for the LSH table."""
    return [(i, zlib.crc32(sig[i * ROWS : (i + 1) * ROWS].tobytes())) for i in range(BANDS)]


def record(db: sqlite3.Connection, article_id: str, text: str, threshold: float,
           hashes: set[int] | None = None) -> str | None:
    """Store the article's signature and join it to the story of an earlier near-duplicate; returns that story id."""
    hashes = shingles(text) if hashes is None else hashes
    sig = signature(hashes)
    keys = band_keys(sig)
    if not _has_band_table(db):
        for statement in BAND_SCHEMA:
            db.execute(statement)
    db.execute("DELETE FROM minhash_band WHERE article_id = ?", (article_id,))
    story = _best_story(db, article_id, hashes, sig, keys, threshold) if hashes else None
    db.execute("INSERT OR REPLACE INTO minhash(article_id, signature) VALUES(?, ?)", (article_id, sig.tobytes()))
    db.executemany("INSERT INTO minhash_band(band, key, article_id) VALUES(?, ?, ?)", [(b, k, article_id) for b, k in keys])
    if story is not None:
        db.execute("UPDATE articles SET story_id = ? WHERE id = ?", (story, article_id))
    return story


def _has_band_table(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'minhash_band'").fetchone() is not None


def _best_story(db: sqlite3.Connection, article_id: str, hashes: set[int], sig: np.ndarray,
                keys: list[tuple[int, int]], threshold: float) -> str | None:
    values = ",".join("(?, ?)" for _ in keys)
    flat = [x for pair in keys for x in pair]
    rows = db.execute(
        f"SELECT DISTINCT m.article_id, m.signature FROM minhash_band b JOIN minhash m ON m.article_id = b.article_id "
        f"WHERE (b.band, b.key) IN (VALUES {values}) AND b.article_id != ?", [*flat, article_id]).fetchall()
    best, best_sim = None, threshold
    for other, blob in rows:
        if estimate(sig, np.frombuffer(blob, dtype=np.uint32)) < threshold - 0.2:
            continue  # far below the threshold even allowing for the estimate's error (sd ~0.04)
        row = db.execute("SELECT text, story_id FROM articles WHERE id = ?", (other,)).fetchone()
        if row is None:
            continue
        sim = jaccard(hashes, shingles(row[0]))
        if sim >= best_sim:
            best, best_sim = row[1] or other, sim
    return best
