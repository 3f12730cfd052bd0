"""End to end in Debian's headless chromium: saved chats, exports with their evidence, who said what, the article
list; and two tabs plus a kill -9 of the server mid-answer. `qa ui` runs with the real models, as a user starts it."""

from __future__ import annotations

import html
import json
import re
import signal
import sqlite3
from pathlib import Path

import pytest

from qa.chats import ChatStore
from tests.app.harness import ARTIFACTS, LAKEVIEW_FERRY, ask_in_page, chromium_page, copy_index, running_ui, serving_a_copy

pytestmark = [pytest.mark.browser, pytest.mark.model]

DATED = {
    "lakeview-ferry.md": LAKEVIEW_FERRY,
    "harbor-budget.md": """---
title: Harbor council passes its budget
date: 2019-11-20
source: Harbor Times
url: https://example.org/harbor-budget
---
The Harbor council passed a budget of 40 million dollars on Wednesday, council chair Ana Ruiz said.
""",
}
QUESTION = "What did Ren say about chips?"


@pytest.fixture(scope="module")
def index_with_dates(real_sample_index, tmp_path_factory):
    """The sample index (undated Ren article) plus two dated articles from two outlets."""
    from qa.assistant import build_index

    tmp = tmp_path_factory.mktemp("views")
    for name, text in DATED.items():
        (tmp / "dated").mkdir(exist_ok=True)
        (tmp / "dated" / name).write_text(text)
    index = copy_index(real_sample_index, tmp / "index")
    build_index([tmp / "dated"], index, progress=False)
    return index


@pytest.fixture(scope="module")
def ui(index_with_dates, tmp_path_factory):
    """The app on a private copy (its tests save chats and remove an article; the kill test starts from the original)."""
    with serving_a_copy(index_with_dates, tmp_path_factory.mktemp("views-ui")) as served:
        yield served


def _article_text(index: Path, article_id: str) -> str:
    con = sqlite3.connect(f"file:{index / 'index.sqlite'}?mode=ro", uri=True)
    try:
        return con.execute("SELECT text FROM articles WHERE id = ?", (article_id,)).fetchone()[0]
    finally:
        con.close()


def _open_saved(page, title: str) -> None:  # noqa: ANN001
    page.locator("#qa-saved label", has_text=title).first.click()
    page.wait_for_function("t => (document.querySelector('#qa-sources')?.innerText || '').includes('Sources for: ' + t)",
                           arg=title, timeout=30_000)


def _export(page, fmt: str, which: str) -> tuple[str, str]:  # noqa: ANN001
    """Export in the UI; returns (the text shown to copy, the downloaded file's text)."""
    page.locator("#qa-export-format label", has_text={"md": "Markdown", "html": "HTML", "json": "JSON"}[fmt]).click()
    before = page.locator("#qa-export-text textarea").input_value()
    page.locator(f"#qa-export-{which}").click()
    page.wait_for_function("b => { const t = document.querySelector('#qa-export-text textarea'); return t && t.value && "
                           "t.value !== b; }", arg=before, timeout=30_000)
    shown = page.locator("#qa-export-text textarea").input_value()
    with page.expect_download() as dl:
        page.locator("#qa-export-file a").first.click()
    return shown, Path(dl.value.path()).read_text(encoding="utf-8")


