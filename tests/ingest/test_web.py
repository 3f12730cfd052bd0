"""Web pages and feeds by URL, from a local news site on 127.0.0.1 (saved real article pages, a real-shaped feed):
what is indexed, what each failure says, and what fetching refuses. Real `qa` processes with hash embeddings."""

from __future__ import annotations

import json

import pytest

from ..qa_process import run
from .site import SITE, Site, settings_toml


@pytest.fixture
def site():
    with Site(slow_s=4.0) as s:
        yield s


def _qa(tmp_path, *args, timeout=120, **fetch):
    toml = settings_toml(tmp_path, **fetch)
    r = run([*args, "--index", str(tmp_path / "idx")], extra_env={"QA_SETTINGS": str(toml)}, timeout=timeout)
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    return r


def _warnings(r) -> list[str]:
    return [ln[ln.index("warning:"):] for ln in r.stderr.replace("\r", "\n").splitlines() if "warning:" in ln]


def _article(tmp_path, article_id):
    import sqlite3

    con = sqlite3.connect(tmp_path / "idx" / "index.sqlite")
    row = con.execute("SELECT title, url, published, authors, source, text FROM articles WHERE id = ?",
                      (article_id,)).fetchone()
    con.close()
    return row


def test_a_page_by_url_is_its_article_text_title_author_date_and_link(site, tmp_path):
    url = site.url + "/news/articles/buffett-lunch.html"
    r = _qa(tmp_path, "index", url, "--json")
    assert r.rc == 0, r.stderr[-2000:]
    assert json.loads(r.stdout)["added"] == 1
    from qa.ingest.load import path_id

    title, link, published, authors, source, text = _article(tmp_path, path_id(url))
    assert title == "Warren Buffett auction: Someone paid $19 million for a steak lunch"
    assert link == url and published == "2022-06-19" and json.loads(authors) == ["Zoe Sottile"]
    assert "An anonymous bidder paid a record-breaking $19 million" in text
    for debris in ("Share on Facebook", "Sign up for our newsletter", "Markets today", "All rights reserved", "Subscribe"):
        assert debris not in text
    assert site.agents == {"newsqa/0.1 (local news question answering)"}
    assert site.hits["/robots.txt"] == 1


def test_indexing_the_same_url_again_updates_the_article_only_when_its_content_changed(site, tmp_path):
    url = site.url + "/news/articles/jill-biden-ukraine.html"
    assert json.loads(_qa(tmp_path, "index", url, "--json").stdout)["added"] == 1
    assert json.loads(_qa(tmp_path, "index", url, "--json").stdout)["unchanged"] == 1
    ctype, body = site.pages["/news/articles/jill-biden-ukraine.html"]
    site.pages["/news/articles/jill-biden-ukraine.html"] = (ctype, body.replace(
        b"</div>\n</article>", b"<p>The first lady later returned to Slovakia, her office said on Monday.</p></div>\n</article>"))
    report = json.loads(_qa(tmp_path, "index", url, "--json").stdout)
    assert report["updated"] == 1 and report["added"] == 0


def test_a_feed_by_url_indexes_each_entrys_own_page_following_relative_links_and_redirects(site, tmp_path):
    r = _qa(tmp_path, "index", site.url + "/news/feed.xml", "--json")
    assert r.rc == 0, r.stderr[-2000:]
    report = json.loads(r.stdout)
    assert report["added"] == 4
    # the pages themselves were fetched (the feed holds one line of each), one through a redirect, gzipped
    for path in ("/news/articles/buffett-lunch.html", "/news/articles/jill-biden-ukraine.html",
                 "/go/polio-alert", "/news/articles/polio-alert.html"):
        assert site.hits[path] == 1, path
    _, link, published, _, _, text = _article(tmp_path, "lakeview-polio-alert")
    assert link == site.url + "/news/articles/polio-alert.html" and published == "2022-06-23"
    assert len(text) > 1500  # the page, not the feed's 200-character summary
    # the entry whose page is gone: one line, and the feed's own text of it instead
    (gone,) = _warnings(r)
    assert "harbour-festival.html" in gone and "404" in gone and "feed's summary" in gone
    assert "September" in _article(tmp_path, "lakeview-harbour-festival")[5]
    # again: the entries are indexed, their pages are not fetched a second time
    again = json.loads(_qa(tmp_path, "index", site.url + "/news/feed.xml", "--json").stdout)
    assert again["added"] == 0 and again["unchanged"] == 4
    assert site.hits["/news/articles/buffett-lunch.html"] == 1


