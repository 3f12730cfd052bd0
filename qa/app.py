"""The browser chat: a thin Gradio shell over `Assistant`. `build_app` builds it, `launch` serves it on 127.0.0.1.

Everything shown comes from the Assistant (answers, citations, stats, ingest reports); this module only renders
it. Article text is HTML-escaped before it reaches the page, and any failure becomes one readable line.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import shutil
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ChatError, QAError
from .ingest.fetch import is_url
from .ingest.load import SUPPORTED
from .ui import articles, people, saved

if TYPE_CHECKING:
    import gradio

    from .assistant import Assistant
    from .types import Answer, Citation

log = logging.getLogger(__name__)

EXAMPLES = (
    "What did Ren say about chips?",
    "What does Ren hope to buy from American companies?",
    "Which smartphone brand did Huawei sell in November?",
)
MAX_UPLOAD_MB = 20
MAX_UPLOAD_FILES = 20
# Several tabs may ask at once: retrieval and evidence selection overlap, and the generator's own lock
# serializes the LLM. Indexing runs one upload at a time (the Assistant's write lock would queue them anyway).
ASK_CONCURRENCY = 4
QUEUE_SIZE = 64
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^(\s*)(#|[+-](?=\s)|\d+(?=[.)]\s))", re.M)
_MARKER = re.compile(r"\\\[(\d+)\\\]")

CSS = """
.qa-src { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 12px; margin: 0 0 10px 0; }
.qa-src:target { outline: 2px solid var(--color-accent); }
.qa-src-head { font-weight: 600; }
.qa-src-meta { font-size: 0.85em; opacity: 0.8; margin: 2px 0 6px 0; }
.qa-passage { font-size: 0.92em; line-height: 1.45; white-space: pre-wrap; margin: 0; }
.qa-passage mark { background: #fde68a; color: inherit; padding: 0 2px; border-radius: 3px; }
.qa-error { color: #b91c1c; font-weight: 600; }
.qa-note { font-size: 0.85em; opacity: 0.75; }
.qa-stats td { padding: 1px 10px 1px 0; }
"""


# -- rendering (pure functions: unit-tested without a browser) --------------------------------------

def md_escape(text: str) -> str:
    """Text shown inside a chat bubble as-is: HTML-escaped, Markdown punctuation backslash-escaped."""
    text = _MD_INLINE.sub(r"\\\1", html.escape(text, quote=False))
    # Headings, list bullets and "2019. ..." numbered lists only form at the start of a line.
    return _MD_LINE_START.sub(_escape_line_start, text)


def _escape_line_start(m: re.Match) -> str:
    indent, mark = m.group(1), m.group(2)
    return indent + (mark + "\\" if mark[0].isdigit() else "\\" + mark)  # "2019\." and "\#", "\-"


def error_line(exc: BaseException) -> str:
    """The one line a user sees for a failure; anything that is not a QAError is logged with its traceback."""
    if isinstance(exc, QAError):
        return " ".join(str(exc).split()) or type(exc).__name__
    log.exception("unexpected error in the web UI")
    return f"something went wrong ({type(exc).__name__}); the server log has the details"


def render_answer(answer: Answer) -> str:
    """The chat bubble of a finished answer: text with [n] markers linked to their sources."""
    text = md_escape(answer.text)
    if answer.abstained:
        why = f" ({md_escape(answer.dropped[0])})" if answer.dropped else ""
        return f"{text}\n\n<span class='qa-note'>Not in the indexed articles{why}.</span>"
    text = _MARKER.sub(lambda m: f"<a href='#qa-src-{m.group(1)}'>[{m.group(1)}]</a>", text)
    seconds = answer.timings.get("total")
    took = f" · {seconds:.1f} s" if seconds is not None else ""
    rewritten = answer.query and answer.query != answer.question
    searched = f" · searched for: {md_escape(answer.query)}" if rewritten else ""
    return f"{text}\n\n<span class='qa-note'>{md_escape(answer.mode)} answer{took}{searched}</span>"


def highlight(citation: Citation) -> str:
    """The citation's passage as HTML with the cited sentence in <mark> (offsets are into the article)."""
    passage = citation.passage_text or ""
    i, j = citation.start - citation.passage_start, citation.end - citation.passage_start
    if not (0 <= i < j <= len(passage)) or _squash(passage[i:j]) != _squash(citation.sentence):
        # Offsets that do not land on the sentence fall back to a text search, then to the sentence alone.
        i = passage.find(citation.sentence) if citation.sentence else -1
        if i < 0:
            return f"<mark>{html.escape(citation.sentence)}</mark>"
        j = i + len(citation.sentence)
    return f"{html.escape(passage[:i])}<mark>{html.escape(passage[i:j])}</mark>{html.escape(passage[j:])}"


def render_sources(answer: Answer) -> str:
    """The sources panel for one answer: title, source, date, link and the passage with the sentence marked."""
    head = f"<p class='qa-note'>Sources for: <b>{html.escape(answer.question)}</b></p>"
    if answer.abstained or not answer.citations:
        return head + "<p>No sources: the answer is not in the indexed articles.</p>"
    cards = []
    for c in answer.citations:
        meta = [html.escape(c.source or "unknown source"), html.escape(c.published or "undated")]
        if c.page:
            meta.append(f"p. {c.page}")
        if re.match(r"https?://", c.url or "", re.I):  # never a javascript: or file: link from article metadata
            href = html.escape(c.url, quote=True)
            meta.append(f"<a href='{href}' target='_blank' rel='noopener noreferrer'>link</a>")
        cards.append(
            f"<div class='qa-src' id='qa-src-{c.n}'>"
            f"<div class='qa-src-head'>[{c.n}] {html.escape(c.title or c.article_id)}</div>"
            f"<div class='qa-src-meta'>{' · '.join(meta)}</div>"
            f"<blockquote class='qa-passage'>{highlight(c)}</blockquote></div>"
        )
    return head + "".join(cards)


def render_stats(assistant: Assistant) -> str:
    """The index status panel: articles, chunks, date range, models."""
    try:
        s = assistant.stats()
    except Exception as exc:  # noqa: BLE001 - shown as one line
        return f"<p class='qa-error'>{html.escape(error_line(exc))}</p>"
    dates = f"{s.date_from} to {s.date_to}" if s.date_from else "no dated articles"
    if s.undated:
        dates += f" ({s.undated} undated)"
    rows = [("Articles", f"{s.articles:,}"), ("Chunks", f"{s.chunks:,}"), ("Dates", dates),
            ("Embedding", s.embedding), ("LLM", _llm_name(assistant)), ("Index", s.path)]
    body = "".join(f"<tr><td>{k}</td><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table class='qa-stats'>{body}</table>"


def _llm_name(assistant: Assistant) -> str:
    if not assistant.settings.llm.enabled:
        return "off (extractive answers)"
    try:
        gen = assistant.generator  # cheap: the GGUF file loads on the first question
    except Exception as exc:  # noqa: BLE001 - shown as one line
        return f"unavailable: {error_line(exc)}"
    return str(getattr(gen, "name", type(gen).__name__))


def _squash(text: str) -> str:
    return " ".join(text.split())


# -- uploads ---------------------------------------------------------------------------------------

def upload_extension(name: str) -> str | None:
    """The supported extension a file name ends with (longest match, lower case), else None."""
    lower = name.lower()
    return max((ext for ext in SUPPORTED if lower.endswith(ext)), key=len, default=None)


def safe_name(name: str) -> str:
    """A file name built from an uploaded name that can never act as a path: [A-Za-z0-9_-] plus its extension."""
    base = re.split(r"[\\/]", name)[-1]
    ext = upload_extension(base) or ""
    stem = base[: len(base) - len(ext)] if ext else base
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:80] or "upload"
    return stem + ext


def stage_uploads(files: Sequence[Any], folder: Path, max_mb: float = MAX_UPLOAD_MB,
                  max_files: int = MAX_UPLOAD_FILES) -> tuple[list[Path], list[str]]:
    """Copy accepted uploads into ``folder`` under sanitized names; returns the copies and one line per refusal."""
    saved: list[Path] = []
    problems: list[str] = []
    if len(files) > max_files:
        problems.append(f"{len(files)} files: at most {max_files} per upload, the rest were left out")
    for item in files[:max_files]:
        src = Path(getattr(item, "name", item))  # a path in Gradio's upload cache (Gradio checks that)
        shown = _display_name(src.name)
        if upload_extension(src.name) is None:
            problems.append(f"{shown}: unsupported file type (use one of {', '.join(SUPPORTED)})")
            continue
        if src.is_symlink() or not src.is_file():
            problems.append(f"{shown}: not a regular file")
            continue
        size = src.stat().st_size
        if size == 0:
            problems.append(f"{shown}: empty file")
            continue
        if size > max_mb * 1_000_000:
            problems.append(f"{shown}: {size / 1e6:.1f} MB is over the {max_mb:g} MB upload limit")
            continue
        data = src.read_bytes()
        # One folder per content: the same file uploaded twice lands at the same path (same article id, no-op).
        dest = folder / hashlib.sha1(data).hexdigest()[:16] / safe_name(src.name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        saved.append(dest)
    return saved, problems


def upload_folder(assistant: Assistant) -> Path:
    """Where uploads are staged while they are indexed: beside the index (so their paths, hence the article ids,
    stay the same across restarts), private to its owner."""
    root = (Path(assistant.settings.index_dir).expanduser() / ".uploads").resolve()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def _display_name(name: str) -> str:
    """An uploaded name for messages only (escaped when shown): last component, printable, at most 100 chars."""
    base = re.split(r"[\\/]", name)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:100] or "upload"


def _shown_origin(origin: str, folder: Path) -> str:
    """An ingest origin (path, path:line or path#entry) without the temporary folder part."""
    prefix = str(folder) + "/"
    rest = origin[len(prefix):] if origin.startswith(prefix) else Path(origin).name
    return rest.split("/", 1)[-1]


# -- the app ---------------------------------------------------------------------------------------

def build_app(assistant: Assistant) -> gradio.Blocks:
    """The chat UI for one Assistant (nothing is served until `launch`)."""
    import gradio as gr

    default_k = assistant.settings.retrieval.top_k

    store = saved.open_store(assistant)

    def respond(question: str, chat: list, turns: list, sources: dict, as_of: str, date_from: str, date_to: str,
                top_k: float, chat_id: str | None, turn_ids: dict) -> Iterator[tuple]:
        question = (question or "").strip()
        chat, turns, sources, turn_ids = list(chat or []), list(turns or []), dict(sources or {}), dict(turn_ids or {})
        if not question:
            yield question, chat, turns, sources, gr.skip(), "<p class='qa-error'>Type a question first.</p>", \
                chat_id, turn_ids
            return
        chat += [{"role": "user", "content": md_escape(question)},
                 {"role": "assistant", "content": "_Searching the indexed articles…_"}]
        turn, note = None, ""
        if store is not None:  # saved as asked: a server stopped mid-answer still leaves the question in the chat
            asked = {"as_of": as_of, "date_from": date_from, "date_to": date_to,
                     "top_k": int(top_k) if top_k and int(top_k) != default_k else None}
            try:
                try:
                    turn = store.ask(chat_id, question, asked)
                except ChatError:
                    if chat_id is None:
                        raise
                    turn = store.ask(None, question, asked)  # its chat was deleted in another tab: start a new one
                chat_id = turn.chat_id
                turn_ids[str(len(chat) - 1)] = turn.id
            except Exception as exc:  # noqa: BLE001 - the question is still answered; the failure is one line
                note = f"<p class='qa-error'>not saved: {html.escape(error_line(exc))}</p>"
        yield "", chat, turns, sources, gr.skip(), note, chat_id, turn_ids
        answer, draft, verified = None, "", []
        try:
            for event in assistant.stream(question, history=turns, as_of=as_of or None, date_from=date_from or None,
                                          date_to=date_to or None, top_k=int(top_k) if top_k else None):
                if event.kind == "status":
                    chat[-1] = {"role": "assistant", "content": f"_{md_escape(event.text)}…_"}
                elif event.kind == "token":  # the best evidence, quoted, while the model writes
                    draft += event.text
                    chat[-1] = {"role": "assistant", "content": f"_{md_escape(draft)}_ ▍"}
                elif event.kind == "sentence":  # each sentence of the answer once it is verified
                    verified.append(event.text)
                    chat[-1] = {"role": "assistant", "content": md_escape("\n".join(verified) if "\n" in event.text or
                                                                          event.text.startswith("- ") else " ".join(verified)) + " ▍"}
                elif event.kind == "answer":
                    answer = event.answer
                    continue
                yield "", chat, turns, sources, gr.skip(), note, chat_id, turn_ids
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line, never a traceback
            line = error_line(exc)
            chat[-1] = {"role": "assistant", "content": f"**Error:** {md_escape(line)}"}
            _saved(lambda: store.fail(turn.id, line), turn)
            yield "", chat, turns, sources, gr.skip(), f"<p class='qa-error'>{html.escape(line)}</p>", \
                chat_id, turn_ids
            return
        if answer is None:  # the Assistant always ends with an answer event; say so rather than hang
            yield "", chat, turns, sources, gr.skip(), "<p class='qa-error'>no answer came back</p>", \
                chat_id, turn_ids
            return
        panel = render_sources(answer)
        chat[-1] = {"role": "assistant", "content": render_answer(answer)}
        sources[str(len(chat) - 1)] = panel
        note += _saved(lambda: store.answer(turn.id, answer), turn)
        yield "", chat, [*turns, question], sources, panel, note, chat_id, turn_ids

    def _saved(write: Any, turn: Any) -> str:
        """Run one chats-database write for a saved turn; a failure is one line, the answer is shown anyway."""
        if turn is None:
            return ""
        try:
            write()
        except Exception as exc:  # noqa: BLE001
            return f"<p class='qa-error'>not saved: {html.escape(error_line(exc))}</p>"
        return ""

    def show_sources(sources: dict, evt: gr.SelectData) -> Any:
        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        panel = (sources or {}).get(str(index))
        return (panel if panel else gr.skip()), index

    # Gradio finds the event-data argument by its annotation, which `from __future__ import annotations` turns
    # into a string naming the local `gr`: hand it the class itself.
    show_sources.__annotations__["evt"] = gr.SelectData

    def add_files(files: list | None,
                  progress: gr.Progress = gr.Progress(track_tqdm=True)) -> tuple[str, str]:  # noqa: B008
        if not files:
            return "<p class='qa-error'>Choose one or more files first.</p>", gr.skip()
        progress(0, desc="checking files")
        lines, problems, saved = [], [], []
        try:
            upload_root = upload_folder(assistant)
            # Staged under one stable folder, by content: the same file uploaded again (even after a restart) is
            # the same path, so the same article id, and an unchanged article rather than a duplicate.
            saved, problems = stage_uploads(files, upload_root)
            if saved:
                report = assistant.add(saved, progress=True)  # tqdm bar → the browser's progress bar
                lines.append(html.escape(report.summary()))
                problems += [f"{_shown_origin(s.origin, upload_root)}: {s.reason}" for s in report.skipped + report.cut]
        except Exception as exc:  # noqa: BLE001 - one line
            problems.append(error_line(exc))
        finally:
            for path in saved:  # the text now lives in the index; the path stays the article's origin
                shutil.rmtree(path.parent, ignore_errors=True)
        lines += [f"<span class='qa-error'>{html.escape(p)}</span>" for p in problems]
        return "<br>".join(lines), render_stats(assistant)

    def add_urls(text: str, progress: gr.Progress = gr.Progress(track_tqdm=True)) -> tuple[str, str]:  # noqa: B008
        urls = (text or "").split()
        if not urls:
            return "<p class='qa-error'>Paste the address of an article page or an RSS/Atom feed first.</p>", gr.skip()
        bad = [u for u in urls if not is_url(u)]
        if bad:
            return (f"<p class='qa-error'>{html.escape(_display_name(bad[0]))}: not a web address (give one starting with "
                    "https:// or http://)</p>", gr.skip())
        progress(0, desc="fetching")
        lines, problems = [], []
        try:
            report = assistant.add(urls, progress=True)
            lines.append(html.escape(report.summary()))
            problems += [str(s) for s in report.skipped + report.cut]
        except Exception as exc:  # noqa: BLE001 - one line
            problems.append(error_line(exc))
        lines += [f"<span class='qa-error'>{html.escape(p)}</span>" for p in problems]
        return "<br>".join(lines), render_stats(assistant)

    def clear() -> tuple:
        return [], [], {}, "", "", "", None, {}, gr.update(choices=saved.choices(store), value=None), "", None

    # -- saved chats: open, rename, delete, export, feedback (qa/ui/saved.py) --
    def open_chat(chat_id: str | None) -> tuple:
        if not chat_id:
            return (gr.skip(),) * 13
        try:
            chat_rec = store.get(chat_id) if store else None
        except Exception as exc:  # noqa: BLE001 - e.g. deleted in another tab
            return (*(gr.skip(),) * 5, f"<p class='qa-error'>{html.escape(error_line(exc))}</p>", *(gr.skip(),) * 7)
        msgs, questions, panels, ids, feedback = saved.messages(chat_rec, render_answer, render_sources, md_escape)
        last = max((int(k) for k in panels), default=None)
        panel = panels[str(last)] if last is not None else "<p class='qa-note'>No answered question in this chat.</p>"
        st = saved.last_settings(chat_rec)
        return (gr.update(value=msgs, feedback_value=feedback), questions, panels, panel, "", "", chat_id, ids,
                chat_rec.title, st.get("as_of", ""), st.get("date_from", ""), st.get("date_to", ""),
                st.get("top_k", default_k))

    def rename_chat(chat_id: str | None, title: str) -> tuple:
        try:
            if store is None or not chat_id:
                raise QAError(saved.NOT_SAVED if store is None else "open or start a chat to rename it")
            store.rename(chat_id, title)
        except Exception as exc:  # noqa: BLE001
            return gr.skip(), f"<p class='qa-error'>{html.escape(error_line(exc))}</p>"
        return gr.update(choices=saved.choices(store), value=chat_id), ""

    def delete_chat(chat_id: str | None) -> tuple:
        try:
            if store is None or not chat_id:
                raise QAError(saved.NOT_SAVED if store is None else "open a saved chat to delete it")
            store.delete(chat_id)
        except Exception as exc:  # noqa: BLE001
            return (*(gr.skip(),) * 4, f"<p class='qa-error'>{html.escape(error_line(exc))}</p>", *(gr.skip(),) * 5)
        return clear()[:10]

    def export_answer(fmt: str, chat_id: str | None, turn_ids: dict, selected: int | None) -> tuple:
        return export(fmt, False, chat_id, turn_ids, selected)

    def export_chat(fmt: str, chat_id: str | None, turn_ids: dict, selected: int | None) -> tuple:
        return export(fmt, True, chat_id, turn_ids, selected)

    def export(fmt: str, whole: bool, chat_id: str | None, turn_ids: dict, selected: int | None) -> tuple:
        try:
            turn_id = None
            if not whole:
                ids = {int(k): v for k, v in (turn_ids or {}).items()}
                pick = selected if selected in ids else max(ids, default=None)
                if pick is None:
                    raise QAError("no answer to export yet: ask a question or open a saved chat")
                turn_id = ids[pick]
            text, path = saved.export(store, chat_id, turn_id, fmt or "md")
        except Exception as exc:  # noqa: BLE001
            return "", None, f"<p class='qa-error'>{html.escape(error_line(exc))}</p>"
        return text, path, ""

    def rate(turn_ids: dict, evt: gr.LikeData) -> tuple:
        turn_id = (turn_ids or {}).get(str(evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index))
        rating = 1 if evt.liked is True else -1 if evt.liked is False else None
        try:
            if store is None or turn_id is None:
                raise QAError(saved.NOT_SAVED if store is None else "only a saved answer can be rated")
            store.rate(turn_id, rating)
        except Exception as exc:  # noqa: BLE001
            return gr.skip(), f"<p class='qa-error'>{html.escape(error_line(exc))}</p>"
        shown = {1: "thumbs up saved", -1: "thumbs down saved"}.get(rating, "rating removed")
        return turn_id, f"<span class='qa-note'>{shown}: add a note below if you like.</span>"

    rate.__annotations__["evt"] = gr.LikeData

    def save_note(turn_id: int | None, note: str) -> str:
        try:
            if store is None or turn_id is None:
                raise QAError(saved.NOT_SAVED if store is None else "rate an answer with a thumb up or down first")
            store.rate(turn_id, store.turn(turn_id).rating, note or "")
        except Exception as exc:  # noqa: BLE001
            return f"<p class='qa-error'>{html.escape(error_line(exc))}</p>"
        return "<span class='qa-note'>note saved with the answer</span>"

    with gr.Blocks(title="News QA", analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        turns = gr.State([])  # earlier questions of this tab, for follow-ups
        sources = gr.State({})  # chat message index → its sources panel
        chat_id = gr.State(None)  # the saved chat this tab writes to (None: the next question starts one)
        turn_ids = gr.State({})  # chat message index → its saved turn (for export and feedback)
        selected = gr.State(None)  # the message last clicked (the answer "Export this answer" writes)
        rated = gr.State(None)  # the turn last given a thumbs up or down (the note goes with it)
        gr.Markdown("## News QA\nAsk about the indexed articles. Answers cite the sentences they come from.")
        with gr.Tabs(elem_id="qa-tabs"):
            with gr.Tab("Chat", id="chat", elem_id="qa-tab-chat"), gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Chat", elem_id="qa-chat", height=460, feedback_options=("Like", "Dislike"),
                                      buttons=["copy"], latex_delimiters=[])  # article text with $ is not LaTeX
                    with gr.Row():
                        box = gr.Textbox(placeholder="Ask a question…", show_label=False, elem_id="qa-question",
                                         scale=5, max_length=2000, autofocus=True)
                        send = gr.Button("Ask", variant="primary", elem_id="qa-send", scale=1)
                        reset = gr.Button("New chat", elem_id="qa-clear", scale=1)
                    error = gr.HTML("", elem_id="qa-error")
                    gr.Examples([[q] for q in EXAMPLES], inputs=[box], label="Examples")
                    with gr.Accordion("Export and feedback", open=False, elem_id="qa-export-box"):
                        with gr.Row():
                            export_fmt = gr.Radio(saved.FORMATS, value="md", label="Format", elem_id="qa-export-format")
                            export_one = gr.Button("Export this answer", size="sm", elem_id="qa-export-answer")
                            export_all = gr.Button("Export the chat", size="sm", elem_id="qa-export-chat")
                        export_text = gr.Textbox(label="Export (copy it, or download the file)", lines=6,
                                                 max_lines=12, buttons=["copy"], elem_id="qa-export-text")
                        export_file = gr.File(label="Download", elem_id="qa-export-file", interactive=False)
                        with gr.Row():
                            note = gr.Textbox(label="Note on the answer you rated with a thumb (optional)", scale=4,
                                              elem_id="qa-feedback-note", max_length=2000)
                            note_save = gr.Button("Save note", size="sm", scale=1, elem_id="qa-feedback-save")
                        feedback_msg = gr.HTML("", elem_id="qa-feedback-result")
                    gr.Markdown("### Sources")
                    panel = gr.HTML("<p class='qa-note'>The sources of an answer show here; click an answer to see "
                                    "its sources again.</p>", elem_id="qa-sources")
                with gr.Column(scale=2):
                    with gr.Accordion("Saved chats", open=True, elem_id="qa-saved-box"):
                        saved_list = gr.Radio(saved.choices(store), label="Reopen a chat", elem_id="qa-saved")
                        with gr.Row():
                            title = gr.Textbox(label="Title", scale=3, elem_id="qa-chat-title", max_length=200)
                            rename = gr.Button("Rename", size="sm", scale=1, elem_id="qa-rename")
                            delete = gr.Button("Delete", size="sm", scale=1, variant="stop", elem_id="qa-delete")
                    with gr.Accordion("Dates and passages", open=True):
                        as_of = gr.Textbox(label="As of (YYYY-MM-DD)", placeholder="latest", elem_id="qa-as-of")
                        with gr.Row():
                            date_from = gr.Textbox(label="From", placeholder="YYYY-MM-DD", elem_id="qa-from")
                            date_to = gr.Textbox(label="To", placeholder="YYYY-MM-DD", elem_id="qa-to")
                        top_k = gr.Slider(1, 20, value=default_k, step=1, label="Passages to read", elem_id="qa-top-k")
                    with gr.Accordion("Add articles", open=True):
                        files = gr.File(label=f"Files ({', '.join(SUPPORTED)}; up to {MAX_UPLOAD_MB} MB each)",
                                        file_count="multiple", file_types=[*SUPPORTED, ".gz"], elem_id="qa-upload")
                        add = gr.Button("Add to index", elem_id="qa-add")
                        added = gr.HTML("", elem_id="qa-upload-result")
                        url_box = gr.Textbox(label="Add a URL or feed (article pages or RSS/Atom feeds, one per line)",
                                             placeholder="https://…", lines=1, max_lines=6, elem_id="qa-url")
                        fetch = gr.Button("Fetch and add", elem_id="qa-fetch")
                    with gr.Accordion("Index", open=True):
                        stats = gr.HTML(render_stats(assistant), elem_id="qa-status")
                        refresh = gr.Button("Refresh", size="sm", elem_id="qa-refresh")
            with gr.Tab("Who said what", id="people", elem_id="qa-tab-people"):
                people_load = people.build(assistant)
            with gr.Tab("Articles", id="articles", elem_id="qa-tab-articles"):
                articles_load = articles.build(assistant, on_change=lambda: render_stats(assistant), stats=stats)

        ask_io = dict(fn=respond, inputs=[box, chat, turns, sources, as_of, date_from, date_to, top_k, chat_id, turn_ids],
                      outputs=[box, chat, turns, sources, panel, error, chat_id, turn_ids],
                      concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask", show_progress_on=[chat])
        # the saved-chats list follows once the answer is in (kept out of /ask, so the API answers as before)
        relist = dict(fn=lambda cid: (gr.update(choices=saved.choices(store), value=cid), saved.title(store, cid)),
                      inputs=[chat_id], outputs=[saved_list, title], api_visibility="private")
        send.click(api_name="ask", **ask_io).then(**relist)
        box.submit(api_visibility="private", **ask_io).then(**relist)
        chat.select(show_sources, inputs=[sources], outputs=[panel, selected], api_visibility="private")
        chat.like(rate, inputs=[turn_ids], outputs=[rated, feedback_msg], api_visibility="private")
        note_save.click(save_note, inputs=[rated, note], outputs=[feedback_msg], api_visibility="private")
        reset.click(clear, outputs=[chat, turns, sources, panel, error, box, chat_id, turn_ids, saved_list, title,
                                    selected], api_visibility="private")
        chat.clear(clear, outputs=[chat, turns, sources, panel, error, box, chat_id, turn_ids, saved_list, title,
                                   selected], api_visibility="private")  # the chat's own trash button: a new chat
        saved_list.input(open_chat, inputs=[saved_list],
                         outputs=[chat, turns, sources, panel, error, box, chat_id, turn_ids, title, as_of, date_from,
                                  date_to, top_k], api_visibility="private")
        rename.click(rename_chat, inputs=[chat_id, title], outputs=[saved_list, error], api_visibility="private")
        delete.click(delete_chat, inputs=[chat_id],
                     outputs=[chat, turns, sources, panel, error, box, chat_id, turn_ids, saved_list, title],
                     api_visibility="private")
        for button, fn in ((export_one, export_answer), (export_all, export_chat)):
            button.click(fn, inputs=[export_fmt, chat_id, turn_ids, selected],
                         outputs=[export_text, export_file, feedback_msg], api_visibility="private")
        # another tab's new chats show up when this one is reloaded
        app.load(lambda: gr.update(choices=saved.choices(store)), outputs=[saved_list], api_visibility="private")
        for fn, outputs in (people_load, articles_load):  # fresh after uploads and removals in any tab
            app.load(fn, outputs=outputs, api_visibility="private")
        add.click(add_files, inputs=[files], outputs=[added, stats], concurrency_limit=1, api_name="add_files")
        fetch.click(add_urls, inputs=[url_box], outputs=[added, stats], concurrency_limit=1,
                    api_name="add_urls")
        refresh.click(lambda: render_stats(assistant), outputs=[stats], api_name="stats")
    app.queue(max_size=QUEUE_SIZE, default_concurrency_limit=ASK_CONCURRENCY)
    return app


def launch_options(host: str = "127.0.0.1", port: int = 7860) -> dict[str, Any]:
    """The keyword arguments `launch` passes to Gradio: local only, no share link, upload size limit."""
    return dict(server_name=host, server_port=port, share=False, inbrowser=False, show_error=False,
                max_file_size=f"{MAX_UPLOAD_MB}mb", ssr_mode=False, mcp_server=False, css=CSS,
                footer_links=["api"])


def launch(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the chat at http://host:port (127.0.0.1 by default, never a public share link); blocks."""
    if host not in _LOCAL_HOSTS:
        log.warning("serving on %s: anyone who can reach this machine can ask questions and add articles", host)
    build_app(assistant).launch(**launch_options(host, port))
