"""Crash safety and concurrency, measured on small indexes (issue 16): prints the figures, asserts nothing.

    .venv/bin/python -m eval.crash.robustness [kill9] [concurrency] [--articles N] [--threads T] [--questions Q] [--llm]

kill9: `qa index` (hash embedder) of N generated news articles is killed with SIGKILL at five moments: as soon as
  the database exists, after the first committed batch, half-way, at 90%, and once every batch is committed (the
  final save). After each kill: does the index open, do vectors = chunks = keyword rows, what does `qa check` say;
  then the same command again: does it resume (nothing re-embedded that was committed) and end at the counts of
  an uninterrupted run?
concurrency: `qa ui` on the sample article (real embedding model; extractive answers unless --llm) and T client
  threads (one Gradio client each, one browser tab) asking Q questions each, with a further thread uploading a
  file meanwhile: how many answers hold what their question asks for (none mixed up with another's), the upload's
  result, and the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ..data import REPO
from ..serving import free_port, run_together, running

SAMPLE = REPO / "corpus" / "sample"
QA = [sys.executable, "-m", "qa.cli"]
ENV = dict(os.environ, QA_EMBED_BACKEND="hash", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")

# Four questions with four different answers in the sample article (as tests/app/test_api.py asks them).
QUESTIONS = {
    "What did Ren say about chips?": r"invest in chip",
    "What does Ren hope to buy from American companies?": r"components|materials|equipment",
    "Which smartphone brand did Huawei sell in November?": r"\bHonor\b",
    "Where did Huawei inaugurate a new laboratory?": r"Taiyuan",
}


# -- kill -9 ------------------------------------------------------------------------------------------

def write_articles(folder: Path, n: int) -> None:
    """n distinct news-like articles made from the sample article's sentences (quotes included)."""
    from qa.text.sentences import sentences

    sents = sentences(SAMPLE.joinpath("huawei-ren-remarks.txt").read_text())
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = [f"Story {i}: the council of town {i} met on day {i % 28 + 1}."]
        body += [sents[(i * 7 + k) % len(sents)].replace("Huawei", f"Huawei-{i % 50}") for k in range(14)]
        (folder / f"a{i:05d}.txt").write_text(f"Report {i}\n\n" + "\n\n".join(body) + "\n")


def counts(index: Path) -> dict:
    """articles, chunks, vectors (the vector index as the next command gets it), keyword rows; or the error."""
    from qa.config import Settings
    from qa.embed import make_embedder
    from qa.errors import QAError
    from qa.index import Index

    settings = Settings.load(env={}, **{"index_dir": str(index), "embedding.backend": "hash"})
    try:
        store = Index(index, settings, make_embedder(settings.embedding), create=False)
    except QAError as exc:
        return {"error": str(exc)}
    try:
        c = store.counts()
        vectors = len(store.backend.vectors())  # loaded when in step with the database, else rebuilt from it
        keyword = store.db.keyword_consistency()
        return {"articles": c["articles"], "chunks": c["chunks"], "vectors": vectors, "keyword_rows": keyword["rows"],
                "keyword_ok": not keyword["chunks_without_row"] and not keyword["rows_without_chunk"]
                and bool(keyword["fts_ok"])}
    finally:
        store.close()


def check_line(index: Path) -> str:
    out = subprocess.run([*QA, "check", "--index", str(index)], env=ENV, capture_output=True, text=True)
    fails = [ln.replace("FAIL", "").strip() for ln in out.stdout.splitlines() if ln.startswith("FAIL")]
    return "whole" if out.returncode == 0 else "FAIL " + "; ".join(fails)


def committed(index: Path) -> int:
    """Articles committed so far (read-only, while the ingest runs)."""
    from qa.errors import QAError
    from qa.index.db import Database

    if not (index / "index.sqlite").exists():
        return -1
    try:
        db = Database(index / "index.sqlite", readonly=True)
    except QAError:
        return -1
    try:
        return db.counts()["articles"]
    except QAError:
        return -1
    finally:
        db.close()


