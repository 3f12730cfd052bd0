"""The index folder: incremental ingest, replace, remove, fingerprint, crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from qa.assistant import Assistant
from qa.errors import IndexMismatchError, StoreError

from tests.conftest import SAMPLE


def write_articles(folder, n, words=60, tag=""):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = " ".join(f"topic{i} word{j}{tag}." if j % 12 == 11 else f"topic{i} word{j}{tag}" for j in range(words))
        (folder / f"a{i:04d}.txt").write_text(f"Title {i}\n\n{body}\n")


def test_reindex_adds_nothing_and_reuses_vectors(hash_settings, tmp_path):
    a = Assistant.open(settings=hash_settings, create=True)
    first = a.add([SAMPLE], progress=False)
    again = a.add([SAMPLE], progress=False)
    assert (first.added, first.chunks) == (1, a.stats().chunks) and first.chunks > 0
    assert (again.added, again.updated, again.unchanged, again.chunks, again.embedded) == (0, 0, 1, 0, 0)


def test_changed_article_replaces_its_chunks(hash_settings, tmp_path):
    folder = tmp_path / "docs"
    write_articles(folder, 3)
    a = Assistant.open(settings=hash_settings, create=True)
    a.add([folder], progress=False)
    before = a.stats().chunks
    (folder / "a0001.txt").write_text("Title 1\n\nA completely new text about zebras crossing rivers.\n")
    r = a.add([folder], progress=False)
    assert (r.added, r.updated, r.unchanged) == (0, 1, 2)
    texts = [p.text for p in a.search_keyword("zebras", 5)]
    assert texts and "zebras" in texts[0]
    assert not a.search_keyword("topic1", 5)  # old chunks of the article are gone from BM25 ...
    assert len(a.store.backend.vectors()) == a.stats().chunks == before  # ... and from FAISS (one chunk each)
    a.close()
    reopened = Assistant.open(settings=hash_settings)  # the saved FAISS file matches the database
    assert len(reopened.store.backend.vectors()) == before


def test_remove_and_prune(hash_settings, tmp_path):
    folder = tmp_path / "docs"
    write_articles(folder, 4)
    a = Assistant.open(settings=hash_settings, create=True)
    a.add([folder], progress=False)
    assert a.remove([str(folder / "a0000.txt")]) == 1
    (folder / "a0001.txt").unlink()
    r = a.add([folder], prune=True, progress=False)
    assert r.removed == 1 and r.added == 1  # a0000 came back, a0001 pruned
    assert a.stats().articles == 3
    assert len(a.store.backend.vectors()) == a.stats().chunks  # FAISS holds no vector of a removed article


def test_other_embedding_or_chunking_is_a_clear_error(hash_settings):
    Assistant.open(settings=hash_settings, create=True).add([SAMPLE], progress=False)
    with pytest.raises(IndexMismatchError, match="chunking.*--rebuild"):
        Assistant.open(settings=hash_settings.replace(**{"chunking.max_tokens": 100}))
    rebuilt = Assistant.open(settings=hash_settings.replace(**{"chunking.max_tokens": 100}), create=True, rebuild=True)
    assert rebuilt.stats().articles == 0


def test_missing_index_names_the_fix(tmp_path, hash_settings):
    with pytest.raises(StoreError, match="qa index PATH --index"):
        Assistant.open(settings=hash_settings.replace(index_dir=str(tmp_path / "none")))


def test_faiss_rebuilt_when_stale(hash_settings, tmp_path):
    a = Assistant.open(settings=hash_settings, create=True)
    a.add([SAMPLE], progress=False)
    a.close()
    idx = tmp_path / "index"
    (idx / "vectors.faiss").unlink()
    b = Assistant.open(settings=hash_settings)
    assert b.search_dense("Huawei chips", 3)


def test_kill_9_mid_ingest_leaves_a_consistent_index(tmp_path):
    folder = tmp_path / "docs"
    write_articles(folder, 400, words=400)
    index = tmp_path / "idx"
    env = dict(os.environ, QA_EMBED_BACKEND="hash")
    cmd = [sys.executable, "-m", "qa.cli", "index", str(folder), "--index", str(index), "-q"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    # wait until at least one batch is committed, then kill -9 mid-way
    while time.time() < deadline:
        if (index / "index.sqlite").exists():
            out = subprocess.run([sys.executable, "-m", "qa.cli", "stats", "--index", str(index), "--json"],
                                 env=env, capture_output=True, text=True)
            if out.returncode == 0 and json.loads(out.stdout)["articles"] >= 64:
                break
        time.sleep(0.2)
    assert proc.poll() is None, "ingest finished before it could be interrupted; raise the article count"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stats = subprocess.run([sys.executable, "-m", "qa.cli", "stats", "--index", str(index), "--json"],
                           env=env, capture_output=True, text=True)
    assert stats.returncode == 0, stats.stderr
    s = json.loads(stats.stdout)
    assert 0 < s["articles"] < 400 and s["articles"] % 64 == 0  # whole batches only
    a = Assistant.open(settings=None, index_dir=index, **{"embedding.backend": "hash"})
    assert len(a.search_dense("topic3 word5", 5)) == 5  # FAISS rebuilt from the committed vectors
    a.close()
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{400 - s['articles']} added" in rerun.stdout and f"{s['articles']} unchanged" in rerun.stdout