def test_a_saved_chat_reopens_after_a_reload_with_its_citations_and_feedback(ui):
    url, proc, index = ui
    with chromium_page() as page:
        page.goto(url)
        answer = ask_in_page(page, QUESTION)
        marked = [m.inner_text() for m in page.locator("#qa-sources mark").all()]
        assert "chip" in answer.lower() and marked
        page.wait_for_function("q => document.querySelector('#qa-chat-title textarea, #qa-chat-title input')?.value === q",
                               arg=QUESTION, timeout=30_000)  # saved, under its question as title
        # feedback: a thumbs up with a note, kept with the saved answer
        page.locator("#qa-export-box").click()  # the feedback line and note are in "Export and feedback"
        page.locator('#qa-chat [data-testid="bot"]').last.hover()
        page.locator("#qa-chat button[aria-label='Like']").last.click()
        page.locator("#qa-feedback-result").get_by_text("saved").wait_for(timeout=30_000)
        page.locator("#qa-feedback-note textarea, #qa-feedback-note input").first.fill("right, and quotes him")
        page.locator("#qa-feedback-save").click()
        page.locator("#qa-feedback-result").get_by_text("note saved").wait_for(timeout=30_000)
        store = ChatStore(index / "chats.sqlite")
        assert (QUESTION, 1, "right, and quotes him") in [(t.question, t.rating, t.note) for _, t in store.rated()]
        store.close()

        page.reload()  # a new page: nothing of the chat is left in the browser
        assert page.locator('#qa-chat [data-testid="bot"]').count() == 0
        _open_saved(page, QUESTION)
        reopened = page.locator('#qa-chat [data-testid="bot"]').last.inner_text()
        assert reopened.split("\n")[0] == answer.split("\n")[0]  # the same verified answer
        assert [m.inner_text() for m in page.locator("#qa-sources mark").all()] == marked
        assert page.locator("#qa-chat-title input, #qa-chat-title textarea").first.input_value() == QUESTION

        from playwright.sync_api import expect  # its [n] markers still lead to their sources

        page.locator('#qa-chat [data-testid="bot"]').last.locator("a[href^='#qa-src-']").first.click()
        expect(page.locator("#qa-src-1")).to_be_in_viewport()

        # A follow-up in the reopened chat continues it rather than starting another.
        ask_in_page(page, "And what does he hope to buy from American companies?")
        page.wait_for_timeout(1000)
        assert page.locator("#qa-saved label", has_text=QUESTION).count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "app-saved-chat.png"), full_page=True)

        # renamed, then deleted: the list follows, and a deleted chat is gone for good
        page.locator("#qa-chat-title input, #qa-chat-title textarea").first.fill("Ren and chips")
        page.locator("#qa-rename").click()
        page.locator("#qa-saved label", has_text="Ren and chips").wait_for(timeout=30_000)
        assert page.locator("#qa-saved label", has_text=QUESTION).count() == 0
        page.locator("#qa-delete").click()
        page.wait_for_function("() => !/Ren and chips/.test(document.querySelector('#qa-saved')?.innerText || '')",
                               timeout=30_000)
        assert page.locator('#qa-chat [data-testid="bot"]').count() == 0
    store = ChatStore(index / "chats.sqlite")
    assert "Ren and chips" not in [c.title for c in store.recent()]
    assert "right, and quotes him" not in [t.note for _, t in store.rated()]  # its feedback went with it
    store.close()
    assert proc.poll() is None, "the server died"


def test_an_exported_answer_quotes_the_cited_article_text_exactly(ui):
    url, proc, index = ui
    with chromium_page() as page:
        page.goto(url)
        ask_in_page(page, QUESTION)
        page.locator("#qa-export-box").click()
        shown, data = _export(page, "json", "answer")
        cited = json.loads(data)["citations"]
        assert json.loads(shown) == json.loads(data) and cited
        for c in cited:  # the JSON's offsets land on the very sentence in the stored article
            assert _article_text(index, c["article_id"])[c["start"]:c["end"]] == c["sentence"]
        sentences = [c["sentence"] for c in cited]

        md_shown, md = _export(page, "md", "answer")
        assert md == md_shown
        quotes = ["\n".join(x[2:] for x in b.rstrip("\n").split("\n")) for b in re.findall(r"(?m)^(?:> .*\n?)+", md)]
        assert quotes == sentences
        assert all(f"**[{c['n']}]** {c['title']}" in md for c in cited)

        page_html, downloaded = _export(page, "html", "answer")
        assert downloaded == page_html and downloaded.startswith("<!DOCTYPE html>")
        quotes = [html.unescape(q) for q in re.findall(r"<blockquote class='quote'>(.*?)</blockquote>", downloaded, re.S)]
        assert quotes == sentences
        # the page stands alone: open it in the browser, and its quotes read the same there
        page.set_content(downloaded)
        assert [q.inner_text() for q in page.locator("blockquote.quote").all()] == sentences
    assert proc.poll() is None, "the server died"


def test_who_said_what_finds_rens_statement_on_chips_under_raine(ui):
    url, _, _ = ui
    with chromium_page() as page:
        page.goto(url)
        page.get_by_role("tab", name="Who said what").click()
        people = page.locator("#qa-speakers")
        people.locator("label").first.wait_for(timeout=30_000)
        assert re.search(r"Ren Zhangvi · \d+ statements · also .*Raine", people.inner_text()), people.inner_text()
        page.locator("#qa-person input, #qa-person textarea").first.fill("Raine")
        page.locator("#qa-topic input, #qa-topic textarea").first.fill("chips")
        page.locator("#qa-person-find").click()
        page.wait_for_function("() => /statement/.test(document.querySelector('#qa-quotes')?.innerText || '')",
                               timeout=60_000)
        found = page.locator("#qa-quotes").inner_text()
        assert "of Ren Zhangvi about chips" in found
        first = page.locator("#qa-quotes blockquote").first.inner_text()
        assert "will not invest in chip technology" in first, found
        # the statement, shown in its article: the marked span is the statement
        page.locator("#qa-quote-pick input").click()
        page.locator("ul[role=listbox] li").first.click()
        page.locator("#qa-quote-article mark").wait_for(timeout=30_000)
        assert page.locator("#qa-quote-article mark").inner_text() == first
        assert "Huawei ren remarks" in page.locator("#qa-quote-article").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "app-who-said-what.png"), full_page=True)


