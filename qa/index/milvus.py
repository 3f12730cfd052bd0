"""The Milvus backend (`index.backend = "milvus"`): dense vectors and BM25 full-text search in one engine.

`index.milvus_uri` picks the engine: empty (the default) or a local path ending in `.db` is Milvus Lite, the
engine embedded in this process (`milvus-lite`); `http://host:19530` is a Milvus server or cluster. Only this
module imports pymilvus.

What lives where. SQLite (index.sqlite) stays the source of truth for everything: articles with their text and
news metadata, chunks with their vectors, quotes, MinHash signatures, and the FTS5 table that gives the reader its
IDF statistics. Milvus holds one row per chunk with only what search needs:

  chunk_id    INT64 primary key, the SQLite chunk id (a hit is turned into a passage by SQLite)
  article_id  VARCHAR, so an article's rows are replaced or deleted by one filter
  day         INT32, the publication date as days since 1970-01-01 (UNDATED for undated articles): date
              windows are pushed down as `day >= lo and day <= hi or day == UNDATED`
  keywords    VARCHAR with an analyzer: the chunk's title and text as keyword terms (see `keyword_document`)
  sparse      SPARSE_FLOAT_VECTOR, filled by Milvus's built-in BM25 function from `keywords`
  dense       FLOAT_VECTOR(dim), the chunk's embedding (inner product = cosine: the vectors are unit length)

Why: article text, quotes and signatures are read by id for the answer stage, which SQLite does in microseconds
from one file; moving them into Milvus scalar fields would make every answer depend on the server for reads SQLite
already serves, and would lose the transaction that keeps articles, chunks and signatures consistent. With the
vectors kept in SQLite, the collection is derived data, exactly like the FAISS file: it is rebuilt from SQLite
(no re-embedding) when it is missing, lags the database (a kill mid-ingest), or was built with other settings.

Keyword terms. FTS5 stems with Porter; Milvus Lite's analyzer has only the 'standard' tokenizer (no stemmer
filter), and a server's English analyzer stems differently. So the terms are made here, the same way for
documents and queries and for Lite and servers: FTS5's unicode61 tokenization (letters and digits, lower case,
diacritics removed), then the project's Porter stemmer (qa/text), and Milvus's 'standard' tokenizer splits the
space-separated stems back out. Queries drop stopwords like the FTS5 query does. FTS5 weighs a title word half a
text word; here the title is written once and the text twice, with k1 doubled, which gives FTS5's ranking up to
the IDF formula (Milvus: log(1 + (N - n + 0.5)/(n + 0.5)), FTS5 without the 1 +). On the DEV questions, Milvus's
top 10 keyword chunks are 94.6% FTS5's (88.4% with the title at full weight), see docs/scaling.md.

Consistency. Each ingest batch commits to SQLite first, then replaces the batch's articles in Milvus; `save()`
flushes the collection and records the database generation it matches in milvus.json. An open whose milvus.json
does not match the database (generation, row count, collection, uri, index type, analyzer) rebuilds the collection.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import StoreError, missing
from .backend import ChunkRow, DateWindow
from .manifest import atomic_write

if TYPE_CHECKING:
    from ..config import Settings
    from .db import Database

META = "milvus.json"
LITE_DIR = "milvus.db"  # the default Milvus Lite data folder inside the index folder
UNDATED = -1_000_000  # far below any real day number (1970 is 0; dates before it are negative)
_EPOCH = date(1970, 1, 1).toordinal()
_MAX_VARCHAR = 65_535  # bytes, Milvus's VARCHAR limit
_ID_BYTES = 1_024
_INSERT_BATCH = 2_000  # rows per insert call (~3 MB of vectors at dim 384, far under gRPC's 64 MB)
_TOKEN = re.compile(r"[^\W_]+")  # FTS5 unicode61: runs of letters and digits
_QUOTED = re.compile(r'"((?:[^"]|"")*)"')
# FTS5's BM25 constants are k1 1.2, b 0.75; k1 is doubled because each text term is written twice (above)
BM25_K1, BM25_B = 2.4, 0.75
SCORE_SCALE = (1.2 + 1) / (BM25_K1 + 1)  # Milvus's score times this is FTS5's (up to the IDF formula)
DOCUMENT_VERSION = 2  # bump when keyword_document changes
_PROBE = "Running companies generalization relational happiness analogies trekked Renault Pokémon chips 2019"


def _pymilvus():  # noqa: ANN202
    try:
        import pymilvus
    except ImportError:
        raise missing("pymilvus", "index.backend 'milvus'") from None
    # pymilvus logs every failed call with a traceback; the error reaches the user as one line instead. Milvus Lite
    # serves gRPC in this process and logs the calls it does not implement (pymilvus falls back) the same way.
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
    return pymilvus


# -- keyword terms ------------------------------------------------------------------------------------
def _fold(token: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", token) if not unicodedata.combining(c))


def keyword_terms(text: str) -> list[str]:
    """The text's terms as FTS5 'porter unicode61' would index them: letters and digits, folded, Porter-stemmed."""
    from ..text.tokens import stem

    return [stem(_fold(t)) for t in _TOKEN.findall(text.lower())]


