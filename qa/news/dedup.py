"""Near-duplicate articles (wire copies, re-posts): MinHash signatures of word 5-gram shingles.

signature[i] = min over the article's shingles s of (a_i * crc32(s) + b_i) mod (2^31 - 1), for 128 fixed (a_i, b_i);
the share of equal values of two signatures estimates the Jaccard similarity of their shingle sets.
Candidates are found by locality-sensitive hashing: 32 bands of 4 values each, stored in `minhash_band`; two
articles with Jaccard 0.7 share a band with probability 1 - (1 - 0.7^4)^32 > 0.999. A candidate whose estimate
is near the threshold is confirmed with the exact Jaccard of the shingle sets (recomputed from the stored text),
so `ingest.dedup_threshold` is applied exactly. A new article joins the story of its most similar earlier copy.
The work per article is bounded, so a cluster of copies costs time in proportion to its size (5,000 copies of one
short record compared each new copy with every earlier one: 4.5 records/s): at most MAX_CANDIDATES articles
sharing a band are read, and the exact check runs on the MAX_EXACT best estimates among them, stopping at a copy.
Short texts (under SHORT_WORDS words) must also have alike titles (rapidfuzz token_set_ratio >= TITLE_MIN, site
suffixes like ' | CNN' removed): scraped pages that hold only a cookie or newsletter notice share their text
but not their story (seen on the RealTimeQA corpora: 210- and 1070-character notices under dozens of titles).
"""

from __future__ import annotations

import re
import zlib

import numpy as np

from ..text.similarity import jaccard
from ..text.tokens import words
from .records import StoryRecords

SHINGLE = 5
SHORT_WORDS = 300
TITLE_MIN = 60
MAX_CANDIDATES = 200
MAX_EXACT = 8
NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
_P = np.uint64((1 << 31) - 1)
_rng = np.random.default_rng(20240607)  # fixed: signatures stored in an index must stay comparable
_A = _rng.integers(1, (1 << 31) - 1, size=(NUM_PERM, 1), dtype=np.uint64)
_B = _rng.integers(0, (1 << 31) - 1, size=(NUM_PERM, 1), dtype=np.uint64)

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


def same_title(a: str, b: str) -> bool:
    """Whether two headlines are alike (site suffixes such as ' | The Week UK' removed)."""
    from rapidfuzz import fuzz

    return fuzz.token_set_ratio(_headline(a), _headline(b)) >= TITLE_MIN


def _headline(title: str) -> str:
    return re.split(r"\s+[|\u2013\u2014-]\s+(?=[^|\u2013\u2014-]{1,30}$)", title)[0].lower()


def band_keys(sig: np.ndarray) -> list[int]:
    """One LSH key per band: the band number and the hash of its values."""
    return [i << 32 | zlib.crc32(sig[i * ROWS : (i + 1) * ROWS].tobytes()) for i in range(BANDS)]


def record(db: StoryRecords, article_id: str, text: str, threshold: float, hashes: set[int] | None = None,
           title: str = "") -> str | None:
    """Store the article's signature and join it to the story of an earlier near-duplicate; returns that story id.

    ``db``: the index database, inside the ingest transaction.
    """
    hashes = shingles(text) if hashes is None else hashes
    sig = signature(hashes)
    keys = band_keys(sig)
    story = _best_story(db, article_id, hashes, sig, keys, threshold, title, len(words(text))) if hashes else None
    db.replace_signature(article_id, sig.tobytes(), keys)
    if story is not None:
        db.set_story(article_id, story)
    return story


def _best_story(db: StoryRecords, article_id: str, hashes: set[int], sig: np.ndarray, keys: list[int], threshold: float,
                title: str, n_words: int) -> str | None:
    rows = db.band_candidates(keys, article_id, MAX_CANDIDATES)
    if n_words < SHORT_WORDS:  # a short text joins a story only under a like headline: look at those alone
        rows = [r for r in rows if same_title(title, r[2] or "")]
    if not rows:
        return None
    est = (np.vstack([np.frombuffer(r[1], dtype=np.uint32) for r in rows]) == sig).mean(axis=1)
    # far below the threshold even allowing for the estimate's error (sd ~0.04): not worth the exact check
    order = [i for i in np.argsort(-est, kind="stable") if est[i] >= threshold - 0.2][:MAX_EXACT]
    best, best_sim = None, threshold
    for i in order:
        other = rows[i][0]
        row = db.text_story_title(other)
        if row is None:
            continue
        sim = jaccard(hashes, shingles(row[0]))
        if sim >= best_sim and (min(n_words, len(words(row[0]))) >= SHORT_WORDS or same_title(title, row[2] or "")):
            best, best_sim = row[1] or other, sim
            if sim >= 1.0:
                break  # a copy: nothing is more similar
    return best
