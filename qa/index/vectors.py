"""Dense vector search behind one small protocol, and its FAISS implementation.

FAISS index type: exact inner-product search (`IndexFlatIP`) up to `ingest.exact_search_max` vectors, an HNSW
graph (M 32, efConstruction 80, efSearch 128; 256 with a filter) above (recall measured in the README). Ids are
the chunk ids of the database, so a hit is looked up there.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import missing


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

    def remove(self, ids: Sequence[int]) -> bool:
        if not len(ids):
            return True
        if self._hnsw:  # HNSW graphs can't drop nodes
            return False
        self.index.remove_ids(np.asarray(ids, dtype=np.int64))
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
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=256) if self._hnsw else faiss.SearchParameters(sel=selector)
        scores, ids = self.index.search(q, min(k, self.index.ntotal), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def save(self, path: Path) -> None:
        """Write atomically (temporary file, then rename)."""
        tmp = path.with_suffix(path.suffix + ".tmp")
        _faiss().write_index(self.index, str(tmp))
        os.replace(tmp, path)
