"""Dense vector search behind one small protocol, and its FAISS implementation.

FAISS index type: exact inner-product search (`IndexFlatIP`) up to `ingest.exact_search_max` vectors, an HNSW
graph (M 32, efConstruction 80, efSearch 128) above (recall measured in docs/performance.md). Ids are the chunk ids of the
database, so a hit is looked up there.

A date window is a set of allowed chunk ids, passed to FAISS as a bitmap over the ids (built in microseconds;
an `IDSelectorBatch` hashed every id of the window for each question). On an HNSW graph, a window of at most
SUBSET_EXACT vectors is searched exactly among its own vectors (a filtered graph walk loses recall when most
nodes are filtered out); a larger one walks the graph with efSearch raised as the window narrows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import missing

SUBSET_EXACT = 50_000  # an HNSW index searches a window of up to this many vectors exactly (~5 ms at 384 dims)
FILTERED_EF = (256, 1024)  # efSearch of a filtered graph walk: at least 256, 128 / (window fraction), at most 1024


class VectorIndex(Protocol):
    """Nearest chunks of a query vector by inner product (cosine: the vectors are unit length)."""

    kind: str  # e.g. 'IndexFlatIP', 'IndexHNSWFlat'

    def __len__(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: Sequence[int]) -> bool:
        """Drop ids in place; False when this index type can't (the caller rebuilds it)."""
        ...

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]: ...

    def save(self, path: Path) -> None: ...


def _faiss():  # noqa: ANN202
    try:
        import faiss
    except ImportError:
        raise missing("faiss-cpu", "vector search") from None
    return faiss


class FaissIndex:
    """A FAISS index with ids (`IndexIDMap2`), flat or HNSW."""

    def __init__(self, index) -> None:  # noqa: ANN001 - faiss.Index
        self.index = index
        faiss = _faiss()
        inner = faiss.downcast_index(index.index) if hasattr(index, "index") else index
        self.kind = type(inner).__name__
        self._hnsw = isinstance(inner, faiss.IndexHNSW)
        self._inner = inner
        self._rows: tuple[int, np.ndarray, np.ndarray] | None = None  # (epoch, sorted ids, their rows)
        self._epoch = 0  # bumped by every add / remove (the rows of the ids change)

    @classmethod
    def new(cls, dim: int, n: int, exact_max: int) -> FaissIndex:
        """Exact search up to ``exact_max`` vectors, an HNSW graph above."""
        faiss = _faiss()
        if n <= exact_max:
            return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)))
        hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        hnsw.hnsw.efSearch = 128
        return cls(faiss.IndexIDMap2(hnsw))

    @classmethod
    def build(cls, dim: int, n: int, exact_max: int, batches: Iterable[tuple[np.ndarray, np.ndarray]]) -> FaissIndex:
        """A new index filled from (ids, vectors) batches; building (HNSW above all) uses every core."""
        faiss = _faiss()
        out = cls.new(dim, n, exact_max)
        faiss.omp_set_num_threads(max(1, os.cpu_count() or 1))
        try:
            for ids, vecs in batches:
                out.add(ids, vecs)
        finally:
            faiss.omp_set_num_threads(1)
        return out

    @classmethod
    def load(cls, path: Path) -> FaissIndex:
        return cls(_faiss().read_index(str(path)))

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))
            self._epoch += 1

    def remove(self, ids: Sequence[int]) -> bool:
        if not len(ids):
            return True
        if self._hnsw:  # HNSW graphs can't drop nodes
            return False
        self.index.remove_ids(np.asarray(ids, dtype=np.int64))
        self._epoch += 1
        return True

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        faiss = _faiss()
        if self.index.ntotal == 0 or (allowed is not None and len(allowed) == 0):
            return []
        # one query: OpenMP threads only add barrier waits (3x slower on a busy 2-core machine, measured); the
        # setting is per calling thread, so it is made here, in the thread that searches
        faiss.omp_set_num_threads(1)
        q = np.asarray(query, dtype=np.float32).reshape(1, -1)
        params = None
        if allowed is not None:
            allowed = np.asarray(allowed, dtype=np.int64)
            if self._hnsw and len(allowed) <= SUBSET_EXACT:
                return self._subset_search(q[0], k, allowed)
            bitmap = _bitmap(allowed)
            selector = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))  # n: bytes
            if self._hnsw:
                lo, hi = FILTERED_EF
                ef = int(min(hi, max(lo, 128 * self.index.ntotal / max(1, len(allowed)))))
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=ef)
            else:
                params = faiss.SearchParameters(sel=selector)
            scores, ids = self.index.search(q, min(k, self.index.ntotal), params=params)  # bitmap alive until here
        else:
            scores, ids = self.index.search(q, min(k, self.index.ntotal))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def _subset_search(self, q: np.ndarray, k: int, allowed: np.ndarray) -> list[tuple[int, float]]:
        """Exact inner products with the allowed ids' vectors only (read in place from the graph's storage)."""
        faiss = _faiss()
        sorted_ids, rows = self._id_rows()
        at = np.minimum(np.searchsorted(sorted_ids, allowed), max(0, len(sorted_ids) - 1))
        found = sorted_ids[at] == allowed if len(sorted_ids) else np.zeros(len(allowed), dtype=bool)
        ids, rows = allowed[found], rows[at[found]]
        if not len(ids):
            return []
        storage = faiss.downcast_index(self._inner.storage)
        n, d = int(storage.ntotal), int(storage.d)
        xb = faiss.rev_swig_ptr(storage.get_xb(), n * d).reshape(n, d)  # a view: no copy of the vectors
        # a window over a fifth of the vectors: one pass over all of them beats copying its rows out first (93k
        # vectors: 5.5 ms for any window, against 2.0 / 12.5 / 22.8 ms copying windows of 10 / 30 / 53%)
        if 5 * len(rows) > n:
            scores = (xb @ q)[rows]
        else:
            scores = xb[rows] @ q
        k = min(k, len(ids))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(ids) else np.arange(len(ids))
        top = top[np.lexsort((ids[top], -scores[top]))]  # best first; equal scores (duplicate texts) by id
        return [(int(ids[i]), float(scores[i])) for i in top]

    def _id_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """The index's ids sorted, with the storage row of each (recomputed after an add or remove)."""
        if self._rows is None or self._rows[0] != self._epoch:
            ids = _faiss().vector_to_array(self.index.id_map).astype(np.int64)
            order = np.argsort(ids, kind="stable")
            self._rows = (self._epoch, ids[order], order)
        return self._rows[1], self._rows[2]

    def save(self, path: Path) -> None:
        """Write atomically (temporary file, fsync, rename); a failed write raises OSError and leaves no file."""
        faiss = _faiss()
        tmp = path.with_suffix(path.suffix + ".tmp")
        try:
            with open(tmp, "wb") as fh:
                # through Python's file: FAISS's own writer only prints a failed close (a full disk) on stderr and
                # carries on, and the rename then put a cut file in place of the good one
                faiss.write_index(self.index, faiss.PyCallbackIOWriter(fh.write))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def _bitmap(ids: np.ndarray) -> np.ndarray:
    """FAISS's IDSelectorBitmap layout: bit (id & 7) of byte (id >> 3) is set for each id."""
    if not len(ids):
        return np.zeros(1, dtype=np.uint8)
    bits = np.zeros(int(ids.max()) + 1, dtype=bool)
    bits[ids[ids >= 0]] = True
    return np.packbits(bits, bitorder="little")
