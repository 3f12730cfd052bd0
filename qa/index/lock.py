"""One writer per index folder: `index.lock` names the process writing it (pid and command) while it writes.

Two writers at once lost data: one's manifest.json.tmp renamed under the other, a `--rebuild` deleting the
database another ingest was filling (its "10 added" went nowhere), vectors.faiss saved by one with the other's
chunks missing. The lock is `flock` on the file, so the kernel drops it when the holder dies, even by kill -9:
a lock file left with a dead pid is taken over, never an index locked for ever. Readers never take it (SQLite's
WAL lets them read while one process writes).
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

from ..errors import StoreError

LOCK = "index.lock"


class WriterLock:
    """The writer lock of one index folder, held by at most one open file in the whole machine."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LOCK
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock now, or raise the one line naming who holds it (never waits)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            while True:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    holder = _holder(fd)
                    os.close(fd)
                    raise StoreError(f"another `{holder[1]}` (pid {holder[0]}) is writing the index {self.folder}; "
                                     "wait for it to finish or stop it, then run this again") from None
                if _same_file(fd, self.path):  # not a lock file its last holder removed meanwhile
                    break
                os.close(fd)
        except OSError as exc:
            raise StoreError(f"cannot lock the index {self.folder} for writing ({exc.strerror or exc}): make the "
                             "index folder writable") from None
        try:  # who holds it, for the message another writer gets; the lock itself is the flock
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n{_command()}\n".encode("utf-8", "backslashreplace"))
        except OSError:
            pass  # a full disk: the lock holds all the same, the other writer reads "pid ?"
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # removed while still locked: the next writer opens a new one
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def _holder(fd: int) -> tuple[str, str]:
    """(pid, command) the holder wrote, or '?' for what it has not written yet."""
    try:
        text = os.pread(fd, 512, 0).decode("utf-8", "replace").split("\n")
    except OSError:
        text = []
    pid = text[0].strip() if text and text[0].strip().isdigit() else "?"
    command = text[1].strip() if len(text) > 1 and text[1].strip() else "qa index"
    return pid, command


def _command() -> str:
    """What this process is, as a user would name it: `qa index`, `qa ui`, or the program's name."""
    argv = sys.argv or [""]
    prog = Path(argv[0])
    if prog.name == "qa" or prog.parts[-2:] == ("qa", "cli.py"):
        sub = next((a for a in argv[1:] if a.isalpha()), "")
        return f"qa {sub}".strip()
    return (prog.parent.name if prog.name == "__main__.py" else prog.name) or "python"
