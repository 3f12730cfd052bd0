"""A local news site on 127.0.0.1 for the fetching tests: article pages (three real articles, fixtures/site/articles.json,
each in a news site's page) and a feed (fixtures/site/feed.xml), and the
ways real servers misbehave: redirects, 304s, 404/500, a slow reply, an oversized one, a non-HTML type, gzip."""

from __future__ import annotations

import gzip
import html
import json
import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE = Path(__file__).parent / "fixtures" / "site"
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} | Lakeview Daily</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta property="og:title" content="{title}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="Lakeview Daily">
<meta name="author" content="{authors}">
<meta property="article:published_time" content="{published}T09:30:00Z">
<link rel="stylesheet" href="/static/site.css">
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"section": "news"}});</script>
</head>
<body>
<header class="site-header">
  <a class="logo" href="/">Lakeview Daily</a>
  <nav><ul><li><a href="/world">World</a></li><li><a href="/politics">Politics</a></li><li><a href="/business">Business</a></li>
  <li><a href="/health">Health</a></li><li><a href="/subscribe">Subscribe</a></li><li><a href="/login">Sign in</a></li></ul></nav>
</header>
<div class="ad-slot">Advertisement</div>
<main>
<article>
  <h1>{title}</h1>
  <p class="byline">By {authors} &middot; <time datetime="{published}">{published}</time></p>
  <div class="share"><a href="#">Share on Facebook</a> <a href="#">Share on X</a> <a href="#">Copy link</a></div>
  <div class="article-body">
{body}
  </div>
</article>
<aside class="related"><h2>More from Lakeview Daily</h2><ul>
  <li><a href="/business/markets-today.html">Markets today: what to watch</a></li>
  <li><a href="/world/weekly-briefing.html">The weekly world briefing</a></li></ul></aside>
</main>
<footer><p>&copy; 2022 Lakeview Daily. All rights reserved.</p><p><a href="/privacy">Privacy</a> &middot; <a href="/terms">Terms</a>
&middot; <a href="/contact">Contact us</a></p><p>Sign up for our newsletter to get the top stories every morning.</p></footer>
</body>
</html>
"""


def article_pages() -> dict[str, bytes]:
    """{file name: the saved page} of each article in fixtures/site/articles.json."""
    articles = json.loads((SITE / "articles.json").read_text(encoding="utf-8"))
    return {f"{slug}.html": PAGE.format(
        title=html.escape(a["title"]), authors=html.escape(a["authors"]), published=a["published"],
        body="\n".join(f"    <p>{html.escape(p)}</p>" for p in a["paragraphs"])).encode("utf-8")
        for slug, a in articles.items()}


class Site:
    """The server; ``pages`` maps a path to (content type, body) and may be changed while it runs."""

    def __init__(self, robots: str = "User-agent: *\nDisallow: /private/\n", slow_s: float = 5.0) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {"/robots.txt": ("text/plain", robots.encode())}
        for name, body in article_pages().items():
            self.pages[f"/news/articles/{name}"] = ("text/html; charset=utf-8", body)
        self.pages["/news/feed.xml"] = ("application/rss+xml", (SITE / "feed.xml").read_bytes())
        self.pages["/private/memo.html"] = self.pages["/news/articles/buffett-lunch.html"]
        self.pages["/files/data.bin"] = ("application/octet-stream", bytes(range(256)) * 40)
        self.redirects = {"/go/polio-alert": "/news/articles/polio-alert.html", "/loop/a": "/loop/b", "/loop/b": "/loop/a",
                          "/old/buffett": "https://nowhere.invalid/x"}
        self.modified = formatdate(1656000000, usegmt=True)
        self.slow_s = slow_s
        self.page_delay = 0.0  # seconds each /wire/ page takes (a feed update long enough to be killed midway)
        self.hits: Counter[str] = Counter()
        self.conditional: Counter[str] = Counter()  # requests that carried If-None-Match / If-Modified-Since
        self.agents: set[str] = set()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?")[0]
                site.hits[path] += 1
                site.agents.add(self.headers.get("User-Agent", ""))
                if path in site.redirects:
                    return self._send(301, b"", "text/html", {"Location": site.redirects[path]})
                if path == "/broken":
                    return self._send(500, b"oops", "text/plain")
                if path == "/slow":
                    time.sleep(site.slow_s)
                    return self._send(200, b"<html>late</html>", "text/html")
                if path == "/huge.html":
                    return self._send(200, b"<html><body>" + b"<p>word </p>" * 2_000_000, "text/html")
                if path.startswith("/wire/") and path.endswith(".html"):
                    time.sleep(site.page_delay)
                if path not in site.pages:
                    return self._send(404, b"not found", "text/plain")
                ctype, body = site.pages[path]
                etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
                if self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"):
                    site.conditional[path] += 1
                if self.headers.get("If-None-Match") == etag or (
                        not self.headers.get("If-None-Match") and self.headers.get("If-Modified-Since") == site.modified):
                    return self._send(304, b"", ctype, {"ETag": etag})
                headers = {"ETag": etag, "Last-Modified": site.modified}
                if path.startswith("/news/articles/") and "gzip" in self.headers.get("Accept-Encoding", ""):
                    body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
                self._send(200, body, ctype, headers)

            def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    try:
                        self.wfile.write(body)
                    except (BrokenPipeError, ConnectionResetError):
                        pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wire(self, articles: list[dict], path: str = "/wire/feed.xml") -> str:
        """A feed of ``articles`` ({title, text, published, authors}) at ``path``, each entry's page under /wire/;
        returns the feed's URL."""
        items = []
        for i, a in enumerate(articles):
            body = "".join(f"<p>{html.escape(p)}</p>" for p in a["text"].split("\n") if p.strip())
            page = (f"<!DOCTYPE html><html><head><title>{html.escape(a['title'])}</title><meta name='author' content='"
                    f"{html.escape(', '.join(a.get('authors') or []))}'><meta property='article:published_time' "
                    f"content='{a.get('published') or ''}'></head><body><nav><a href='/'>Home</a> <a href='/world'>World"
                    f"</a></nav><article><h1>{html.escape(a['title'])}</h1>{body}</article><footer>Wire service"
                    "</footer></body></html>")
            self.pages[f"/wire/story-{i}.html"] = ("text/html; charset=utf-8", page.encode())
            items.append(f"<item><title>{html.escape(a['title'])}</title><link>story-{i}.html</link>"
                         f"<guid isPermaLink='false'>wire-{i}</guid><description>{html.escape(a['text'][:150])}"
                         "</description></item>")
        feed = f"<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>{''.join(items)}</channel></rss>"
        self.pages[path] = ("application/rss+xml", feed.encode())
        return self.url + path

    def __enter__(self) -> Site:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def settings_toml(folder: Path, **fetch: object) -> Path:
    """A settings file for `qa` processes: hash embeddings and fetching that allows 127.0.0.1, no pacing."""
    values = {"allow_private": True, "pace_s": 0.0, "timeout_s": 2.0} | fetch
    lines = ["[fetch]"] + [f"{k} = {_toml(v)}" for k, v in values.items()]
    path = folder / "qa.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _toml(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace('"', '\\"') + '"'
    return repr(v)
