"""Decompression bombs (issue 28): the issue's files, `qa index` on each, its peak memory and time. Prints, asserts nothing.

    .venv/bin/python -m eval.crash.bombs [--keep DIR]

The bombs are built as the issue built them (`gzip -1`, one member): 3 GB of zeros as .jsonl.gz (14 MB) and as
.json.gz, 1 GB of newlines as .jsonl.gz (4.7 MB). Each `qa index` (hash embeddings, default settings) runs with
its address space capped at 4 GB; its peak resident memory is the kernel's count for that process (wait4).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

QA = [sys.executable, "-m", "qa.cli"]
ENV = dict(os.environ, QA_EMBED_BACKEND="hash", QA_SETTINGS="", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
BOMBS = {"zeros.jsonl.gz": (b"\0", 3 << 30), "zeros.json.gz": (b"\0", 3 << 30), "newlines.jsonl.gz": (b"\n", 1 << 30)}


def build(path: Path, byte: bytes, total: int) -> None:
    z = zlib.compressobj(1, zlib.DEFLATED, 31)  # gzip -1
    block = byte * (8 << 20)
    with open(path, "wb") as fh:
        for _ in range(total // len(block)):
            fh.write(z.compress(block))
        fh.write(z.flush())


def measure(path: Path, index: Path) -> tuple[int, float, float, str]:
    """(exit code, peak MB, seconds, the warning line) of `qa index PATH`."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    with tempfile.TemporaryFile() as err:
        t = time.monotonic()
        proc = subprocess.Popen([*QA, "index", str(path), "--index", str(index), "-q"], env=ENV, stdout=subprocess.DEVNULL,
                                stderr=err, preexec_fn=cap)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - t
        err.seek(0)
        lines = err.read().decode("utf-8", "replace").splitlines()
    warning = next((x for x in lines if x.startswith("warning:")), lines[-1] if lines else "")
    return proc.returncode, usage.ru_maxrss / 1024, seconds, warning


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keep", metavar="DIR", help="build the bombs here (and keep them) instead of a temporary folder")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qa-bombs-") as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for name, (byte, total) in BOMBS.items():
            path = folder / name
            if not path.exists():
                build(path, byte, total)
            rc, peak, seconds, warning = measure(path, Path(tmp) / f"idx-{name}")
            print(f"{name}: {path.stat().st_size / 1e6:.1f} MB holding {total / (1 << 30):g} GB: exit {rc}, peak "
                  f"{peak:.0f} MB, {seconds:.1f} s\n    {warning}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
