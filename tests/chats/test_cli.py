"""The command line of issue 26: `qa chats`, `qa feedback export`, `qa ask --format`, `qa quotes` links and `qa articles`
(hash embeddings, no language model)."""

from __future__ import annotations

import json

from qa.chats import ChatStore
from qa.cli import main
from qa.types import Answer, Citation


def _saved(index_dir):
    store = ChatStore(index_dir / "chats.sqlite")
    c = Citation(1, "a1", "Huawei ren remarks", "Reuters", "https://example.org/ren", "2021-02-09",
                 "his company will not invest in chip technology", 0, 46)
    t1 = store.ask(None, "What did Ren say about chips?", {"as_of": "2021-03-01"})
    store.answer(t1.id, Answer(t1.question, "He will not invest in chips [1].", "not invest in chip technology", [c], []))
    t2 = store.ask(t1.chat_id, "And what will he buy?")
    store.answer(t2.id, Answer(t2.question, "Phones [1].", "Phones", [c], []))
    store.rate(t1.id, 1, "exactly right")
    store.rate(t2.id, -1, "he hopes to buy American components")
    return store, t1.chat_id


def test_feedback_export_writes_marked_answers_as_candidate_gold_questions(tmp_path, capsys):
    _, chat_id = _saved(tmp_path)
    out = tmp_path / "candidates.jsonl"
    assert main(["feedback", "export", "--index", str(tmp_path), "-o", str(out)]) == 0
    up, down = [json.loads(line) for line in out.read_text().splitlines()]
    assert up["question"] == "What did Ren say about chips?" and up["as_of"] == "2021-03-01"
    assert up["answers_any"] == ["not invest in chip technology"]
    assert up["support"] == ["his company will not invest in chip technology"] and up["note"] == "exactly right"
    assert down["history"] == ["What did Ren say about chips?"] and down["answers_any"] == []  # the reviewer writes it
    assert down["rating"] == "down" and down["note"] == "he hopes to buy American components"
    from eval.gold import parse_record  # the eval suite reads them as seed-format questions

    assert parse_record(up).answers_any == ["not invest in chip technology"]


def test_chats_list_export_rename_delete_from_the_command_line(tmp_path, capsys):
    _, chat_id = _saved(tmp_path)
    assert main(["chats", "--index", str(tmp_path)]) == 0
    assert chat_id[:8] in capsys.readouterr().out
    assert main(["chats", "export", chat_id[:8], "--format", "md", "--index", str(tmp_path)]) == 0
    md = capsys.readouterr().out
    assert "> his company will not invest in chip technology" in md and "## And what will he buy?" in md
    assert main(["chats", "rename", chat_id[:8], "Ren and chips", "--index", str(tmp_path)]) == 0
    assert main(["chats", "delete", chat_id[:8], "--index", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["chats", "show", chat_id[:8], "--index", str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip() == f"error: no chat with an id starting {chat_id[:8]!r}: `qa chats list` shows the ids"


def test_chats_of_an_index_without_any_is_one_line_and_creates_nothing(tmp_path, capsys):
    assert main(["chats", "--index", str(tmp_path / "typo")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no saved chats for") and err.count("\n") == 1
    assert not (tmp_path / "typo").exists()


def test_qa_ask_format_md_and_json_quote_the_cited_sentences(tmp_path, capsys):
    from tests.conftest import SAMPLE

    toml = tmp_path / "qa.toml"
    toml.write_text(f'index_dir = "{tmp_path / "index"}"\n[embedding]\nbackend = "hash"\n[answer]\nabstain_threshold = 0.2\n'
                    '[llm]\nenabled = false\n')
    assert main(["--settings", str(toml), "index", str(SAMPLE), "-q"]) == 0
    capsys.readouterr()
    question = "Where did Huawei open a new laboratory?"
    assert main(["--settings", str(toml), "ask", question, "--format", "json", "--as-of", "2021-03-01"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["question"] == question and data["settings"] == {"as_of": "2021-03-01"} and data["citations"]
    text = (SAMPLE / "huawei-ren-remarks.txt").read_text()
    assert all(c["sentence"] in text for c in data["citations"])
    assert main(["--settings", str(toml), "ask", question, "--format", "md", "--as-of", "2021-03-01"]) == 0
    md = capsys.readouterr().out
    assert md.startswith(f"# {question}\n") and "*as of 2021-03-01*" in md
    assert all(f"> {c['sentence']}" in md for c in data["citations"])


def test_quotes_link_to_the_sentence_and_articles_filter_by_date(tmp_path, capsys):
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "ferry.md").write_text(
        "---\ntitle: Lakeview ferry\ndate: 2021-03-02\nsource: Lakeview Gazette\nurl: https://example.org/ferry\n---\n"
        '"The new ferries will run on solar power," Mayor Mira Okafor said on Tuesday.\n')
    (tmp_path / "news" / "old.md").write_text("---\ntitle: Harbor budget\ndate: 2019-11-20\n---\nThe council met.\n")
    toml = tmp_path / "qa.toml"
    toml.write_text(f'index_dir = "{tmp_path / "index"}"\n[embedding]\nbackend = "hash"\n[llm]\nenabled = false\n')
    assert main(["--settings", str(toml), "index", str(tmp_path / "news"), "-q"]) == 0
    capsys.readouterr()
    assert main(["--settings", str(toml), "quotes", "Okafor"]) == 0
    out = capsys.readouterr().out
    assert "“The new ferries will run on solar power”" in out
    assert "https://example.org/ferry#:~:text=The%20new%20ferries%20will%20run%20on%20solar%20power" in out
    assert main(["--settings", str(toml), "articles", "--from", "2021-01-01"]) == 0
    out = capsys.readouterr().out
    assert "Lakeview ferry" in out and "Harbor budget" not in out
    assert main(["--settings", str(toml), "articles", "--to", "someday"]) == 1
    assert capsys.readouterr().err.strip() == "error: to 'someday' is not a date: use YYYY-MM-DD"
