"""PDF → one `Article` with its page starts: the text layer in reading order, OCR for scans where Tesseract is.

pypdfium2 (PDFium, Apache-2.0/BSD) reads the text layer: on the project's real PDFs it was 10-40x faster than
pdfminer.six and pypdf (docs/ingest.md) with the same text. What a page becomes:
  * two columns (a gutter no body line crosses) are read left column, then right; a headline across both first;
  * a word hyphenated at a line end is joined (PDFium marks soft hyphens; "elec-\\ntion" is joined too);
  * lines are unwrapped into paragraphs (the sentence splitter reads one line as one paragraph);
  * running headers and footers (a top or bottom line repeated on many pages, digits aside) and bare page
    numbers are dropped.
The article keeps where each page starts in its text (`Article.pages`), so a citation can say "p. 7".
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from ..errors import InputError, missing

log = logging.getLogger(__name__)

MIN_CHARS_PER_PAGE = 20  # fewer on every page: no text layer (a scan)
OCR_DPI = 300
_PAGE_NUMBER = re.compile(r"^\s*(?:page\s+)?[-–—]?\s*(?:\d{1,4}|[ivxlc]{1,6})\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?\s*$", re.I)
_FILE_TITLE = re.compile(r"(?:\.(?:pdf|docx?|indd|qxd|tex)$|^microsoft word\b|^untitled\b|^binder\d*)", re.I)
_SENTENCE_END = re.compile(r"[.!?…:;][\"'”’)\]]*$")


def read_pdf(path: Path, budget: Any, ocr: bool = True) -> dict[str, Any]:
    """{title, authors, pages: [page text]} of a PDF; raises `InputError` naming the fix when it cannot be read."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise missing("pypdfium2", "reading PDF files") from None
    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise InputError(_open_error(str(exc))) from None
    try:
        meta = doc.get_metadata_dict()
        raw_pages: list[list[str]] = []
        for i in range(len(doc)):
            budget.check_time()
            page = doc[i]
            try:
                raw_pages.append(_page_lines(page))
            finally:
                page.close()
        if sum(len(" ".join(lines)) for lines in raw_pages) < MIN_CHARS_PER_PAGE * max(1, len(raw_pages)):
            if not ocr or not shutil.which("tesseract"):
                raise InputError("no text layer (a scanned PDF?): install Tesseract to read it by OCR "
                                 "(Debian/Ubuntu: sudo apt-get install tesseract-ocr), then index it again")
            raw_pages = [_ocr_page(doc, i, budget) for i in range(len(doc))]
    finally:
        doc.close()
    pages = [_paragraphs(lines) for lines in _drop_running(raw_pages)]
    title = str(meta.get("Title") or "").strip()
    if _FILE_TITLE.search(title):
        title = ""
    return {"title": title, "authors": str(meta.get("Author") or "").strip(), "pages": pages}


def _open_error(message: str) -> str:
    if "password" in message.lower():
        return ("encrypted PDF (it needs a password to open): save an unprotected copy (e.g. print it to PDF) "
                "and index that")
    return f"damaged or not a PDF ({message}): open and re-save it in a PDF viewer, then index it again"


# -- one page's text ----------------------------------------------------------------------------

def _page_lines(page: Any) -> list[str]:
    """The page's text lines in reading order (two columns one after the other), a blank line where the gap
    between two lines is a paragraph's (over 1.6x the usual line pitch)."""
    tp = page.get_textpage()
    try:
        n = tp.count_chars()
        if n == 0:
            return []
        width, _ = page.get_size()
        text = tp.get_text_range()
        gutter = _gutter([tp.get_rect(i) for i in range(tp.count_rects())], width)
        if len(text) != n:  # text and character boxes do not line up (rare): the text as PDFium orders it
            regions = [[(line, None) for line in text.replace("\r\n", "\n").split("\n")]]
        elif gutter is None:  # one column: only each line's first character's box is needed (5x faster)
            regions = [_line_tops(text, tp)]
        else:
            regions = _regions(text, [tp.get_charbox(i) for i in range(n)], gutter)
    finally:
        tp.close()
    lines: list[str] = []
    for region in regions:
        lines += _with_paragraph_gaps(region) + [""]
    joined = "\n".join(lines)
    joined = re.sub(r"[\ufffe\u00ad]\s*\n\s*", "", joined).replace("\ufffe", "").replace("\u00ad", "")
    joined = re.sub(r"(?<=[a-z])-\n(?=[a-z])", "", joined)  # "elec-\ntion": a word broken at the line end
    return [line.strip() for line in joined.split("\n")]


