"""The web UI's rendering, upload checks and error lines (fast: fakes, no models, no browser)."""

from __future__ import annotations

import logging
import sys

import pytest

from qa.app import (
    MAX_UPLOAD_FILES,
    highlight,
    md_escape,
    render_answer,
    render_sources,
    safe_name,
    stage_uploads,
    upload_extension,
)
from qa.errors import ConfigError
from qa.types import Answer, Citation

PASSAGE = "Intro sentence. <b>Ren</b> said: we will not invest in chip technology. Outro & more."


def citation(**kw) -> Citation:
    start = PASSAGE.index("Ren") - 3 + 1000  # offsets are into the article; the passage starts at 1000
    base = dict(n=1, article_id="a-1", title="Huawei <script>alert(1)</script>", source="Reuters",
                url="https://x.org/a",
                published="2021-02-09", sentence="<b>Ren</b> said: we will not invest in chip technology.",
                start=start, end=start + len("<b>Ren</b> said: we will not invest in chip technology."),
                passage_text=PASSAGE, passage_start=1000)
    return Citation(**(base | kw))


def answer(**kw) -> Answer:
    base = dict(question="What did Ren say?", text="He will not invest in chips [1].", short="", citations=[citation()],
                passages=[], timings={"total": 1.5})
    return Answer(**(base | kw))


def test_import_qa_app_does_not_import_gradio():
    import subprocess

    code = "import qa.app, sys; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"  # the app is built by build_app(), not at import time


def test_highlight_marks_the_cited_sentence_and_escapes_html():
    out = highlight(citation())
    assert out == ("Intro sentence. <mark>&lt;b&gt;Ren&lt;/b&gt; said: we will not invest in chip technology.</mark>"
                   " Outro &amp; more.")


def test_highlight_falls_back_to_text_search_when_offsets_are_off():
    assert "<mark>&lt;b&gt;Ren" in highlight(citation(start=1001, end=1010))
    assert highlight(citation(passage_text="other text")) == (
        "<mark>&lt;b&gt;Ren&lt;/b&gt; said: we will not invest in chip technology.</mark>")


def test_sources_escape_article_metadata_and_refuse_non_http_links():
    html = render_sources(answer())
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "href='https://x.org/a'" in html and "Reuters" in html and "2021-02-09" in html
    assert "id='qa-src-1'" in html
    bad = render_sources(answer(citations=[citation(url="javascript:alert(1)")]))
    assert "javascript:" not in bad and "href" not in bad


def test_answer_markers_link_to_sources_and_abstention_reads_as_an_answer():
    out = render_answer(answer())
    assert "<a href='#qa-src-1'>[1]</a>" in out and "1.5 s" in out
    abstained = render_answer(answer(text="I couldn't find this in the indexed articles.", abstained=True,
                                     citations=[], dropped=["no passage retrieved"]))
    assert "Not in the indexed articles" in abstained and "Error" not in abstained
    assert "No sources" in render_sources(answer(abstained=True, citations=[]))


def test_md_escape_keeps_text_literal():
    assert md_escape("<img src=x onerror=alert(1)> *bold* [1](javascript:x)") == (
        "&lt;img src=x onerror=alert(1)&gt; \\*bold\\* \\[1\\](javascript:x)")
    assert md_escape("# not a heading\n2019. not a list\n- not a bullet") == (
        "\\# not a heading\n2019\\. not a list\n\\- not a bullet")


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\boot.ini.md", "boot-ini.md"),
    ("Ren <remarks> (draft).JSONL.GZ", "Ren-remarks-draft.jsonl.gz"),
    ("....md", "upload.md"),
    ("Ünïcødé news.html", "Unicde-news.html"),
])
def test_safe_name_never_acts_as_a_path(name, expected):
    assert safe_name(name) == expected


def test_upload_extension():
    assert upload_extension("a.jsonl.gz") == ".jsonl.gz" and upload_extension("A.TXT") == ".txt"
    assert upload_extension("a.exe") is None and upload_extension("a.gz") is None


