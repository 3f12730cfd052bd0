"""Exports carry their evidence: each citation's title, outlet, date, URL and the exact sentence of the article."""

from __future__ import annotations

import html
import json
import re

import pytest

from qa.chats import ChatStore
from qa.errors import ChatError
from qa.export import answer_data, chat_data, file_name, render
from qa.types import Answer, Citation


@pytest.fixture
def answered(fake_assistant):
    a = fake_assistant(["Huawei inaugurated a new laboratory in the city of Taiyuan [1]."])
    return a, a.ask("Where did Huawei open a new laboratory?")


def _md_quotes(md: str) -> list[str]:
    blocks = re.findall(r"(?m)^(?:> .*\n?)+", md)
    return ["\n".join(line[2:] for line in block.rstrip("\n").split("\n")) for block in blocks]


def _html_quotes(page: str) -> list[str]:
    return [html.unescape(q) for q in re.findall(r"<blockquote class='quote'>(.*?)</blockquote>", page, re.S)]


def test_markdown_html_and_json_quote_the_cited_article_text_exactly(answered):
    assistant, answer = answered
    assert answer.citations
    article_text = [assistant.store.article(c.article_id).text[c.start:c.end] for c in answer.citations]
    data = answer_data(answer, {"as_of": "2021-03-01"})
    assert _md_quotes(render(data, "md")) == article_text
    assert _html_quotes(render(data, "html")) == article_text
    exported = json.loads(render(data, "json"))
    assert [c["sentence"] for c in exported["citations"]] == article_text
    assert exported["settings"] == {"as_of": "2021-03-01"} and exported["question"] == answer.question


def test_each_source_names_title_outlet_date_and_links_its_url():
    c = Citation(1, "a1", "Ren on chips", "Reuters", "https://example.org/ren?a=1&b=2", "2021-02-09",
                 "Huawei will not invest in chip technology.", 0, 42)
    bad = Citation(2, "a2", "<script>x</script>", "", "javascript:alert(1)", None, "It said so.", 0, 11)
    data = answer_data(Answer("Q?", "He will not [1]. It said [2].", "", [c, bad], []))
    md, page = render(data, "md"), render(data, "html")
    assert "[\\[1\\]](<https://example.org/ren?a=1&b=2>)" in md  # the marker opens the original article
    assert "**[1]** [Ren on chips](<https://example.org/ren?a=1&b=2>) — Reuters · 2021-02-09" in md
    assert "**[2]** <script>x</script> — unknown outlet · undated · javascript:alert(1)" in md  # shown, not linked
    assert "<a href='https://example.org/ren?a=1&amp;b=2'" in page and "href='javascript" not in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<a href='#q1-s1'>[1]</a>" in page and "id='q1-s1'" in page  # markers lead to their source


def test_a_whole_chat_exports_every_turn_with_feedback_and_unanswered_questions(tmp_path, answered):
    _, answer = answered
    store = ChatStore(tmp_path / "chats.sqlite")
    t = store.ask(None, answer.question, {"as_of": "2021-03-01"})
    store.answer(t.id, answer)
    store.rate(t.id, 1, "good")
    store.ask(t.chat_id, "And when?")  # the server stopped before this one was answered
    data = chat_data(store.get(t.chat_id))
    md = render(data, "md")
    assert md.startswith(f"# {answer.question}") and "## And when?" in md and "Not answered" in md
    assert "👍 — good" in md and "as of 2021-03-01" in md
    exported = json.loads(render(data, "json"))
    assert [x["question"] for x in exported["turns"]] == [answer.question, "And when?"]
    assert exported["turns"][0]["feedback"] == {"rating": 1, "note": "good"}
    assert "unanswered" in exported["turns"][1]
    assert render(data, "html").count("<section class='turn'") == 2


def test_unknown_format_is_one_clear_error_and_file_names_are_safe():
    with pytest.raises(ChatError, match="use one of md, json, html"):
        render({"question": "q"}, "pdf")
    assert file_name("../../What did Ren say?", "md") == "what-did-ren-say.md"
