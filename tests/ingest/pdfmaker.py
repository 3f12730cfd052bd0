"""Small PDFs written by hand for the loader's edge cases: pages of Helvetica text (one or two columns, with a
running header and page numbers), an image-only "scan", and damaged bytes. No PDF library needed to write them."""

from __future__ import annotations

import textwrap
import zlib


def _escape(line: str) -> bytes:
    raw = line.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _document(pages: list[bytes], images: dict[int, tuple[int, int, bytes]] | None = None) -> bytes:
    """A PDF of content streams (one per page); ``images`` {page index: (width, height, gray bytes)} drawn full page."""
    images = images or {}
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pages_id = len(objects) + 2 * len(pages) + len(images) + 1  # written last: its number is known ahead
    kids = []
    for i, content in enumerate(pages):
        xobj = b""
        if i in images:
            w, h, data = images[i]
            packed = zlib.compress(data)
            img = add(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                      b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (w, h, len(packed))
                      + packed + b"\nendstream")
            xobj = b" /XObject << /Im0 %d 0 R >>" % img
            content = b"q 612 0 0 792 0 0 cm /Im0 Do Q\n" + content
        stream = add(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                        b"/Resources << /Font << /F1 %d 0 R >>%s >> >>" % (pages_id, stream, font, xobj)))
    assert add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))) == pages_id
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    return bytes(out)


def _text_ops(lines: list[tuple[float, float, str]], size: float = 10) -> bytes:
    return b"".join(b"BT /F1 %g Tf %.1f %.1f Td (%s) Tj ET\n" % (size, x, y, _escape(t)) for x, y, t in lines)


def lines_pdf(pages: list[list[str]], *, header: str = "", numbers: bool = True) -> bytes:
    """Pages of the given lines as they are (a line ending "elec-" stays so), with a running ``header`` (and the
    page number) on top and the page number at the bottom."""
    out = []
    for n, lines in enumerate(pages, 1):
        ops = [(72, 740 - 13 * k, t) for k, t in enumerate(lines) if t]
        if header:
            ops.append((72, 765, f"{header} {n}"))
        if numbers:
            ops.append((300, 30, str(n)))
        out.append(_text_ops(ops))
    return _document(out)


def text_pdf(paragraphs: list[str], *, header: str = "", width: int = 95, lines_per_page: int = 50) -> bytes:
    """One column of wrapped paragraphs over as many pages as they need; a running ``header`` (with the page
    number) on top of each page and the page number at the bottom."""
    lines: list[str] = []
    for p in paragraphs:
        lines += textwrap.wrap(p, width) + [""]
    return lines_pdf([lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)], header=header)


def two_column_pdf(headline: str, left: list[str], right: list[str], width: int = 45) -> bytes:
    """One page: a headline across the top, then two columns, written row by row (left line, right line, ...) as
    some layout programs do, so that reading the content stream in order interleaves the columns."""
    lcol = [t for p in left for t in textwrap.wrap(p, width) + [""]]
    rcol = [t for p in right for t in textwrap.wrap(p, width) + [""]]
    ops = [(72, 740, headline)]
    for k in range(max(len(lcol), len(rcol))):
        y = 710 - 13 * k
        if k < len(lcol) and lcol[k]:
            ops.append((50, y, lcol[k]))
        if k < len(rcol) and rcol[k]:
            ops.append((320, y, rcol[k]))
    return _document([_text_ops(ops)])


def scanned_pdf(pictures: list[tuple[int, int, bytes]] | None = None) -> bytes:
    """Pages that are only a picture (8-bit gray: width, height, pixels; gray stripes by default): no text layer,
    as a scanner writes them."""
    if not pictures:
        w, h = 200, 260
        pictures = [(w, h, bytes((255 if (y // 10) % 2 else 40) for y in range(h) for _ in range(w)))] * 2
    return _document([b"" for _ in pictures], images=dict(enumerate(pictures)))


def picture_of(pdf: bytes, dpi: int = 200) -> list[tuple[int, int, bytes]]:
    """Each page of a PDF rendered to 8-bit gray pixels: what a scanner would make of it."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf)
    out = []
    for page in doc:
        image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        out.append((image.width, image.height, image.tobytes()))
    return out


def damaged_pdf(good: bytes) -> bytes:
    """A PDF cut short and overwritten in the middle, as a failed download leaves it."""
    return b"%PDF-1.4\n" + bytes(range(256)) * 8 + good[len(good) // 3 : len(good) // 2]
