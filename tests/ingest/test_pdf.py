"""PDF files: the text layer in reading order, hyphens joined, running headers and page numbers dropped, the pages
kept for citations; scans, encrypted and damaged PDFs one line each while the ingest goes on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.ingest.load import Skipped, load_file

from ..qa_process import run
from . import pdfmaker

FIXTURES = Path(__file__).parent / "fixtures"
VICKSBURG = FIXTURES / "siege-of-vicksburg-1863.pdf"
HARBOUR = ["The Lakeview harbour will reopen on 3 June after repairs, the port authority said on Monday. Work on the "
           "north pier took eleven weeks.", "Fishing boats have used the southern marina meanwhile."]
FESTIVAL = ["Mayor Ana Ruiz said the town would hold a festival. Tourism officials expect forty cruise ships this "
            "summer.", "The repairs cost 4.2 million euros, paid by the regional government."]


def _one(path: Path):
    items = list(load_file(path))
    assert len(items) == 1, items
    return items[0]


def test_a_real_scanned_book_reads_as_prose_without_its_running_headers():
    a = _one(VICKSBURG)
    assert len(a.pages) == 6 and a.pages == sorted(a.pages) and a.pages[0] == 0
    assert "it became too conspicuous and dangerous for use." in a.text  # "dan-\ngerous" at a line end, joined
    assert "A report creeps into camp that Johnston is coming with fifty thousand men to raise the siege" in a.text
    assert "\n\nThe Yankee Lookout.\n\n" in a.text  # a caption is its own paragraph
    assert "a part of the day has been spent in cutting cane" in a.text  # OCR'd lines' uneven gaps: no paragraph
    assert "THE SIEGE OF VICKSBURG. 49" not in a.text and "THE SIEGE OF VICKSBURG" not in a.text
    assert a.authors == ["DSI"] and a.title != "Binder1.pdf"  # the producer's file name is no title
    june12 = a.text.index("JUNE 12TH")
    assert a.pages[1] <= june12 < a.pages[2]  # on the second page (p. 50 of the book)


def test_the_sample_article_printed_over_two_pages_reads_as_its_text_file(tmp_path):
    from ..conftest import SAMPLE_ARTICLE
    from .samples import sample_pdf

    a = _one(sample_pdf(tmp_path))
    assert a.text == SAMPLE_ARTICLE.read_text(encoding="utf-8").strip()  # paragraphs by their gaps, no header
    assert len(a.pages) == 2 and a.text[a.pages[1]:].startswith("technology to the company.")


def test_two_columns_are_read_one_after_the_other_with_the_headline_first(tmp_path):
    path = tmp_path / "harbour.pdf"
    path.write_bytes(pdfmaker.two_column_pdf("Harbour reopens after repairs", HARBOUR, FESTIVAL))
    a = _one(path)
    assert a.title == "Harbour reopens after repairs"
    for para in HARBOUR + FESTIVAL:
        assert para in a.text
    assert a.text.index(HARBOUR[1]) < a.text.index(FESTIVAL[0])


def test_hyphenated_line_ends_are_joined_and_headers_footers_and_page_numbers_dropped(tmp_path):
    pages = [["The council approved the elec-", "tion budget on Tuesday after a long debate."],
             ["Voters will choose a new mayor in a second round, offi-", "cials said."],
             ["Turnout was 61 percent in the first round."]]
    path = tmp_path / "council.pdf"
    path.write_bytes(pdfmaker.lines_pdf(pages, header="Lakeview Town Council Bulletin"))
    a = _one(path)
    assert "the election budget on Tuesday" in a.text and "officials said." in a.text
    assert "Bulletin" not in a.text
    assert a.text.split() == " ".join(" ".join(p) for p in pages).replace("elec- tion", "election").replace(
        "offi- cials", "officials").split()  # no page number left anywhere
    assert [a.text[s:].split()[0] for s in a.pages] == ["The", "Voters", "Turnout"]


@pytest.mark.skipif(shutil.which("tesseract") is not None, reason="Tesseract is installed: the scan is OCR'd")
def test_a_scan_without_tesseract_is_one_line_naming_the_fix(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(pdfmaker.scanned_pdf())
    item = _one(path)
    assert isinstance(item, Skipped)
    assert "no text layer" in item.reason and "apt-get install tesseract-ocr" in item.reason


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed (apt-get install tesseract-ocr)")
def test_a_scan_is_read_by_ocr_where_tesseract_is_installed(tmp_path):
    page = pdfmaker.text_pdf(HARBOUR)
    path = tmp_path / "scan.pdf"
    path.write_bytes(pdfmaker.scanned_pdf(pdfmaker.picture_of(page)))
    a = _one(path)
    assert "Lakeview harbour will reopen on 3 June" in a.text


def test_encrypted_damaged_and_scanned_pdfs_are_one_line_each_and_the_ingest_goes_on(tmp_path):
    import pypdf

    folder = tmp_path / "in"
    folder.mkdir()
    good = pdfmaker.text_pdf(HARBOUR)
    (folder / "harbour.pdf").write_bytes(good)
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(folder / "harbour.pdf"))
    writer.encrypt("s3cret", algorithm="RC4-128")
    with open(folder / "locked.pdf", "wb") as fh:
        writer.write(fh)
    (folder / "damaged.pdf").write_bytes(pdfmaker.damaged_pdf(good))
    (folder / "scan.pdf").write_bytes(pdfmaker.scanned_pdf())
    r = run(["index", str(folder), "--index", str(tmp_path / "idx")], timeout=120)
    assert r.rc == 0 and "1 added" in r.stdout, r.stderr[-2000:]
    warnings = [ln for ln in r.stderr.replace("\r", "\n").splitlines() if "warning:" in ln]
    assert "Traceback" not in r.stderr
    by_file = {name: [w for w in warnings if name in w] for name in ("locked.pdf", "damaged.pdf", "scan.pdf")}
    assert all(len(v) == 1 for v in by_file.values()), warnings
    assert "encrypted PDF" in by_file["locked.pdf"][0] and "unprotected copy" in by_file["locked.pdf"][0]
    assert "damaged" in by_file["damaged.pdf"][0] and "re-save" in by_file["damaged.pdf"][0]
    if shutil.which("tesseract") is None:
        assert "no text layer" in by_file["scan.pdf"][0] and "tesseract-ocr" in by_file["scan.pdf"][0]
    else:  # OCR'd: stripes hold no words
        assert "no article text" in by_file["scan.pdf"][0]
    assert len(warnings) == 3, warnings


def test_a_pdf_over_the_size_or_time_limit_is_one_line_naming_the_setting():
    (big,) = load_file(VICKSBURG, max_file_mb=0.1)
    assert isinstance(big, Skipped) and "over the 0.1 MB limit (raise ingest.max_file_mb" in big.reason
    (slow,) = load_file(VICKSBURG, max_seconds=1e-6)
    assert isinstance(slow, Skipped) and "ingest.max_file_seconds" in slow.reason
