"""The `qa` command line: a thin shell over `qa.Assistant`. Errors print one line, never a traceback."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

EXIT_ERROR = 1
EXIT_NOTHING = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from .errors import QAError

    try:
        _text_args(args)
        return int(args.func(args) or 0)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted: the index keeps every batch committed so far; run the same command again to finish",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qa", description="Ask questions about a folder of news articles; answers cite their sources.")
    from .config import PRESETS, EmbeddingSettings, choices

    p.add_argument("--settings", metavar="FILE", help="TOML settings file (default: $QA_SETTINGS or ./qa.toml)")
    p.add_argument("--preset", choices=[name for name in PRESETS if name],
                   help="a named starting point under the settings file: 'fast' = SmolLM2-135M, no reading; "
                        "'extractive' = no language model (or $QA_PRESET)")
    sub = p.add_subparsers(metavar="COMMAND")

    def cmd(name: str, func: Any, help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help)
        sp.set_defaults(func=func)
        return sp

    def index_opt(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--index", metavar="DIR", help="index folder (default: index/default, or $QA_INDEX)")

    def model_opt(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--model", metavar="GGUF", help="GGUF model file or name (default: qwen2.5-coder-1.5b; smollm2-135m is the fast one; or $QA_MODEL)")
        sp.add_argument("--no-llm", action="store_true", help="answer extractively, without the language model")

    sp = cmd("index", _index, "Index files or folders (txt, md, html, json, jsonl(.gz), csv, RSS/Atom, PDF, docx, odt, epub), "
                              "and web pages or RSS/Atom feeds by http(s) URL.")
    sp.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    index_opt(sp)
    sp.add_argument("--prune", action="store_true", help="remove indexed articles from these paths that are gone")
    sp.add_argument("--rebuild", action="store_true", help="delete the index first (e.g. after changing embedding or chunking settings)")
    sp.add_argument("--embed-backend", choices=choices(EmbeddingSettings, "backend"), help="embedding backend")
    sp.add_argument("--json", action="store_true", help="print the report as JSON")
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    sp = cmd("feeds", _feeds, "Subscriptions kept current by `qa update` and `qa watch`: feeds by URL and watched folders.")
    sp.add_argument("action", choices=["add", "list", "remove"])
    sp.add_argument("sources", nargs="*", metavar="URL_OR_FOLDER")
    index_opt(sp)

    sp = cmd("update", _update, "Refresh every subscribed feed and watched folder once (new entries and changed files).")
    index_opt(sp)
    sp.add_argument("--json", action="store_true", help="print the report as JSON")
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    sp = cmd("watch", _watch, "Refresh every subscribed feed and watched folder now and then every few minutes; "
                              "Ctrl-C stops it (safe at any moment).")
    index_opt(sp)
    sp.add_argument("--every", type=float, metavar="MINUTES", help="minutes between rounds (default: fetch.watch_minutes)")

    sp = cmd("remove", _remove, "Remove articles by id, or every article loaded from the given files or folders.")
    sp.add_argument("items", nargs="+", metavar="ID_OR_PATH")
    index_opt(sp)

    sp = cmd("stats", _stats, "Show what an index holds.")
    index_opt(sp)
    sp.add_argument("--json", action="store_true")

    sp = cmd("check", _check, "Check that an index folder is whole (manifest, SQLite pages, vectors and keyword rows "
                              "against the chunks) and say what to do when it is not.")
    index_opt(sp)
    sp.add_argument("--full", action="store_true", help="SQLite's full integrity_check instead of quick_check (slower)")
    sp.add_argument("--repair", action="store_true",
                    help="rebuild what is derived from the database (the vector index) and save it")

    sp = cmd("search", _search, "Show the passages dense and keyword retrieval find for a query.")
    sp.add_argument("query")
    sp.add_argument("-k", type=_positive, default=5, help="passages per retriever (default 5)")
    sp.add_argument("--fused", action="store_true", help="show the fused hybrid ranking instead")
    sp.add_argument("--as-of", metavar="DATE")
    index_opt(sp)

    sp = cmd("ask", _ask, "Answer one question with cited sources.")
    sp.add_argument("question")
    sp.add_argument("--as-of", metavar="DATE", help="ignore articles published after this date (YYYY-MM-DD)")
    sp.add_argument("--from", dest="date_from", metavar="DATE", help="only articles published on or after")
    sp.add_argument("--to", dest="date_to", metavar="DATE", help="only articles published on or before")
    sp.add_argument("--choices", nargs="+", metavar="CHOICE", help="pick the best supported of these answers")
    sp.add_argument("--history", action="append", metavar="TURN", help="an earlier question of the chat (repeatable)")
    sp.add_argument("--json", action="store_true", help="print the whole answer object as JSON (with the passages read)")
    sp.add_argument("--format", choices=["text", "md", "json", "html"], default="text",
                    help="md / json / html: the answer with each citation's title, outlet, date, URL and exact "
                         "sentence, as the UI's export writes it (default: text)")
    index_opt(sp)
    model_opt(sp)

    sp = cmd("chat", _chat, "Interactive chat in the terminal (follow-up questions keep their context).")
    sp.add_argument("--as-of", metavar="DATE")
    index_opt(sp)
    model_opt(sp)

    sp = cmd("ui", _ui, "Start the browser chat.")
    index_opt(sp)
    model_opt(sp)
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=7860)

    sp = cmd("serve", _serve, "Serve an OpenAI-compatible API (/v1/chat/completions, /v1/models, /v1/search) over the index.")
    index_opt(sp)
    model_opt(sp)
    sp.add_argument("--host", help="address to bind (default 127.0.0.1: this machine only; serve.host)")
    sp.add_argument("--port", type=int, help="TCP port (default 8000; serve.port)")
    sp.add_argument("--token", help="require 'Authorization: Bearer TOKEN' (default: $QA_API_TOKEN; none = open)")

    sp = cmd("speakers", _speakers, "List the people quoted most, with their name variants.")
    sp.add_argument("-n", type=_positive, default=20)
    index_opt(sp)

    sp = cmd("quotes", _quotes, "Show what a person said (statements attributed to them, any name variant).")
    sp.add_argument("name")
    sp.add_argument("--about", metavar="TOPIC")
    sp.add_argument("--from", dest="date_from", metavar="DATE", help="only articles published on or after")
    sp.add_argument("--to", dest="date_to", metavar="DATE", help="only articles published on or before")
    sp.add_argument("-n", type=_positive, default=10)
    index_opt(sp)

    sp = cmd("articles", _articles, "List the indexed articles, newest first (filter by dates, outlet, words).")
    sp.add_argument("words", nargs="*", metavar="WORD", help="only articles holding every word")
    sp.add_argument("--from", dest="date_from", metavar="DATE")
    sp.add_argument("--to", dest="date_to", metavar="DATE")
    sp.add_argument("--source", metavar="OUTLET", help="only this outlet (as `qa stats` names it)")
    sp.add_argument("-n", type=_positive, default=50)
    index_opt(sp)

    sp = cmd("chats", _chats, "The browser chat's saved chats: list, show, export, rename, delete.")
    sp.add_argument("action", nargs="?", default="list", choices=["list", "show", "export", "rename", "delete"])
    sp.add_argument("chat", nargs="?", metavar="ID", help="a chat id (its first characters are enough)")
    sp.add_argument("title", nargs="?", metavar="TITLE", help="rename: the new title")
    sp.add_argument("--format", choices=["md", "json", "html"], default="md", help="export format (default md)")
    sp.add_argument("-o", "--out", metavar="FILE", help="export: write to FILE instead of printing")
    index_opt(sp)

    sp = cmd("feedback", _feedback, "Answers marked with a thumbs up or down in the browser chat.")
    sp.add_argument("action", choices=["export"])
    sp.add_argument("-o", "--out", metavar="FILE", help="write JSONL here (default: print)")
    index_opt(sp)

    for register in _plugins():  # e.g. the eval suite's `qa eval` and `qa bench` (entry points "newsqa.commands")
        register(cmd, index_opt, model_opt)

    sp = cmd("config", _config, "Show every setting with its current value and meaning.")
    return p


# -- commands -------------------------------------------------------------------------------------

def _open(args: argparse.Namespace, create: bool = False, **extra: Any):  # noqa: ANN202
    from .assistant import Assistant
    from .config import Settings

    overrides: dict[str, Any] = {k: extra.pop(k) for k in list(extra) if "." in k}  # dotted settings
    overrides["preset"] = getattr(args, "preset", None)
    if getattr(args, "model", None):
        overrides["llm.model"] = args.model
    if getattr(args, "no_llm", False):
        overrides["llm.enabled"] = False
    if getattr(args, "embed_backend", None):
        overrides["embedding.backend"] = args.embed_backend
    if getattr(args, "index", None):
        overrides["index_dir"] = args.index
    settings = Settings.load(args.settings, **overrides)
    return Assistant.open(settings=settings, create=create, **extra)


def _index(args: argparse.Namespace) -> int:
    from .ingest.load import Skipped, check_paths
    from .text.escape import shown

    check_paths(args.paths)  # before the index is opened: `--rebuild` with an empty path must delete nothing

    def warn(s: Skipped) -> None:
        print(f"warning: {s}", file=sys.stderr)

    assistant = _open(args, create=True, rebuild=args.rebuild)
    try:
        report = assistant.add(args.paths, prune=args.prune, progress=not args.quiet, on_skip=warn)
    finally:
        assistant.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.summary())
        print(f"index: {shown(assistant.settings.index_dir)}")
    if report.indexed == 0:
        print("error: nothing could be indexed (see the warnings above)", file=sys.stderr)
        return EXIT_NOTHING
    return 0


def _feeds(args: argparse.Namespace) -> int:
    from .errors import ConfigError
    from .text.escape import shown

    if args.action != "list" and not args.sources:
        raise ConfigError(f"`qa feeds {args.action}` needs a feed URL or a folder, e.g. qa feeds {args.action} "
                          "https://example.com/feed.xml")
    assistant = _open(args, create=args.action == "add")
    try:
        if args.action == "add":
            for source in args.sources:
                sub = assistant.subscribe(source)
                print(f"subscribed: {shown(sub.source)} ({sub.kind}); `qa update` or `qa watch` brings it in")
        elif args.action == "remove":
            missing = [s for s in args.sources if not assistant.unsubscribe(s)]
            for s in missing:
                print(f"warning: not subscribed: {shown(s)} (see `qa feeds list`)", file=sys.stderr)
            if len(missing) == len(args.sources):
                return EXIT_NOTHING
            print(f"unsubscribed {len(args.sources) - len(missing)}; their articles stay indexed (`qa remove` removes them)")
        else:
            subs = assistant.subscriptions()
            if not subs:
                print("no subscriptions: add one with `qa feeds add URL_OR_FOLDER`")
            for sub in subs:
                when = "never updated" if sub.checked_at is None else "updated " + _ago(sub.checked_at)
                print(f"{sub.kind:<6}  {shown(sub.source)}  ({when}{'; last error: ' + shown(sub.error) if sub.error else ''})")
    finally:
        assistant.close()
    return 0


def _ago(t: float) -> str:
    import time

    s = max(0.0, time.time() - t)
    return f"{s:.0f} s ago" if s < 120 else f"{s / 60:.0f} min ago" if s < 7200 else f"{s / 3600:.0f} h ago"


def _update(args: argparse.Namespace) -> int:
    from .ingest.load import Skipped

    def warn(s: Skipped) -> None:
        print(f"warning: {s}", file=sys.stderr)

    assistant = _open(args)
    try:
        if not assistant.subscriptions():
            print("no subscriptions: add a feed or folder with `qa feeds add URL_OR_FOLDER`", file=sys.stderr)
            return EXIT_NOTHING
        report = assistant.update(progress=not args.quiet, on_skip=warn)
    finally:
        assistant.close()
    if args.json:
        print(json.dumps(report.ingest.to_dict() | {"not_modified": report.not_modified, "failed": report.failed}, indent=2))
    else:
        print(report.summary())
    return EXIT_ERROR if report.failed else 0


def _watch(args: argparse.Namespace) -> int:
    import time

    from .ingest.load import Skipped
    from .ingest.watch import watch

    def warn(s: Skipped) -> None:
        print(f"warning: {s}", file=sys.stderr, flush=True)

    assistant = _open(args, **({"fetch.watch_minutes": args.every} if args.every else {}))
    try:
        if not assistant.subscriptions():
            print("no subscriptions: add a feed or folder with `qa feeds add URL_OR_FOLDER`", file=sys.stderr)
            return EXIT_NOTHING
        minutes = assistant.settings.fetch.watch_minutes
        print(f"watching {len(assistant.subscriptions())} feed(s) and folder(s) every {minutes:g} min; Ctrl-C stops",
              file=sys.stderr, flush=True)

        def done(n: int, report: Any) -> None:
            print(f"{time.strftime('%H:%M:%S')} round {n}: {report.summary()}", flush=True)

        with assistant.write_lock:
            watch(assistant.store, assistant.embedder, assistant.settings, on_round=done, on_skip=warn)
    finally:
        assistant.close()
    return 0


def _remove(args: argparse.Namespace) -> int:
    assistant = _open(args)
    n = assistant.remove(args.items)
    print(f"removed {n} article(s)")
    return 0 if n else EXIT_NOTHING


def _stats(args: argparse.Namespace) -> int:
    assistant = _open(args)
    s = assistant.stats()
    if args.json:
        print(json.dumps(s.to_dict(), indent=2))
        return 0
    rows = [
        ("index", s.path), ("articles", s.articles), ("chunks", s.chunks), ("stories", f"{s.stories} (near-duplicates grouped)"),
        ("sources", f"{s.sources} (top: {', '.join(f'{k} {v}' for k, v in s.top_sources)})"),
        ("dates", f"{s.date_from or '-'} .. {s.date_to or '-'} ({s.undated} undated)"),
        ("quotes", s.quotes), ("size on disk", f"{s.bytes_on_disk / 1e6:.1f} MB"),
        ("embedding", f"{s.embedding}, {s.dim} dims"), ("chunking", ", ".join(f"{k}={v}" for k, v in s.chunking.items())),
        ("vector index", s.faiss),
    ]
    for k, v in rows:
        print(f"{k:>14}: {v}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from .config import Settings
    from .embed import make_embedder
    from .index.check import check_index

    settings = Settings.load(args.settings, preset=getattr(args, "preset", None), **({"index_dir": args.index} if args.index else {}))
    embedder = make_embedder(settings.embedding)
    if args.repair:  # opening rebuilds a vector index that is missing, damaged or not this index's; save keeps it
        from .index import Index

        store = Index(settings.index_dir, settings, embedder, create=False)
        try:
            store.save()
        finally:
            store.close()
        print(f"repaired: the vector index of {settings.index_dir} was rebuilt from the database and saved")
    report = check_index(settings.index_dir, settings, embedder, full=args.full)
    for finding in report.findings:
        print(finding)
    print(report.summary())
    return 0 if report.ok else EXIT_ERROR


def _search(args: argparse.Namespace) -> int:
    assistant = _open(args)
    if args.fused:
        sections = [("hybrid (dense + BM25, reciprocal rank fusion)", assistant.search(args.query, args.k, as_of=args.as_of))]
    else:
        sections = [("dense (embeddings)", assistant.search_dense(args.query, args.k)),
                    ("keyword (BM25)", assistant.search_keyword(args.query, args.k))]
    for title, passages in sections:
        print(f"== {title}")
        if not passages:
            print("   (nothing found)")
        for i, p in enumerate(passages, 1):
            print(f"{i:>2}. {p.score:.3g}  {p.title}  [{p.published or 'undated'} · {p.source or '?'}]")
            for line in _matching_sentences(p.text, args.query) or [_clip(p.text, 300)]:
                print(f"    {line}")
    return 0


def _print_answer(answer: Any) -> None:
    print(answer.text)
    if answer.citations:
        print()
        print("Sources:")
        for c in answer.citations:
            meta = " · ".join(x for x in (c.published or "undated", c.source, f"p. {c.page}" if c.page else "", c.url) if x)
            print(f"[{c.n}] {c.title} ({meta})")
            print(f"    “{c.sentence}”")


def _ask(args: argparse.Namespace) -> int:
    assistant = _open(args)
    answer = assistant.ask(args.question, history=args.history, as_of=args.as_of, date_from=args.date_from,
                           date_to=args.date_to, choices=args.choices)
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
    elif args.format != "text":
        from .export import answer_data, render

        asked = {"as_of": args.as_of, "date_from": args.date_from, "date_to": args.date_to}
        sys.stdout.write(render(answer_data(answer, {k: v for k, v in asked.items() if v}), args.format))
    else:
        _print_answer(answer)
    return 0


def _chat(args: argparse.Namespace) -> int:
    from .errors import QAError

    assistant = _open(args)
    history: list[str] = []
    print("Ask about the indexed articles. Empty line or Ctrl-D to quit.")
    while True:
        try:
            question = input("\n> ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            return 0
        try:
            shown = False
            for event in assistant.stream(question, history=history, as_of=args.as_of):
                if event.kind == "status":
                    print(f"({event.text})")
                elif event.kind == "answer":
                    if shown:
                        print("\n")
                    _print_answer(event.answer)
                elif event.kind == "token" and sys.stdout.isatty() and not shown:  # the best evidence, at once
                    print(f"… {event.text}", end="", flush=True)
                    shown = True
        except QAError as exc:
            print(f"error: {exc}")
        history.append(question)


def _ui(args: argparse.Namespace) -> int:
    from .app import launch

    assistant = _open(args)
    launch(assistant, host=args.host, port=args.port)
    return 0


def _serve(args: argparse.Namespace) -> int:
    import os

    from .serve import serve

    assistant = _open(args)
    s = assistant.settings.serve
    host, port = args.host or s.host, args.port or s.port
    from .errors import ConfigError

    token = args.token if args.token is not None else os.environ.get("QA_API_TOKEN") or None
    if token is not None and not token.strip():  # an unset shell variable, or spaces: no key could ever match
        raise ConfigError("the API token is empty or blank (--token, or QA_API_TOKEN; an unset shell variable?): "
                          "give the token, or leave both unset to serve without one")
    token = token.strip() if token else None
    if host not in ("127.0.0.1", "localhost", "::1") and not token:
        print(f"warning: serving on {host} without a token: anyone who can reach this machine can use the API "
              "(set --token or QA_API_TOKEN)", file=sys.stderr)
    print(f"loading the models for {assistant.settings.index_dir} …", file=sys.stderr, flush=True)

    def ready(url: str) -> None:
        print(f"serving {url}/v1 (model id {s.model_id!r}{', bearer token required' if token else ''}); Ctrl-C stops",
              file=sys.stderr, flush=True)

    try:
        serve(assistant, host, port, token, ready=ready)
    finally:
        assistant.close()
    return 0


def _speakers(args: argparse.Namespace) -> int:
    assistant = _open(args)
    rows = assistant.speakers(limit=args.n)
    if not rows:
        print("no attributed statements in this index")
        return 0
    for s in rows:
        variants = ", ".join(v for v in s.variants if v != s.name)
        print(f"{s.count:>5}  {s.name}" + (f"  (also: {variants})" if variants else ""))
    return 0


def _quotes(args: argparse.Namespace) -> int:
    assistant = _open(args)
    rows = assistant.quotes(args.name, about=args.about, limit=args.n, date_from=args.date_from, date_to=args.date_to)
    if not rows:
        print(f"no statements attributed to {args.name!r}" + (f" about {args.about!r}" if args.about else ""))
        return EXIT_NOTHING
    from .export import sentence_url

    for q in rows:
        print(f"- {q.canonical} (as “{q.speaker}”), {q.title} [{q.published or 'undated'}]:")
        print(f"    “{q.statement}”")
        article = assistant.article(q.article_id)
        href = sentence_url(article.url if article else None, q.statement)
        print(f"    {href}" if href else f"    article {q.article_id}, characters {q.start}-{q.end}")
    return 0


def _articles(args: argparse.Namespace) -> int:
    assistant = _open(args)
    rows = assistant.articles(args.date_from, args.date_to, args.source, " ".join(args.words), limit=args.n)
    if not rows:
        print("no indexed article matches")
        return EXIT_NOTHING
    for a in rows:
        print(f"{a.published or 'undated':>10}  {a.title}  [{a.source or '?'}]  {a.url or a.origin}  id {a.id}")
    return 0


def _chat_store(args: argparse.Namespace):  # noqa: ANN202
    """The chats database `qa ui` writes for this index; one line when there is none (nothing is created)."""
    from .chats import ChatStore
    from .config import Settings
    from .errors import ChatError
    from .text.escape import shown

    settings = Settings.load(args.settings, **({"index_dir": args.index} if args.index else {}))
    path = settings.chats.file(settings.index_dir)
    if not path.is_file():
        raise ChatError(f"no saved chats for {shown(settings.index_dir)} ({shown(str(path))} does not exist): "
                        "`qa ui` saves them there; check --index or chats.path")
    return ChatStore(path)


def _chats(args: argparse.Namespace) -> int:
    from .chats import stamp
    from .errors import ChatError
    from .export import chat_data, file_name, render

    store = _chat_store(args)
    if args.action == "list":
        chats = store.recent()
        if not chats:
            print("no saved chats")
        for c in chats:
            print(f"{c.id[:8]}  {stamp(c.updated)}  {c.n_turns:>3} question(s)  {c.title}")
        return 0
    if not args.chat:
        raise ChatError(f"`qa chats {args.action}` needs a chat id: `qa chats list` shows them")
    chat = store.find(args.chat)
    if args.action == "show":
        for t in chat.turns:
            print(f"> {t.question}")
            if t.answer:
                _print_answer(t.answer)
            else:
                print(f"(not answered{': ' + t.error if t.error else ''})")
            print()
    elif args.action == "export":
        text = render(chat_data(chat), args.format)
        if args.out:
            _write_out(args.out, text)
            print(f"wrote {args.out}")
        else:
            sys.stdout.write(text)
            print(f"(save it with -o {file_name(chat.title, args.format)})", file=sys.stderr)
    elif args.action == "rename":
        store.rename(chat.id, args.title or "")
        print(f"renamed {chat.id[:8]}")
    elif args.action == "delete":
        store.delete(chat.id)
        print(f"deleted {chat.id[:8]} ({chat.title})")
    return 0


def _feedback(args: argparse.Namespace) -> int:
    from .export import gold_candidates

    rows = gold_candidates(_chat_store(args))
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if args.out:
        _write_out(args.out, lines)
        print(f"wrote {len(rows)} candidate gold question(s) to {args.out} (review them before adding to eval/)")
    else:
        sys.stdout.write(lines)
    return 0 if rows else EXIT_NOTHING


def _write_out(path: str, text: str) -> None:
    from pathlib import Path

    from .errors import QAError

    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise QAError(f"cannot write {path} ({exc.strerror or exc}): choose another file") from None


def _plugins() -> list[Any]:
    """Command registrars other installed packages offer (the library itself never imports them)."""
    from importlib.metadata import entry_points

    out = []
    for ep in sorted(entry_points(group="newsqa.commands"), key=lambda e: e.name):
        try:
            out.append(ep.load())
        except ImportError:
            continue  # a plugin whose own dependencies are missing does not break `qa`
    return out


def _config(args: argparse.Namespace) -> int:
    from .config import Settings, describe

    current = Settings.load(args.settings, preset=getattr(args, "preset", None)).to_dict()
    for name, default, doc in describe():
        value: Any = current
        for part in name.split("."):
            value = value[part]
        print(f"{name} = {value!r}\n    {doc}")
    return 0


def _positive(text: str) -> int:
    """An argparse type: a whole number > 0 (`-k 0` asked FAISS for nothing and it asserted)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number > 0, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number > 0, got {text!r}")
    return value


