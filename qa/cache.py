"""Our cache folder, and file digests remembered there (so a model's sha256 is computed once, not at every open)."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

_LOCK = threading.Lock()


def cache_root() -> Path:
    """Exported embedding models, the assembled GGUF, digests: $QA_CACHE_DIR, else $XDG_CACHE_HOME/newsqa or ~/.cache/newsqa."""
    if os.environ.get("QA_CACHE_DIR"):
        return Path(os.environ["QA_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "newsqa"


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    """The sha256 of a file's bytes (read in 4 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def sha256_cached(path: Path) -> str:
    """sha256 of a file, remembered under the cache folder by (path, size, mtime): recomputed when the file changes."""
    path = Path(path).resolve()
    st = path.stat()
    key = f"{path}:{st.st_size}:{st.st_mtime_ns}"
    book = cache_root() / "digests.json"
    with _LOCK:
        try:
            known = json.loads(book.read_text())
        except (OSError, ValueError):
            known = {}
        if key in known:
            return known[key]
        digest = sha256_file(path)
        known[key] = digest
        try:
            book.parent.mkdir(parents=True, exist_ok=True)
            tmp = book.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(known, indent=0))
            os.replace(tmp, book)
        except OSError:
            pass  # a read-only cache only costs the hash again next time
        return digest