def query_terms(query: str) -> list[str]:
    """The terms of a keyword query: the words the FTS5 query would search (no stopwords), as index terms."""
    from .keyword import fts_query

    out: list[str] = []
    for word in _QUOTED.findall(fts_query(query)):
        word = word.replace('""', '"').removesuffix("'s")
        for term in keyword_terms(word):
            if term not in out:
                out.append(term)
    return out


def keyword_document(title: str, text: str) -> str:
    """The `keywords` field of a chunk: its title once and its text twice, as space-separated terms, cut to Milvus's
    limit. Twice, so a title word counts half a text word, as FTS5's column weights (0.5, 1.0) make it; with
    BM25's k1 doubled as well (`BM25_K1`) the ranking is FTS5's: 2f(2k1+1)/(2f+2k1·L) = (2k1+1)/(k1+1) · FTS5's."""
    doc = " ".join(keyword_terms(f"{title}\n{text}\n{text}"))
    if len(doc.encode("utf-8")) > _MAX_VARCHAR:
        doc = doc.encode("utf-8")[:_MAX_VARCHAR].decode("utf-8", "ignore").rsplit(" ", 1)[0]
    return doc


def analyzer_digest() -> str:
    """A digest of how terms and documents are made, so a collection built otherwise is rebuilt, never mixed."""
    probe = f"{DOCUMENT_VERSION} {BM25_K1} {BM25_B} " + keyword_document("Title words", _PROBE)
    return hashlib.sha256(probe.encode()).hexdigest()[:16]


def day_number(published: str | None) -> int:
    """Days since 1970-01-01 of an ISO date (UNDATED when absent or unreadable)."""
    if not published:
        return UNDATED
    try:
        return date.fromisoformat(published[:10]).toordinal() - _EPOCH
    except ValueError:
        return UNDATED


def window_filter(window: DateWindow | None) -> str:
    """The Milvus filter expression of a date window ('' for none); undated articles are kept."""
    if window is None or (window.date_from is None and window.date_to is None):
        return ""
    cond = []
    if window.date_from:
        cond.append(f"day >= {day_number(window.date_from)}")
    if window.date_to:
        cond.append(f"day <= {day_number(window.date_to)}")
    return f"({' and '.join(cond)}) or day == {UNDATED}"


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _one_line(exc: BaseException) -> str:
    msg = getattr(exc, "message", None) or str(exc)
    return " ".join(str(msg).split())[:300]


