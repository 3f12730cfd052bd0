"""Saved chats in the browser: the list, reopening a chat with its sources, exports to copy or download, feedback."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..chats import Chat, ChatStore, stamp
from ..errors import ChatError
from ..export import answer_data, chat_data, file_name, render

if TYPE_CHECKING:
    from ..assistant import Assistant

log = logging.getLogger(__name__)
FORMATS = [("Markdown", "md"), ("HTML page", "html"), ("JSON", "json")]
NOT_SAVED = "saving chats is off (chats.enabled = false): nothing to reopen, export or rate"


def open_store(assistant: Assistant) -> ChatStore | None:
    """The chats database of the assistant's index; None when chats.enabled is off, or (with a warning line) when it
    cannot be opened: a read-only index folder is still served, without saving chats."""
    s = assistant.settings
    if not s.chats.enabled:
        return None
    try:
        return ChatStore(s.chats.file(s.index_dir))
    except ChatError as exc:
        log.warning("chats will not be saved: %s", exc)
        return None


def choices(store: ChatStore | None) -> list[tuple[str, str]]:
    """(label, chat id) of the saved chats, most recent first: the list the UI shows."""
    if store is None:
        return []
    return [(f"{c.title} · {stamp(c.updated)[:16]}", c.id) for c in store.recent()]


def title(store: ChatStore | None, chat_id: str | None) -> str:
    """The title of the chat a tab writes to ('' when none is saved)."""
    if store is None or not chat_id:
        return ""
    try:
        return store.get(chat_id).title
    except ChatError:  # deleted in another tab meanwhile
        return ""


def messages(chat: Chat, render_answer: Any, render_sources: Any, md_escape: Any) -> tuple[list, list, dict, dict, list]:
    """A saved chat as the Chatbot shows it: (messages, questions for follow-ups, message index → sources panel,
    message index → turn id, feedback per answer)."""
    msgs: list[dict[str, str]] = []
    sources: dict[str, str] = {}
    turn_ids: dict[str, int] = {}
    feedback: list[str | None] = []
    for t in chat.turns:
        msgs.append({"role": "user", "content": md_escape(t.question)})
        if t.answer is not None:
            msgs.append({"role": "assistant", "content": render_answer(t.answer)})
            sources[str(len(msgs) - 1)] = render_sources(t.answer)
        else:
            why = t.error or "the server stopped before this answer was saved; ask again"
            msgs.append({"role": "assistant", "content": f"_Not answered: {md_escape(why)}_"})
        turn_ids[str(len(msgs) - 1)] = t.id
        feedback.append({1: "Like", -1: "Dislike"}.get(t.rating or 0))
    return msgs, [t.question for t in chat.turns], sources, turn_ids, feedback


def last_settings(chat: Chat) -> dict[str, Any]:
    """The as-of date, date filters and passages of the chat's last question (restored with the chat)."""
    return dict(chat.turns[-1].settings) if chat.turns else {}


def export(store: ChatStore | None, chat_id: str | None, turn_id: int | None, fmt: str) -> tuple[str, str]:
    """(text, file path) of one answer (turn_id) or the whole chat (turn_id None), for copying and downloading."""
    if store is None:
        raise ChatError(NOT_SAVED)
    if not chat_id:
        raise ChatError("nothing to export yet: ask a question or open a saved chat")
    if turn_id is None:
        chat = store.get(chat_id)
        text, title = render(chat_data(chat), fmt), chat.title
    else:
        turn = store.turn(turn_id)
        if turn.answer is None:
            raise ChatError("that question has no saved answer to export")
        text, title = render(answer_data(turn.answer, turn.settings), fmt), turn.question
    folder = Path(tempfile.mkdtemp(prefix="newsqa-export-"))  # Gradio serves it from its cache
    path = folder / file_name(title, fmt)
    path.write_text(text, encoding="utf-8")
    return text, str(path)
