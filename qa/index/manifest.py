"""The index fingerprint: what must match for chunks and vectors of two runs to be mixed in one index.

manifest.json holds the schema version, the embedding model (its name, the sha256 of its weights, backend,
dimension, how many word-pieces it reads) and the chunking settings, plus the counts at the last save. Opening
an index with other settings is an error that names `--rebuild`, never a silent mix.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..errors import IndexMismatchError, StoreError
from .schema import CHUNKER_VERSION, MANIFEST, SCHEMA_VERSION

if TYPE_CHECKING:
    from ..embed import Embedder


def fingerprint(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    """The expected fingerprint for these settings and this embedder (name, dim, weights digest)."""
    c = settings.chunking
    embedding = {"model": embedder.name, "digest": getattr(embedder, "digest", embedder.name),
                 "backend": settings.embedding.backend, "dim": embedder.dim, "max_tokens": settings.embedding.max_tokens}
    if getattr(embedder, "int8_weights", None) == "s8":  # recorded only for 's8': indexes built before it are 'u8'
        embedding["int8"] = "s8"
    return {
        "schema_version": SCHEMA_VERSION,
        "embedding": embedding,
        "chunking": {"max_tokens": c.max_tokens, "overlap_tokens": c.overlap_tokens, "min_tokens": c.min_tokens,
                     "tokenizer": embedder.name, "version": CHUNKER_VERSION},
        # which search backend keeps the vectors: an index is never opened with the other one
        "index": {"backend": settings.index.backend},
    }


def adopt(found: dict[str, Any] | None, embedder: Embedder) -> None:
    """Let the embedder use the int8 weights an existing index was built with (qa/embed/ort.py): 's8' where the
    manifest records it, 'u8' where it records none. Called before `fingerprint`, so the two then agree."""
    emb = (found or {}).get("embedding")
    if isinstance(emb, dict) and emb.get("backend") == "onnx-int8" and hasattr(embedder, "use_int8_weights"):
        weights = emb.get("int8", "u8")
        if weights in ("u8", "s8"):
            embedder.use_int8_weights(weights)


def read(folder: Path) -> dict[str, Any]:
    """The manifest of an index folder; a damaged one is a one-line error naming the fix."""
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path} is damaged ({type(exc).__name__}): restore it from a backup, "
                         f"or rebuild the index with `qa index PATH --index {folder} --rebuild`") from None
    if not isinstance(data, dict):
        raise StoreError(f"{path} is damaged (not a JSON object): restore it from a backup, "
                         f"or rebuild the index with `qa index PATH --index {folder} --rebuild`")
    return data


def check(folder: Path, found: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Raise unless the found fingerprint matches; True when it only lacks what newer versions record.

    Indexes written before the weights digest was recorded name the model only; they are accepted when the
    name and everything else match, and get the digest at the next save. Those written before the search
    backend was recorded are FAISS indexes.
    """
    upgrade = False
    for key in ("schema_version", "embedding", "chunking", "index"):
        have, want = found.get(key), expected[key]
        if key == "embedding" and isinstance(have, dict) and "digest" not in have:
            have = dict(have, digest=want["digest"])
            upgrade = True
        if key == "index" and have is None:  # written before the Milvus backend: FAISS
            have = {"backend": "faiss"}
            upgrade = True
        if key == "index" and have != want:
            built = json.dumps(have.get("backend") if isinstance(have, dict) else have)
            raise IndexMismatchError(
                f"index {folder} was built with index.backend {built}, but the settings ask for "
                f"{json.dumps(want['backend'])}: set index.backend (or QA_INDEX_BACKEND) to {built}, "
                f"use another --index folder, or `qa index PATH --rebuild` to rebuild it"
            )
        if have != want:
            raise IndexMismatchError(
                f"index {folder} was built with {key} {json.dumps(found.get(key))}, but the settings ask for "
                f"{json.dumps(want)}: use the same settings, another --index folder, "
                f"or `qa index PATH --rebuild` to rebuild it"
            )
    return upgrade


def write(folder: Path, expected: dict[str, Any], counts: dict[str, int] | None = None) -> None:
    data = dict(expected, counts=counts or {"articles": 0, "chunks": 0})
    if counts is not None:
        data["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    atomic_write(folder / MANIFEST, json.dumps(data, indent=2, sort_keys=True).encode())


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file so that a crash leaves either the old or the new content (temporary file, fsync, rename)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path} ({exc.strerror or exc}): free some disk space (or make the folder "
                         "writable), then run the same command again") from None
