"""Loaders: every format, metadata normalisation, and bad input skipped with a reason."""

from __future__ import annotations

import gzip
import json

import pytest

from qa.ids import content_hash
from qa.ingest.load import Skipped, load_paths
from qa.types import Article

from tests.conftest import SAMPLE_ARTICLE, needs_shared


def load(*paths):
    items = list(load_paths(paths))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Skipped)]


def test_txt_sample_article_keeps_text_and_titles_from_name():
    (article,), skipped = load(SAMPLE_ARTICLE)
    assert not skipped
    assert article.title == "Huawei ren remarks"  # its first line is a sentence, not a title
    assert article.text.startswith("Huawei CEO Ren Zhangvi said")
    assert "will not invest in chip technology" in article.text


def test_txt_title_line_and_markdown_front_matter(tmp_path):
    (tmp_path / "a.txt").write_text("Storm hits coast\n\nA storm hit the coast on Monday.\n")
    (tmp_path / "b.md").write_text("---\ntitle: Budget vote\ndate: 2022-03-04\nsource: Gazette\n---\n# Heading\n\nThe council **passed** the [budget](http://x).\n")
    articles, skipped = load(tmp_path)
    by_title = {a.title: a for a in articles}
    assert not skipped
    assert by_title["Storm hits coast"].text == "A storm hit the coast on Monday."
    md = by_title["Budget vote"]
    assert md.published == "2022-03-04" and md.source == "Gazette"
    assert "The council passed the budget." in md.text and "**" not in md.text


def test_html_uses_trafilatura_main_text(tmp_path):
    page = tmp_path / "page.html"
    body = " ".join(["The mayor opened the new library on Friday, saying it would serve ten thousand readers."] * 4)
    page.write_text(f"""<html><head><title>Library opens</title><meta property="article:published_time" content="2022-05-01"></head>
    <body><nav>Home | Sports | Weather</nav><article><h1>Library opens</h1><p>{body}</p><p>{body}</p></article>
    <footer>Copyright 2022</footer></body></html>""")
    (article,), _ = load(page)
    assert "new library" in article.text and "Home | Sports" not in article.text and "Copyright" not in article.text
    assert article.title == "Library opens" and article.published == "2022-05-01"


def test_json_list_jsonl_gz_and_csv(tmp_path):
    recs = [{"id": f"x{i}", "headline": f"Story {i}", "body": f"Body of story {i}.", "date": "Mon, 20 Jun 2022 10:00:00 GMT",
             "link": f"https://www.example.com/{i}", "author": "Ann Lee and Bo Chan"} for i in range(3)]
    (tmp_path / "list.json").write_text(json.dumps(recs[:2]))
    with gzip.open(tmp_path / "more.jsonl.gz", "wt") as fh:
        fh.write(json.dumps(recs[2]) + "\n")
    (tmp_path / "t.csv").write_text('title,text,published,source\n"Csv story","Line one, with comma.",2021-01-02,Wire\n')
    articles, skipped = load(tmp_path)
    assert not skipped
    by_id = {a.id: a for a in articles}
    assert by_id["x0"].title == "Story 0" and by_id["x0"].published == "2022-06-20"
    assert by_id["x0"].source == "example.com" and by_id["x0"].authors == ["Ann Lee", "Bo Chan"]
    assert "x2" in by_id
    csv_article = next(a for a in articles if a.title == "Csv story")
    assert csv_article.text == "Line one, with comma." and csv_article.published == "2021-01-02"


def test_rss_and_atom_feeds(tmp_path):
    (tmp_path / "feed.rss").write_text("""<?xml version="1.0"?><rss version="2.0"><channel><title>Daily Wire</title>
    <item><title>First</title><link>http://e.com/1</link><pubDate>Tue, 21 Jun 2022 08:00:00 GMT</pubDate>
    <description>&lt;p&gt;Alpha story text.&lt;/p&gt;</description></item>
    <item><title>Second</title><link>http://e.com/2</link><description>Beta story text.</description></item>
    </channel></rss>""")
    (tmp_path / "feed.xml").write_text("""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atomic</title>
    <entry><title>Gamma</title><id>urn:g</id><updated>2022-07-01T00:00:00Z</updated><content type="html">&lt;b&gt;Gamma&lt;/b&gt; text here.</content></entry></feed>""")
    articles, skipped = load(tmp_path)
    assert not skipped
    by_title = {a.title: a for a in articles}
    assert by_title["First"].text == "Alpha story text." and by_title["First"].published == "2022-06-21"
    assert by_title["First"].source == "Daily Wire"
    assert by_title["Gamma"].text == "Gamma text here." and by_title["Gamma"].published == "2022-07-01"


def test_bad_inputs_are_skipped_with_reasons(tmp_path):
    (tmp_path / "blob.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 story opened.".encode("latin-1"))
    (tmp_path / "lines.jsonl").write_text('{"text": "Good one."}\n{"text": broken\n{"text": "Good two."}\n')
    (tmp_path / "nav.html").write_text("<html><body><nav>Home</nav></body></html>")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")  # a PDF's header and nothing else
    (tmp_path / "slides.pptx").write_bytes(b"PK\x03\x04")
    articles, skipped = load(tmp_path)
    assert sorted(a.text for a in articles) == ["Café story opened.", "Good one.", "Good two."]  # latin-1 is read
    reasons = {s.origin.rsplit("/", 1)[-1]: s.reason for s in skipped}
    assert "binary" in reasons["blob.txt"]
    assert reasons["empty.txt"] == "empty file"
    assert "malformed JSON line" in reasons["lines.jsonl:2"]
    assert "no article text" in reasons["nav.html"]
    assert "damaged or not a PDF" in reasons["notes.pdf"]  # PDFs are read since issue 25
    assert "unsupported file type '.pptx'" in reasons["slides.pptx"]


def test_file_over_size_limit_is_skipped(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("word " * 300_000)
    items = list(load_paths([big], max_file_mb=1))
    assert isinstance(items[0], Skipped) and "over the 1 MB limit" in items[0].reason


def test_missing_path_is_reported(tmp_path):
    (item,) = list(load_paths([tmp_path / "nope"]))
    assert isinstance(item, Skipped) and "no such file" in item.reason


def test_ids_stable_across_edits_content_hash_changes(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("Alpha beta gamma.")
    (a1,), _ = load(f)
    f.write_text("Alpha beta gamma delta.")
    (a2,), _ = load(f)
    assert a1.id == a2.id and content_hash(a1) != content_hash(a2)


@pytest.mark.shared
def test_realtimeqa_dev_corpus_loads_as_is():
    corpus = needs_shared("realtimeqa-dev", "corpus.jsonl")
    articles, skipped = load(corpus)
    assert len(articles) == 1702 and not skipped
    ev = next(a for a in articles if a.id == "rtqa-ev-20220624_0")
    assert ev.published == "2022-06-23" and ev.source == "cnn.com" and ev.url.startswith("https://edition.cnn.com/")
