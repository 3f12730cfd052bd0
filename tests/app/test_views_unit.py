"""The new views' rendering, without a browser: escaping, links to the sentence, reopened chats, the API's citations."""

from __future__ import annotations

from types import SimpleNamespace

from qa.app import md_escape, render_answer, render_sources
from qa.chats import ChatStore
from qa.export import answer_data, sentence_url
from qa.serve import extras
from qa.types import Answer, Article, Citation
from qa.ui import articles, people, saved


def _citation() -> Citation:
    return Citation(1, "a1", "Ren on chips", "Reuters", "https://example.org/ren", "2021-02-09",
                    "his company will not invest in chip technology", 20, 66,
                    "Ren said that his company will not invest in chip technology.", 0)


def test_a_statement_links_to_its_sentence_in_the_original_article_and_is_escaped():
    q = SimpleNamespace(canonical="Ren Zhangvi", speaker="Raine", statement="we <b>will</b> not invest in chips",
                        article_id="a1", title="Ren & chips", published="2021-02-09", start=0, end=10)
    url = sentence_url("https://example.org/ren#top", q.statement)
    assert url == "https://example.org/ren#:~:text=we%20%3Cb%3Ewill%3C%2Fb%3E%20not%20invest%20in%20chips"
    assert sentence_url("javascript:alert(1)", q.statement) is None
    shown = people.render_quotes([q], {"a1": "https://example.org/ren"}, "Raine", "chips")
    assert "&lt;b&gt;will&lt;/b&gt;" in shown and "<b>will</b>" not in shown and "Ren &amp; chips" in shown
    assert "as “Raine”" in shown and "1 statement(s) of <b>Ren Zhangvi</b> about <b>chips</b>" in shown
    assert "No statements attributed to Nobody" in people.render_quotes([], {}, "Nobody", None)


def test_an_opened_article_marks_the_span_and_never_links_a_non_web_url():
    a = Article("a1", "T <i>", "Ren said <x> he will not invest.", source="Reuters", url="file:///etc/passwd",
                published="2021-02-09", origin="/news/ren.txt")
    shown = articles.render_article(a, (9, 12))
    assert "<mark id='qa-article-mark'>&lt;x&gt;</mark>" in shown and "href" not in shown and "/news/ren.txt" in shown
    assert articles.rows([a]) == [["2021-02-09", "T <i>", "Reuters", "file:///etc/passwd"]]


def test_a_reopened_chat_shows_answers_with_their_sources_and_unanswered_questions(tmp_path):
    store = ChatStore(tmp_path / "chats.sqlite")
    t = store.ask(None, "What did Ren say about chips?", {"as_of": "2021-03-01"})
    store.answer(t.id, Answer(t.question, "He will not invest [1].", "not invest", [_citation()], []))
    store.rate(t.id, -1)
    store.ask(t.chat_id, "And *when*?")
    msgs, questions, sources, turn_ids, feedback = saved.messages(store.get(t.chat_id), render_answer,
                                                                  render_sources, md_escape)
    assert [m["role"] for m in msgs] == ["user", "assistant", "user", "assistant"]
    assert "<a href='#qa-src-1'>[1]</a>" in msgs[1]["content"]  # markers still lead to the sources
    assert "<mark>his company will not invest in chip technology</mark>" in sources["1"] and "3" not in sources
    assert msgs[3]["content"].startswith("_Not answered:") and "\\*when\\*" in msgs[2]["content"]
    assert questions == ["What did Ren say about chips?", "And *when*?"] and feedback == ["Dislike", None]
    assert sorted(turn_ids) == ["1", "3"] and saved.last_settings(store.get(t.chat_id)) == {}


def test_the_api_returns_the_citations_the_export_writes():
    answer = Answer("Q?", "He will not [1].", "not", [_citation()], [])
    assert extras(answer)["citations"] == answer_data(answer)["citations"]


def test_an_unwritable_chats_file_serves_the_chat_without_saving_and_says_why(hash_settings, caplog):
    s = hash_settings.replace(**{"chats.path": "/proc/no-such-dir/chats.sqlite"})
    assert saved.open_store(SimpleNamespace(settings=s)) is None
    assert "chats will not be saved: the chats database /proc/no-such-dir/chats.sqlite cannot be opened" in caplog.text
    assert saved.open_store(SimpleNamespace(settings=hash_settings.replace(**{"chats.enabled": False}))) is None


def test_a_question_in_a_chat_deleted_by_another_tab_starts_a_new_saved_chat(fake_assistant):
    """Through the app's own event handler (the Ask button's), with the hash embedder and a scripted model."""
    from qa.app import build_app

    assistant = fake_assistant(["Ren said Huawei will not invest in chip technology [1]."])
    app = build_app(assistant)
    respond = next(fn.fn for fn in app.fns.values() if getattr(fn, "api_name", None) == "ask")
    store = saved.open_store(assistant)
    gone = store.ask(None, "an old question")
    store.delete(gone.chat_id)
    *_, last = respond("What did Ren say about chips?", [], [], {}, "", "", "", 8, gone.chat_id, {})
    chat_id, turn_ids = last[6], last[7]
    assert chat_id != gone.chat_id and "not saved" not in last[5]
    (turn,) = store.get(chat_id).turns
    assert turn.question == "What did Ren say about chips?" and "invest in chip" in turn.answer.text
    assert turn_ids == {"1": turn.id}
