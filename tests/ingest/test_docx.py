"""Word .docx files: paragraphs, title, author and tables become one article; a broken one is one line."""

from __future__ import annotations

from pathlib import Path

from qa.ingest.load import Skipped, load_file

from .samples import paragraphs, sample_docx


def test_a_word_file_is_its_paragraphs_with_title_author_and_tables(tmp_path):
    import docx

    doc = docx.Document()
    doc.add_heading("Harbour reopens after repairs", level=1)
    doc.add_paragraph("The Lakeview harbour will reopen on 3 June after repairs, the port authority said.")
    table = doc.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "Cost", (0, 1): "4.2 million euros", (1, 0): "Duration", (1, 1): "11 weeks"}.items():
        table.cell(r, c).text = text
    doc.core_properties.author = "Ana Ruiz"
    path = tmp_path / "statement.docx"
    doc.save(str(path))
    (a,) = load_file(path)
    assert a.title == "Harbour reopens after repairs" and a.authors == ["Ana Ruiz"]
    assert a.text.startswith("The Lakeview harbour will reopen on 3 June")  # the heading is the title, not text
    assert "Cost · 4.2 million euros" in a.text and "Duration · 11 weeks" in a.text


def test_the_sample_article_as_docx_keeps_every_paragraph(tmp_path):
    (a,) = load_file(sample_docx(tmp_path))
    assert a.text.split("\n\n") == paragraphs()


def test_a_file_named_docx_that_is_not_one_is_one_line_naming_the_fix(tmp_path):
    path = tmp_path / "draft.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    (item,) = load_file(path)
    assert isinstance(item, Skipped) and "not a readable Word .docx file" in item.reason and "re-save" in item.reason
    assert str(path) == item.origin and isinstance(Path(item.origin), Path)
