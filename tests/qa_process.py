"""Run `qa` as a real process with its memory and time bounded, and measure what it used (issue 28's tests).

The address space is capped (RLIMIT_AS) so a regression fails the test instead of taking the machine down, the
wall time is capped, and the peak resident memory comes from the kernel's own count for that one child (wait4),
taken by a small launcher process: a child forked straight from pytest would count pytest's own memory (a GB
once models are loaded), which it holds until it execs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eval.serving import free_port, running
from tests.conftest import SAMPLE

QA = [sys.executable, "-m", "qa.cli"]
GB = 1 << 30


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str
    peak_mb: float  # the child's largest resident set (its own, not its children's)
    seconds: float
    timed_out: bool

    def one_line_error(self) -> str:
        """The stderr's last line, after checking stderr is free of tracebacks."""
        assert "Traceback" not in self.stderr, self.stderr
        return self.stderr.strip().splitlines()[-1] if self.stderr.strip() else ""


def env(**extra: str) -> dict[str, str]:
    """The environment of a `qa` child: hash embeddings (no model), no settings file unless the cwd has one."""
    out = dict(os.environ, QA_EMBED_BACKEND="hash", QA_SETTINGS="", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    out.update(extra)
    return out


# forks the command from a small process, caps its address space, and writes its exit status and peak memory
LAUNCHER = """
import os, resource, sys
report, limit, *cmd = sys.argv[1:]
pid = os.fork()
if pid == 0:
    resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
    os.execvp(cmd[0], cmd)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as fh:
    fh.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def run(args: list[str | bytes], cwd: str | Path | None = None, timeout: float = 90, max_memory: int = 3 * GB,
        extra_env: dict[str, str] | None = None, preexec=None, cmd: list | None = None) -> Result:  # noqa: ANN001
    """Run ``qa ARGS`` (or ``cmd``): memory capped at ``max_memory`` bytes of address space, killed after ``timeout``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report"
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(report), str(max_memory), *(cmd or [*QA, *args])],
                                cwd=cwd, env=env(**(extra_env or {})), stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                preexec_fn=preexec, start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        seconds = time.monotonic() - t0
        rc, peak = (int(x) for x in report.read_text().split()) if report.exists() else (-9, 0)
        out.seek(0)
        err.seek(0)
        return Result(rc, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                      peak / 1024, seconds, timed_out)


@dataclass
class Server:
    """A running `qa serve`: its URL, and everything it wrote to stdout and stderr."""

    url: str
    host: str
    port: int
    log_path: Path
    proc: subprocess.Popen

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def send(self, data: bytes, timeout: float = 10.0, close_early: bool = False) -> bytes:
        """Raw bytes to the server; what it answers (nothing when ``close_early``: the client goes away)."""
        import socket

        with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
            sock.sendall(data)
            if close_early:
                return b""
            chunks = []
            try:
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
            except TimeoutError:
                pass
            return b"".join(chunks)


@contextmanager
def serving_the_sample(folder: Path, toml: str = "") -> Iterator[Server]:
    """The sample article indexed into ``folder``/idx (hash embeddings), served by `qa serve` with ``toml``."""
    assert run(["index", str(SAMPLE), "--index", str(folder / "idx"), "-q"]).rc == 0
    with serving(folder / "idx", folder, toml) as server:
        yield server


@contextmanager
def serving(index: Path, folder: Path, toml: str = "", args: tuple[str, ...] = ("--no-llm",)) -> Iterator[Server]:
    """`qa serve` on ``index`` (hash embeddings, extractive answers: no model) with ``toml`` as its settings."""
    port = free_port()
    (folder / "qa.toml").write_text(toml)
    log_path = folder / "serve.log"
    url = f"http://127.0.0.1:{port}"
    with running([*QA, "serve", "--index", str(index), "--port", str(port), *args], url + "/health", "qa serve",
                 log=log_path, env=env(QA_SETTINGS=str(folder / "qa.toml")), cwd=folder, timeout=120, interval=0.2,
                 stop_timeout=15) as proc:
        yield Server(url, "127.0.0.1", port, log_path, proc)
