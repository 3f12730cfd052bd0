"""One answer or a whole saved chat as Markdown, JSON or a standalone HTML page, with its evidence.

Every citation is written with its article title, outlet, date, URL and the exact sentence it cites, quoted verbatim
(Markdown: a `>` block, one line per line of the sentence; HTML: escaped text in a <blockquote>; JSON: the string),
so a reader can check the answer without the index. [n] markers link to the original URL (Markdown) or to the
source below, whose title links to the URL (HTML); only http(s) URLs become links.
"""

from __future__ import annotations

import html
import json
import re
import time
import urllib.parse
from typing import TYPE_CHECKING, Any

from .errors import ChatError
from .types import Answer, Citation

if TYPE_CHECKING:
    from .chats import Chat, ChatStore

FORMATS = ("md", "json", "html")
_MARKER = re.compile(r"\[(\d+)\]")
_WEB = re.compile(r"https?://", re.I)
_FRAGMENT_WORDS = 8  # words of a sentence's start (and end) in a text-fragment link

CSS = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1f2937; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
.answer { white-space: pre-wrap; } .meta, .note { font-size: .85em; color: #6b7280; }
.source { border-left: 3px solid #d1d5db; padding: .2rem .8rem; margin: .8rem 0; }
.source:target { border-color: #2563eb; } blockquote { margin: .3rem 0; font-style: italic; white-space: pre-wrap; }
"""


def citation_record(c: Citation) -> dict[str, Any]:
    """One citation as data (the API's citations field and the JSON export): where it is and what it says."""
    return {"n": c.n, "title": c.title, "source": c.source, "url": c.url, "published": c.published,
            "sentence": c.sentence, "start": c.start, "end": c.end, "article_id": c.article_id}


def link(url: str | None) -> str | None:
    """The URL when it may become a link (http or https: never javascript: or file: from article metadata)."""
    return url if url and _WEB.match(url) else None


def sentence_url(url: str | None, sentence: str) -> str | None:
    """The original article's URL scrolled to a sentence (a text fragment, #:~:text=), when there is a web URL."""
    base = link(url)
    if not base:
        return None
    words = sentence.split()
    frag = urllib.parse.quote(" ".join(words[:_FRAGMENT_WORDS]), safe="")
    if len(words) > 2 * _FRAGMENT_WORDS:  # textStart,textEnd: the whole sentence without a very long fragment
        frag += "," + urllib.parse.quote(" ".join(words[-_FRAGMENT_WORDS:]), safe="")
    return f"{base.split('#')[0]}#:~:text={frag}"


# -- the record shared by the three formats -------------------------------------------------------

def answer_data(answer: Answer, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """An answer as the JSON export writes it: question, answer, settings asked with, citations."""
    data = {"question": answer.question, "answer": answer.text, "short": answer.short,
            "abstained": answer.abstained, "mode": answer.mode,
            "citations": [citation_record(c) for c in answer.citations]}
    asked = dict(settings or {})
    if answer.as_of and "as_of" not in asked:
        asked["as_of"] = answer.as_of
    if asked:
        data["settings"] = asked
    return data


def chat_data(chat: Chat) -> dict[str, Any]:
    """A saved chat (qa.chats.Chat) as the JSON export writes it."""
    turns = []
    for t in chat.turns:
        item = answer_data(t.answer, t.settings) if t.answer else {"question": t.question, "answer": None,
                                                                     "citations": [], "settings": t.settings}
        if t.answer is None:
            item["unanswered"] = t.error or "no answer was saved (the server stopped while answering)"
        if t.rating is not None:
            item["feedback"] = {"rating": t.rating, "note": t.note}
        turns.append(item)
    return {"id": chat.id, "title": chat.title, "created": _iso(chat.created), "updated": _iso(chat.updated),
            "turns": turns}


# -- formats ------------------------------------------------------------------------------------

def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def to_markdown(data: dict[str, Any]) -> str:
    """An answer_data or chat_data record as Markdown; the quoted sentences are verbatim."""
    if "turns" not in data:
        return _md_turn(data, level="#")
    head = [f"# {data['title']}", "", f"*Chat of {data['created']} (last question {data['updated']}), "
            f"exported {_iso(time.time())} from newsqa.*", ""]
    return "\n".join(head) + "\n" + "\n".join(_md_turn(t, level="##") for t in data["turns"])


def _md_turn(t: dict[str, Any], level: str) -> str:
    out = [f"{level} {_one_line(t['question'])}", ""]
    if t.get("answer") is None:
        out += [f"*Not answered: {t.get('unanswered', '')}*", ""]
        return "\n".join(out) + "\n"
    urls = {c["n"]: link(c["url"]) for c in t["citations"]}
    text = _MARKER.sub(lambda m: f"[\\[{m.group(1)}\\]](<{urls[int(m.group(1))]}>)" if urls.get(int(m.group(1)))
                       else m.group(0).replace("[", "\\[").replace("]", "\\]"), t["answer"])
    out += [text, ""]
    note = _settings_line(t.get("settings") or {})
    if t.get("abstained"):
        note = "; ".join(x for x in ("not in the indexed articles", note) if x)
    if note:
        out += [f"*{note}*", ""]
    if t["citations"]:
        out += [f"{level}# Sources", ""]
    for c in t["citations"]:
        title = _one_line(c["title"] or c["article_id"])
        title = f"[{title}](<{link(c['url'])}>)" if link(c["url"]) else title
        meta = " · ".join(x for x in (c["source"] or "unknown outlet", c["published"] or "undated", c["url"]) if x)
        out += [f"**[{c['n']}]** {title} — {meta}", ""]
        out += ["> " + line for line in c["sentence"].split("\n")] + [""]
    if t.get("feedback"):
        f = t["feedback"]
        out += [f"*Feedback: {'👍' if f['rating'] > 0 else '👎'}{' — ' + f['note'] if f.get('note') else ''}*", ""]
    return "\n".join(out) + "\n"


def to_html(data: dict[str, Any]) -> str:
    """An answer_data or chat_data record as one standalone HTML page (no scripts, no outside resources)."""
    turns = data["turns"] if "turns" in data else [data]
    title = data.get("title") or data["question"]
    sub = (f"<p class='meta'>Chat of {_e(data['created'])} · exported {_e(_iso(time.time()))} from newsqa</p>"
           if "turns" in data else f"<p class='meta'>Exported {_e(_iso(time.time()))} from newsqa</p>")
    body = "".join(_html_turn(t, i) for i, t in enumerate(turns, 1))
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{CSS}</style></head>"
            f"<body><h1>{_e(title)}</h1>{sub}{body}</body></html>\n")


def _html_turn(t: dict[str, Any], i: int) -> str:
    out = [f"<section class='turn' id='q{i}'><h2>{_e(t['question'])}</h2>"]
    if t.get("answer") is None:
        out.append(f"<p class='note'>Not answered: {_e(t.get('unanswered', ''))}</p></section>")
        return "".join(out)
    text = _MARKER.sub(lambda m: f"<a href='#q{i}-s{m.group(1)}'>[{m.group(1)}]</a>", _e(t["answer"]))
    out.append(f"<p class='answer'>{text}</p>")
    note = _settings_line(t.get("settings") or {})
    if t.get("abstained"):
        note = "; ".join(x for x in ("not in the indexed articles", note) if x)
    if note:
        out.append(f"<p class='note'>{_e(note)}</p>")
    for c in t["citations"]:
        name = _e(c["title"] or c["article_id"])
        href = link(c["url"])
        name = f"<a href='{_e(href)}' rel='noopener noreferrer'>{name}</a>" if href else name
        meta = " · ".join(_e(x) for x in (c["source"] or "unknown outlet", c["published"] or "undated") if x)
        out.append(f"<div class='source' id='q{i}-s{c['n']}'><div>[{c['n']}] {name}</div>"
                   f"<div class='meta'>{meta}{' · ' + _e(c['url']) if c['url'] else ''}</div>"
                   f"<blockquote class='quote'>{_e(c['sentence'])}</blockquote></div>")
    if t.get("feedback"):
        f = t["feedback"]
        out.append(f"<p class='note'>Feedback: {'👍' if f['rating'] > 0 else '👎'}"
                   f"{' — ' + _e(f['note']) if f.get('note') else ''}</p>")
    out.append("</section>")
    return "".join(out)


def render(data: dict[str, Any], fmt: str) -> str:
    """answer_data / chat_data in one of FORMATS."""
    if fmt == "md":
        return to_markdown(data)
    if fmt == "json":
        return to_json(data)
    if fmt == "html":
        return to_html(data)
    raise ChatError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")


def file_name(title: str, fmt: str) -> str:
    """A safe file name for an export: the title's words, then the format's extension."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-")[:60].lower() or "answer"
    return f"{stem}.{fmt}"


def _settings_line(settings: dict[str, Any]) -> str:
    names = {"as_of": "as of", "date_from": "from", "date_to": "to", "top_k": "passages"}
    return ", ".join(f"{names.get(k, k)} {v}" for k, v in settings.items() if v not in (None, ""))


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t))


def gold_candidates(store: ChatStore) -> list[dict[str, Any]]:
    """Every rated answer of a chats store (qa.chats.ChatStore) as a candidate gold question in eval/'s seed format
    (id, question, history, as_of, answerable, answers_any, support) plus what a reviewer needs to finish it: the
    answer, its citations, the rating and the user's note. A thumbs-down answer gives no answers_any: the reviewer
    writes the right one (the note may say it)."""
    out = []
    chats: dict[str, Chat] = {}
    for chat, turn in store.rated():
        full = chats.setdefault(chat.id, store.get(chat.id))
        answer = turn.answer
        good = turn.rating > 0
        out.append({
            "id": f"feedback-{chat.id[:8]}-{turn.position + 1}", "question": turn.question,
            "history": [t.question for t in full.turns if t.position < turn.position],
            "as_of": turn.settings.get("as_of") or answer.as_of,
            "answerable": not (good and answer.abstained),
            "answers_any": [answer.short or answer.text] if good and not answer.abstained else [],
            "support": [c.sentence for c in answer.citations] if good else [],
            "rating": "up" if good else "down", "note": turn.note, "answer": answer.text,
            "citations": [citation_record(c) for c in answer.citations], "settings": turn.settings,
            "chat": chat.title, "asked": _iso(turn.asked),
        })
    return out
