"""Word processor and e-book files → one article record each: Word (.docx, python-docx), OpenDocument text (.odt)
and EPUB (.epub). The last two are zip files of XML read with the standard library and lxml (no further dependency:
odfpy and ebooklib were not needed, and ebooklib's AGPL licence could not ship here)."""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from typing import Any

from ..errors import InputError, missing

_ODF = {"text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
        "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
        "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0", "dc": "http://purl.org/dc/elements/1.1/"}
_OPF = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
        "c": "urn:oasis:names:tc:opendocument:xmlns:container"}


def read_docx(path: Path, budget: Any) -> dict[str, Any]:
    """{title, authors, paragraphs} of a Word file: its paragraphs and table rows; the title from its properties or
    its first title/heading paragraph (then not repeated as text)."""
    try:
        import docx
    except ImportError:
        raise missing("python-docx", "reading Word (.docx) files") from None
    _check_zip(path, budget, "Word .docx")
    try:
        doc = docx.Document(str(path))
    except Exception as exc:  # noqa: BLE001 - python-docx raises zipfile, KeyError and lxml errors on bad files
        raise InputError(f"not a readable Word .docx file ({type(exc).__name__}): open and re-save it in Word or "
                         "LibreOffice, then index it again") from None
    paras = [p.text.strip() for p in doc.paragraphs]
    title = (doc.core_properties.title or "").strip()
    if not title:
        styled = next((p.text.strip() for p in doc.paragraphs if p.text.strip()
                       and (p.style.name or "").lower().startswith(("title", "heading"))), "")
        if styled and styled == next((p for p in paras if p), None):
            title = styled
            paras.remove(styled)
    for table in doc.tables:  # statements and releases put facts in tables too
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                paras.append(" · ".join(dict.fromkeys(cells)))
    return {"title": title, "authors": doc.core_properties.author or "", "paragraphs": [p for p in paras if p]}


def read_odt(path: Path, budget: Any) -> dict[str, Any]:
    """{title, authors, paragraphs} of an OpenDocument text: its paragraphs and headings in order."""
    from lxml import etree

    with _open_zip(path, budget, "OpenDocument .odt") as z:
        try:
            content = etree.fromstring(z.read("content.xml"))
            meta = etree.fromstring(z.read("meta.xml")) if "meta.xml" in z.namelist() else None
        except (KeyError, etree.XMLSyntaxError) as exc:
            raise InputError(f"not a readable OpenDocument text ({type(exc).__name__}): re-save it in LibreOffice, "
                             "then index it again") from None
    for space in content.iter(f"{{{_ODF['text']}}}s"):  # runs of spaces, tabs and line breaks are elements
        space.tail = " " * int(space.get(f"{{{_ODF['text']}}}c", "1")) + (space.tail or "")
    for brk in (*content.iter(f"{{{_ODF['text']}}}tab"), *content.iter(f"{{{_ODF['text']}}}line-break")):
        brk.tail = " " + (brk.tail or "")
    paras = ["".join(el.itertext()).strip() for el in content.iter(f"{{{_ODF['text']}}}p", f"{{{_ODF['text']}}}h")
             if el.getparent() is None or el.getparent().tag not in (f"{{{_ODF['text']}}}p", f"{{{_ODF['text']}}}h")]
    title = authors = ""
    if meta is not None:
        title = (meta.findtext(".//dc:title", "", _ODF) or "").strip()
        authors = (meta.findtext(".//dc:creator", "", _ODF) or meta.findtext(".//meta:initial-creator", "", _ODF) or "").strip()
    return {"title": title, "authors": authors, "paragraphs": [p for p in paras if p]}


def read_epub(path: Path, budget: Any) -> dict[str, Any]:
    """{title, authors, published, paragraphs} of an EPUB: its chapters in reading (spine) order."""
    from lxml import etree

    from .load import _html_to_text

    with _open_zip(path, budget, "EPUB") as z:
        try:
            container = etree.fromstring(z.read("META-INF/container.xml"))
            opf_path = container.find(".//c:rootfile", _OPF).get("full-path")
            opf = etree.fromstring(z.read(opf_path))
            items = {i.get("id"): i.get("href") for i in opf.iterfind(".//opf:manifest/opf:item", _OPF)}
            spine = [items[r.get("idref")] for r in opf.iterfind(".//opf:spine/opf:itemref", _OPF) if r.get("idref") in items]
            base = posixpath.dirname(opf_path)
            paras: list[str] = []
            for href in spine:
                budget.check_time()
                html = z.read(posixpath.normpath(posixpath.join(base, href))).decode("utf-8", errors="replace")
                paras += [p for p in _html_to_text(html).split("\n\n") if p.strip()]
        except (KeyError, AttributeError, etree.XMLSyntaxError) as exc:
            raise InputError(f"not a readable EPUB ({type(exc).__name__}): re-save it with an e-book editor "
                             "(e.g. Calibre), then index it again") from None
    return {"title": (opf.findtext(".//dc:title", "", _OPF) or "").strip(),
            "authors": [a.text.strip() for a in opf.iterfind(".//dc:creator", _OPF) if a.text and a.text.strip()],
            "published": (opf.findtext(".//dc:date", "", _OPF) or "").strip() or None, "paragraphs": paras}


def _check_zip(path: Path, budget: Any, what: str) -> None:
    """A zip whose members would decompress past ingest.max_file_mb is refused before anything is read."""
    with _open_zip(path, budget, what):
        pass


def _open_zip(path: Path, budget: Any, what: str) -> zipfile.ZipFile:
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"not a readable {what} file ({exc}): open and re-save it, then index it again") from None
    total = sum(i.file_size for i in z.infolist())
    if total > budget.max_bytes:
        z.close()
        raise InputError(f"decompresses to {total / 1e6:.0f} MB, over {budget.max_mb:g} MB (ingest.max_file_mb; a "
                         "zip bomb?): raise ingest.max_file_mb to index it")
    return z