def _titles(page) -> list[str]:  # noqa: ANN001
    return [c.inner_text() for c in page.locator('#qa-articles [data-testid^="cell-"][data-col="1"]').all()]


def test_the_article_list_filters_by_date_opens_an_article_and_removes_it(ui):
    url, _, _ = ui
    with chromium_page() as page:
        page.goto(url)
        page.get_by_role("tab", name="Articles").click()
        page.wait_for_function("() => /3 article/.test(document.querySelector('#qa-art-note')?.innerText || '')",
                               timeout=30_000)
        assert _titles(page) == ["Lakeview opens a solar ferry terminal", "Harbor council passes its budget",
                                 "Huawei ren remarks"]  # newest first, undated last
        page.locator("#qa-art-from textarea, #qa-art-from input").first.fill("2021-01-01")
        page.locator("#qa-art-to textarea, #qa-art-to input").first.fill("2021-12-31")
        page.locator("#qa-art-list").click()
        page.wait_for_function("() => /^1 article/.test(document.querySelector('#qa-art-note')?.innerText || '')",
                               timeout=30_000)
        assert _titles(page) == ["Lakeview opens a solar ferry terminal"]
        assert "2021-03-02" in page.locator("#qa-articles").inner_text()
        assert "https://example.org/lakeview-ferry" in page.locator("#qa-articles").inner_text()

        page.locator('#qa-articles [data-testid="cell-0-1"]').click()
        page.locator("#qa-article").get_by_text("solar-powered ferry terminal", exact=False).wait_for(timeout=30_000)
        assert "Lakeview Gazette · 2021-03-02" in page.locator("#qa-article").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "app-articles.png"), full_page=True)

        page.locator("#qa-art-remove").click()
        page.locator("#qa-art-confirm").click()
        page.wait_for_function("() => /removed from the index/.test(document.querySelector('#qa-art-note')?.innerText || '')",
                               timeout=60_000)
        assert _titles(page) == ["no indexed article matches"]
        assert "<td>Articles</td><td>2</td>" in page.locator("#qa-status").inner_html()  # the Chat tab's index panel


def test_two_tabs_save_at_once_and_a_kill_9_mid_answer_loses_no_chat(index_with_dates, tmp_path):
    index = copy_index(index_with_dates, tmp_path / "index")
    questions = {"left": QUESTION, "right": "Where did Huawei open a new laboratory?"}
    interrupted = "What does Ren hope to buy from American companies?"
    with running_ui(index, tmp_path / "server.log") as (url, proc), chromium_page() as page:
        tabs = {"left": page, "right": page.context.browser.new_page()}
        for tab in tabs.values():
            tab.goto(url)
        for name, tab in tabs.items():  # both asked before either is answered
            tab.locator("#qa-question textarea").fill(questions[name])
            tab.locator("#qa-send").click()
        answers = {}
        for name, tab in tabs.items():
            tab.wait_for_function("q => (document.querySelector('#qa-sources')?.innerText || '').includes('Sources for: ' + q)",
                                  arg=questions[name], timeout=420_000, polling=500)
            answers[name] = tab.locator('#qa-chat [data-testid="bot"]').last.inner_text().split("\n")[0]
        third = page.context.browser.new_page()
        third.goto(url)
        third.locator("#qa-question textarea").fill(interrupted)
        third.locator("#qa-send").click()
        third.wait_for_function("() => /Searching|searching|▍/.test(document.querySelector('#qa-chat')?.innerText || '')",
                                timeout=60_000, polling=50)
        proc.send_signal(signal.SIGKILL)  # mid-answer
        proc.wait(timeout=30)

    con = sqlite3.connect(index / "chats.sqlite")
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    store = ChatStore(index / "chats.sqlite")
    chats = {c.title: store.get(c.id) for c in store.recent()}
    assert sorted(chats) == sorted([*questions.values(), interrupted])
    for name, q in questions.items():  # each tab's chat holds its own question and answer, nothing of the other's
        (turn,) = chats[q].turns
        assert turn.question == q and turn.answer is not None and turn.answer.question == q
    (cut,) = chats[interrupted].turns
    assert cut.answer is None  # the question is kept, marked unanswered; never half an answer
    store.close()

    with running_ui(index, tmp_path / "server2.log") as (url, _), chromium_page() as page:  # the server again
        page.goto(url)
        for name, q in questions.items():
            _open_saved(page, q)
            assert page.locator('#qa-chat [data-testid="bot"]').last.inner_text().split("\n")[0] == answers[name]
        page.locator("#qa-saved label", has_text=interrupted).first.click()
        page.wait_for_function("() => /Not answered/.test(document.querySelector('#qa-chat')?.innerText || '')",
                               timeout=30_000)
