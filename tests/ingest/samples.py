"""The sample article (corpus/sample/huawei-ren-remarks.txt) as a PDF and as a Word file, written by the tests."""

from __future__ import annotations

from pathlib import Path

from ..conftest import SAMPLE_ARTICLE
from . import pdfmaker


def paragraphs() -> list[str]:
    return [p.strip() for p in SAMPLE_ARTICLE.read_text(encoding="utf-8").split("\n\n") if p.strip()]


def sample_pdf(folder: Path) -> Path:
    """Two pages (the second begins mid-article), a running header and page numbers, as a press digest prints it."""
    path = folder / "huawei-ren-remarks.pdf"
    path.write_bytes(pdfmaker.text_pdf(paragraphs(), header="Telecoms press digest", lines_per_page=40))
    return path


def sample_docx(folder: Path) -> Path:
    import docx

    doc = docx.Document()
    doc.core_properties.author = "Press desk"
    for p in paragraphs():
        doc.add_paragraph(p)
    path = folder / "huawei-ren-remarks.docx"
    doc.save(str(path))
    return path