def _line_tops(text: str, tp: Any) -> list[tuple[str, float | None]]:
    out: list[tuple[str, float | None]] = []
    at = 0
    for line in text.split("\n"):
        stripped = line.rstrip("\r")
        first = len(stripped) - len(stripped.lstrip())
        out.append((stripped, tp.get_charbox(at + first)[3] if stripped.strip() else None))
        at += len(line) + 1
    return out


def _regions(text: str, boxes: list[tuple[float, float, float, float]],
             gutter: tuple[float, float, float] | None) -> list[list[tuple[str, float | None]]]:
    """The page's lines as (text, top) in reading order, by region: above the columns, left, right, below (one
    region when there are no columns). A character goes where its box is; line breaks PDFium generated (boxes
    of no size) stay with the character before them."""
    out: list[list[list]] = [[] for _ in range(4 if gutter else 1)]
    fresh = set(range(len(out)))  # regions whose next character starts a line: a line break came since
    last = 0
    for ch, (left, bottom, right, top) in zip(text, boxes):
        if ch in "\r\n":
            fresh = set(range(len(out)))
            continue
        if right - left <= 0 and top - bottom <= 0:  # a space PDFium generated: with the character before it
            where = last
        elif gutter is None:
            where = 0
        else:
            x, col_top, col_bottom = gutter
            mid_y = (bottom + top) / 2
            where = 0 if mid_y > col_top else 3 if mid_y < col_bottom else 1 if (left + right) / 2 < x else 2
        last = where
        lines = out[where]
        if where in fresh or not lines:
            lines.append(["", None])
            fresh.discard(where)
        if lines[-1][1] is None and ch.strip():
            lines[-1][1] = top
        lines[-1][0] += ch
    return [[(t, y) for t, y in region] for region in out if region]


