"""Load articles from files and folders (txt, md, html, json, jsonl(.gz), csv, RSS/Atom, PDF, docx/odt/epub) into
`Article`s.

Loading streams: articles are yielded one at a time, so a big JSONL file never sits in memory whole.
A file (or a line of a file) that cannot be read is reported as a `Skipped` record and loading goes on.
What one file may cost is bounded (`Limits`): the bytes read from it, decompressed ones included (a 14 MB
.jsonl.gz of zeros is 3 GB), and the seconds spent reading and parsing it (not embedding it).
"""

from __future__ import annotations

import codecs
import csv
import functools
import gzip
import io
import json
import logging
import os
import re
import stat
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from ..errors import ConfigError, InputError, missing
from ..text.dates import normalize_date
from ..text.escape import shown, valid_utf8
from ..text.junk import strip_debris
from ..ids import path_id
from ..types import Article

log = logging.getLogger(__name__)

TEXT_EXT = {".txt", ".md", ".markdown", ".text"}
HTML_EXT = {".html", ".htm", ".xhtml"}
FEED_EXT = {".rss", ".atom", ".xml"}
JSON_EXT = {".json"}
JSONL_EXT = {".jsonl", ".ndjson"}
CSV_EXT = {".csv", ".tsv"}
PDF_EXT = {".pdf"}
DOCUMENT_EXT = {".docx", ".odt", ".epub"}
MIN_HTML_WORDS = 10
_TOO_DEEP = "JSON nested too deeply to read (over ~1000 levels of [ or {): flatten the record"
SUPPORTED = sorted(TEXT_EXT | HTML_EXT | FEED_EXT | JSON_EXT | JSONL_EXT | CSV_EXT | PDF_EXT | DOCUMENT_EXT
                   | {".jsonl.gz", ".json.gz"})

# Field names accepted in JSON / CSV records, in order of preference.
FIELDS = {
    "text": ("text", "content", "body", "article", "maintext", "full_text", "description", "summary"),
    "title": ("title", "headline", "name"),
    "url": ("url", "link", "href", "source_url"),
    "source": ("source", "site", "publisher", "domain", "outlet", "source_name", "sitename"),
    "published": ("published", "date", "published_at", "publishedAt", "pubDate", "datetime", "publish_date", "date_publish", "time"),
    "authors": ("authors", "author", "byline", "creator"),
    "id": ("id", "guid", "_id", "uuid", "doc_id"),
}


@dataclass
class Skipped:
    """A file or record that could not be loaded, and why."""

    origin: str
    reason: str

    def __post_init__(self) -> None:
        self.origin = valid_utf8(self.origin)

    def __str__(self) -> str:
        return f"skipped {shown(self.origin)}: {shown(self.reason)}"


MAX_FILE_SECONDS = 120.0  # the default of ingest.max_file_seconds


def check_paths(paths: Iterable[str | Path]) -> list[str | Path]:
    """The paths, refusing an empty or blank one: `qa remove "$DIR"` with DIR unset must not mean this folder."""
    out = list(paths)
    for p in out:
        if isinstance(p, str) and not p.strip():
            raise ConfigError(f"an empty path was given ({p!r}; an unset shell variable?): name the files or "
                              "folders, e.g. ~/news or ./articles")
    return out


def iter_files(paths: Iterable[str | Path], follow_links: bool = False) -> Iterator[Path | Skipped]:
    """Every file under the given files/folders (recursively, hidden entries skipped), in a stable order.

    Paths come out absolute and resolved, so an article's origin names its file wherever `qa` runs from, and
    `--prune` or `qa remove` of a folder never matches another folder of the same name. What cannot be a file's
    text is a `Skipped` line, never a silent gap or a hang: folders that cannot be listed, named pipes, sockets
    and devices, and links leaving the folder (unless ``follow_links``: ingest.follow_links)."""
    for raw in check_paths(paths):
        given = Path(raw).expanduser()
        path = given.resolve()
        if path.is_dir():
            yield from _walk(path, follow_links, {str(path)})
        elif path.is_file():
            yield path
        elif path.exists():
            yield Skipped(str(path), _not_regular(path))
        elif given.is_symlink():
            yield Skipped(str(given.absolute()), f"a link to {path}, which does not exist")
        else:
            yield Skipped(str(path), "no such file or folder: check the path")