def _text_args(args: argparse.Namespace) -> None:
    """Questions, queries and names as valid text: an argument's bytes that are not UTF-8 ($'chips\\xff?') arrive
    as lone surrogates, which no model, database or terminal takes. Paths are left as they are."""
    from .text.escape import valid_utf8

    for name in ("question", "query", "name", "about", "as_of", "date_from", "date_to", "title"):
        if isinstance(getattr(args, name, None), str):
            setattr(args, name, valid_utf8(getattr(args, name)))
    for name in ("choices", "history"):  # lists of text here; a plugin's command may use the names for flags
        if isinstance(getattr(args, name, None), list):
            setattr(args, name, [valid_utf8(x) if isinstance(x, str) else x for x in getattr(args, name)])


def _matching_sentences(text: str, query: str, n: int = 3) -> list[str]:
    """The passage's sentences holding the query's words, the words rarest in the passage weighing most."""
    from .text.sentences import split_sentences
    from .text.tokens import content_words

    terms = set(content_words(query))
    sents = [text[a:b] for a, b in split_sentences(text)]
    has = [terms & set(content_words(s)) for s in sents]
    df = {t: sum(t in h for h in has) for t in terms}
    score = [sum(1.0 / df[t] for t in h) for h in has]
    top = max(score, default=0.0)
    best = sorted((i for i in range(len(sents)) if score[i] > 0 and score[i] >= top / 2), key=lambda i: -score[i])[:n]
    return [_clip(sents[i], 300) for i in sorted(best)]


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


if __name__ == "__main__":
    raise SystemExit(main())
