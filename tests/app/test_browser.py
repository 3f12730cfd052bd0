"""End to end: `qa ui` with the real models on the sample article, driven by Debian's headless chromium."""

from __future__ import annotations

import re
import time

import pytest

from tests.app.harness import ARTIFACTS, LAKEVIEW_FERRY, ask_in_page, chromium_page, serving_a_copy

pytestmark = [pytest.mark.browser, pytest.mark.model]

NEW_ARTICLE = LAKEVIEW_FERRY + "\nOkafor said the new ferries would replace two diesel boats that have run since 1998.\n"


@pytest.fixture(scope="module")
def ui(real_sample_index, tmp_path_factory):
    """The app serving a private copy of the sample index (the upload test adds to it)."""
    with serving_a_copy(real_sample_index, tmp_path_factory.mktemp("ui-browser")) as (url, proc, _):
        yield url, proc


def _marked(page) -> list[str]:  # noqa: ANN001
    return [m.inner_text() for m in page.locator("#qa-sources mark").all()]


def test_chat_answers_with_cited_sentence_and_follow_up(ui):
    url, proc = ui
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium_page() as page:
        page.goto(url)
        # Remember whether the model's raw tokens ever showed (the draft ends in a cursor) before the answer.
        page.evaluate("""() => { window.sawDraft = false; new MutationObserver(() => {
            if ((document.querySelector('#qa-chat')?.innerText || '').includes('\u258d')) window.sawDraft = true;
        }).observe(document.body, {subtree: true, childList: true, characterData: true}); }""")
        t0 = time.perf_counter()
        answer = ask_in_page(page, "What did Ren say about chips?")
        first_s = time.perf_counter() - t0
        assert page.evaluate("window.sawDraft"), "the answer did not stream"
        assert "\u258d" not in answer  # the verified answer replaced the draft
        assert "chip" in answer.lower(), answer
        assert re.search(r"\b(not|never|n't)\b[^.]*\binvest", answer, re.I), answer
        sources = page.locator("#qa-sources").inner_text()
        assert "Huawei ren remarks" in sources  # the source card names its article
        assert any("will not invest in chip technology" in m for m in _marked(page)), _marked(page)

        # A citation marker in the answer leads to its source card.
        page.locator('#qa-chat [data-testid="bot"]').last.locator("a[href^='#qa-src-']").first.click()
        from playwright.sync_api import expect

        expect(page.locator("#qa-src-1")).to_be_in_viewport()

        t0 = time.perf_counter()
        follow = ask_in_page(page, "And what does he hope to buy from American companies?")
        follow_s = time.perf_counter() - t0
        assert re.search(r"components|materials|equipment", follow, re.I), follow
        assert any(re.search(r"components and materials", m) for m in _marked(page)), _marked(page)
        bubbles = page.locator('#qa-chat [data-testid="bot"]').all()
        assert len(bubbles) == 2 and "invest" in bubbles[0].inner_text()  # the first answer stays in the chat
        page.screenshot(path=str(ARTIFACTS / "app-chat.png"), full_page=True)
    assert proc.poll() is None, "the server died"
    print(f"\nfirst answer {first_s:.1f} s, follow-up {follow_s:.1f} s")


def test_uploaded_article_becomes_answerable(ui):
    url, proc = ui
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium_page() as page:
        page.goto(url)
        assert re.search(r"Articles\s+1\b", page.locator("#qa-status").inner_text())
        # A hostile file name: it must neither escape the upload folder nor break the upload.
        page.locator("#qa-upload input[type=file]").set_input_files(
            files=[{"name": "../../lakeview <ferry>.md", "mimeType": "text/markdown", "buffer": NEW_ARTICLE.encode()}])
        page.wait_for_function("() => /lakeview/i.test(document.querySelector('#qa-upload')?.innerText || '')",
                               timeout=60_000)
        t0 = time.perf_counter()
        page.locator("#qa-add").click()
        page.wait_for_function(
            "() => /added|error|unsupported/i.test(document.querySelector('#qa-upload-result')?.innerText || '')",
            timeout=300_000, polling=500)
        index_s = time.perf_counter() - t0
        result = page.locator("#qa-upload-result").inner_text()
        assert re.search(r"\b1 added\b", result), result
        assert re.search(r"Articles\s+2\b", page.locator("#qa-status").inner_text())

        t0 = time.perf_counter()
        answer = ask_in_page(page, "What will Lakeview open in May?")
        ask_s = time.perf_counter() - t0
        assert re.search(r"ferry terminal", answer, re.I), answer
        sources = page.locator("#qa-sources").inner_text()
        assert "Lakeview opens a solar ferry terminal" in sources and "Lakeview Gazette" in sources
        assert "2021-03-02" in sources
        assert any("solar-powered ferry terminal" in m for m in _marked(page)), _marked(page)
        page.screenshot(path=str(ARTIFACTS / "app-upload.png"), full_page=True)
    assert proc.poll() is None, "the server died"
    print(f"\nindexing the upload {index_s:.1f} s, answer {ask_s:.1f} s")
