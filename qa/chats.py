"""Saved chats: every question, its answer with citations, the settings it was asked with, and feedback.

One SQLite file, `chats.sqlite` in the index folder (chats.path overrides it). Beside the index because a chat's
citations point at that index's articles: the two move, are backed up and are deleted together, and two indexes
never mix their chats. It is its own file, not a table of index.sqlite, so an index rebuild (`qa index --rebuild`
deletes the index's files) keeps the chats, and a long ingest's write transaction never delays saving a chat.

Safe under several tabs, processes and a kill -9: WAL journal, synchronous=FULL, and every write is one
`BEGIN IMMEDIATE` transaction (a turn's position is taken inside it). A question is saved when it is asked and its
answer when it is verified, so a server killed mid-answer leaves the question, marked unanswered, never half a record.
Each answer is stored whole (its citations with title, outlet, date, URL, sentence and passage), so a reopened or
exported chat shows its sources even after the article left the index.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ChatError
from .types import Answer

TITLE_CHARS = 80
SCHEMA = """
CREATE TABLE IF NOT EXISTS chats(
    id TEXT PRIMARY KEY, title TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS turns(
    id INTEGER PRIMARY KEY AUTOINCREMENT, chat_id TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, question TEXT NOT NULL, settings TEXT NOT NULL DEFAULT '{}',
    answer TEXT, error TEXT, asked REAL NOT NULL, answered REAL, rating INTEGER, note TEXT,
    UNIQUE(chat_id, position));
CREATE INDEX IF NOT EXISTS turns_rated ON turns(rating) WHERE rating IS NOT NULL;
"""


@dataclass
class Turn:
    """One question of a chat and what came of it (answer None: not answered, e.g. the server stopped mid-answer)."""

    id: int
    chat_id: str
    position: int
    question: str
    settings: dict[str, Any]
    answer: Answer | None
    asked: float
    answered: float | None = None
    error: str | None = None
    rating: int | None = None  # +1 thumbs up, -1 thumbs down
    note: str = ""


@dataclass
class Chat:
    """A saved conversation (turns empty in listings)."""

    id: str
    title: str
    created: float
    updated: float
    n_turns: int = 0
    turns: list[Turn] = field(default_factory=list)


def stamp(t: float) -> str:
    """A stored time as shown to users: 2026-12-06 12:07 UTC."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t))


def title_of(question: str) -> str:
    text = " ".join(question.split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def answer_record(answer: Answer) -> dict[str, Any]:
    """What is kept of an answer: everything but the retrieved passages (the cited ones live in the citations)."""
    data = answer.to_dict()
    data.pop("passages", None)
    return data


class ChatStore:
    """The chats database of one index (or any path): create, list, open, rename, delete, answer, rate."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.lock = threading.RLock()  # one connection, shared by the UI's worker threads
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")  # a saved chat survives a power cut too, not only a kill
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.executescript(SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise ChatError(f"the chats database {self.path} cannot be opened ({exc}): check that the folder is "
                            "writable, or set chats.path to another file") from None

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise ChatError(f"the chats database {self.path} cannot be written ({exc}): is the disk full or "
                                "the file read-only?") from None
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                try:
                    self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                raise

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self.lock:
            return self.conn.execute(sql, args).fetchall()

    # -- writing: one transaction each -----------------------------------------------------------
    def ask(self, chat_id: str | None, question: str, settings: dict[str, Any] | None = None) -> Turn:
        """Save a question as the next turn of ``chat_id`` (None: of a new chat titled by the question)."""
        now = time.time()
        settings = {k: v for k, v in (settings or {}).items() if v not in (None, "")}
        with self._write() as db:
            if chat_id is None:
                chat_id = uuid.uuid4().hex
                db.execute("INSERT INTO chats(id, title, created, updated) VALUES(?,?,?,?)",
                           (chat_id, title_of(question), now, now))
            elif not db.execute("UPDATE chats SET updated = ? WHERE id = ?", (now, chat_id)).rowcount:
                raise _missing(chat_id)
            cur = db.execute(
                "INSERT INTO turns(chat_id, position, question, settings, asked) "
                "VALUES(?, (SELECT COALESCE(MAX(position), -1) + 1 FROM turns WHERE chat_id = ?), ?, ?, ?)",
                (chat_id, chat_id, question, json.dumps(settings), now))
            position = db.execute("SELECT position FROM turns WHERE id = ?", (cur.lastrowid,)).fetchone()[0]
        return Turn(int(cur.lastrowid), chat_id, position, question, settings, None, now)

    def answer(self, turn_id: int, answer: Answer) -> None:
        """Save the verified answer of a turn."""
        with self._write() as db:
            if not db.execute("UPDATE turns SET answer = ?, error = NULL, answered = ? WHERE id = ?",
                              (json.dumps(answer_record(answer), ensure_ascii=False), time.time(), turn_id)).rowcount:
                raise ChatError(f"no saved question {turn_id} (its chat was deleted)")

    def fail(self, turn_id: int, error: str) -> None:
        """Save the one-line error a turn ended with."""
        with self._write() as db:
            db.execute("UPDATE turns SET error = ? WHERE id = ?", (error, turn_id))

    def rename(self, chat_id: str, title: str) -> None:
        title = " ".join((title or "").split())
        if not title:
            raise ChatError("a chat's title cannot be empty: type a name")
        with self._write() as db:
            if not db.execute("UPDATE chats SET title = ? WHERE id = ?", (title[:200], chat_id)).rowcount:
                raise _missing(chat_id)

    def delete(self, chat_id: str) -> None:
        with self._write() as db:
            if not db.execute("DELETE FROM chats WHERE id = ?", (chat_id,)).rowcount:
                raise _missing(chat_id)

    def rate(self, turn_id: int, rating: int | None, note: str | None = None) -> None:
        """Thumbs up (+1), down (-1) or none (None) on an answer, with an optional note (None keeps the old one)."""
        if rating not in (1, -1, None):
            raise ChatError(f"a rating is +1 (up), -1 (down) or none, got {rating!r}")
        with self._write() as db:
            sql, args = "UPDATE turns SET rating = ?", [rating]
            if note is not None:
                sql, args = sql + ", note = ?", [*args, note.strip()]
            if not db.execute(sql + " WHERE id = ?", (*args, turn_id)).rowcount:
                raise ChatError(f"no saved answer {turn_id} (its chat was deleted)")

    # -- reading ---------------------------------------------------------------------------------
    def recent(self, limit: int = 200) -> list[Chat]:
        """The saved chats, most recently used first (without their turns)."""
        rows = self._read("SELECT c.id, c.title, c.created, c.updated, (SELECT COUNT(*) FROM turns t WHERE t.chat_id = c.id) "
                          "FROM chats c ORDER BY c.updated DESC, c.id LIMIT ?", (limit,))
        return [Chat(*r) for r in rows]

    def get(self, chat_id: str) -> Chat:
        """A chat with its turns in order."""
        row = self._read("SELECT id, title, created, updated FROM chats WHERE id = ?", (chat_id,))
        if not row:
            raise _missing(chat_id)
        turns = [_turn(r) for r in self._read(f"SELECT {_TURN} FROM turns t WHERE t.chat_id = ? ORDER BY t.position", (chat_id,))]
        return Chat(*row[0], n_turns=len(turns), turns=turns)

    def turn(self, turn_id: int) -> Turn:
        """One saved question with its answer."""
        rows = self._read(f"SELECT {_TURN} FROM turns t WHERE t.id = ?", (turn_id,))
        if not rows:
            raise ChatError(f"no saved answer {turn_id} (its chat was deleted)")
        return _turn(rows[0])

    def find(self, prefix: str) -> Chat:
        """The chat whose id starts with ``prefix`` (the CLI shows 8 characters)."""
        prefix = prefix.strip().lower()
        rows = self._read("SELECT id FROM chats WHERE id LIKE ? ESCAPE '\\' LIMIT 2",
                          (prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",))
        if len(rows) != 1 or not prefix:
            raise ChatError(f"{'several chats' if rows else 'no chat'} with an id starting {prefix!r}: "
                            "`qa chats list` shows the ids")
        return self.get(rows[0][0])

    def rated(self) -> list[tuple[Chat, Turn]]:
        """Every answer with a thumbs up or down, with its chat (oldest first)."""
        rows = self._read(f"SELECT {_TURN}, c.title, c.created, c.updated FROM turns t JOIN chats c ON c.id = t.chat_id "
                          "WHERE t.rating IS NOT NULL AND t.answer IS NOT NULL ORDER BY t.asked, t.id")
        return [(Chat(r[1], r[-3], r[-2], r[-1]), _turn(r[:-3])) for r in rows]


_TURN = "t.id, t.chat_id, t.position, t.question, t.settings, t.answer, t.asked, t.answered, t.error, t.rating, t.note"


def _turn(r: tuple) -> Turn:
    answer = Answer.from_dict(json.loads(r[5])) if r[5] else None
    return Turn(r[0], r[1], r[2], r[3], json.loads(r[4] or "{}"), answer, r[6], r[7], r[8], r[9], r[10] or "")


def _missing(chat_id: str) -> ChatError:
    return ChatError(f"no saved chat {chat_id!r} (deleted, or another index's): `qa chats list` shows the ids")