FAILURES = {
    "/missing": "HTTP 404 Not Found: no page at this address; check the URL",
    "/broken": "HTTP 500 Internal Server Error: the site has a problem; try again later",
    "/slow": "no answer within 1 s (fetch.timeout_s)",
    "/huge.html": "over 2 MB (fetch.max_mb): raise fetch.max_mb",
    "/files/data.bin": "application/octet-stream, not a web page, feed or PDF",
    "/loop/a": "more than 5 redirects (fetch.max_redirects)",
    "/private/memo.html": "robots.txt does not allow fetching it: set fetch.robots = false",
}


def test_each_failing_url_is_one_line_naming_it_and_what_to_do_and_the_rest_is_indexed(site, tmp_path):
    good = site.url + "/news/articles/buffett-lunch.html"
    r = _qa(tmp_path, "index", *(site.url + p for p in FAILURES), good, timeout=90, timeout_s=1.0, max_mb=2.0)
    assert r.rc == 0 and "1 added" in r.stdout, r.stderr[-2000:]
    lines = _warnings(r)
    assert len(lines) == len(FAILURES), lines
    for path, says in FAILURES.items():
        (line,) = [ln for ln in lines if ln.startswith(f"warning: skipped {site.url}{path}: ")]
        assert says in line, line
    # nothing already indexed is lost when a later run fails everywhere
    again = _qa(tmp_path, "index", site.url + "/missing", "--json")
    from qa.ingest.load import path_id

    assert again.rc == 2 and _article(tmp_path, path_id(good)) is not None


def test_a_loopback_address_is_refused_unless_allowed(site, tmp_path):
    r = _qa(tmp_path, "index", site.url + "/news/articles/buffett-lunch.html", allow_private=False)
    assert r.rc == 2 and site.hits["/news/articles/buffett-lunch.html"] == 0
    (line,) = _warnings(r)
    assert "private, loopback or link-local network (127.0.0.1): refused; set fetch.allow_private = true" in line


def test_robots_txt_can_be_turned_off_where_one_may_fetch_regardless(site, tmp_path):
    r = _qa(tmp_path, "index", site.url + "/private/memo.html", robots=False)
    assert r.rc == 0 and "1 added" in r.stdout and site.hits["/robots.txt"] == 0


def test_the_python_api_indexes_urls_like_paths(site, hash_settings):
    from qa.assistant import Assistant

    settings = hash_settings.replace(**{"fetch.allow_private": True, "fetch.pace_s": 0.0})
    a = Assistant.open(settings=settings, create=True)
    try:
        report = a.add([site.url + "/news/articles/polio-alert.html"], progress=False)
        assert report.added == 1
        (top, *_) = a.search("national incident declared polio", 3)
        assert top.url == site.url + "/news/articles/polio-alert.html" and "polio" in top.text.lower()
    finally:
        a.close()


def test_a_feed_file_indexes_each_entrys_own_page_too(site, tmp_path):
    feed = tmp_path / "saved.rss"
    feed.write_text((SITE / "feed.xml").read_text().replace("<link>articles/", f"<link>{site.url}/news/articles/")
                    .replace("<link>/go/", f"<link>{site.url}/go/"))
    r = _qa(tmp_path, "index", str(feed), "--json")
    assert r.rc == 0 and json.loads(r.stdout)["added"] == 4, r.stderr[-2000:]
    assert site.hits["/news/articles/buffett-lunch.html"] == 1 and len(_article(tmp_path, "lakeview-buffett-lunch")[5]) > 1500
    removed = _qa(tmp_path, "remove", str(feed))  # the entries belong to the file, pages fetched or not
    assert removed.rc == 0 and "removed 4 article(s)" in removed.stdout
    (tmp_path / "off").mkdir()
    off = _qa(tmp_path / "off", "index", str(feed), "--json", feed_pages=False)  # a fresh index, pages not fetched
    assert json.loads(off.stdout)["added"] == 4 and site.hits["/news/articles/buffett-lunch.html"] == 1