def _walk(root: Path, follow_links: bool, seen: set[str]) -> Iterator[Path | Skipped]:
    errors: list[OSError] = []
    for dirpath, dirs, files in os.walk(root, onerror=errors.append):
        yield from _unlistable(errors)
        here = Path(dirpath)
        keep = []
        for name in sorted(d for d in dirs if not d.startswith(".")):
            sub = here / name
            if not sub.is_symlink():
                keep.append(name)
                continue
            target = os.path.realpath(sub)  # os.walk does not descend into linked folders itself
            if _inside(target, root) or target in seen:
                continue  # its files are indexed where they are (or it is a loop)
            if not follow_links:
                yield Skipped(str(sub), _leaves(target, root))
                continue
            seen.add(target)
            yield from _walk(sub, follow_links, seen)
        dirs[:] = keep
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = here / name
            if path.is_symlink():
                target = os.path.realpath(path)
                if not os.path.exists(target):
                    yield Skipped(str(path), f"a link to {target}, which does not exist")
                    continue
                if not follow_links and not _inside(target, root):
                    yield Skipped(str(path), _leaves(target, root))
                    continue
            if not path.is_file():
                yield Skipped(str(path), _not_regular(path))
                continue
            yield path
    yield from _unlistable(errors)


def _unlistable(errors: list[OSError]) -> Iterator[Skipped]:
    for exc in errors:
        yield Skipped(str(exc.filename or "?"), f"cannot list this folder ({exc.strerror or exc}): its files were not "
                                                 "indexed; make it readable and run the same command again")
    errors.clear()


def _inside(target: str, root: Path) -> bool:
    return target == str(root) or target.startswith(str(root).rstrip("/") + "/")


def _leaves(target: str, root: Path) -> str:
    return (f"a link to {target}, outside {root}: not followed (set ingest.follow_links = true to index what links "
            "point to)")


