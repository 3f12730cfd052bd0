"""Load articles from files and folders (txt, md, html, json, jsonl(.gz), csv, RSS/Atom) into `Article`s.

Loading streams: articles are yielded one at a time, so a big JSONL file never sits in memory whole.
A file (or a line of a file) that cannot be read is reported as a `Skipped` record and loading goes on.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import logging
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, missing
from ..text.dates import normalize_date
from ..text.junk import strip_debris
from ..types import Article

log = logging.getLogger(__name__)

TEXT_EXT = {".txt", ".md", ".markdown", ".text"}
HTML_EXT = {".html", ".htm", ".xhtml"}
FEED_EXT = {".rss", ".atom", ".xml"}
JSON_EXT = {".json"}
JSONL_EXT = {".jsonl", ".ndjson"}
CSV_EXT = {".csv", ".tsv"}
MIN_HTML_WORDS = 10
_TOO_DEEP = "JSON nested too deeply to read (over ~1000 levels of [ or {): flatten the record"
SUPPORTED = sorted(TEXT_EXT | HTML_EXT | FEED_EXT | JSON_EXT | JSONL_EXT | CSV_EXT | {".jsonl.gz", ".json.gz"})

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

    def __str__(self) -> str:
        return f"skipped {self.origin}: {self.reason}"


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path | Skipped]:
    """Every file under the given files/folders (recursively, hidden entries skipped), in a stable order.

    Paths come out absolute and resolved, so an article's origin names its file wherever `qa` runs from, and
    `--prune` or `qa remove` of a folder never matches another folder of the same name."""
    for raw in paths:
        path = Path(raw).expanduser().resolve()
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        elif path.is_file():
            yield path
        else:
            yield Skipped(str(path), "no such file or folder: check the path")


def load_paths(paths: Iterable[str | Path], max_file_mb: float = 200.0) -> Iterator[Article | Skipped]:
    """Articles from all files under ``paths``; unreadable files and records come out as `Skipped`."""
    for item in iter_files(paths):
        if isinstance(item, Skipped):
            yield item
            continue
        yield from load_file(item, max_file_mb=max_file_mb)


def load_file(path: Path, max_file_mb: float = 200.0) -> Iterator[Article | Skipped]:
    """Articles of one file, chosen by its extension (and content, for .xml feeds)."""
    origin = str(path)
    ext = _extension(path)
    if ext not in SUPPORTED:
        yield Skipped(origin, f"unsupported file type '{ext or path.name}' (supported: {', '.join(SUPPORTED)})")
        return
    try:
        size = path.stat().st_size
    except OSError as exc:
        yield Skipped(origin, f"cannot read ({exc.strerror})")
        return
    if size == 0:
        yield Skipped(origin, "empty file")
        return
    if size > max_file_mb * 1_000_000:
        yield Skipped(origin, f"{size / 1e6:.0f} MB is over the {max_file_mb:g} MB limit (raise ingest.max_file_mb to index it)")
        return
    try:
        if ext in JSONL_EXT or ext == ".jsonl.gz":
            yield from _load_jsonl(path)
        elif ext in JSON_EXT or ext == ".json.gz":
            yield from _load_json(path)
        elif ext in CSV_EXT:
            yield from _load_csv(path)
        elif ext in HTML_EXT:
            yield from _load_html(path)
        elif ext in FEED_EXT:
            yield from _load_feed(path)
        else:
            yield from _load_text(path)
    except InputError as exc:
        yield Skipped(origin, str(exc))
    except RecursionError:
        yield Skipped(origin, _TOO_DEEP)
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        yield Skipped(origin, f"cannot read ({exc})")
    except Exception as exc:  # noqa: BLE001 - a hostile file is one skipped file, never the end of an ingest
        log.debug("loading %s failed", origin, exc_info=True)
        yield Skipped(origin, f"cannot read ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})")


# -- formats ----------------------------------------------------------------------------------

def _load_text(path: Path) -> Iterator[Article]:
    text = _decode(path.read_bytes(), str(path))
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


def _load_html(path: Path) -> Iterator[Article]:
    try:
        import trafilatura
    except ImportError:
        raise missing("trafilatura", "reading HTML") from None
    html = _decode(path.read_bytes(), str(path))
    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_recall=True)
    n_words = len((text or "").split())
    if n_words < MIN_HTML_WORDS:  # what is left of a page of menus is a few stray words
        raise InputError(f"HTML page has no article text ({n_words} words left after removing navigation and markup)")
    meta = trafilatura.extract_metadata(html)
    record = {
        "text": text,
        "title": (meta.title if meta else None) or _title_from_name(path),
        "url": (meta.url if meta else None) or "",
        "source": (meta.sitename if meta else None) or "",
        "published": meta.date if meta else None,
        "authors": (meta.author if meta else None) or "",
    }
    yield _article(record, origin=str(path), key=str(path.resolve()))


def _load_feed(path: Path) -> Iterator[Article | Skipped]:
    raw = path.read_bytes()
    if _extension(path) == ".xml" and not re.search(rb"<(rss|feed|rdf:RDF)\b", raw[:4096]):
        raise InputError("XML file is not an RSS or Atom feed (no <rss>, <feed> or <rdf:RDF> element)")
    try:
        import feedparser
    except ImportError:
        raise missing("feedparser", "reading RSS/Atom feeds") from None
    feed = feedparser.parse(raw)
    if not feed.entries:
        reason = f" ({feed.bozo_exception})" if feed.get("bozo") else ""
        raise InputError(f"feed has no entries{reason}")
    source = feed.feed.get("title", "") or ""
    for i, entry in enumerate(feed.entries, 1):
        origin = f"{path}#entry{i}"
        body = ""
        if entry.get("content"):
            body = entry.content[0].get("value", "")
        body = body or entry.get("summary", "") or ""
        text = _html_to_text(body)
        if not text.strip():
            yield Skipped(origin, "feed entry has no text")
            continue
        published = entry.get("published") or entry.get("updated") or ""
        parsed = entry.get("published_parsed") or entry.get("updated_parsed")
        if parsed:
            published = f"{parsed.tm_year:04d}-{parsed.tm_mon:02d}-{parsed.tm_mday:02d}"
        authors = [a.get("name", "") for a in entry.get("authors", []) if a.get("name")] or entry.get("author", "")
        record = {
            "id": entry.get("id") or None,
            "title": entry.get("title", ""),
            "url": entry.get("link", ""),
            "source": source,
            "published": published,
            "authors": authors,
            "text": text,
        }
        yield _safe_article(record, origin, key=entry.get("id") or entry.get("link") or origin)


def _load_json(path: Path) -> Iterator[Article | Skipped]:
    raw = _read_maybe_gz(path)
    try:
        data = json.loads(_decode(raw, str(path)))
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InputError(_TOO_DEEP) from None
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


def _load_jsonl(path: Path) -> Iterator[Article | Skipped]:
    for lineno, line in _jsonl_lines(path):
        origin = f"{path}:{lineno}"
        if not line.strip():
            continue
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


def _jsonl_lines(path: Path) -> Iterator[tuple[int, bytes | str]]:
    """(line number, line) of a JSONL file: streamed bytes, or decoded text when the file is UTF-16/32."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        head = fh.read(4096)
        wide = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(head)
        if wide:  # b"\n" does not end a line in UTF-16: decode the whole file (it is under ingest.max_file_mb)
            yield from enumerate(_decode(head + fh.read(), str(path)).split("\n"), 1)
            return
        fh.seek(0)
        yield from enumerate(fh, 1)


