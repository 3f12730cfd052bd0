"""Writers racing on one index (issue 28): prints the figures, asserts nothing.

    .venv/bin/python -m eval.crash.races [--runs 20] [--articles 60]

Three races, each run `--runs` times with a random offset between the two `qa index` processes (hash embeddings):
  new index      two ingests of different folders into a folder that does not exist yet
  existing index two ingests of different folders into an index that holds a third folder
  rebuild        `qa index C --rebuild` started while `qa index A` runs on an existing index
After each run: every process either completed (exit 0, "N added") or refused in one line (exit 1, one stderr
line, no traceback); `qa check --full` is clean; every article a completed run reported added is in the index,
unless a `--rebuild` removed it after that run had finished writing (a rebuild removes what is there, as asked).
"After": a watcher polls, every 2 ms, whose pid is in index.lock and which file index.sqlite is; the database
replaced while the ingest's own pid was in the lock would be a loss (and an index with no lock at all never
shows that pid, so an older `qa` fails this check).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

QA = [sys.executable, "-m", "qa.cli"]
ENV = dict(os.environ, QA_EMBED_BACKEND="hash", QA_SETTINGS="", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")


class Watch(threading.Thread):
    """Who holds index.lock and which file index.sqlite is, polled every 2 ms while a race runs."""

    def __init__(self, index: Path) -> None:
        super().__init__(daemon=True)
        self.index, self.seen, self.done = index, [], False

    def run(self) -> None:
        while not self.done:
            try:
                pid = int((self.index / "index.lock").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                pid = None
            try:
                inode = os.stat(self.index / "index.sqlite").st_ino
            except OSError:
                inode = None
            self.seen.append((pid, inode))
            time.sleep(0.002)

    def replaced_after_release(self, pid: int, inode: int) -> bool:
        """Whether ``pid`` held the lock, and the database (``inode`` at the start) was first replaced when the
        lock was another's: the ingest had finished writing."""
        held = False
        for i, (holder, now) in enumerate(self.seen):
            held = held or holder == pid
            if now != inode:
                after = next((h for h, _ in self.seen[i:] if h is not None), None)
                return held and after != pid
        return False


@dataclass
class Proc:
    """One `qa index` of a race: what it printed and when it ran."""

    name: str
    folder: Path
    rc: int = -1
    out: str = ""
    err: str = ""
    pid: int = 0

    @property
    def added(self) -> int | None:
        for part in self.out.split(";")[0].split(","):
            if part.strip().endswith(" added"):
                return int(part.split()[-2])
        return None

    def verdict(self) -> str:
        if "Traceback" in self.err:
            return "traceback"
        if self.rc == 0 and self.added is not None:
            return "completed"
        lines = [x for x in self.err.splitlines() if x.strip()]
        if self.rc == 1 and len(lines) == 1 and lines[0].startswith("error: "):
            return "refused"
        return "other"


def write_folder(folder: Path, tag: str, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        body = " ".join(f"The council of {tag} town {i} met on day {d} and agreed the harbour budget {i * d}."
                        for d in range(1, 12))
        (folder / f"{tag}{i:03d}.txt").write_text(f"Report {tag} {i}\n\n{body}\n")


def launch(p: Proc, index: Path, *extra: str) -> threading.Thread:
    proc = subprocess.Popen([*QA, "index", str(p.folder), "--index", str(index), "-q", *extra], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.pid = proc.pid

    def go() -> None:
        p.out, p.err = proc.communicate(timeout=600)
        p.rc = proc.returncode

    t = threading.Thread(target=go)
    t.start()
    return t


def present(index: Path, folder: Path) -> int:
    """Articles of the index loaded from files of ``folder``."""
    conn = sqlite3.connect(f"file:{index / 'index.sqlite'}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT COUNT(*) FROM articles WHERE origin LIKE ?", (f"{folder}/%",)).fetchone()[0]
    finally:
        conn.close()


def check_full(index: Path) -> tuple[bool, str]:
    r = subprocess.run([*QA, "check", "--full", "--index", str(index)], env=ENV, capture_output=True, text=True)
    return r.returncode == 0, (r.stdout + r.stderr).strip().splitlines()[-1] if (r.stdout + r.stderr).strip() else ""


def race(kind: str, root: Path, folders: dict[str, Path], runs: int, rng: random.Random) -> dict:
    tally = {"completed": 0, "refused": 0, "traceback": 0, "other": 0}
    clean, missing, wiped, refusals, notes = 0, 0, 0, set(), []
    for run in range(runs):
        index = root / f"{kind.replace(' ', '-')}-{run}"
        if kind != "new index":  # an index holding folder C already
            subprocess.run([*QA, "index", str(folders["c"]), "--index", str(index), "-q"], env=ENV, check=True,
                           capture_output=True)
        first = Proc("A", folders["a"])
        second = Proc("B", folders["c"] if kind == "rebuild" else folders["b"])
        inode = os.stat(index / "index.sqlite").st_ino if kind != "new index" else None
        watch = Watch(index)
        watch.start()
        t1 = launch(first, index)
        time.sleep(rng.uniform(0.0, 2.5) if kind == "rebuild" else rng.uniform(0.0, 0.4))
        t2 = launch(second, index, *(["--rebuild"] if kind == "rebuild" else []))
        t1.join()
        t2.join()
        watch.done = True
        watch.join()
        for p in (first, second):
            v = p.verdict()
            tally[v] += 1
            if v == "refused":
                refusals.add(p.err.strip().split(" (pid ")[0])
            elif v != "completed":
                notes.append(f"run {run} {p.name}: exit {p.rc}: {p.err.strip()[-300:]}")
        ok, line = check_full(index)
        clean += ok
        if not ok:
            notes.append(f"run {run}: qa check --full: {line}")
        for p in (first, second):
            if p.verdict() != "completed" or not p.added:
                continue
            have = present(index, p.folder)
            wiped_later = (kind == "rebuild" and p is first and second.verdict() == "completed"
                           and watch.replaced_after_release(p.pid, inode))
            if have < p.added and not wiped_later:
                missing += p.added - have
                notes.append(f"run {run} {p.name}: reported {p.added} added, {have} in the index")
            wiped += have < p.added and wiped_later
        shutil.rmtree(index, ignore_errors=True)
    return {"tally": tally, "clean": clean, "missing": missing, "wiped": wiped, "refusals": sorted(refusals),
            "notes": notes}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--articles", type=int, default=200, help="articles per folder")
    ap.add_argument("--seed", type=int, default=28)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="qa-races-") as tmp:
        root = Path(tmp)
        folders = {k: root / f"src-{k}" for k in "abc"}
        for k, f in folders.items():
            write_folder(f, k, args.articles)
        t0 = time.monotonic()
        for kind in ("new index", "existing index", "rebuild"):
            r = race(kind, root, folders, args.runs, rng)
            t = r["tally"]
            print(f"{kind}: {args.runs} runs, {2 * args.runs} processes: {t['completed']} completed, {t['refused']} "
                  f"refused in one line, {t['traceback']} tracebacks, {t['other']} other; `qa check --full` clean "
                  f"after {r['clean']}/{args.runs}; articles reported added but missing: {r['missing']}"
                  + (f" (runs where the rebuild came after the ingest had finished, and removed its articles as "
                     f"asked: {r['wiped']})" if kind == "rebuild" else ""), flush=True)
            for line in r["refusals"]:
                print(f"    refusal: {line} (pid N) ...")
            for note in r["notes"]:
                print(f"    ! {note}")
        print(f"({time.monotonic() - t0:.0f} s; {args.articles} articles per folder, hash embeddings)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
