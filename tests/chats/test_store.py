"""The chats database: what a reporter saves comes back whole, in order, in its own chat; writers never mix."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from qa.chats import ChatStore
from qa.errors import ChatError
from qa.types import Answer, Citation

REPO = Path(__file__).resolve().parents[2]


def _answer(question: str, text: str) -> Answer:
    c = Citation(1, "a1", "Huawei ren remarks", "Reuters", "https://example.org/ren", "2021-02-09",
                 "Huawei will not invest in chip technology.", 10, 52, "…Huawei will not invest in chip technology.…", 5)
    return Answer(question=question, text=text, short="not invest", citations=[c], passages=[], as_of="2021-03-01")


def test_a_reopened_chat_has_its_questions_answers_citations_and_settings_in_order(tmp_path):
    store = ChatStore(tmp_path / "chats.sqlite")
    first = store.ask(None, "What did Ren say about chips?", {"as_of": "2021-03-01", "date_from": "", "top_k": 8})
    store.answer(first.id, _answer("What did Ren say about chips?", "He will not invest in chips [1]."))
    second = store.ask(first.chat_id, "And what will he buy?")
    store.close()

    chat = ChatStore(tmp_path / "chats.sqlite").get(first.chat_id)  # a new process would see the same
    assert chat.title == "What did Ren say about chips?"
    assert [t.question for t in chat.turns] == ["What did Ren say about chips?", "And what will he buy?"]
    assert chat.turns[0].settings == {"as_of": "2021-03-01", "top_k": 8}  # empty filters are not settings
    c = chat.turns[0].answer.citations[0]
    assert (c.title, c.source, c.url, c.published) == ("Huawei ren remarks", "Reuters", "https://example.org/ren", "2021-02-09")
    assert c.sentence == "Huawei will not invest in chip technology." and c.passage_start == 5
    assert chat.turns[1].answer is None and second.position == 1


def test_chats_are_listed_newest_first_renamed_and_deleted(tmp_path):
    store = ChatStore(tmp_path / "chats.sqlite")
    old = store.ask(None, "first question")
    time.sleep(0.01)
    new = store.ask(None, "second question")
    assert [c.title for c in store.recent()] == ["second question", "first question"]
    store.rename(old.chat_id, "  Ren   on chips ")
    assert store.get(old.chat_id).title == "Ren on chips"
    store.delete(new.chat_id)
    assert [c.id for c in store.recent()] == [old.chat_id]
    with pytest.raises(ChatError, match="no saved chat"):
        store.get(new.chat_id)
    with pytest.raises(ChatError, match="cannot be empty"):
        store.rename(old.chat_id, "   ")
    assert store.find(old.chat_id[:8]).id == old.chat_id


def test_feedback_is_kept_with_the_answer_and_listed_for_export(tmp_path):
    store = ChatStore(tmp_path / "chats.sqlite")
    t = store.ask(None, "What did Ren say about chips?")
    store.answer(t.id, _answer(t.question, "He will not invest [1]."))
    unrated = store.ask(t.chat_id, "unrated")
    store.answer(unrated.id, _answer(unrated.question, "x [1]."))
    store.rate(t.id, -1, "should say he will buy US chips")
    store.rate(t.id, 1)  # a changed mind keeps the note
    (chat, turn), = store.rated()
    assert chat.id == t.chat_id and (turn.rating, turn.note) == (1, "should say he will buy US chips")
    with pytest.raises(ChatError, match="rating is"):
        store.rate(t.id, 5)


def test_two_tabs_in_one_server_write_at_once_without_mixing(tmp_path):
    store = ChatStore(tmp_path / "chats.sqlite")
    ids: dict[str, str] = {}

    def tab(name: str) -> None:
        chat = None
        for i in range(40):
            turn = store.ask(chat, f"{name} q{i}")
            chat = turn.chat_id
            store.answer(turn.id, _answer(turn.question, f"{name} a{i} [1]."))
        ids[name] = chat

    threads = [threading.Thread(target=tab, args=(n,)) for n in ("left", "right")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for name, chat_id in ids.items():
        turns = store.get(chat_id).turns
        assert [t.question for t in turns] == [f"{name} q{i}" for i in range(40)]
        assert [t.answer.text for t in turns] == [f"{name} a{i} [1]." for i in range(40)]


WRITER = """
import sys, time
from qa.chats import ChatStore
from qa.types import Answer
store, name, chat = ChatStore(sys.argv[1]), sys.argv[2], None
for i in range(100000):
    turn = store.ask(chat, f"{name} q{i}")
    chat = turn.chat_id
    print(chat, flush=True) if i == 0 else None
    store.answer(turn.id, Answer(question=turn.question, text=f"{name} a{i}", short="", citations=[], passages=[]))
    if i >= int(sys.argv[3]):
        break
"""


def test_processes_writing_at_once_and_one_killed_minus_9_lose_nothing_committed(tmp_path):
    path = tmp_path / "chats.sqlite"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = {name: subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, str(n)], stdout=subprocess.PIPE,
                                    text=True, env=env)
             for name, n in (("tab1", 60), ("tab2", 60), ("killed", 10**9))}
    chats = {name: p.stdout.readline().strip() for name, p in procs.items()}
    time.sleep(1.0)
    procs["killed"].send_signal(signal.SIGKILL)  # mid-write, as a crashed server
    for p in procs.values():
        p.wait(timeout=120)
    assert procs["tab1"].returncode == 0 and procs["tab2"].returncode == 0

    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    store = ChatStore(path)
    for name, chat_id in chats.items():
        turns = store.get(chat_id).turns
        assert [t.question for t in turns] == [f"{name} q{i}" for i in range(len(turns))]  # none lost, none foreign
        answered = [t for t in turns if t.answer is not None]
        assert [t.answer.text for t in answered] == [f"{name} a{i}" for i in range(len(answered))]
        if name == "killed":  # at most the question in flight is left without its answer
            assert len(turns) - len(answered) <= 1 and len(answered) > 0
        else:
            assert len(turns) == len(answered) == 61