# -- the collection ------------------------------------------------------------------------------------
class Milvus:
    """One Milvus collection kept in step with an index folder's SQLite database (see the module docstring)."""

    name = "milvus"

    def __init__(self, folder: Path, settings: Settings, dim: int, db: Database) -> None:
        self.folder = folder
        self.settings = settings.index
        self.dim = dim
        self.db = db
        self.uri, self.lite = resolve_uri(self.settings.milvus_uri, folder)
        self.collection = self.settings.milvus_collection
        self._client: Any = None
        self._synced = -1  # the database generation the collection matches (-1: not checked yet)
        self._digest = analyzer_digest()

    @staticmethod
    def files(folder: Path) -> Iterable[Path]:
        """milvus.json, and the Milvus Lite folder when it is the default one inside the index folder (a Milvus
        server's collection is rebuilt on first use once its milvus.json is gone)."""
        return folder / META, folder / LITE_DIR

    @property
    def kind(self) -> str:
        where = "Milvus Lite" if self.lite else f"Milvus at {self.uri}"
        return f"{where}, collection {self.collection}: {self.settings.milvus_index_type} (IP) + BM25"

    # -- connection ---------------------------------------------------------------------------------
    def client(self) -> Any:
        if self._client is None:
            pymilvus = _pymilvus()
            if self.lite:
                Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
            # Milvus Lite's in-process server refuses pymilvus's keep-alive pings every 10 s (gRPC then logs
            # 'too_many_pings' to the terminal and drops the connection): no pings to a server in this process
            options = {"grpc.keepalive_time_ms": 2**31 - 1, "grpc.keepalive_permit_without_calls": 0} if self.lite else {}
            try:
                self._client = pymilvus.MilvusClient(uri=self.uri, token=os.environ.get("MILVUS_TOKEN", ""), timeout=15,
                                                     grpc_options=options)
            except Exception as exc:  # noqa: BLE001 - pymilvus raises several kinds; all mean "not reachable"
                hint = ("another process may hold this Milvus Lite folder: stop it, or use a Milvus server"
                        if self.lite else "start the server, or point index.milvus_uri at a running one")
                raise StoreError(f"cannot open Milvus at {self.uri} ({_one_line(exc)}): {hint}") from None
        return self._client

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"Milvus {what} failed on {self.uri}, collection {self.collection} ({_one_line(exc)}): "
                             f"check the server, or rebuild the index with `qa index PATH --index {self.folder} --rebuild`") from None

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except Exception:  # noqa: BLE001 - closing a dead connection is not worth an error
                pass
            self._client = None

    # -- in step with the database ------------------------------------------------------------------
    def _marker(self) -> dict[str, Any]:
        # the uri as set ('' = inside the index folder), so a copied index folder keeps its Milvus Lite collection
        return {"uri": self.settings.milvus_uri, "collection": self.collection,
                "index_type": self.settings.milvus_index_type, "analyzer": self._digest, "dim": self.dim}

    def load(self) -> None:
        self.ready()

    def ready(self) -> None:
        """Check once (then per generation) that the collection matches the database; rebuild it when not."""
        with self.db.lock:  # one thread checks (and rebuilds); the others wait for it
            self._ready()

    def _ready(self) -> None:
        gen = self.db.generation()
        if self._synced == gen:
            return
        meta_file = self.folder / META
        meta = {}
        if meta_file.is_file():
            try:
                meta = json.loads(meta_file.read_text())
            except (OSError, ValueError):
                meta = {}
        c = self.client()
        ok = (meta.get("generation") == gen and {k: meta.get(k) for k in self._marker()} == self._marker()
              and self._call("has_collection", c.has_collection, self.collection))
        if ok:
            self._load()
            ok = self.count() == self.db.counts()["chunks"]
        if not ok:
            self.rebuild()
        self._synced = gen

    def rebuild(self) -> None:
        """Drop and recreate the collection, filled from the vectors and texts stored in SQLite."""
        self._create(drop=True)
        for rows in self.db.iter_search_rows():
            self._insert(rows)
        self._flush()
        self._write_meta(self.db.generation())

    def _flush(self, timeout: float = 1800.0) -> None:
        """Seal what was written and wait until the dense and BM25 indexes cover every row.

        Milvus (Lite and server alike) builds segment indexes in the background after a flush; a search meanwhile
        scans the unindexed rows, correct but slow. Waiting here makes save() leave an index ready to serve.
        """
        c = self.client()
        self._call("flush", c.flush, self.collection)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = 0
            for field in ("dense", "sparse"):
                info = self._call("describe_index", c.describe_index, self.collection, field)
                pending += int(info.get("pending_index_rows", 0) or 0)
                pending += max(0, int(info.get("total_rows", 0) or 0) - int(info.get("indexed_rows", 0) or 0))
            if pending == 0:
                return
            time.sleep(0.2)

    def _create(self, drop: bool) -> None:
        pymilvus = _pymilvus()
        DataType, Function, FunctionType = pymilvus.DataType, pymilvus.Function, pymilvus.FunctionType  # noqa: N806
        c = self.client()
        if drop and self._call("has_collection", c.has_collection, self.collection):
            self._call("drop_collection", c.drop_collection, self.collection)
        schema = c.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("chunk_id", DataType.INT64, is_primary=True)
        schema.add_field("article_id", DataType.VARCHAR, max_length=_ID_BYTES)
        schema.add_field("day", DataType.INT32)
        schema.add_field("keywords", DataType.VARCHAR, max_length=_MAX_VARCHAR, enable_analyzer=True,
                         analyzer_params={"tokenizer": "standard"})
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.dim)
        schema.add_function(Function(name="keywords_bm25", function_type=FunctionType.BM25,
                                     input_field_names=["keywords"], output_field_names=["sparse"]))
        params = c.prepare_index_params()
        kind = self.settings.milvus_index_type
        # HNSW as the FAISS path builds it (M 32, efConstruction 80); FLAT is exact. BM25 as FTS5 (see BM25_K1).
        params.add_index(field_name="dense", index_type=kind, metric_type="IP",
                         params=self._build_params({"M": 32, "efConstruction": 80} if kind == "HNSW" else {}))
        params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                         params=self._build_params({"bm25_k1": BM25_K1, "bm25_b": BM25_B}))
        params.add_index(field_name="day", index_type="INVERTED")
        self._call("create_collection", c.create_collection, self.collection, schema=schema, index_params=params,
                   shards_num=self.settings.shards, consistency_level="Strong")
        self._load()

    def _build_params(self, params: dict[str, Any]) -> dict[str, Any]:
        # pymilvus 3 sends index parameters as flat key-value pairs, which a server reads; Milvus Lite 3.2.2 reads
        # them only from one JSON 'params' pair (else it builds HNSW with M 16, efConstruction 200, and BM25 k1 1.5)
        return {"params": json.dumps(params)} if self.lite and params else params

    def _load(self) -> None:
        # a server serves a collection only once loaded, with index.replicas in-memory copies over its query nodes;
        # a loaded one is left as it is (a server refuses another replica number for it: release it first)
        c = self.client()
        state = self._call("get_load_state", c.get_load_state, self.collection).get("state")
        if getattr(state, "name", str(state)) != "Loaded":
            self._call("load_collection", c.load_collection, self.collection, replica_number=self.settings.replicas)

    def _write_meta(self, generation: int) -> None:
        atomic_write(self.folder / META, json.dumps(dict(self._marker(), generation=generation,
                                                         rows=self.count()), indent=2).encode())

    def count(self) -> int:
        res = self._call("count", self.client().query, self.collection, filter="", output_fields=["count(*)"])
        return int(res[0]["count(*)"])

    def _insert(self, rows: Sequence[ChunkRow]) -> None:
        """(chunk id, article id, published, title, chunk text, vector) rows."""
        data = []
        for cid, article_id, published, title, text, vec in rows:
            if len(article_id.encode("utf-8")) > _ID_BYTES:
                raise StoreError(f"article id {article_id[:60]!r}... is longer than {_ID_BYTES} bytes, the limit of "
                                 "the Milvus backend: shorten the ids in the input, or use index.backend 'faiss'")
            data.append({"chunk_id": int(cid), "article_id": article_id, "day": day_number(published),
                         "keywords": keyword_document(title, text),
                         "dense": np.asarray(vec, dtype=np.float32).tolist()})
        for i in range(0, len(data), _INSERT_BATCH):
            self._call("insert", self.client().insert, self.collection, data[i : i + _INSERT_BATCH])

    # -- writing (after the SQLite transaction committed) -------------------------------------------
    def apply(self, removed: Sequence[int], added: Sequence[ChunkRow], before: int, after: int) -> None:
        """Apply one committed transaction: delete the chunks ``removed`` (every chunk of the articles it replaced
        or removed, by primary key), insert ``added`` (the new chunks of its articles): an article-level upsert.

        ``before``/``after``: the database generation around the transaction. A collection that did not match
        ``before`` is rebuilt from the database instead (which then holds this change too).
        """
        if self._synced != before:
            self._synced = -1
            self.ready()
            return
        self._synced = -1  # until both calls went through: a failure leaves a collection to rebuild
        c = self.client()
        ids = [int(i) for i in removed]
        # by primary key: a filter on article_id would be evaluated over every row of the collection per batch
        for i in range(0, len(ids), 5_000):
            self._call("delete", c.delete, self.collection, ids=ids[i : i + 5_000])
        self._insert(added)
        self._synced = after

    def article_chunk_ids(self, article_id: str) -> list[int]:
        """The chunk ids the collection holds for an article (for checks; a filter query over the collection)."""
        rows = self._call("query", self.client().query, self.collection, filter=f"article_id == {_quote(article_id)}",
                          output_fields=["chunk_id"])
        return sorted(int(r["chunk_id"]) for r in rows)

    def save(self, generation: int) -> None:
        """Flush the collection (its segments and indexes are built) and record the generation it matches."""
        self.ready()
        self._flush()
        self._write_meta(generation)

    def drop(self) -> None:
        c = self.client()
        if self._call("has_collection", c.has_collection, self.collection):
            self._call("drop_collection", c.drop_collection, self.collection)
        (self.folder / META).unlink(missing_ok=True)
        self._synced = -1

    # -- reading --------------------------------------------------------------------------------------
    def dense(self, query_vec: np.ndarray, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        self.ready()
        expr = window_filter(window)
        # efSearch as the FAISS path sets it: 128, 256 with a filter
        params = {"metric_type": "IP", "params": {"ef": 256 if expr else 128}} if self.settings.milvus_index_type == "HNSW" \
            else {"metric_type": "IP"}
        res = self._call("search", self.client().search, self.collection, data=[np.asarray(query_vec, dtype=np.float32).tolist()],
                         anns_field="dense", limit=k, filter=expr, output_fields=["chunk_id"], search_params=params)
        return [(int(h["chunk_id"]), float(h["distance"])) for h in res[0]]

    def keyword(self, query: str, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        terms = query_terms(query)
        if not terms:
            return []
        self.ready()
        res = self._call("search", self.client().search, self.collection, data=[" ".join(terms)], anns_field="sparse",
                         limit=k, filter=window_filter(window), output_fields=["chunk_id"],
                         search_params={"metric_type": "BM25"})
        # a BM25 score is >= 0 and higher is better; Milvus Lite reports it negated, a server as is. Scaled to
        # FTS5's scale, as the choice ranking reads the best keyword score as a feature.
        return [(int(h["chunk_id"]), abs(float(h["distance"])) * SCORE_SCALE) for h in res[0]]


def resolve_uri(uri: str, folder: Path) -> tuple[str, bool]:
    """(uri, is Milvus Lite): '' is milvus.db inside the index folder; a path is a Milvus Lite folder."""
    if not uri:
        return str(folder / LITE_DIR), True
    if uri.startswith(("http://", "https://")):
        return uri, False
    return str(Path(uri).expanduser()), True