def test_stage_uploads_checks_type_size_and_renames(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    good = src / "my news (1).txt"
    good.write_text("Title\n\nSome news text.")
    (src / "a.exe").write_bytes(b"MZ")
    (src / "empty.md").write_bytes(b"")
    (src / "big.txt").write_bytes(b"x" * 2_000_001)
    dest = tmp_path / "dest"
    saved, problems = stage_uploads([str(good), str(src / "a.exe"), str(src / "empty.md"), str(src / "big.txt")],
                                    dest, max_mb=2)
    assert len(saved) == 1 and saved[0].parent.parent == dest and saved[0].name == "my-news-1.txt"
    assert saved[0].read_text() == "Title\n\nSome news text."
    assert [p.split(":")[0] for p in problems] == ["a.exe", "empty.md", "big.txt"]
    assert "unsupported file type" in problems[0] and "2 MB upload limit" in problems[2]
    # The same content lands at the same path (same article id: re-uploading is a no-op).
    again, _ = stage_uploads([str(good)], dest)
    assert again == saved
    many, problems = stage_uploads([str(good)] * (MAX_UPLOAD_FILES + 1), dest)
    assert len(many) == MAX_UPLOAD_FILES and "at most" in problems[0]


def test_error_line_is_one_line_and_logs_unexpected_errors(caplog):
    from qa.app import error_line

    assert error_line(ConfigError("as_of 'x' is not a date:\n use YYYY-MM-DD")) == (
        "as_of 'x' is not a date: use YYYY-MM-DD")
    with caplog.at_level(logging.ERROR, logger="qa.app"):
        try:
            raise ZeroDivisionError("boom")
        except ZeroDivisionError as exc:
            line = error_line(exc)
    assert "\n" not in line and "ZeroDivisionError" in line and "Traceback" not in line
    assert "boom" in caplog.text  # the details go to the server log


def test_app_api_answers_and_shows_errors_as_one_line(fake_assistant, tmp_path):
    """The app's API with a hash embedder and a scripted model: answer, bad date, empty question, uploads."""
    pytest.importorskip("gradio_client")
    from gradio_client import Client

    from qa.app import build_app, launch_options
    from tests.app.harness import free_port

    assistant = fake_assistant(["Ren said Huawei will not invest in chip technology [1]."])
    app = build_app(assistant)
    port = free_port()
    app.launch(prevent_thread_lock=True, quiet=True, **launch_options(port=port))
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        box, chat, panel, error = client.predict("What did Ren say about chips?", [], "", "", "", 4, api_name="/ask")
        assert box == "" and error == "" and "Sources for: <b>What did Ren say about chips?</b>" in panel
        assert "invest in chip" in chat[-1]["content"][0]["text"]
        _, chat, _, error = client.predict("What did Ren say?", [], "someday", "", "", 4, api_name="/ask")
        assert error == "<p class='qa-error'>as_of &#x27;someday&#x27; is not a date: use YYYY-MM-DD</p>"
        assert chat[-1]["content"][0]["text"].startswith("**Error:**")
        _, chat, _, error = client.predict("   ", [], "", "", "", 4, api_name="/ask")
        assert chat == [] and "Type a question" in error
        stats = client.predict(api_name="/stats")
        assert "<td>Articles</td><td>1</td>" in stats and "scripted" in stats

        # Uploads: Gradio refuses a type `qa index` cannot read; a file the loader rejects is one line.
        from gradio_client import handle_file

        (tmp_path / "tool.exe").write_bytes(b"MZ\x00")
        with pytest.raises(Exception, match="Invalid file type"):
            client.predict([handle_file(str(tmp_path / "tool.exe"))], api_name="/add_files")
        (tmp_path / "blob.txt").write_bytes(b"abc\x00def")
        (tmp_path / "ferry.txt").write_text("Lakeview news\n\nLakeview opened a ferry terminal in May, the mayor said.")
        result, stats = client.predict([handle_file(str(tmp_path / n)) for n in ("blob.txt", "ferry.txt")],
                                       api_name="/add_files")
        assert "1 added" in result and "blob.txt: binary file" in result
        assert str(tmp_path) not in result  # no server path leaks into the message
        assert "<td>Articles</td><td>2</td>" in stats
    finally:
        app.close()


def test_cli_ui_binds_localhost_without_share_link():
    from qa.app import launch_options
    from qa.cli import build_parser

    args = build_parser().parse_args(["ui"])
    opts = launch_options(args.host, args.port)
    assert opts["server_name"] == "127.0.0.1" and opts["share"] is False and opts["max_file_size"] == "20mb"
