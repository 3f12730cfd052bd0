"""Word (.docx), OpenDocument (.odt) and EPUB files: paragraphs, title, author and tables become one article; a broken
one is one line."""

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


def _zip(path: Path, members: dict[str, str]) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), members.pop("mimetype"))  # stored first, uncompressed, as the specs say
        for name, text in members.items():
            z.writestr(name, text, compress_type=zipfile.ZIP_DEFLATED)
    return path


ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">
<office:body><office:text>
<text:h text:outline-level="1">Harbour reopens after repairs</text:h>
<text:p>The Lakeview harbour will reopen on<text:s/>3 June after repairs,<text:line-break/>the port authority said.</text:p>
<text:list><text:list-item><text:p>The repairs cost 4.2 million euros.</text:p></text:list-item></text:list>
</office:text></office:body></office:document-content>"""
ODT_META = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<office:meta><meta:initial-creator>Ana Ruiz</meta:initial-creator></office:meta></office:document-meta>"""


def test_an_opendocument_text_is_its_paragraphs_and_headings_in_order(tmp_path):
    path = _zip(tmp_path / "statement.odt", {"mimetype": "application/vnd.oasis.opendocument.text",
                                              "content.xml": ODT_CONTENT, "meta.xml": ODT_META})
    (a,) = load_file(path)
    assert a.title == "Harbour reopens after repairs" and a.authors == ["Ana Ruiz"]
    assert a.text == ("The Lakeview harbour will reopen on 3 June after repairs, the port authority said.\n\n"
                      "The repairs cost 4.2 million euros.")


def _epub(path: Path, chapters: list[str]) -> Path:
    manifest = "".join(f'<item id="c{i}" href="text/c{i}.xhtml" media-type="application/xhtml+xml"/>'
                       for i in range(len(chapters)))
    spine = "".join(f'<itemref idref="c{i}"/>' for i in reversed(range(len(chapters))))  # spine order != file order
    members = {"mimetype": "application/epub+zip",
               "META-INF/container.xml": '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:'
               'opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="'
               'application/oebps-package+xml"/></rootfiles></container>',
               "OEBPS/content.opf": '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
               '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>The Lakeview Weekly</dc:title>'
               '<dc:creator>Port Desk</dc:creator><dc:date>2022-06-24</dc:date></metadata>'
               f"<manifest>{manifest}</manifest><spine>{spine}</spine></package>"}
    for i, body in enumerate(chapters):
        members[f"OEBPS/text/c{i}.xhtml"] = (f'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head>'
                                             f"<title>c{i}</title></head><body>{body}</body></html>")
    return _zip(path, members)


def test_an_epub_is_its_chapters_in_reading_order_with_title_author_and_date(tmp_path):
    path = _epub(tmp_path / "weekly.epub", ["<p>Mayor Ana Ruiz said the town would hold a festival.</p>",
                                             "<h1>Harbour</h1><p>The Lakeview harbour will reopen on 3 June.</p>"])
    (a,) = load_file(path)
    assert a.title == "The Lakeview Weekly" and a.authors == ["Port Desk"] and a.published == "2022-06-24"
    assert a.text.index("harbour will reopen") < a.text.index("festival")  # the spine's order, not the files'


def test_a_zip_bomb_named_odt_or_epub_is_refused_before_it_is_read(tmp_path):
    path = _zip(tmp_path / "bomb.odt", {"mimetype": "application/vnd.oasis.opendocument.text",
                                         "content.xml": "<x>" + " " * 3_000_000 + "</x>"})
    (item,) = load_file(path, max_file_mb=1)
    assert isinstance(item, Skipped) and "over 1 MB (ingest.max_file_mb; a zip bomb?)" in item.reason
    (item,) = load_file(_zip(tmp_path / "broken.epub", {"mimetype": "application/epub+zip"}))
    assert isinstance(item, Skipped) and "not a readable EPUB" in item.reason
