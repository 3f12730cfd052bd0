"""Feeds and folders that stay current: `qa feeds add|list|remove`, `qa update` (conditional requests, entries
already indexed not fetched again, changed files re-indexed), `qa watch`, and kill -9 at any moment of either.
Real `qa` processes on a local site (127.0.0.1), hash embeddings."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time

import pytest

from ..qa_process import QA, env, run
from .site import Site, article_pages, settings_toml


@pytest.fixture
def site():
    with Site() as s:
        yield s


def _qa(tmp_path, *args, timeout=120):
    r = run([*args, "--index", str(tmp_path / "idx")], extra_env={"QA_SETTINGS": str(settings_toml(tmp_path))},
            timeout=timeout)
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    return r


def _count(tmp_path) -> int:
    import sqlite3

    con = sqlite3.connect(tmp_path / "idx" / "index.sqlite")
    try:
        return con.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    finally:
        con.close()


def _stories(n: int) -> list[dict]:
    """``n`` distinct articles made of the saved pages' sentences, each with a sentence of its own."""
    import html as h

    pages = article_pages()
    text = " ".join(re.sub(r"<[^>]+>", " ", h.unescape(pages[name].decode())) for name in sorted(pages))
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 60 < len(s.strip()) < 300]
    return [{"title": f"Harbour works, day {i}", "published": f"2022-06-{1 + i % 28:02d}", "authors": ["Wire Desk"],
             "text": f"On day {i} of the works, crews finished pier section {i}.\n"
                     + "\n".join(sentences[(i * 7 + k) % len(sentences)] for k in range(6))} for i in range(n)]