def _decode_line(line: bytes, origin: str) -> str:
    try:
        return line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _decode(line, origin)  # a latin-1 line among UTF-8 ones


def _load_csv(path: Path) -> Iterator[Article | Skipped]:
    text = _decode(path.read_bytes(), str(path))
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
    text = _pick(record, "text")
    if isinstance(text, list):
        text = "\n\n".join(str(t) for t in text)
    text = strip_debris(normalize_text(str(text or "")))  # links, share buttons, credits: not article text
    if not text:
        raise InputError("no article text (empty, or no field named text/content/body)")
    title = normalize_text(str(_pick(record, "title") or "")).replace("\n", " ")
    url = str(_pick(record, "url") or "").strip()
    given_id = _pick(record, "id")
    # The id is stable across edits (given id, else url, else where it came from); content_hash tracks edits.
    article_id = str(given_id) if given_id not in (None, "") else path_id(url or key)
    published_raw = _pick(record, "published")
    return Article(
        id=article_id,
        title=title or _first_words(text),
        text=text,
        source=str(_pick(record, "source") or _domain(url) or "").strip(),
        url=url,
        published=normalize_date(published_raw),
        authors=_authors(_pick(record, "authors")),
        origin=origin,
    )


def path_id(key: str) -> str:
    """The id of an article with no id or url of its own: from where it was loaded (file path, path:line, ...)."""
    return "a-" + _sha1(key)[:16]


def legacy_ids(rows: Iterable[tuple[str, str]], roots: Iterable[Path]) -> dict[str, str]:
    """{id: origin} of articles stored with a relative origin (older indexes) that were loaded from under roots.

    A relative origin does not say which folder it was relative to: a candidate folder counts only when the
    article's id is the one its absolute path gives (text, HTML and Markdown files, JSONL and CSV lines without
    an id or url of their own). Others are never matched by path; re-indexing their folder records them absolute.
    """
    roots = [Path(r) for r in roots]
    out: dict[str, str] = {}
    for article_id, origin in rows:
        if not article_id.startswith("a-"):
            continue
        m = re.fullmatch(r"(.*?)(:\d+)?", origin)
        rel, line = m.group(1), m.group(2) or ""
        for root in roots:
            for base in (root, *root.parents):
                cand = Path(os.path.normpath(base / rel))
                if cand != root and root not in cand.parents:
                    continue
                if article_id in (path_id(f"{cand}{line}"), path_id(f"{cand.resolve()}{line}")):
                    out[article_id] = origin
                    break
    return out


def content_hash(article: Article) -> str:
    """Hash of everything stored about an article; a changed hash means the article was edited."""
    payload = json.dumps([article.title, article.text, article.source, article.url, article.published, article.authors])
    return _sha1(payload)


# -- helpers ----------------------------------------------------------------------------------

def normalize_text(text: str) -> str:
    """Unify newlines, drop NULs and trailing spaces, collapse runs of blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").replace("\u00a0", " ")
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


def _read_maybe_gz(path: Path) -> bytes:
    if path.name.endswith(".gz"):
        with gzip.open(path, "rb") as fh:
            return fh.read()
    return path.read_bytes()


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
            out.append(name.strip())
    return out


def _domain(url: str) -> str:
    m = re.match(r"https?://(?:www\.)?([^/:]+)", url or "")
    return m.group(1).lower() if m else ""


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()
