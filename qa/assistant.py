"""The one entry point: `Assistant.open(index_dir).ask(question)`. Wires the stages, one call each; owns no algorithm.

question → search.condense → search.make_request → news focus → search.Retriever → answer.evidence
         → answer.choices | answer.compose.abstain_reason → answer.short → generate (streamed) → answer.cite.verify
         → answer.compose → Answer
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from .answer.compose import Context
from .answer.evidence import Pool, select_evidence
from .answer.pipeline import Retrieval, Services
from .answer.pipeline import answer as answer_stage
from .answer.shape import PLANS, shape_of, sides
from .config import Settings
from .embed import Embedder, make_embedder
from .generate import Generator, make_generator
from .generate.prompts import Prompts
from .index import Index, Stats
from .ingest import IngestReport, feeds, ingest, resolve_ids
from .news import speakers as news
from .search import Retriever, make_request
from .search.request import SearchRequest
from .search.request import clean_question, user_date
from .search.condense import condense
from .types import Answer, Article, Passage, StreamEvent

DateLike = str | date | None


class Assistant:
    """Question answering over one index folder, with verified citations."""

    def __init__(self, settings: Settings, store: Index, embedder: Embedder, generator: Generator | None = None) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self._generator = generator
        self.prompts = Prompts(settings.prompts_dir)
        self.retriever = Retriever(store, embedder, settings.retrieval)
        self.write_lock = threading.Lock()
        self._generator_lock = threading.Lock()

    @classmethod
    def open(cls, index_dir: str | Path | None = None, *, settings: Settings | None = None, create: bool = False,
             rebuild: bool = False, embedder: Embedder | None = None, generator: Generator | None = None,
             **overrides: Any) -> Assistant:
        """Open (or, with create=True, start) an index; ``overrides`` are dotted settings like llm__model."""
        settings = settings or Settings.load()
        if index_dir is not None:
            overrides["index_dir"] = str(index_dir)
        if overrides:
            settings = settings.replace(**overrides)
        embedder = embedder or make_embedder(settings.embedding)
        return cls(settings, Index(settings.index_dir, settings, embedder, create=create, rebuild=rebuild), embedder, generator)

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            with self._generator_lock:  # two first questions at once must share one generator (and its lock)
                if self._generator is None:
                    self._generator = make_generator(self.settings.llm)
        return self._generator

    def close(self) -> None:
        self.store.close()

    # -- index ----------------------------------------------------------------------------------
    def add(self, paths: Sequence[str | Path], *, prune: bool = False, progress: bool = True, on_skip=None) -> IngestReport:  # noqa: ANN001
        """Add (or update) the articles under ``paths`` (`qa index PATH`): files, folders, and web pages or RSS/Atom
        feeds by http(s) URL; usable while questions are being answered."""
        with self.write_lock:
            return ingest(paths, self.store, self.embedder, self.settings, prune=prune, progress=progress, on_skip=on_skip)

    def subscribe(self, source: str) -> feeds.Subscription:
        """Keep a feed (http(s) URL) or a folder current: `update` and `qa watch` refresh it."""
        return feeds.add(self.store, source)

    def unsubscribe(self, source: str) -> bool:
        """Stop refreshing a feed or folder (its articles stay indexed)."""
        return feeds.remove(self.store, source)

    def subscriptions(self) -> list[feeds.Subscription]:
        return feeds.subscriptions(self.store)

    def update(self, *, progress: bool = True, on_skip=None) -> feeds.UpdateReport:  # noqa: ANN001
        """Refresh every subscribed feed and folder once, incrementally."""
        with self.write_lock:
            return feeds.update(self.store, self.embedder, self.settings, progress=progress, on_skip=on_skip)

    def remove(self, ids_or_paths: Sequence[str]) -> int:
        """Remove articles by id, or every article loaded from the given files/folders."""
        with self.write_lock:
            n = self.store.remove(resolve_ids(self.store, ids_or_paths))
            self.store.save()
        return n

    def stats(self) -> Stats:
        return self.store.stats()

    def speakers(self, limit: int = 20) -> list[news.Speaker]:
        """The most quoted people with their name variants."""
        return news.speakers(self.store.db, limit)

    def quotes(self, name: str, about: str | None = None, limit: int = 10, *, date_from: DateLike = None,
               date_to: DateLike = None) -> list[news.Quote]:
        """What ``name`` (any name variant) said, optionally about a topic and between dates, best first."""
        return news.quotes(self.store.db, name, about=about, embedder=self.embedder, limit=limit,
                           date_from=user_date("from", date_from), date_to=user_date("to", date_to))

    def articles(self, date_from: DateLike = None, date_to: DateLike = None, source: str | None = None,
                 words: str = "", limit: int = 200) -> list[Article]:
        """The indexed articles (without their text) within the dates, from an outlet, holding the words; newest first."""
        lo, hi = user_date("from", date_from), user_date("to", date_to)
        return self.store.list_articles(lo.isoformat() if lo else None, hi.isoformat() if hi else None,
                                        source or None, (words or "").split(), limit)

    def article(self, article_id: str) -> Article | None:
        """One indexed article with its text (None when no article has that id)."""
        return self.store.article(article_id)

    # -- search ---------------------------------------------------------------------------------
    def search(self, query: str, k: int | None = None, *, as_of: DateLike = None, date_from: DateLike = None,
               date_to: DateLike = None) -> list[Passage]:
        """Fused hybrid search (dense + BM25) with date filters."""
        return self.retriever.search(make_request(query, as_of, date_from, date_to, top_k=k, newest=self.store.newest_date))

    def search_dense(self, query: str, k: int = 5) -> list[Passage]:
        return self.retriever.passages(query, k, "dense")

    def search_keyword(self, query: str, k: int = 5) -> list[Passage]:
        return self.retriever.passages(query, k, "bm25")

    # -- answering ------------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[str] | None = None, as_of: DateLike = None, date_from: DateLike = None,
            date_to: DateLike = None, choices: Sequence[str] | None = None, top_k: int | None = None) -> Answer:
        """Answer a question (or pick among ``choices``) from the indexed articles, with verified citations."""
        events = self.stream(question, history, as_of, date_from, date_to, choices, top_k=top_k)
        return [e.answer for e in events if e.kind == "answer"][-1]

    def retrieve(self, question: str, query: str, as_of: DateLike = None, date_from: DateLike = None,
                 date_to: DateLike = None, choices: Sequence[str] | None = None, top_k: int | None = None) -> Retrieval:
        """Retrieval and evidence selection for a (condensed) query, as the question's shape asks: what the answer
        stage reads. The first retrieval.top_k passages are the reader's; a summary, timeline, comparison, ... gets
        further ones (qa/answer/shape.py)."""
        s, t = self.settings, time.perf_counter()
        req = make_request(query, as_of, date_from, date_to, top_k=top_k, newest=self.store.newest_date)
        speaker = news.focus(self.store.db, query, self.embedder, as_of=req.as_of, date_from=req.date_from, date_to=req.date_to)
        if speaker:  # "what did X say about Y": X's statements on Y are one more ranked list
            req.extra.append(speaker.chunks)
        shape = shape_of(question, query, bool(choices), speaker=bool(speaker))
        plan = PLANS[shape]
        base = req.top_k or s.retrieval.top_k
        if choices:
            passages = self.retriever.search_choices(req, choices, s.retrieval.per_choice_k)
            base = len(passages)
        else:
            req.top_k = max(base, plan.passages)  # diversify walks best first: the first `base` are the same
            passages = self.retriever.search(req)
            req.top_k = base
            have = {p.chunk_id for p in passages}
            if shape == "comparison":
                passages += self.retriever.more(req, sides(query), plan.per_side, have)
            if plan.story:  # the story the question is about, read whole: its other paragraphs hold the why, the rest
                passages += self.retriever.rest_of(passages[:base], plan.story, have)
        timings = {"retrieve": time.perf_counter() - t}
        t2 = time.perf_counter()
        evidence, ranked = select_evidence(query, passages[:base], self.embedder, s.answer.evidence_sentences,
                                           self.store.idf, boost=speaker.boost if speaker else None)
        timings["evidence"] = time.perf_counter() - t2
        ctx = Context(question, query, passages, req.as_of.isoformat() if req.as_of else None)
        pool = Pool(query, ranked, passages[:base], ctx.as_of, self.store.idf, self.embedder.embed)
        return Retrieval(ctx, req, speaker, shape, evidence, ranked, pool, base, list(choices or []), as_of not in (None, ""),
                         timings, t)

    def stream(self, question: str, history: Sequence[str] | None = None, as_of: DateLike = None,
               date_from: DateLike = None, date_to: DateLike = None, choices: Sequence[str] | None = None,
               top_k: int | None = None) -> Iterator[StreamEvent]:
        """Like `ask`, yielding status lines, the best evidence at once and each verified sentence before the answer."""
        question = clean_question(question)  # escape sequences and control characters out; empty or too long: error
        s, t0 = self.settings, time.perf_counter()
        query, how = condense(question, history, self.generator if (s.llm.enabled and history) else None, self.prompts)
        if how != "as asked":
            yield StreamEvent("status", f"searching for: {query}")
        r = self.retrieve(question, query, as_of, date_from, date_to, choices, top_k)
        r.timings["condense"] = r.started - t0
        for event in answer_stage(r, self._services(r.request)):
            if event.kind == "answer":
                r.timings["total"] = time.perf_counter() - t0
                event.answer.timings = {k: round(v, 4) for k, v in r.timings.items()}
            yield event

    def _services(self, req: SearchRequest) -> Services:
        """What the answer stage calls back into: settings, prompts, the models, the index's lookups."""
        window = self.retriever.window(req)

        def keyword_best(text: str) -> float:
            return max((sc for _, sc in self.retriever.keyword(text, 1, window)), default=0.0)

        return Services(self.settings, self.prompts, lambda: self.generator, self.embedder, self.store.idf,
                        lambda: news.aliases(self.store.db), keyword_best)


def build_index(paths: Sequence[str | Path], index_dir: str | Path | None = None, *, settings: Settings | None = None,
                prune: bool = False, rebuild: bool = False, progress: bool = True, **overrides: Any) -> IngestReport:
    """Index files/folders into an index folder (created if needed); returns the ingest report."""
    assistant = Assistant.open(index_dir, settings=settings, create=True, rebuild=rebuild, **overrides)
    try:
        return assistant.add(paths, prune=prune, progress=progress)
    finally:
        assistant.close()
