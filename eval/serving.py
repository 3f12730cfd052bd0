"""Start a server process and wait until it answers (`qa serve`, `qa ui`, llama_cpp.server): the one helper the eval
tools and the tests share."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path


class ServerError(RuntimeError):
    """The server exited before it answered, or did not answer in time (the message ends with its log's tail)."""


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(cmd: Sequence[str], ready_url: str, what: str, *, log: Path | None = None,
            env: Mapping[str, str] | None = None, cwd: str | Path | None = None, timeout: float = 300,
            interval: float = 0.5, stop_timeout: float = 15) -> Iterator[subprocess.Popen]:
    """Run ``cmd`` (its stdout and stderr into the file ``log``, else discarded), wait until GET ``ready_url``
    answers, yield the process; terminate it afterwards (killed when it takes over ``stop_timeout`` seconds)."""
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - the child keeps its own copy; closed below
    try:
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    finally:
        if log:
            out.close()
    try:
        wait_until_up(ready_url, proc, what, timeout=timeout, log=log, interval=interval)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_until_up(url: str, proc: subprocess.Popen, what: str, timeout: float = 300, log: Path | None = None,
                  interval: float = 0.5) -> None:
    """Poll ``url`` until it answers with a success; ServerError when ``proc`` exits first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise ServerError(f"{what} exited with {proc.returncode} before it answered {url}{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                r.read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise ServerError(f"{what} did not answer {url} within {timeout:.0f} s{_tail(log)}") from None
            time.sleep(interval)


def _tail(log: Path | None, n: int = 3000) -> str:
    if log is None or not Path(log).exists():
        return ""
    return ":\n" + Path(log).read_text(errors="replace")[-n:]


def run_together(threads: Sequence[threading.Thread], timeout: float) -> float:
    """Start the threads at once and wait for each (at most ``timeout`` s apiece); returns the wall seconds."""
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return time.perf_counter() - t0
