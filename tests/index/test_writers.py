"""Issue 28, writing: one writer at a time (index.lock), and a full disk. Real `qa` processes on real folders
(hash embeddings); a full disk is a real one (a small tmpfs in a user namespace, where `unshare` allows it).
Every test here failed before its fix. `python -m eval.crash.races` runs the races 20 times each.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from eval.crash.races import present
from tests.qa_process import QA, env, run


def write_folder(folder: Path, tag: str, n: int, sentences: int = 12) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        body = " ".join(f"The council of {tag} town {i} met on day {d} and agreed the harbour budget {i * d}."
                        for d in range(1, sentences))
        (folder / f"{tag}{i:03d}.txt").write_text(f"Report {tag} {i}\n\n{body}\n")
    return folder


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([*QA, *args], env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_writing(index: Path, proc: subprocess.Popen, folder: Path, timeout: float = 60) -> None:
    """Until ``proc`` has committed a batch of ``folder`` into ``index`` (it is mid-ingest, holding what a writer
    holds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the first ingest ended before the second started: give it more articles"
        try:
            conn = sqlite3.connect(f"file:{index / 'index.sqlite'}?mode=ro", uri=True, timeout=1)
            try:
                if conn.execute("SELECT COUNT(*) FROM articles WHERE origin LIKE ?", (f"{folder}/%",)).fetchone()[0]:
                    return
            finally:
                conn.close()
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    raise AssertionError("the first ingest never committed a batch")


def refused_by(result, pid: int) -> None:
    line = result.one_line_error()
    assert result.rc == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert line == (f"error: another `qa index` (pid {pid}) is writing the index {line.split(' the index ')[1].split(';')[0]}; "
                    "wait for it to finish or stop it, then run this again"), line


def test_a_second_writer_is_refused_in_one_line_and_nothing_is_lost(tmp_path):
    a, b = write_folder(tmp_path / "a", "a", 600), write_folder(tmp_path / "b", "b", 20)
    index = tmp_path / "idx"
    first = start("index", str(a), "--index", str(index), "-q")
    wait_writing(index, first, a)
    second = run(["index", str(b), "--index", str(index), "-q"])
    readers = [run(["stats", "--index", str(index), "--json"]), run(["search", "council harbour", "--index", str(index)]),
               run(["ask", "What did the council agree?", "--no-llm", "--index", str(index)])]
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0 and "600 added" in out, err
    refused_by(second, first.pid)
    assert all(r.rc == 0 for r in readers), [r.stderr for r in readers]  # readers never wait for the writer
    assert present(index, a) == 600 and present(index, b) == 0
    check = run(["check", "--full", "--index", str(index)])
    assert check.rc == 0, check.stdout
    again = run(["index", str(b), "--index", str(index), "-q"])  # the lock went with its holder
    assert again.rc == 0 and "20 added" in again.stdout and present(index, b) == 20


def test_a_rebuild_started_during_an_ingest_is_refused_and_the_ingest_keeps_its_articles(tmp_path):
    a, c = write_folder(tmp_path / "a", "a", 600), write_folder(tmp_path / "c", "c", 20)
    index = tmp_path / "idx"
    assert run(["index", str(c), "--index", str(index), "-q"]).rc == 0
    first = start("index", str(a), "--index", str(index), "-q")
    wait_writing(index, first, a)
    rebuild = run(["index", str(c), "--index", str(index), "--rebuild", "-q"])
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0 and "600 added" in out, err
    refused_by(rebuild, first.pid)
    assert present(index, a) == 600 and present(index, c) == 20
    assert run(["check", "--full", "--index", str(index)]).rc == 0


def test_a_stale_lock_is_taken_over(tmp_path):
    a = write_folder(tmp_path / "a", "a", 5)
    index = tmp_path / "idx"
    assert run(["index", str(a), "--index", str(index), "-q"]).rc == 0
    dead = subprocess.Popen(["true"])
    dead.wait()
    (index / "index.lock").write_text(f"{dead.pid}\nqa index\n")  # left by a writer killed with -9
    r = run(["index", str(write_folder(tmp_path / "b", "b", 5)), "--index", str(index), "-q"])
    assert r.rc == 0 and "5 added" in r.stdout, r.stderr
    assert not (index / "index.lock").exists()


# -- 6. a full disk ---------------------------------------------------------------------------------------

def _can_mount() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount(), reason="no user namespaces here to mount a small tmpfs in")
@pytest.mark.parametrize("size", ["64k", "600k", "2m"])  # full at: the schema, the first batch, a later batch
def test_a_full_disk_is_one_line_and_leaves_an_index_the_next_run_completes(tmp_path, size):
    src = write_folder(tmp_path / "src", "s", 300, sentences=40)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    qa = " ".join(QA)
    script = f"""
mount -t tmpfs -o size={size} tmpfs {mnt} || exit 99
{qa} index {src} --index {mnt}/idx -q >{tmp_path}/index.out 2>{tmp_path}/index.err; echo $? >{tmp_path}/index.rc
{qa} check --index {mnt}/idx >{tmp_path}/check.out 2>&1
ls -la {mnt}/idx >{tmp_path}/files.txt
mount -o remount,size=64m {mnt}
{qa} index {src} --index {mnt}/idx -q >{tmp_path}/again.out 2>&1; echo $? >{tmp_path}/again.rc
{qa} check --full --index {mnt}/idx >{tmp_path}/again.check 2>&1; echo $? >>{tmp_path}/again.rc
"""
    r = run([], cmd=["unshare", "-rm", "sh", "-c", script], timeout=240)
    assert r.rc == 0 and not r.timed_out, r.stderr
    read = lambda name: (tmp_path / name).read_text()  # noqa: E731
    err = read("index.err").strip().splitlines()
    assert read("index.rc").strip() == "1" and len(err) == 1, read("index.err")
    assert err[0].startswith("error: cannot write") and "free some disk space" in err[0], err
    files = read("files.txt")
    assert ".tmp" not in files and not any(line.split()[4] == "0" and "vectors" in line for line in files.splitlines()[1:]), files
    assert "backup" not in read("check.out") and "Traceback" not in read("check.out"), read("check.out")
    assert read("again.rc").split() == ["0", "0"], read("again.out") + read("again.check")
    assert "300 added" in read("again.out") or "unchanged" in read("again.out")