def _with_paragraph_gaps(lines: list[tuple[str, float | None]]) -> list[str]:
    tops = [y for t, y in lines if t.strip() and y is not None]
    pitches = sorted(a - b for a, b in zip(tops, tops[1:]) if a - b > 0)
    usual = pitches[len(pitches) // 4] if pitches else 0.0  # the line pitch (a lower quartile: OCR'd lines vary)
    out: list[str] = []
    prev: float | None = None
    for t, y in lines:
        if not t.strip():
            continue
        runs_on = out and not _SENTENCE_END.search(out[-1].rstrip()) and t.lstrip()[:1].islower()
        if usual and prev is not None and y is not None and prev - y > 1.6 * usual and not runs_on:
            out.append("")
        out.append(t)
        prev = y if y is not None else prev
    return out


def _gutter(rects: list[tuple[float, float, float, float]], width: float) -> tuple[float, float, float] | None:
    """(x, top, bottom) of a vertical gutter in the middle of the page that splits its text into two columns of
    several lines each, between ``top`` and ``bottom``; None for one column. Lines crossing the gutter are allowed
    above the columns (a headline) and below them (a footer). Every candidate x is tried at once (numpy)."""
    if len(rects) < 8:
        return None
    import numpy as np

    r = np.asarray(rects, dtype=np.float64)
    left_x, bottom, right_x, top = r[:, 0], r[:, 1], r[:, 2], r[:, 3]
    xs = np.arange(int(width * 0.3), int(width * 0.7) + 1, 2, dtype=np.float64)
    xs = xs[np.argsort(np.abs(xs - width / 2), kind="stable")][:, None]
    crossing = (left_x < xs - 1) & (right_x > xs + 1)
    body = ~crossing
    enough = ((right_x <= xs + 1).sum(1) >= 4) & ((left_x >= xs - 1).sum(1) >= 4)
    body_top = np.where(body, top, -np.inf).max(1)
    body_bottom = np.where(body, bottom, np.inf).min(1)
    outside = (bottom >= body_top[:, None] - 1) | (top <= body_bottom[:, None] + 1)
    ok = enough & (~crossing | outside).all(1)
    if not ok.any():
        return None
    k = int(np.argmax(ok))
    return float(xs[k, 0]), float(body_top[k]) + 0.5, float(body_bottom[k]) - 0.5


def _ocr_page(doc: Any, i: int, budget: Any) -> list[str]:
    budget.check_time()
    page = doc[i]
    try:
        image = page.render(scale=OCR_DPI / 72).to_pil()
    finally:
        page.close()
    with tempfile.TemporaryDirectory(prefix="qa-ocr-") as tmp:
        png = Path(tmp) / "page.png"
        image.save(png)
        left = max(1.0, budget.max_seconds - budget.spent)
        try:
            out = subprocess.run(["tesseract", str(png), "stdout"], capture_output=True, timeout=left, check=True)
        except subprocess.TimeoutExpired:
            raise InputError(f"OCR took over {budget.max_seconds:g} s (ingest.max_file_seconds): raise it to index "
                             "this scan") from None
        except subprocess.CalledProcessError as exc:
            raise InputError(f"OCR failed ({exc.stderr.decode(errors='replace').strip()[:200]}): check that "
                             "`tesseract --version` runs") from None
    text = out.stdout.decode("utf-8", errors="replace")
    text = re.sub(r"(?<=[a-z])-\n(?=[a-z])", "", text)
    return [line.strip() for line in text.split("\n")]


# -- across pages -------------------------------------------------------------------------------

def _drop_running(pages: list[list[str]], edge: int = 2, near: int = 4) -> list[list[str]]:
    """Pages without running headers/footers and bare page numbers at their top or bottom.

    A running line is one of a page's first or last ``edge`` lines that is like (digits aside, OCR slips allowed)
    one at the edge of another page within ``near`` pages: "THE SIEGE OF VICKSBURG. 49" on one page and
    "50 THE SIEGE OF VICKSBUEG." on the next. Only neighbours are compared, so a 1,000-page PDF costs little."""
    from rapidfuzz import fuzz

    def key(line: str) -> str:
        return re.sub(r"[\d\s]+", " ", line.lower()).strip()

    edges = []
    for lines in pages:
        body = [ln for ln in lines if ln]
        edges.append([(ln, key(ln)) for ln in dict.fromkeys(body[:edge] + body[-edge:])])
    need = 1 if len(pages) <= 3 else 2
    out = []
    for i, lines in enumerate(pages):
        drop = set()
        for ln, k in edges[i]:
            if _PAGE_NUMBER.match(ln):
                drop.add(ln)
                continue
            if len(k) < 3:
                continue
            others = (j for j in range(max(0, i - near), min(len(pages), i + near + 1)) if j != i)
            like = sum(1 for j in others if any(fuzz.ratio(k, k2) >= 85 for _, k2 in edges[j]))
            if like >= need:
                drop.add(ln)
        body = [ln for ln in lines if ln]
        ends = set(body[:edge] + body[-edge:])
        out.append([ln for ln in lines if not (ln in drop and ln in ends)])
    return out


def _paragraphs(lines: list[str]) -> str:
    """Lines unwrapped into paragraphs: a blank line (a paragraph's gap), or a short line ending a sentence, ends one."""
    full = sorted(len(ln) for ln in lines if ln)
    typical = full[len(full) * 3 // 4] if full else 0
    paras: list[str] = []
    current: list[str] = []
    for ln in lines:
        if not ln:
            if current:
                paras.append(" ".join(current))
                current = []
            continue
        current.append(ln)
        if len(ln) < 0.75 * typical and _SENTENCE_END.search(ln):
            paras.append(" ".join(current))
            current = []
    if current:
        paras.append(" ".join(current))
    return "\n\n".join(p for p in paras if p.strip())


def page_starts(text: str, pages: list[str]) -> list[int]:
    """Where each page's text begins in ``text`` (the article's text after normalising): found by its first words,
    in order; a page whose start is not found (emptied by the clean-up) starts where the one before did."""
    starts: list[int] = []
    at = 0
    for page in pages:
        head = " ".join(page.split()[:8])
        found = _find_words(text, head, at) if head else -1
        at = found if found >= 0 else at
        starts.append(at)
    return starts


def _find_words(text: str, words: str, start: int) -> int:
    pattern = r"\s+".join(re.escape(w) for w in words.split())
    m = re.compile(pattern).search(text, start)
    return m.start() if m else -1