def _not_regular(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot read ({exc.strerror or exc})"
    kind = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file")
    return f"{kind}, not a regular file: only regular files are indexed"


def load_paths(paths: Iterable[str | Path], max_file_mb: float = 200.0, max_seconds: float = MAX_FILE_SECONDS,
               follow_links: bool = False, feed_pages: EntryPages | None = None) -> Iterator[Article | Skipped]:
    """Articles from all files under ``paths``; unreadable files and records come out as `Skipped`."""
    for item in iter_files(paths, follow_links):
        if isinstance(item, Skipped):
            yield item
            continue
        yield from load_file(item, max_file_mb=max_file_mb, max_seconds=max_seconds, feed_pages=feed_pages)


def load_file(path: Path, max_file_mb: float = 200.0, max_seconds: float = MAX_FILE_SECONDS,
              feed_pages: EntryPages | None = None) -> Iterator[Article | Skipped]:
    """Articles of one file, chosen by its extension (and content, for .xml feeds).

    At most ``max_file_mb`` is read from it (a compressed file: decompressed), in at most ``max_seconds`` of
    reading and parsing; past either it is one `Skipped` line (its records loaded so far stay loaded)."""
    origin = str(path)
    ext = _extension(path)
    if ext not in SUPPORTED:
        yield Skipped(origin, f"unsupported file type '{ext or path.name}' (supported: {', '.join(SUPPORTED)})")
        return
    try:
        st = path.stat()
    except OSError as exc:
        yield Skipped(origin, f"cannot read ({exc.strerror})")
        return
    if not stat.S_ISREG(st.st_mode):  # opening a named pipe would wait for a writer forever
        yield Skipped(origin, _not_regular(path))
        return
    size = st.st_size
    if size == 0:
        yield Skipped(origin, "empty file")
        return
    if size > max_file_mb * 1_000_000:
        yield Skipped(origin, f"{size / 1e6:.0f} MB is over the {max_file_mb:g} MB limit (raise ingest.max_file_mb to index it)")
        return
    budget = Budget(max_file_mb, max_seconds, compressed=ext.endswith(".gz"))
    if ext in JSONL_EXT or ext == ".jsonl.gz":
        loader = _load_jsonl
    elif ext in JSON_EXT or ext == ".json.gz":
        loader = _load_json
    elif ext in CSV_EXT:
        loader = _load_csv
    elif ext in HTML_EXT:
        loader = _load_html
    elif ext in FEED_EXT:
        loader = functools.partial(_load_feed, pages=feed_pages)
    elif ext in PDF_EXT:
        loader = _load_pdf
    elif ext in DOCUMENT_EXT:
        loader = _load_document
    else:
        loader = _load_text
    try:
        yield from budget.run(loader(path, budget))
    except InputError as exc:
        yield Skipped(origin, str(exc))
    except RecursionError:
        yield Skipped(origin, _TOO_DEEP)
    except MemoryError:
        yield Skipped(origin, "not enough memory to read it: lower ingest.max_file_mb, or split the file")
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        yield Skipped(origin, f"cannot read ({exc})")
    except Exception as exc:  # noqa: BLE001 - a hostile file is one skipped file, never the end of an ingest
        log.debug("loading %s failed", origin, exc_info=True)
        yield Skipped(origin, f"cannot read ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})")


# -- what reading one file may cost ---------------------------------------------------------------

class Budget:
    """The bytes and seconds left to read one file. Bytes are counted as they come out of the file (after
    decompression), so a bomb is stopped at the limit, never held whole; the clock runs only while the file's
    loader runs, not while the caller embeds what it yielded."""

    def __init__(self, max_mb: float, max_seconds: float, compressed: bool = False) -> None:
        self.max_mb, self.max_seconds, self.compressed = max_mb, max_seconds, compressed
        self.max_bytes = int(max_mb * 1_000_000)
        self.read = 0
        self.spent = 0.0
        self._since: float | None = None

    def run(self, items: Iterator[Any]) -> Iterator[Any]:
        """``items`` with their loader's time measured (the time between two of them, not after each)."""
        while True:
            self._since = time.monotonic()
            try:
                item = next(items)
            except StopIteration:
                return
            finally:
                self.spent += time.monotonic() - self._since
                self._since = None
            yield item

    def take(self, n: int) -> None:
        self.read += n
        if self.read > self.max_bytes:
            what = "decompresses to" if self.compressed else "holds"
            raise InputError(f"{what} over {self.max_mb:g} MB (ingest.max_file_mb; a decompression bomb?): "
                             "raise ingest.max_file_mb to index it")
        self.check_time()

    def check_time(self) -> None:
        if self._since is not None and self.spent + time.monotonic() - self._since > self.max_seconds:
            raise InputError(f"reading it took over {self.max_seconds:g} s (ingest.max_file_seconds; a decompression "
                             "bomb, or millions of empty lines?): raise ingest.max_file_seconds to index it")


class _Reader(io.RawIOBase):
    """A file's bytes, gunzipped when its name ends in .gz, counted against its `Budget` as they are read."""

    def __init__(self, path: Path, budget: Budget) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._gz = path.name.lower().endswith(".gz")
        self._z: Any = None  # the gzip member being read
        self._pending = b""  # compressed bytes read but not yet decompressed
        self._budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._gunzip(len(buffer)) if self._gz else self._fh.read(len(buffer))
        self._budget.take(len(data))
        buffer[: len(data)] = data
        return len(data)

    def _gunzip(self, n: int) -> bytes:
        while True:
            if self._z is None:  # before a member: zero padding is allowed after one, as gzip allows
                if not self._pending:
                    self._pending = self._fh.read(1 << 16)
                    if not self._pending:
                        return b""  # the end of the last member
                self._pending = self._pending.lstrip(b"\x00")
                if not self._pending:
                    continue
                self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
            data = self._z.decompress(self._pending, n)
            if self._z.eof:
                self._pending, self._z = self._z.unused_data, None
            else:
                self._pending = self._z.unconsumed_tail
                if not data and not self._pending:
                    self._pending = self._fh.read(1 << 16)
                    if not self._pending:
                        raise InputError("the compressed data ends before its end marker (a cut .gz file)")
            if data:
                return data

    def close(self) -> None:
        self._fh.close()
        super().close()


def open_bounded(path: Path, budget: Budget) -> io.BufferedReader:
    return io.BufferedReader(_Reader(path, budget), buffer_size=1 << 16)


def _read_all(path: Path, budget: Budget) -> bytes:
    out = io.BytesIO()
    with open_bounded(path, budget) as fh:
        while block := fh.read(1 << 20):
            out.write(block)
    return out.getvalue()


# -- formats ----------------------------------------------------------------------------------

def _load_text(path: Path, budget: Budget) -> Iterator[Article]:
    text = _decode(_read_all(path, budget), str(path))
    meta: dict[str, Any] = {}
    if _extension(path) in {".md", ".markdown"}:
        meta, text = _front_matter(text)
    lines = text.strip().splitlines()
    title = str(meta.get("title") or "")
    if not title and lines and _looks_like_title(lines[0]):
        title = lines[0].lstrip("#").strip()
        text = "\n".join(lines[1:])
    if _extension(path) in {".md", ".markdown"}:
        text = _strip_markdown(text)
    meta.setdefault("title", title or _title_from_name(path))
    yield _article(meta | {"text": text}, origin=str(path), key=str(path.resolve()))


def _load_html(path: Path, budget: Budget) -> Iterator[Article]:
    html = _decode(_read_all(path, budget), str(path))
    record = html_record(html, _title_from_name(path))
    yield _article(record, origin=str(path), key=str(path.resolve()))


def html_record(html: str, fallback_title: str = "", url: str = "") -> dict[str, Any]:
    """The article record of a web page: text without navigation, title, site, date and authors (trafilatura)."""
    try:
        import trafilatura
    except ImportError:
        raise missing("trafilatura", "reading HTML") from None
    text = trafilatura.extract(html, url=url or None, include_comments=False, include_tables=False, favor_recall=True)
    n_words = len((text or "").split())
    if n_words < MIN_HTML_WORDS:  # what is left of a page of menus is a few stray words
        raise InputError(f"HTML page has no article text ({n_words} words left after removing navigation and markup)")
    meta = trafilatura.extract_metadata(html, default_url=url or None)
    return {
        "text": text,
        "title": (meta.title if meta else None) or fallback_title,
        "url": (meta.url if meta else None) or url or "",
        "source": (meta.sitename if meta else None) or "",
        "published": meta.date if meta else None,
        "authors": (meta.author if meta else None) or "",
    }


def _load_feed(path: Path, budget: Budget, pages: EntryPages | None = None) -> Iterator[Article | Skipped]:
    raw = _read_all(path, budget)
    if _extension(path) == ".xml" and not re.search(rb"<(rss|feed|rdf:RDF)\b", raw[:4096]):
        raise InputError("XML file is not an RSS or Atom feed (no <rss>, <feed> or <rdf:RDF> element)")
    yield from feed_articles(raw, str(path), pages)


EntryPages = Callable[[str, dict[str, Any]], Iterator[Article | Skipped]]  # (origin, entry record) -> what to index


def feed_articles(raw: bytes, origin: str, pages: EntryPages | None = None, base_url: str = "") -> Iterator[Article | Skipped]:
    """The articles of an RSS/Atom feed: each entry's own text, or what ``pages`` makes of the entry (its article
    page, fetched: qa/ingest/web.py). Relative entry links are resolved against ``base_url``."""
    try:
        import feedparser
    except ImportError:
        raise missing("feedparser", "reading RSS/Atom feeds") from None
    feed = feedparser.parse(raw, response_headers={"content-location": base_url} if base_url else None)
    if not feed.entries:
        reason = f" ({feed.bozo_exception})" if feed.get("bozo") else ""
        raise InputError(f"feed has no entries{reason}")
    source = feed.feed.get("title", "") or ""
    for i, entry in enumerate(feed.entries, 1):
        where = f"{origin}#entry{i}"
        body = ""
        if entry.get("content"):
            body = entry.content[0].get("value", "")
        body = body or entry.get("summary", "") or ""
        published = entry.get("published") or entry.get("updated") or ""
        parsed = entry.get("published_parsed") or entry.get("updated_parsed")
        if parsed:
            published = f"{parsed.tm_year:04d}-{parsed.tm_mon:02d}-{parsed.tm_mday:02d}"
        authors = [a.get("name", "") for a in entry.get("authors", []) if a.get("name")] or entry.get("author", "")
        link = entry.get("link", "") or ""
        record = {
            "id": entry.get("id") or None,
            "title": entry.get("title", ""),
            "url": urljoin(base_url, link) if base_url and link else link,
            "source": source,
            "published": published,
            "authors": authors,
            "text": _html_to_text(body),
        }
        if pages is not None:
            yield from pages(where, record)
            continue
        if not record["text"].strip():
            yield Skipped(where, "feed entry has no text")
            continue
        yield _safe_article(record, where, key=entry_key(record, where))


def entry_key(record: dict[str, Any], origin: str) -> str:
    return str(record.get("id") or record.get("url") or origin)


def record_id(record: dict[str, Any], key: str) -> str:
    """The id `_article` gives a record: its own id, else one from its url, else from ``key``."""
    given = _pick(record, "id")
    return valid_utf8(str(given)) if given not in (None, "") else path_id(str(_pick(record, "url") or "").strip() or key)


def _load_pdf(path: Path, budget: Budget) -> Iterator[Article]:
    from .pdf import page_starts, read_pdf

    doc = read_pdf(path, budget)
    text = join_pages(doc["pages"])
    article = _article({"title": doc["title"] or _pdf_title(text, path), "authors": doc["authors"], "text": text},
                       origin=str(path), key=str(path.resolve()))
    article.pages = page_starts(article.text, doc["pages"])
    yield article


def join_pages(pages: list[str]) -> str:
    """A PDF's page texts as one text: a paragraph that runs on over a page break (no sentence end before it, no
    capital after it) is joined with a space, not cut in two."""
    out = ""
    for page in pages:
        if not page:
            continue
        if out and not re.search(r"[.!?…:;\"'”’)\]]$", out) and re.match(r"[a-z(\[\d,;]", page):
            out += " " + page
        else:
            out += ("\n\n" if out else "") + page
    return out


def _pdf_title(text: str, path: Path) -> str:
    first = next((p for p in text.split("\n\n") if p.strip()), "")
    return first if _looks_like_title(first) and len(first.split()) >= 2 else _title_from_name(path)


def _load_document(path: Path, budget: Budget) -> Iterator[Article]:
    """A Word, OpenDocument or EPUB file: one article (qa/ingest/documents.py reads them)."""
    from . import documents

    read = {".docx": documents.read_docx, ".odt": documents.read_odt, ".epub": documents.read_epub}[_extension(path)]
    doc = read(path, budget)
    paras = doc.pop("paragraphs")
    if not doc.get("title") and paras and _looks_like_title(paras[0]):
        doc["title"] = paras.pop(0)
    budget.check_time()
    yield _article(doc | {"title": doc.get("title") or _title_from_name(path), "text": "\n\n".join(paras)},
                   origin=str(path), key=str(path.resolve()))


def _load_json(path: Path, budget: Budget) -> Iterator[Article | Skipped]:
    text = _decode(_read_all(path, budget), str(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InputError(_TOO_DEEP) from None
    del text
    if isinstance(data, dict) and not any(k in data for k in FIELDS["text"]):
        for key in ("articles", "items", "data", "results", "documents"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    records = data if isinstance(data, list) else [data]
    for i, record in enumerate(records, 1):
        origin = f"{path}#{i}" if isinstance(data, list) else str(path)
        if not isinstance(record, dict):
            yield Skipped(origin, f"record is a {type(record).__name__}, expected an object with a 'text' field")
            continue
        yield _safe_article(record, origin, key=origin)


def _load_jsonl(path: Path, budget: Budget) -> Iterator[Article | Skipped]:
    for lineno, line in _jsonl_lines(path, budget):
        budget.check_time()
        if not line.strip():
            continue
        origin = f"{path}:{lineno}"
        try:
            record = json.loads(line if isinstance(line, str) else _decode_line(line, origin))
        except InputError as exc:
            yield Skipped(origin, str(exc))
            continue
        except json.JSONDecodeError as exc:
            yield Skipped(origin, f"malformed JSON line (column {exc.colno}: {exc.msg})")
            continue
        except RecursionError:
            yield Skipped(origin, _TOO_DEEP)
            continue
        if not isinstance(record, dict):
            yield Skipped(origin, f"line holds a {type(record).__name__}, expected an object with a 'text' field")
            continue
        yield _safe_article(record, origin, key=f"{path.resolve()}:{lineno}")


def _jsonl_lines(path: Path, budget: Budget) -> Iterator[tuple[int, bytes | str]]:
    """(line number, line) of a JSONL file: streamed bytes, or decoded text when the file is UTF-16/32.

    Runs of blank lines are skipped a buffer at a time (a 4.7 MB .gz of a billion newlines is no billion turns
    of a Python loop); lines that are not blank come out one by one."""
    with open_bounded(path, budget) as fh:
        head = fh.peek(4096)[:4096]
        wide = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(head)
        if wide:  # b"\n" does not end a line in UTF-16: decode the whole file (it is under ingest.max_file_mb)
            yield from enumerate(_decode(fh.read(), str(path)).split("\n"), 1)
            return
        lineno = 1
        while buffered := fh.peek(1 << 16):
            blank = len(buffered) - len(buffered.lstrip(b" \t\r\n"))
            if blank:
                lineno += buffered.count(b"\n", 0, blank)
                fh.read(blank)
                continue
            yield lineno, fh.readline()
            lineno += 1


def _decode_line(line: bytes, origin: str) -> str:
    try:
        return line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _decode(line, origin)  # a latin-1 line among UTF-8 ones


def _load_csv(path: Path, budget: Budget) -> Iterator[Article | Skipped]:
    text = _decode(_read_all(path, budget), str(path))
    csv.field_size_limit(1 << 30)
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not any(h.lower() in {f.lower() for f in FIELDS["text"]} for h in header):
        raise InputError(f"CSV header {header[:8]} has no text column (name one of: {', '.join(FIELDS['text'][:5])})")
    for i, row in enumerate(reader, 2):
        yield _safe_article({(k or "").strip(): v for k, v in row.items()}, f"{path}:{i}", key=f"{path.resolve()}:{i}")


# -- records → Article ------------------------------------------------------------------------

def _safe_article(record: dict[str, Any], origin: str, key: str) -> Article | Skipped:
    try:
        return _article(record, origin, key)
    except InputError as exc:
        return Skipped(origin, str(exc))
    except RecursionError:  # a field nested ~1000 deep
        return Skipped(origin, _TOO_DEEP)


def _pick(record: dict[str, Any], name: str) -> Any:
    lower = {k.lower(): v for k, v in record.items() if isinstance(k, str)}
    for key in FIELDS[name]:
        value = lower.get(key.lower())
        if value not in (None, "", []):
            return value
    return None


def _article(record: dict[str, Any], origin: str, key: str) -> Article:
    # A file name's undecodable bytes and a JSON "\ud800" are lone surrogates: no database or model takes them
    origin, key = valid_utf8(origin), valid_utf8(key)
    text = _pick(record, "text")
    if isinstance(text, list):
        text = "\n\n".join(str(t) for t in text)
    text = strip_debris(normalize_text(str(text or "")))  # links, share buttons, credits: not article text
    if not text:
        raise InputError("no article text (empty, or no field named text/content/body)")
    title = normalize_text(str(_pick(record, "title") or "")).replace("\n", " ")
    url = valid_utf8(str(_pick(record, "url") or "").strip())
    given_id = _pick(record, "id")
    # The id is stable across edits (given id, else url, else where it came from); content_hash tracks edits.
    article_id = valid_utf8(str(given_id)) if given_id not in (None, "") else path_id(url or key)
    published_raw = _pick(record, "published")
    return Article(
        id=article_id,
        title=title or _first_words(text),
        text=text,
        source=valid_utf8(str(_pick(record, "source") or _domain(url) or "").strip()),
        url=url,
        published=normalize_date(published_raw),
        authors=_authors(_pick(record, "authors")),
        origin=origin,
    )


# -- helpers ----------------------------------------------------------------------------------

def normalize_text(text: str) -> str:
    """Unify newlines, drop NULs and trailing spaces, collapse runs of blank lines."""
    text = valid_utf8(text).replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").replace("\u00a0", " ")
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# C0 controls other than tab/newline/form feed, DEL, C1 controls (only a latin-1 reading makes those) and U+FFFD
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")
MAX_CONTROL_SHARE = 0.05  # random bytes read as cp1252 are ~11% control characters; text with a stray NUL is ~0%


def _decode(raw: bytes, origin: str) -> str:
    """Text of a file: UTF-8/16/32 by their byte-order mark, UTF-16 without one, UTF-8, else Windows-1252/latin-1.

    A file is binary only when what it decodes to is not text (over 5% control characters): a NUL byte or
    two in a text file are dropped later by `normalize_text`, not taken for a binary file."""
    text = _decode_text(raw)
    sample = text[:2_000_000]
    if sample and _CONTROL.subn("", sample)[1] > MAX_CONTROL_SHARE * len(sample):
        raise InputError("binary file (not text in UTF-8, UTF-16, UTF-32 or latin-1): index text files only")
    return text


def _decode_text(raw: bytes) -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom):].decode(encoding)
            except UnicodeDecodeError:
                break  # a BOM followed by something else: try the other readings
    utf16 = _utf16_without_bom(raw)
    if utf16:
        try:
            return raw.decode(utf16)
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    loose = raw.decode("utf-8", "replace")
    multibyte = sum(1 for ch in loose if ord(ch) > 0x7F and ch != "\ufffd")
    if multibyte > loose.count("\ufffd"):  # mostly UTF-8 with a few broken bytes (a cut file): keep it UTF-8
        return loose
    try:
        return raw.decode("cp1252")  # latin-1 as Windows writes it (curly quotes in 0x80-0x9f)
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _utf16_without_bom(raw: bytes) -> str | None:
    """'utf-16-le'/'-be' when every other byte of the start is NUL (ASCII-range text in UTF-16), else None."""
    head = raw[:4096]
    if len(head) < 2:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _extension(path: Path) -> str:
    name = path.name.lower()
    for double in (".jsonl.gz", ".json.gz"):
        if name.endswith(double):
            return double
    return path.suffix.lower()


def _looks_like_title(line: str) -> bool:
    line = line.strip()
    if line.startswith("#"):
        return True
    return 0 < len(line) <= 150 and not re.search(r"[.!?:;,\"”’)]$", line)


def _title_from_name(path: Path) -> str:
    stem = path.name.split(".")[0]
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else path.name


def _first_words(text: str, n: int = 12) -> str:
    words = text.split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    m = re.match(r"---\n(.*?)\n---\n", text, re.S)
    if not m:
        return {}, text
    meta: dict[str, Any] = {}
    for line in m.group(1).splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[m.end():]


def _strip_markdown(text: str) -> str:
    text = re.sub(r"^#{1,6}\s*", "", text, flags=re.M)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return re.sub(r"(\*\*|__|`)", "", text)


def _html_to_text(fragment: str) -> str:
    if "<" not in fragment:
        return normalize_text(fragment)
    import lxml.html

    try:
        root = lxml.html.fromstring(fragment)
    except Exception:  # lxml raises several unrelated types on junk fragments
        return ""
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    for block in root.xpath("//p|//br|//div|//li|//h1|//h2|//h3|//h4"):
        block.tail = "\n\n" + (block.tail or "")
    return normalize_text(root.text_content())


def _authors(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        value = re.split(r"\s*(?:;|\band\b|,(?=\s*[A-Z]))\s*", value.removeprefix("By ").removeprefix("by "))
    if isinstance(value, dict):
        value = [value.get("name", "")]
    out = []
    for a in value:
        name = a.get("name", "") if isinstance(a, dict) else str(a)
        if name.strip():
            out.append(valid_utf8(name.strip()))
    return out


def _domain(url: str) -> str:
    m = re.match(r"https?://(?:www\.)?([^/:]+)", url or "")
    return m.group(1).lower() if m else ""
