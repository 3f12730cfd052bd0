"""`qa check`: is an index folder whole? The manifest, SQLite's own page check, the vector index against the
chunks (count, ids, a sample of the vectors themselves) and the keyword rows against the chunks, each one line,
with what to do about it.

`vectors_mismatch` is also what `Index` runs before it trusts a saved vectors.faiss: a file copied from another
index (or damaged) is rebuilt from the vectors in SQLite instead of silently answering with wrong passages.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import QAError
from . import manifest
from .schema import DB, FAISS_FILE, FAISS_META, MANIFEST

if TYPE_CHECKING:
    from ..config import Settings
    from ..embed import Embedder
    from .db import Database
    from .vectors import FaissIndex

SAMPLE = 32  # vectors compared one by one with the database


def file_crc32(path: Path) -> int:
    """CRC-32 of a file (vectors.json records vectors.faiss's: a damaged byte anywhere is seen before FAISS reads it)."""
    crc = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            crc = zlib.crc32(block, crc)
    return crc


def rebuild_fix(folder: Path) -> str:
    return f"restore the index folder from a backup, or rebuild it with `qa index PATH --index {folder} --rebuild`"


def vectors_mismatch(vectors: Any, chunk_ids: np.ndarray, stored: Any) -> str | None:
    """Why a loaded vector index does not belong to these chunks, or None when it does.

    ``stored(ids) -> {id: vector}`` reads vectors from the database. Checks the count, the ids, and a spread
    sample of the vectors (an index copied from another index of the same size has the same ids)."""
    n = len(vectors)
    if n != len(chunk_ids):
        return f"it holds {n} vectors for {len(chunk_ids)} chunks"
    ids = _vector_ids(vectors)
    if ids is not None and not np.array_equal(np.sort(ids), chunk_ids):
        missing = len(np.setdiff1d(chunk_ids, ids))
        return f"{missing} of its {n} ids are no chunk of this index"
    if n == 0:
        return None
    picks = chunk_ids[np.unique(np.linspace(0, n - 1, min(SAMPLE, n)).astype(int))]
    want = stored([int(i) for i in picks])
    for cid in picks:
        got = _reconstruct(vectors, int(cid))
        if got is None:
            return None  # this index type can't give its vectors back: count and ids are all that is checked
        if cid not in want or not np.allclose(got, want[cid], atol=1e-5):
            return f"its vector for chunk {int(cid)} is not the one stored with that chunk"
    return None


def _vector_ids(vectors: Any) -> np.ndarray | None:
    index = getattr(vectors, "index", None)
    if index is None or not hasattr(index, "id_map"):
        return None
    import faiss

    return faiss.vector_to_array(index.id_map).astype(np.int64)


def _reconstruct(vectors: Any, cid: int) -> np.ndarray | None:
    try:
        return np.asarray(vectors.index.reconstruct(cid), dtype=np.float32)
    except (AttributeError, RuntimeError):
        return None


@dataclass
class Finding:
    """One line of `qa check`: what was checked, whether it holds, and what to do when not."""

    what: str
    ok: bool
    detail: str
    fix: str = ""

    def __str__(self) -> str:
        line = f"{'ok  ' if self.ok else 'FAIL'}  {self.what}: {self.detail}"
        return line + (f"\n      fix: {self.fix}" if self.fix else "")


@dataclass
class CheckReport:
    """Every finding of `qa check`, in order."""

    folder: Path
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def add(self, what: str, ok: bool, detail: str, fix: str = "") -> None:
        self.findings.append(Finding(what, ok, detail, "" if ok else fix))

    def summary(self) -> str:
        bad = [f for f in self.findings if not f.ok]
        if not bad:
            return f"{self.folder}: the index is whole"
        return f"{self.folder}: {len(bad)} problem(s); do what the first 'fix' says, then run `qa check` again"


def check_index(folder: str | Path, settings: Settings, embedder: Embedder, full: bool = False) -> CheckReport:
    """Check an index folder without changing it (the database is opened read-only)."""
    from .db import Database
    from .vectors import FaissIndex

    folder = Path(folder).expanduser()
    report = CheckReport(folder)
    fix = rebuild_fix(folder)
    man, db_file = folder / MANIFEST, folder / DB
    if not folder.is_dir() or not (man.exists() or db_file.exists()):
        report.add("index folder", False, f"{folder} holds no index", f"build one with `qa index PATH --index {folder}`")
        return report

    # manifest.json: readable, and built with these settings
    found: dict[str, Any] = {}
    if not man.is_file():
        report.add(MANIFEST, False, "missing (the database is there)", fix)
    else:
        try:
            found = manifest.read(folder)
            manifest.adopt(found, embedder)
            manifest.check(folder, found, manifest.fingerprint(settings, embedder))
            emb = found.get("embedding", {})
            report.add(MANIFEST, True, f"embedding {emb.get('model')} ({emb.get('backend')}, {emb.get('dim')} dims), "
                                       f"chunking version {found.get('chunking', {}).get('version')}")
        except QAError as exc:
            detail, _, advice = str(exc).partition(": use the same settings")
            if "is damaged" in detail:
                detail = "damaged" + detail.split("is damaged", 1)[1].split(":", 1)[0]
            report.add(MANIFEST, False, detail, f"use the same settings{advice}" if advice else fix)

    # index.sqlite: present, not empty, every page sound. Beside a manifest that was never saved (the first
    # ingest into the folder stopped, a full disk say) a missing or table-less database is an index never
    # finished, not a damaged one: nothing was in it to restore.
    unfinished = isinstance(found, dict) and bool(found) and "updated" not in found
    never = (f"never finished: the first `qa index` into {folder} stopped before anything was indexed",
             f"run `qa index PATH --index {folder}` again once what stopped it is fixed (a full disk?)")
    if not db_file.is_file() or db_file.stat().st_size == 0:
        if unfinished:
            report.add(DB, False, *never)
        else:
            report.add(DB, False, "missing" if not db_file.is_file() else "empty (0 bytes)", fix)
        return report
    try:
        db = Database(db_file, readonly=True)
    except QAError as exc:
        report.add(DB, False, str(exc), fix)
        return report
    try:
        try:
            problems = db.integrity(full)
            counts = db.counts()
        except QAError as exc:
            if unfinished and "no such table" in str(exc):
                report.add(DB, False, *never)
            else:
                report.add(DB, False, str(exc), fix)
            return report
        check = "integrity_check" if full else "quick_check"
        report.add(DB, not problems, f"{check} found {'; '.join(problems[:3])}" if problems else
                   f"{check} ok; {counts['articles']} articles, {counts['chunks']} chunks", fix)
        saved = found.get("counts") if isinstance(found.get("counts"), dict) else {}
        if saved.get("chunks") and not counts["chunks"]:
            report.add(DB, False, f"holds no chunks but {MANIFEST} records {saved['chunks']}", fix)

        # keyword rows (FTS5) against chunks
        try:
            kw = db.keyword_consistency()
        except QAError as exc:
            report.add("keyword rows", False, str(exc), fix)
        else:
            ok = kw["rows"] == counts["chunks"] and not kw["chunks_without_row"] and not kw["rows_without_chunk"] and kw["fts_ok"]
            detail = (f"{kw['rows']} rows for {counts['chunks']} chunks; {kw['chunks_without_row']} chunks without a row, "
                      f"{kw['rows_without_chunk']} rows without a chunk; FTS5 integrity-check "
                      f"{'ok' if kw['fts_ok'] else 'failed'}")
            report.add("keyword rows", ok, detail, fix)

        # the vector index against the chunks
        _check_vectors(report, folder, db, FaissIndex, counts, settings)
    finally:
        db.close()
    return report


def _check_vectors(report: CheckReport, folder: Path, db: Database, faiss_index: type[FaissIndex], counts: dict[str, int],
                   settings: Settings) -> None:
    backend = getattr(getattr(settings, "index", None), "backend", "faiss")
    if backend != "faiss":
        report.add("vectors", True, f"kept by the {backend} backend (checked by it when it opens)")
        return
    meta_file, faiss_file = folder / FAISS_META, folder / FAISS_FILE
    later = f"run `qa check --repair --index {folder}`: it rebuilds the vector index from {DB} (nothing is lost)"
    # An ingest killed after committing batches (kill -9, a crash: `qa index`, `qa update`, `qa watch`) leaves the
    # vector index behind the database: the chunks' vectors are all in index.sqlite and opening the index rebuilds
    # it from them, so nothing is lost and nothing needs doing. That is reported, not failed (issue 25).
    behind = (f"behind the database (an ingest was interrupted): rebuilt from {DB} whenever the index is opened, "
              f"nothing lost; `qa check --repair --index {folder}` saves it now")
    if not faiss_file.is_file() and not meta_file.is_file():
        report.add(FAISS_FILE, True, "not saved yet" + ("" if counts["chunks"] == 0 else f", {behind}"), later)
        return
    if not faiss_file.is_file() or not meta_file.is_file():
        saved = f"{FAISS_META if faiss_file.is_file() else FAISS_FILE} is missing (an ingest was interrupted while saving)"
        report.add(FAISS_FILE, False, saved, later)
        return
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        generation = int(meta["generation"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        report.add(FAISS_META, False, f"unreadable ({type(exc).__name__})", later)
        return
    gen = db.generation()
    if generation < gen:
        report.add(FAISS_FILE, True, f"saved at generation {generation}, the database is at {gen}: {behind}", later)
        return
    if generation != gen:
        report.add(FAISS_FILE, False, f"saved at generation {generation}, the database is at {gen} (an ingest "
                                      f"was interrupted)", later)
        return
    if "crc32" in meta and meta["crc32"] != file_crc32(faiss_file):
        report.add(FAISS_FILE, False, "damaged (its checksum is not the one vectors.json recorded)", later)
        return
    try:
        vectors = faiss_index.load(faiss_file)
    except Exception as exc:  # noqa: BLE001 - faiss raises RuntimeError with a C++ trace; one line here
        report.add(FAISS_FILE, False, f"unreadable ({type(exc).__name__})", later)
        return
    why = vectors_mismatch(vectors, db.chunk_ids(), db.chunk_vectors)
    report.add(FAISS_FILE, why is None, why or f"{len(vectors)} vectors = chunks, ids and a sample of "
                                               f"{min(SAMPLE, len(vectors))} vectors match", later)
