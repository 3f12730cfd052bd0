"""Who said what: the most quoted people with their name variants, and a person's statements (by topic and dates),
each with its date, article and a link to the sentence (the original URL's text fragment, and the article here)."""

from __future__ import annotations

import html
from typing import Any

from ..export import sentence_url

def speaker_choices(speakers: list[Any]) -> list[tuple[str, str]]:
    """(label, name) per speaker: 'Ren Zhangvi · 12 statements · also Ren, Raine'."""
    out = []
    for s in speakers:
        also = [v for v in s.variants if v != s.name]
        label = f"{s.name} · {s.count} statement{'s' if s.count != 1 else ''}" + (f" · also {', '.join(also)}" if also else "")
        out.append((label, s.name))
    return out


def render_quotes(quotes: list[Any], urls: dict[str, str], name: str, about: str | None) -> str:
    """A person's statements as HTML: date, article (linked), the written name, the statement quoted."""
    what = f"{html.escape(name)}" + (f" about <b>{html.escape(about)}</b>" if about else "")
    if not quotes:
        return f"<p class='qa-note'>No statements attributed to {what} in the indexed articles.</p>"
    items = []
    for i, q in enumerate(quotes, 1):
        href = sentence_url(urls.get(q.article_id), q.statement)
        title = html.escape(q.title or q.article_id)
        title = (f"<a href='{html.escape(href, quote=True)}' target='_blank' rel='noopener noreferrer'>{title}</a>"
                 if href else title)
        items.append(
            f"<div class='qa-src qa-quote' id='qa-quote-{i}'><div class='qa-src-meta'>{i}. "
            f"{html.escape(q.published or 'undated')} · {title} · as “{html.escape(q.speaker)}”</div>"
            f"<blockquote class='qa-passage'>{html.escape(q.statement)}</blockquote></div>")
    head = f"<p class='qa-note'>{len(quotes)} statement(s) of <b>{html.escape(quotes[0].canonical)}</b>"
    head += (f" about <b>{html.escape(about)}</b>, best first" if about else ", newest first") + "</p>"
    return head + "".join(items)


def quote_choices(quotes: list[Any]) -> list[tuple[str, int]]:
    """(label, position) for the 'show in its article' picker."""
    return [(f"{i}. {q.title or q.article_id}: {_clip(q.statement, 70)}", i - 1) for i, q in enumerate(quotes, 1)]


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def build(assistant: Any) -> tuple[Any, list[Any]]:
    """The 'Who said what' tab's components and events (inside the app's Blocks); returns what to run on page load
    (the speakers list, fresh after uploads) and its outputs."""
    import gradio as gr

    from ..app import error_line
    from .articles import render_article

    def speakers() -> Any:
        try:
            return gr.update(choices=speaker_choices(assistant.speakers(limit=50)))
        except Exception:  # noqa: BLE001 - the list stays empty; the search shows the error
            return gr.skip()

    def find(name: str, about: str, date_from: str, date_to: str) -> tuple:
        name, about = (name or "").strip(), (about or "").strip()
        if not name:
            return "<p class='qa-error'>Type a name, or pick a person from the list.</p>", gr.update(choices=[], value=None), [], ""
        try:
            found = assistant.quotes(name, about=about or None, limit=50, date_from=date_from or None,
                                     date_to=date_to or None)
            articles = {a: assistant.article(a) for a in {q.article_id for q in found}}
            urls = {a: art.url for a, art in articles.items() if art is not None}
        except Exception as exc:  # noqa: BLE001 - one line, never a traceback
            return f"<p class='qa-error'>{html.escape(error_line(exc))}</p>", gr.update(choices=[], value=None), [], ""
        records = [{"article_id": q.article_id, "start": q.start, "end": q.end} for q in found]
        return (render_quotes(found, urls, name, about or None), gr.update(choices=quote_choices(found), value=None),
                records, "")

    def show(pick: int | None, records: list) -> str:
        if pick is None or not records or not 0 <= int(pick) < len(records):
            return ""
        r = records[int(pick)]
        article = assistant.article(r["article_id"])
        if article is None:
            return "<p class='qa-error'>That article is no longer in the index.</p>"
        return render_article(article, (r["start"], r["end"]))

    records = gr.State([])
    gr.Markdown("Everything a person is quoted saying in the indexed articles, under any of their name variants "
                "(\"Raine\" finds Ren Zhangvi). Add a topic to keep what is about it, best first.")
    with gr.Row():
        with gr.Column(scale=2):
            who = gr.Radio([], label="Most quoted people", elem_id="qa-speakers")
        with gr.Column(scale=3):
            with gr.Row():
                name = gr.Textbox(label="Person", placeholder="a name or any variant", elem_id="qa-person", scale=2)
                about = gr.Textbox(label="About (optional)", placeholder="a topic, e.g. chips", elem_id="qa-topic",
                                   scale=2)
            with gr.Row():
                date_from = gr.Textbox(label="From", placeholder="YYYY-MM-DD", elem_id="qa-person-from")
                date_to = gr.Textbox(label="To", placeholder="YYYY-MM-DD", elem_id="qa-person-to")
                go = gr.Button("Find statements", variant="primary", elem_id="qa-person-find")
            result = gr.HTML("", elem_id="qa-quotes")
            pick = gr.Dropdown([], label="Show a statement in its article", elem_id="qa-quote-pick")
            article = gr.HTML("", elem_id="qa-quote-article")
    io = dict(fn=find, inputs=[name, about, date_from, date_to], outputs=[result, pick, records, article],
              api_visibility="private")
    go.click(**io)
    name.submit(**io)
    about.submit(**io)
    who.input(lambda n: n, inputs=[who], outputs=[name], api_visibility="private").then(**io)
    pick.input(show, inputs=[pick, records], outputs=[article], api_visibility="private")
    return speakers, [who]
