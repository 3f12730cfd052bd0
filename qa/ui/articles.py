"""The articles at hand: the indexed articles filtered by dates, outlet and words; one opened with its text."""

from __future__ import annotations

import html
from typing import Any

from ..export import link

COLUMNS = ["Date", "Title", "Outlet", "From"]


def rows(articles: list[Any]) -> list[list[str]]:
    """The table's rows: date, title, outlet, URL or source file."""
    return [[a.published or "undated", a.title, a.source or "", a.url or a.origin] for a in articles]


def outlet_choices(sources: list[tuple[str, int]]) -> list[tuple[str, str]]:
    return [("All outlets", "")] + [(f"{s or '(no outlet)'} ({n})", s) for s, n in sources if s]


def render_article(article: Any, mark: tuple[int, int] | None = None) -> str:
    """An article as HTML: title, outlet, date, link, its text (escaped) with the span ``mark`` highlighted."""
    meta = [html.escape(article.source or "unknown outlet"), html.escape(article.published or "undated")]
    href = link(article.url)
    if href:
        meta.append(f"<a href='{html.escape(href, quote=True)}' target='_blank' rel='noopener noreferrer'>original</a>")
    elif article.origin:
        meta.append(html.escape(article.origin))
    text = article.text
    if mark and 0 <= mark[0] < mark[1] <= len(text):
        a, b = mark
        body = (f"{html.escape(text[:a])}<mark id='qa-article-mark'>{html.escape(text[a:b])}</mark>"
                f"{html.escape(text[b:])}")
    else:
        body = html.escape(text)
    return (f"<div class='qa-src'><div class='qa-src-head'>{html.escape(article.title or article.id)}</div>"
            f"<div class='qa-src-meta'>{' · '.join(meta)} · id {html.escape(article.id)}</div>"
            f"<div class='qa-passage'>{body}</div></div>")


def build(assistant: Any, on_change: Any, stats: Any) -> tuple[Any, list[Any]]:
    """The 'Articles' tab's components and events; ``on_change`` renders ``stats`` again after a removal. Returns
    what to run on page load (the list and the outlets) and its outputs."""
    import gradio as gr

    from ..app import error_line

    def listing(date_from: str, date_to: str, outlet: str, words: str) -> tuple:
        try:
            found = assistant.articles(date_from or None, date_to or None, outlet or None, words or "", limit=500)
        except Exception as exc:  # noqa: BLE001 - one line
            return gr.skip(), gr.skip(), f"<p class='qa-error'>{html.escape(error_line(exc))}</p>"
        note = f"<span class='qa-note'>{len(found)} article(s){' (the first 500)' if len(found) >= 500 else ''}</span>"
        return rows(found) or [["", "no indexed article matches", "", ""]], [a.id for a in found], note

    def on_load() -> tuple:
        table, ids, note = listing("", "", "", "")
        return table, ids, note, gr.update(choices=outlet_choices(assistant.store.sources()), value="")

    def open_article(ids: list, evt: gr.SelectData) -> tuple:
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if not ids or not 0 <= row < len(ids):
            return gr.skip(), None, gr.update(visible=False)
        article = assistant.article(ids[row])
        if article is None:
            return "<p class='qa-error'>That article is no longer in the index: list again.</p>", None, gr.update(visible=False)
        return render_article(article), article.id, gr.update(visible=True)

    open_article.__annotations__["evt"] = gr.SelectData

    def remove(article_id: str | None, *filters: str) -> tuple:
        if not article_id:
            return gr.skip(), gr.skip(), "<p class='qa-error'>Open an article first.</p>", gr.skip(), gr.skip(), gr.skip(), gr.skip()
        try:
            art = assistant.article(article_id)
            title = art.title if art else article_id
            n = assistant.remove([article_id])
        except Exception as exc:  # noqa: BLE001
            return gr.skip(), gr.skip(), f"<p class='qa-error'>{html.escape(error_line(exc))}</p>", gr.skip(), gr.skip(), gr.skip(), gr.skip()
        table, ids, _ = listing(*filters)
        done = f"<span class='qa-note'>removed from the index: {html.escape(title)}</span>" if n else \
            "<p class='qa-error'>That article was already removed.</p>"
        return table, ids, done, "", None, gr.update(visible=False), on_change()

    ids = gr.State([])
    current = gr.State(None)
    gr.Markdown("The indexed articles, newest first. Click a row to read the article; it can be removed from the "
                "index there.")
    with gr.Row():
        date_from = gr.Textbox(label="From", placeholder="YYYY-MM-DD", elem_id="qa-art-from")
        date_to = gr.Textbox(label="To", placeholder="YYYY-MM-DD", elem_id="qa-art-to")
        outlet = gr.Dropdown([("All outlets", "")], value="", label="Outlet", elem_id="qa-art-source")
        words = gr.Textbox(label="Words", placeholder="every word must appear", elem_id="qa-art-words")
        go = gr.Button("List", variant="primary", elem_id="qa-art-list")
    note = gr.HTML("", elem_id="qa-art-note")
    table = gr.Dataframe(headers=COLUMNS, datatype=["str"] * 4, interactive=False, wrap=True, elem_id="qa-articles",
                         max_height=420)
    article = gr.HTML("", elem_id="qa-article")
    with gr.Row():
        ask_remove = gr.Button("Remove this article from the index", variant="stop", size="sm", visible=False,
                               elem_id="qa-art-remove")
        confirm = gr.Button("Yes, remove it", variant="stop", size="sm", visible=False, elem_id="qa-art-confirm")
    filters = [date_from, date_to, outlet, words]
    for trigger in (go.click, date_from.submit, date_to.submit, words.submit):
        trigger(listing, inputs=filters, outputs=[table, ids, note], api_visibility="private")
    outlet.input(listing, inputs=filters, outputs=[table, ids, note], api_visibility="private")
    table.select(open_article, inputs=[ids], outputs=[article, current, ask_remove], api_visibility="private")
    ask_remove.click(lambda: gr.update(visible=True), outputs=[confirm], api_visibility="private")
    confirm.click(remove, inputs=[current, *filters], outputs=[table, ids, note, article, current, ask_remove, stats],
                  api_visibility="private").then(lambda: gr.update(visible=False), outputs=[confirm],
                                                 api_visibility="private")
    return on_load, [table, ids, note, outlet]
