"""Web addresses → articles: a page's article text and metadata, a feed's entries with each entry's own page,
a PDF by URL. Fetching (limits, politeness, safety) is qa/ingest/fetch.py's; parsing is load.py's and pdf.py's.

Ids come from the address asked for (a feed entry: its guid, else its link), so indexing the same URL again
finds the same article: unchanged content is a no-op, changed content an update. The source link recorded is the
address the page was finally fetched from (after redirects).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import InputError
from ..types import Article
from .fetch import Fetcher, FetchError, Response
from .load import (Budget, Skipped, _article, _decode, _safe_article, entry_key, feed_articles, html_record, join_pages,
                   path_id, record_id)

Known = Callable[[list[str]], set[str]]  # article ids → those already in the index
_FEED = re.compile(rb"<(?:rss|feed|rdf:RDF)\b")


class WebLoader:
    """Articles of web addresses, one `Skipped` line for each that cannot be had (the rest go on)."""

    def __init__(self, settings: Settings, known: Known | None = None, fetcher: Fetcher | None = None,
                 validators: dict[str, tuple[str, str]] | None = None) -> None:
        self.settings = settings
        self.fetcher = fetcher or Fetcher(settings.fetch)
        self.known = known or (lambda ids: set())
        self.validators = validators or {}  # feed url → (etag, last-modified) of its last complete update
        self.seen: dict[str, tuple[str, str]] = {}  # feed url → validators of this run's fetch
        self.not_modified: set[str] = set()
        self.already = 0  # feed entries skipped because they are indexed

    def load(self, urls: Iterable[str]) -> Iterator[Article | Skipped]:
        for url in urls:
            url = url.strip()
            etag, modified = self.validators.get(url, ("", ""))
            try:
                resp = self.fetcher.get(url, etag=etag, last_modified=modified)
            except FetchError as exc:
                yield Skipped(url, str(exc))
                continue
            if resp.not_modified:
                self.not_modified.add(url)
                continue
            try:
                yield from self._response(url, resp)
            except InputError as exc:
                yield Skipped(url, str(exc))
            except Exception as exc:  # noqa: BLE001 - one bad page is one line, never the end of an ingest
                yield Skipped(url, f"cannot read it ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})")

    def _response(self, url: str, resp: Response) -> Iterator[Article | Skipped]:
        kind = content_kind(resp)
        if kind == "feed":
            self.seen[url] = (resp.etag, resp.last_modified)
            yield from feed_articles(resp.body, url, self.entry_pages(), base_url=resp.url)
        elif kind == "html":
            yield self.page_article(url, resp)
        elif kind == "pdf":
            yield self.pdf_article(url, resp)
        else:
            raise InputError(f"the server sent {resp.content_type or 'no content type'}, not a web page, feed or PDF: "
                             "give the address of an article page or an RSS/Atom feed")

    def page_article(self, url: str, resp: Response, record: dict[str, Any] | None = None, origin: str = "") -> Article:
        """The article on a fetched page; ``record`` (a feed entry) fills what the page does not say. Its origin is
        ``origin`` (a feed entry's: FEED#entryN, so `qa remove FEED` takes it) or the URL."""
        html = _decode(resp.body, url)
        page = html_record(html, (record or {}).get("title") or url, url=resp.url)
        merged = {**(record or {}), **{k: v for k, v in page.items() if v}}
        merged["url"] = resp.url
        merged["id"] = (record or {}).get("id") or path_id(url)
        return _article(merged, origin=origin or url, key=url)

    def pdf_article(self, url: str, resp: Response) -> Article:
        from .pdf import page_starts, read_pdf

        with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
            tmp.write(resp.body)
            tmp.flush()
            doc = read_pdf(Path(tmp.name), Budget(self.settings.fetch.max_mb, self.settings.ingest.max_file_seconds))
        text = join_pages(doc["pages"])
        article = _article({"id": path_id(url), "title": doc["title"] or url.rsplit("/", 1)[-1], "authors": doc["authors"],
                            "url": resp.url, "text": text}, origin=url, key=url)
        article.pages = page_starts(article.text, doc["pages"])
        return article

    def entry_pages(self) -> Callable[[str, dict[str, Any]], Iterator[Article | Skipped]]:
        """What a feed entry becomes: nothing when already indexed, else its article page (fetched) with the
        entry's metadata; the entry's own text when the page cannot be had (with one line saying why)."""
        def pages(origin: str, record: dict[str, Any]) -> Iterator[Article | Skipped]:
            key = entry_key(record, origin)
            if record_id(record, key) in self.known([record_id(record, key)]):
                self.already += 1
                return
            link = record.get("url") or ""
            if self.settings.fetch.feed_pages and link.lower().startswith(("http://", "https://")):
                try:
                    resp = self.fetcher.get(link)
                    if content_kind(resp) != "html":
                        raise InputError(f"the entry's link is {resp.content_type or 'not a web page'}")
                    yield self.page_article(link, resp, record | {"id": record_id(record, key)}, origin=origin)
                    return
                except InputError as exc:
                    if not record["text"].strip():
                        yield Skipped(link, f"{exc}; the feed has no text of this entry either")
                        return
                    yield Skipped(link, f"{exc}; indexed the feed's summary of it instead")
            if not record["text"].strip():
                yield Skipped(origin, "feed entry has no text")
                return
            yield _safe_article(record, origin, key=key)

        return pages


def content_kind(resp: Response) -> str:
    """'feed', 'html', 'pdf' or 'other', from the content type, else from the first bytes."""
    ctype = resp.content_type.split(";")[0].strip().lower()
    head = resp.body[:4096].lstrip()
    if "rss" in ctype or "atom" in ctype or (("xml" in ctype or not ctype) and _FEED.search(head)):
        return "feed"
    if ctype in ("text/html", "application/xhtml+xml") or (not ctype and re.match(rb"(?i)<(!doctype html|html)", head)):
        return "html"
    if ctype == "application/pdf" or head.startswith(b"%PDF-"):
        return "pdf"
    if "xml" in ctype and _FEED.search(head):
        return "feed"
    return "other"
