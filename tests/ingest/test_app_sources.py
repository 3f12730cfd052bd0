"""The browser app takes PDF and Word uploads and has an "add a URL or feed" field (its API, through Gradio's client)."""

from __future__ import annotations

import pytest

from .samples import sample_docx, sample_pdf
from .site import Site


def test_the_app_takes_pdf_and_docx_uploads_and_urls_and_feeds(fake_assistant, tmp_path):
    pytest.importorskip("gradio_client")
    from gradio_client import Client, handle_file

    from qa.app import build_app, launch_options
    from tests.app.harness import free_port

    assistant = fake_assistant(paths=())
    assistant.settings = assistant.settings.replace(**{"fetch.allow_private": True, "fetch.pace_s": 0.0})
    app = build_app(assistant)
    port = free_port()
    app.launch(prevent_thread_lock=True, quiet=True, **launch_options(port=port))
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        (tmp_path / "pdf").mkdir()
        (tmp_path / "docx").mkdir()
        files = [sample_pdf(tmp_path / "pdf"), sample_docx(tmp_path / "docx")]
        result, stats = client.predict([handle_file(str(f)) for f in files], api_name="/add_files")
        assert "2 added" in result, result
        with Site() as site:
            result, stats = client.predict(f"{site.url}/news/feed.xml\n{site.url}/missing", api_name="/add_urls")
            assert "4 added" in result and f"{site.url}/missing: HTTP 404" in result, result
            assert "<td>Articles</td><td>6</td>" in stats
        result, _ = client.predict("not-a-url", api_name="/add_urls")
        assert "not a web address" in result
    finally:
        app.close()