def test_feeds_add_list_and_remove_keep_subscriptions_in_the_index(site, tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    feed = site.url + "/news/feed.xml"
    r = _qa(tmp_path, "feeds", "add", feed, str(folder))
    assert r.rc == 0 and r.stdout.count("subscribed:") == 2
    listed = _qa(tmp_path, "feeds", "list").stdout
    assert f"feed    {feed}  (never updated)" in listed and f"folder  {folder.resolve()}" in listed
    bad = _qa(tmp_path, "feeds", "add", str(tmp_path / "nope"))
    assert bad.rc == 1 and "neither an http(s) feed address nor a folder" in bad.one_line_error()
    assert _qa(tmp_path, "feeds", "remove", feed).rc == 0
    assert feed not in _qa(tmp_path, "feeds", "list").stdout
    assert _qa(tmp_path, "feeds", "remove", feed).rc == 2


def test_update_is_incremental_a_304_for_an_unchanged_feed_and_no_page_fetched_twice(site, tmp_path):
    feed = site.url + "/news/feed.xml"
    _qa(tmp_path, "feeds", "add", feed)
    first = _qa(tmp_path, "update", "--json")
    assert first.rc == 0 and json.loads(first.stdout)["added"] == 4, first.stderr[-2000:]
    second = _qa(tmp_path, "update", "--json")
    assert json.loads(second.stdout)["not_modified"] == [feed]
    assert site.conditional["/news/feed.xml"] == 1 and site.hits["/news/feed.xml"] == 2
    assert site.hits["/news/articles/buffett-lunch.html"] == 1
    # a new entry: the feed is read again, only the new entry's page is fetched
    ctype, body = site.pages["/news/feed.xml"]
    site.pages["/news/feed.xml"] = (ctype, body.replace(b"</channel>", b"<item><title>Polio again</title><link>"
                                                        b"/news/articles/polio-update.html</link><guid>polio-2</guid>"
                                                        b"</item></channel>"))
    site.pages["/news/articles/polio-update.html"] = site.pages["/news/articles/polio-alert.html"]
    third = _qa(tmp_path, "update", "--json")
    report = json.loads(third.stdout)
    assert report["added"] == 1 and report["unchanged"] == 4 and report["not_modified"] == []
    assert site.hits["/news/articles/buffett-lunch.html"] == 1 and site.hits["/news/articles/polio-update.html"] == 1
    assert "updated" in _qa(tmp_path, "feeds", "list").stdout


def test_update_reindexes_changed_files_in_watched_folders(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    story = folder / "harbour.txt"
    story.write_text("Harbour news\n\nThe Lakeview harbour will reopen on 3 June after repairs, the port said.\n")
    _qa(tmp_path, "feeds", "add", str(folder))
    assert json.loads(_qa(tmp_path, "update", "--json").stdout)["added"] == 1
    story.write_text("Harbour news\n\nThe Lakeview harbour will reopen on 10 June after repairs, the port said.\n")
    (folder / "mayor.txt").write_text("Mayor\n\nMayor Ana Ruiz said the town would hold a festival in July.\n")
    report = json.loads(_qa(tmp_path, "update", "--json").stdout)
    assert report["updated"] == 1 and report["added"] == 1


def test_watch_keeps_refreshing_and_stops_cleanly_on_ctrl_c(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "a.txt").write_text("Harbour\n\nThe Lakeview harbour will reopen on 3 June after repairs, the port said.\n")
    _qa(tmp_path, "feeds", "add", str(folder))
    out = tmp_path / "watch.out"
    with out.open("w") as fh:
        proc = subprocess.Popen([*QA, "watch", "--every", "0.01", "--index", str(tmp_path / "idx")], stdout=fh,
                                stderr=subprocess.STDOUT, env=env(QA_SETTINGS=str(settings_toml(tmp_path))))
    try:
        _wait(lambda: "round 1:" in out.read_text(), proc, out)
        (folder / "b.txt").write_text("Mayor\n\nMayor Ana Ruiz said the town would hold a festival in July.\n")
        _wait(lambda: re.search(r"round \d+: articles: 1 added", out.read_text().split("round 1:")[1]), proc, out)
    finally:
        proc.send_signal(signal.SIGINT)
        rc = proc.wait(timeout=60)
    assert rc == 130 and "Traceback" not in out.read_text()
    assert _count(tmp_path) == 2


def _wait(cond, proc, out, timeout=90):
    deadline = time.monotonic() + timeout
    while not cond():
        assert proc.poll() is None, out.read_text()[-3000:]
        assert time.monotonic() < deadline, out.read_text()[-3000:]
        time.sleep(0.2)


@pytest.mark.parametrize("command", ["update", "watch"])
def test_kill_9_during_a_feed_update_or_watch_leaves_an_index_that_checks_clean_and_the_next_run_completes(
        site, tmp_path, command):
    feed = site.wire(_stories(100))
    site.page_delay = 0.03
    toml = settings_toml(tmp_path)
    toml.write_text(toml.read_text() + "[ingest]\nbatch_articles = 8\n")
    _qa(tmp_path, "feeds", "add", feed)
    args = [*QA, command, "--index", str(tmp_path / "idx")] + (["-q"] if command == "update" else ["--every", "0.01"])
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env(QA_SETTINGS=str(toml)))
    try:
        deadline = time.monotonic() + 90
        while not (tmp_path / "idx" / "index.sqlite").exists() or _count(tmp_path) < 16:  # two batches committed
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    killed_at = _count(tmp_path)
    assert 16 <= killed_at < 100
    opens = _qa(tmp_path, "search", "pier section", "-k", "1")
    assert opens.rc == 0 and "Harbour works, day" in opens.stdout, opens.stderr[-2000:]
    check = _qa(tmp_path, "check")
    assert check.rc == 0, check.stdout + check.stderr
    site.page_delay = 0.0
    again = _qa(tmp_path, "update", "--json")
    assert again.rc == 0, again.stderr[-2000:]
    report = json.loads(again.stdout)
    assert report["added"] == 100 - killed_at and report["unchanged"] == killed_at
    assert _count(tmp_path) == 100 and _qa(tmp_path, "check").rc == 0
    fetched = sum(n for p, n in site.hits.items() if p.startswith("/wire/story-"))
    assert fetched <= 100 + 8  # pages of committed entries are not fetched again (a batch in flight may be)