def kill9(n: int, tmp: Path) -> list[dict]:
    docs = tmp / "docs"
    write_articles(docs, n)
    clean = tmp / "clean"
    t = time.perf_counter()
    subprocess.run([*QA, "index", str(docs), "--index", str(clean), "-q"], env=ENV, check=True, capture_output=True)
    clean_s = time.perf_counter() - t
    want = counts(clean)
    print(f"clean ingest of {n} articles: {clean_s:.1f} s; {want}")
    batch = 64
    moments = [("database created", lambda c: c >= 0), ("first batch committed", lambda c: c >= batch),
               ("half-way", lambda c: c >= n // 2), ("90%", lambda c: c >= n * 9 // 10),
               ("every batch committed (final save)", lambda c: c >= n)]
    rows = []
    for name, ready in moments:
        index = tmp / f"killed-{len(rows)}"
        cmd = [*QA, "index", str(docs), "--index", str(index), "-q"]
        proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        at = -1
        while proc.poll() is None:
            at = committed(index)
            if ready(at):
                break
            time.sleep(0.005)
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = counts(index)
        check = check_line(index)
        rerun = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
        summary = rerun.stdout.strip().splitlines()[0] if rerun.stdout.strip() else rerun.stderr.strip()[-200:]
        final = counts(index)
        row = {"moment": name, "committed_at_kill": at, "exited_before_kill": finished, "after_kill": after,
               "check_after_kill": check, "rerun": summary, "final": final, "final_check": check_line(index),
               "final_equals_clean": {k: final.get(k) for k in want} == want}
        rows.append(row)
        consistent = "error" not in after and after["chunks"] == after["vectors"] == after["keyword_rows"]
        print(f"- kill -9 at {name} ({at} articles committed{'; it had already exited' if finished else ''}): "
              f"opens {'yes' if 'error' not in after else 'NO: ' + after['error']}; "
              f"articles {after.get('articles')}, chunks {after.get('chunks')}, vectors {after.get('vectors')}, "
              f"keyword rows {after.get('keyword_rows')} ({'consistent' if consistent else 'INCONSISTENT'}); "
              f"qa check: {check}")
        print(f"    re-run: {summary}")
        print(f"    then: {final}; qa check: {row['final_check']}; equals the clean run: {row['final_equals_clean']}")
    return rows


# -- concurrency through the Gradio API -----------------------------------------------------------------

def _plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", re.sub(r"<[^>]+>", "", markdown))


def concurrency(threads: int, per_thread: int, llm: bool, tmp: Path) -> dict:
    from gradio_client import Client, handle_file

    index = tmp / "sample-index"
    env = {k: v for k, v in ENV.items() if k != "QA_EMBED_BACKEND"}  # the real embedding model
    subprocess.run([*QA, "index", str(SAMPLE), "--index", str(index), "-q"], env=env, check=True, capture_output=True)
    upload = tmp / "harbour.txt"
    upload.write_text("Harbour news\n\nThe Lakeview harbour will reopen on 3 June after repairs, the port said.")
    questions = list(QUESTIONS)
    results: list[tuple[str, bool, float]] = []
    errors: list[str] = []
    uploaded: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)
    extra = [] if llm else ["--no-llm"]
    with _ui(index, env, extra, tmp / "server.log") as url:
        def tab(k: int) -> None:
            try:
                client = Client(url, verbose=False)
                start.wait()
                for j in range(per_thread):
                    q = questions[(k + j) % len(questions)]
                    t = time.perf_counter()
                    _box, chat, panel, error = client.predict(q, [], "", "", "", 8, api_name="/ask")
                    asked = _plain(chat[0]["content"][0]["text"]) if chat else ""
                    text = _plain(chat[-1]["content"][0]["text"]) if chat else ""
                    # right: its own question in the bubble and the sources panel, and the answer it asks for
                    ok = (not error and asked == q and f"Sources for: <b>{q}</b>" in panel
                          and re.search(QUESTIONS[q], text, re.IGNORECASE) is not None)
                    with lock:
                        results.append((q, ok, time.perf_counter() - t))
            except Exception as exc:  # noqa: BLE001 - counted and printed
                errors.append(f"{type(exc).__name__}: {exc}")

        def uploader() -> None:
            try:
                client = Client(url, verbose=False)
                start.wait()
                time.sleep(0.5)  # while the first questions are being answered
                uploaded.append(client.predict([handle_file(str(upload))], api_name="/add_files")[0])
            except Exception as exc:  # noqa: BLE001 - counted and printed
                errors.append(f"upload: {type(exc).__name__}: {exc}")

        workers = [threading.Thread(target=tab, args=(k,)) for k in range(threads)]
        workers.append(threading.Thread(target=uploader))
        wall = run_together(workers, timeout=1800)
    right = sum(ok for _, ok, _ in results)
    seconds = sorted(s for *_, s in results)
    out = {"threads": threads, "questions_each": per_thread, "answers": len(results), "right": right,
           "errors": errors, "upload": uploaded[0] if uploaded else None, "wall_s": round(wall, 1),
           "median_s": round(seconds[len(seconds) // 2], 2) if seconds else None, "llm": llm}
    print(f"{threads} threads x {per_thread} questions through the Gradio API ({'LLM' if llm else 'extractive'}), "
          f"an upload meanwhile: {right}/{threads * per_thread} right (none mixed up), {len(errors)} errors; "
          f"wall {wall:.1f} s, median {out['median_s']} s per question")
    print(f"    upload: {out['upload']}")
    for e in errors[:5]:
        print(f"    error: {e}")
    return out


@contextmanager
def _ui(index: Path, env: dict, extra: list[str], log_path: Path):  # noqa: ANN202 - yields the URL
    """`qa ui --index DIR --port N` in a subprocess, as a user starts it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with running([*QA, "ui", "--index", str(index), "--port", str(port), *extra], url, "`qa ui`", log=log_path, env=env,
                 timeout=300, interval=1, stop_timeout=30):
        yield url


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("parts", nargs="*", default=["kill9", "concurrency"], choices=["kill9", "concurrency"])
    ap.add_argument("--articles", type=int, default=600)
    ap.add_argument("--threads", type=int, default=6)
    ap.add_argument("--questions", type=int, default=4)
    ap.add_argument("--llm", action="store_true", help="answers phrased by the language model (much slower)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    figures = {}
    with tempfile.TemporaryDirectory(prefix="qa-robustness-") as d:
        tmp = Path(d)
        if "kill9" in args.parts:
            figures["kill9"] = kill9(args.articles, tmp / "kill9")
        if "concurrency" in args.parts:
            figures["concurrency"] = concurrency(args.threads, args.questions, args.llm, tmp / "ui")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
